#!/usr/bin/env python3
"""Run a realised evplast network (``evplast run ... --dump-network``) in NEST 3.10.

    python nest_run.py DIR/network.json --out NESTDIR [--threads N] [--seed N] [--no-mm-flush]

NEST is used only as an external oracle through its pip package (``nest-simulator``).
NESTDIR receives the files evplast writes for the same network (see
/work/shared/spec/model-file.md, "What a run writes"):

* ``<label>.csv`` for each spike_recorder (``senders,times``), multimeter
  (``senders,times,<record_from...>``) and weight_recorder (``senders,targets,times,weights``),
  sorted by (times, senders[, targets[, weights]]);
* ``connections.csv`` (``source,target,synapse_model,weight,delay``) for every connection of a
  plastic synapse model, sorted by (source, target, synapse_model, delay, weight); copied models
  are reported under their base model name.

Floats are written with ``repr()`` so that they round-trip.

How the network is rebuilt (see NEST_SEMANTICS.md for the measured facts behind it):

* nodes are created in id order, so NEST's node ids equal the ids in network.json;
* every connection from a ``poisson_generator`` carries the ``spike_times`` evplast drew for
  that target; it is replaced by a fresh ``spike_generator`` with those times (repeated time =
  multiplicity), created after all other nodes. The poisson_generator itself is still created
  (ids stay aligned) but left unconnected;
* a connection naming a ``weight_recorder`` uses a ``CopyModel`` of its synapse model with
  that recorder; synapse parameters go into the syn_spec as per-connection arrays, and all
  connections of one kind are made with a single one_to_one ``Connect`` of id arrays;
* recorder links (``"device": true``) get NEST's default delay (1.0 ms) unless they carry a
  ``delay``; NEST counts them toward min_delay;
* NEST delivers a multimeter's samples of the last min_delay slice only in the next slice, so
  the samples of the last slice of ``Simulate(T)`` are missing. Unless ``--no-mm-flush`` is
  given, all other outputs are read first, then NEST simulates one more min_delay and only the
  multimeter rows with time <= T are kept. This does not change the samples, it only makes
  NEST hand them over.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from numbers import Integral, Real

import numpy as np

os.environ.setdefault("PYNEST_QUIET", "1")
import nest  # noqa: E402  (PYNEST_QUIET must be set before the import)

# Synapse models whose final weights are written to connections.csv.
PLASTIC_MODELS = ("clopath_synapse", "urbanczik_synapse")
RECORDERS = ("spike_recorder", "multimeter", "weight_recorder")


# ----------------------------------------------------------------------------------------------
# Parameter conversion
# ----------------------------------------------------------------------------------------------

def _is_number(x) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool)


def coerce(value, default):
    """Convert a JSON value to the type NEST expects, guided by NEST's default value.

    PyNEST reads a list as integers when its first element is an int and truncates the
    rest (``[29, 62.3]`` becomes ``[29.0, 62.0]``), so every numeric list is made float unless
    NEST's default is an integer array. Scalars become float when the default is a float.
    Nested dicts (multi-compartment models) are converted key by key.
    """
    if isinstance(value, dict):
        sub = default if isinstance(default, dict) else {}
        return {k: coerce(v, sub.get(k)) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(_is_number(x) for x in value):
            if isinstance(default, np.ndarray) and np.issubdtype(default.dtype, np.integer):
                return [int(x) for x in value]
            return [float(x) for x in value]
        return value
    if isinstance(value, Integral) and not isinstance(value, bool) and isinstance(default, float):
        return float(value)
    return value


_defaults_cache: dict[str, dict] = {}


def defaults(model: str) -> dict:
    if model not in _defaults_cache:
        _defaults_cache[model] = nest.GetDefaults(model)
    return _defaults_cache[model]


def node_params(model: str, params: dict) -> dict:
    d = defaults(model)
    return {k: coerce(v, d.get(k)) for k, v in params.items()}


# ----------------------------------------------------------------------------------------------
# Building the network
# ----------------------------------------------------------------------------------------------

def create_nodes(nodes: list[dict]) -> dict[int, dict]:
    """Create all nodes in id order (runs of one model in one Create call)."""
    by_id = {}
    expected = 1
    for n in sorted(nodes, key=lambda n: n["id"]):
        if n["id"] != expected:
            sys.exit(f"network.json: node ids must be 1..N without gaps (expected {expected}, got {n['id']})")
        expected += 1
        by_id[n["id"]] = n

    ids = sorted(by_id)
    i = 0
    while i < len(ids):
        model = by_id[ids[i]]["model"]
        j = i
        while j < len(ids) and by_id[ids[j]]["model"] == model:
            j += 1
        params = [node_params(model, by_id[k].get("params") or {}) for k in ids[i:j]]
        nc = nest.Create(model, j - i)
        if nc[0].global_id != ids[i]:
            sys.exit(f"NEST created node {nc[0].global_id} where network.json has {ids[i]}")
        # one SetStatus per group of nodes with the same parameter keys
        groups = defaultdict(list)
        for k, p in zip(ids[i:j], params):
            if p:
                groups[tuple(sorted(p))].append((k, p))
        for members in groups.values():
            nest.NodeCollection([k for k, _ in members]).set([p for _, p in members])
        i = j
    return by_id


def receptor_id(rt, target_model: str) -> int:
    if isinstance(rt, str):
        types = defaults(target_model).get("receptor_types", {})
        if rt not in types:
            sys.exit(f"receptor_type {rt!r} unknown for {target_model} (known: {sorted(types)})")
        return int(types[rt])
    return int(rt)


def connect_group(model: str, rows: list[dict], nodes: dict[int, dict], source_key="source"):
    """Connect a group of connections sharing synapse model and parameter keys, one_to_one."""
    src = np.array([r[source_key] for r in rows], dtype=np.int64)
    tgt = np.array([r["target"] for r in rows], dtype=np.int64)
    base = rows[0]["synapse_model"]
    syn = {"synapse_model": model}
    if any("weight" in r for r in rows):
        syn["weight"] = np.array([float(r.get("weight", defaults(base)["weight"])) for r in rows])
    if any("delay" in r for r in rows):
        syn["delay"] = np.array([float(r.get("delay", defaults(base)["delay"])) for r in rows])
    rts = [receptor_id(r.get("receptor_type", 0), nodes[r["target"]]["model"]) for r in rows]
    if any(rts):
        syn["receptor_type"] = np.array(rts, dtype=np.int64)
    keys = sorted(rows[0].get("params") or {})
    for k in keys:
        vals = [coerce(r["params"][k], defaults(base).get(k)) for r in rows]
        syn[k] = np.array(vals)
    nest.Connect(src, tgt, "one_to_one", syn_spec=syn)


def build(net: dict):
    kern = net.get("kernel", {})
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    ks = {"resolution": float(kern.get("resolution", 0.1)),
          "rng_seed": int(kern.get("rng_seed", 1))}
    if "local_num_threads" in kern:
        ks["local_num_threads"] = int(kern["local_num_threads"])
    nest.SetKernelStatus(ks)

    nodes = create_nodes(net["nodes"])

    device_links = []
    poisson_links = []
    groups = defaultdict(list)       # (model name used in NEST, base model, param keys) -> rows
    copies = {}                      # (base, weight_recorder) -> copied model name
    for c in net.get("connections", []):
        if c.get("device"):
            device_links.append(c)
            continue
        if "spike_times" in c:  # a (inhomogeneous_)poisson_generator train evplast drew
            poisson_links.append(c)
            continue
        base = c.get("synapse_model", "static_synapse")
        c = dict(c, synapse_model=base)
        model = base
        if c.get("weight_recorder") is not None:
            key = (base, int(c["weight_recorder"]))
            if key not in copies:
                copies[key] = f"{base}__wr{key[1]}"
                nest.CopyModel(base, copies[key], {"weight_recorder": nest.NodeCollection([key[1]])})
            model = copies[key]
        groups[(model, tuple(sorted(c.get("params") or {})))].append(c)

    # Replace each poisson_generator connection by its own spike_generator, created last.
    if poisson_links:
        params = [{"spike_times": [float(t) for t in c.get("spike_times", [])]} for c in poisson_links]
        gens = nest.Create("spike_generator", len(poisson_links), params=params)
        first = gens[0].global_id
        pg_groups = defaultdict(list)
        for i, c in enumerate(poisson_links):
            c = dict(c, gen=first + i, synapse_model=c.get("synapse_model", "static_synapse"))
            if c.get("weight_recorder") is not None:
                sys.exit("a weight_recorder on a poisson_generator connection is not supported")
            pg_groups[(c["synapse_model"], tuple(sorted(c.get("params") or {})))].append(c)
        for (model, _), rows in pg_groups.items():
            connect_group(model, rows, nodes, source_key="gen")

    for (model, _), rows in groups.items():
        connect_group(model, rows, nodes)

    # Recorder links: neuron -> spike_recorder, multimeter -> neuron.
    by_pair = defaultdict(list)
    for c in device_links:
        by_pair[(c["source"] if nodes[c["source"]]["model"] == "multimeter" else c["target"],
                 c.get("delay"))].append(c)
    for (dev, delay), links in by_pair.items():
        syn = {} if delay is None else {"delay": float(delay)}
        if nodes[dev]["model"] not in ("multimeter", "spike_recorder"):
            for c in links:      # not a recorder link after all: connect it as given
                nest.Connect(nest.NodeCollection([c["source"]]), nest.NodeCollection([c["target"]]), syn_spec=syn)
        elif nodes[dev]["model"] == "multimeter":
            others = [c["target"] for c in links]
            for chunk in _unique_chunks(others):
                nest.Connect(nest.NodeCollection([dev]), nest.NodeCollection(chunk), syn_spec=syn)
        else:
            others = [c["source"] for c in links]
            for chunk in _unique_chunks(others):
                nest.Connect(nest.NodeCollection(chunk), nest.NodeCollection([dev]), syn_spec=syn)
    return nodes, copies


def _unique_chunks(ids):
    """Split ids into sorted lists without duplicates (a repeated link is connected again)."""
    remaining = list(ids)
    while remaining:
        seen, rest = set(), []
        for i in remaining:
            (rest.append(i) if i in seen else seen.add(i))
        yield sorted(seen)
        remaining = rest


# ----------------------------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------------------------

def fmt(x) -> str:
    if isinstance(x, (np.integer, int)) and not isinstance(x, bool):
        return str(int(x))
    return repr(float(x))


def write_csv(path: str, header: list[str], cols: list[np.ndarray], sort_keys: list[int]):
    n = len(cols[0]) if cols else 0
    order = np.lexsort([cols[k] for k in reversed(sort_keys)]) if n else np.array([], dtype=int)
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for i in order:
            f.write(",".join(fmt(c[i]) for c in cols) + "\n")


def recorder_events(nodes, model):
    """label -> merged events dict of all recorder nodes of that model with that label."""
    out = {}
    for nid, n in nodes.items():
        if n["model"] != model:
            continue
        ev = nest.NodeCollection([nid]).get("events")
        label = n.get("label") or f"{model}_{nid}"
        if label in out:
            out[label] = {k: np.concatenate([out[label][k], np.asarray(ev[k])]) for k in out[label]}
        else:
            out[label] = {k: np.asarray(v) for k, v in ev.items()}
    return out


def write_spikes_and_weights(nodes, outdir):
    for label, ev in recorder_events(nodes, "spike_recorder").items():
        write_csv(os.path.join(outdir, f"{label}.csv"), ["senders", "times"],
                  [ev["senders"].astype(np.int64), ev["times"].astype(float)], [1, 0])
    for label, ev in recorder_events(nodes, "weight_recorder").items():
        write_csv(os.path.join(outdir, f"{label}.csv"), ["senders", "targets", "times", "weights"],
                  [ev["senders"].astype(np.int64), ev["targets"].astype(np.int64),
                   ev["times"].astype(float), ev["weights"].astype(float)], [2, 0, 1, 3])


def write_multimeters(nodes, outdir, t_max):
    for label, ev in recorder_events(nodes, "multimeter").items():
        mm_nodes = [nid for nid, n in nodes.items() if n["model"] == "multimeter" and n.get("label") == label]
        fields = list(nest.NodeCollection(mm_nodes[:1]).get("record_from"))
        keep = ev["times"] <= t_max + 1e-9 if len(ev["times"]) else np.array([], dtype=bool)
        cols = [ev["senders"].astype(np.int64)[keep], ev["times"].astype(float)[keep]]
        cols += [np.asarray(ev[f], dtype=float)[keep] for f in fields]
        write_csv(os.path.join(outdir, f"{label}.csv"), ["senders", "times"] + fields, cols, [1, 0])


def write_connections(copies, outdir):
    names = {m: m for m in PLASTIC_MODELS}
    for (base, _), copy in copies.items():
        if base in PLASTIC_MODELS:
            names[copy] = base
    src, tgt, mod, w, d = [], [], [], [], []
    for name, base in names.items():
        conns = nest.GetConnections(synapse_model=name)
        if len(conns) == 0:
            continue
        st = conns.get(["source", "target", "weight", "delay"])
        if len(conns) == 1:
            st = {k: [v] for k, v in st.items()}
        src += list(st["source"]); tgt += list(st["target"])
        w += list(st["weight"]); d += list(st["delay"]); mod += [base] * len(conns)
    model_rank = {m: i for i, m in enumerate(sorted(set(mod)))}
    cols = [np.array(src, dtype=np.int64), np.array(tgt, dtype=np.int64),
            np.array([model_rank[m] for m in mod], dtype=np.int64), np.array(w, dtype=float), np.array(d, dtype=float)]
    order = np.lexsort([cols[3], cols[4], cols[2], cols[1], cols[0]]) if src else []
    ranks = {i: m for m, i in model_rank.items()}
    with open(os.path.join(outdir, "connections.csv"), "w") as f:
        f.write("source,target,synapse_model,weight,delay\n")
        for i in order:
            f.write(f"{cols[0][i]},{cols[1][i]},{ranks[int(cols[2][i])]},{fmt(cols[3][i])},{fmt(cols[4][i])}\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("network", help="network.json written by evplast --dump-network")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--threads", type=int, default=None, help="override kernel.local_num_threads")
    ap.add_argument("--seed", type=int, default=None, help="override kernel.rng_seed (nest.rng_seed)")
    ap.add_argument("--no-mm-flush", action="store_true",
                    help="do not simulate one extra min_delay to collect the multimeter's last slice")
    args = ap.parse_args(argv)

    with open(args.network) as f:
        net = json.load(f)
    if args.threads is not None:
        net.setdefault("kernel", {})["local_num_threads"] = args.threads
    if args.seed is not None:
        net.setdefault("kernel", {})["rng_seed"] = args.seed
    os.makedirs(args.out, exist_ok=True)

    nodes, copies = build(net)
    t_sim = float(net["kernel"]["t_sim"])
    nest.Simulate(t_sim)

    write_spikes_and_weights(nodes, args.out)
    write_connections(copies, args.out)
    if not args.no_mm_flush and any(n["model"] == "multimeter" for n in nodes.values()):
        nest.Simulate(nest.min_delay)
    write_multimeters(nodes, args.out, t_sim)
    ks = nest.GetKernelStatus(["min_delay", "max_delay", "num_connections"])
    print(f"nest_run: {len(nodes)} nodes, {ks[2]} connections, min_delay {ks[0]}, max_delay {ks[1]}, "
          f"T = {t_sim} ms -> {args.out}")


if __name__ == "__main__":
    main()
