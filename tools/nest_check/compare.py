#!/usr/bin/env python3
"""Compare an evplast run directory with the NEST run of the same network.

    python compare.py EVPLAST_DIR NEST_DIR [--rtol 1e-6] [--atol 1e-12]
                      [--mm-rtol R] [--mm-atol A] [--resolution H]

Files compared (every ``*.csv`` present in either directory; a file missing on one side fails):

* spike_recorder files (``senders,times``): must be identical after sorting, times compared as
  steps (rounded to the resolution grid);
* weight_recorder files (``senders,targets,times,weights``) and ``connections.csv``: rows are
  sorted identically on both sides; the keys (senders/targets/time step, resp.
  source/target/synapse_model/delay step) must be identical and weights must agree within
  ``|a - b| <= atol + rtol * |b|`` (b = NEST);
* multimeter files (``senders,times,<fields>``): rows are joined on (sender, time step); the
  maximum absolute and relative difference per field is reported. They fail only if
  ``--mm-rtol`` or ``--mm-atol`` is given (then rows present on one side only fail as well).

The kind of each file is taken from ``EVPLAST_DIR/network.json`` (written by
``--dump-network``) when present, otherwise guessed from the header. The resolution comes from
the same network.json unless ``--resolution`` is given (default 0.1).
Exit status: 0 if every file passes, 1 on any mismatch or missing file, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys

SPIKES, WEIGHTS, MULTIMETER, CONNECTIONS = "spike_recorder", "weight_recorder", "multimeter", "connections"


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return [], []
    return rows[0], rows[1:]


def classify(name, header, kinds):
    if name == "connections.csv":
        return CONNECTIONS
    label = name[:-4]
    if label in kinds:
        return kinds[label]
    if header[:4] == ["senders", "targets", "times", "weights"]:
        return WEIGHTS
    if header == ["senders", "times"]:
        return SPIKES
    if header[:2] == ["senders", "times"]:
        return MULTIMETER
    return None


def step(t, h):
    return int(round(float(t) / h))


def close(a, b, rtol, atol):
    return abs(a - b) <= atol + rtol * abs(b)


def rel(a, b):
    d = abs(a - b)
    return 0.0 if d == 0 else d / max(abs(a), abs(b))


def show(rows, n=5):
    if not rows:
        return "-"
    return "; ".join(",".join(str(x) for x in r) for r in rows[:n]) + (" ..." if len(rows) > n else "")


def multiset_diff(a, b):
    """Rows of sorted list a not in sorted list b (with multiplicity), and vice versa."""
    i = j = 0
    only_a, only_b = [], []
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            i += 1; j += 1
        elif a[i] < b[j]:
            only_a.append(a[i]); i += 1
        else:
            only_b.append(b[j]); j += 1
    return only_a + a[i:], only_b + b[j:]


def cmp_spikes(ev, ne, h):
    a = sorted((step(r[1], h), int(r[0])) for r in ev)
    b = sorted((step(r[1], h), int(r[0])) for r in ne)
    if a == b:
        return True, f"{len(a)} spikes of {len({s for _, s in a})} senders, identical"
    oa, ob = multiset_diff(a, b)
    fmt = lambda rows: show([(s, round(k * h, 10)) for k, s in rows])   # noqa: E731
    first = min((oa + ob), key=lambda r: r[0])
    return False, (f"evplast {len(a)} spikes, NEST {len(b)}; first difference at t = {round(first[0] * h, 10)}; "
                   f"only in evplast ({len(oa)}): {fmt(oa)}; only in NEST ({len(ob)}): {fmt(ob)}")


def cmp_keyed_weights(ea, na, what, rtol, atol):
    """ea, na: sorted lists of (key tuple, weight). Keys must match row by row."""
    if len(ea) != len(na):
        ka = [k for k, _ in ea]; kb = [k for k, _ in na]
        oa, ob = multiset_diff(sorted(ka), sorted(kb))
        return False, (f"evplast {len(ea)} {what}, NEST {len(na)}; only in evplast ({len(oa)}): {show(oa)}; "
                       f"only in NEST ({len(ob)}): {show(ob)}")
    bad_keys = [(x[0], y[0]) for x, y in zip(ea, na) if x[0] != y[0]]
    if bad_keys:
        return False, f"{len(bad_keys)} of {len(ea)} {what} differ in their keys; first: evplast {bad_keys[0][0]} vs NEST {bad_keys[0][1]}"
    worst, worst_i, n_bad = 0.0, None, 0
    for i, ((k, a), (_, b)) in enumerate(zip(ea, na)):
        r = rel(a, b)
        if not close(a, b, rtol, atol):
            n_bad += 1
        if r >= worst:
            worst, worst_i = r, i
    detail = ""
    if worst_i is not None and worst > 0:
        k, a = ea[worst_i]
        detail = f" at {k}: evplast {a!r}, NEST {na[worst_i][1]!r}"
    msg = f"{len(ea)} {what}, max rel diff {worst:.3g}{detail}"
    if n_bad:
        return False, f"{n_bad} weights outside rtol {rtol:g}/atol {atol:g}; " + msg
    return True, msg


def cmp_weight_recorder(ev, ne, h, rtol, atol):
    # sort by (time step, sender, target, weight); the weight only breaks ties (multiplicity, multapses)
    a = sorted(((step(r[2], h), int(r[0]), int(r[1])), float(r[3])) for r in ev)
    b = sorted(((step(r[2], h), int(r[0]), int(r[1])), float(r[3])) for r in ne)
    a = [((round(k[0] * h, 10), k[1], k[2]), w) for k, w in a]
    b = [((round(k[0] * h, 10), k[1], k[2]), w) for k, w in b]
    return cmp_keyed_weights(a, b, "weight events", rtol, atol)


def cmp_connections(ev, ne, h, rtol, atol):
    a = sorted(((int(r[0]), int(r[1]), r[2], step(r[4], h)), float(r[3])) for r in ev)
    b = sorted(((int(r[0]), int(r[1]), r[2], step(r[4], h)), float(r[3])) for r in ne)
    return cmp_keyed_weights(a, b, "plastic connections", rtol, atol)


def cmp_multimeter(eh, ev, nh, ne, h, mm_rtol, mm_atol):
    if eh != nh:
        return False, f"columns differ: evplast {eh}, NEST {nh}"
    fields = eh[2:]
    da = {(int(r[0]), step(r[1], h)): r[2:] for r in ev}
    db = {(int(r[0]), step(r[1], h)): r[2:] for r in ne}
    common = sorted(set(da) & set(db))
    only_a, only_b = sorted(set(da) - set(db)), sorted(set(db) - set(da))
    strict = mm_rtol is not None or mm_atol is not None
    rt, at = mm_rtol or 0.0, mm_atol or 0.0
    parts, ok = [], True
    for j, f in enumerate(fields):
        max_abs = max_rel = 0.0
        where = None
        for k in common:
            a, b = float(da[k][j]), float(db[k][j])
            if math.isnan(a) or math.isnan(b):
                if not (math.isnan(a) and math.isnan(b)):
                    max_abs = max_rel = math.inf; where = k
                continue
            d = abs(a - b)
            if d > max_abs:
                max_abs, where = d, k
            max_rel = max(max_rel, rel(a, b))
            if strict and not close(a, b, rt, at):
                ok = False
        at_s = f" (worst at sender {where[0]}, t = {round(where[1] * h, 10)})" if where else ""
        parts.append(f"{f}: max abs {max_abs:.3g}, max rel {max_rel:.3g}{at_s}")
    rows = f"{len(common)} common samples"
    if only_a or only_b:
        fmt = lambda ks: show([(s, round(k * h, 10)) for s, k in ks], 3)   # noqa: E731
        rows += f", {len(only_a)} only in evplast [{fmt(only_a)}], {len(only_b)} only in NEST [{fmt(only_b)}]"
        if strict:
            ok = False
    return ok, rows + "; " + "; ".join(parts)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Compare an evplast run directory with a NEST run directory.")
    ap.add_argument("evplast_dir")
    ap.add_argument("nest_dir")
    ap.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance for weights (default 1e-6)")
    ap.add_argument("--atol", type=float, default=1e-12, help="absolute tolerance for weights (default 1e-12)")
    ap.add_argument("--mm-rtol", type=float, default=None, help="fail multimeter fields beyond this relative tolerance")
    ap.add_argument("--mm-atol", type=float, default=None, help="fail multimeter fields beyond this absolute tolerance")
    ap.add_argument("--resolution", type=float, default=None, help="grid for times (default: network.json, else 0.1)")
    args = ap.parse_args(argv)

    for d in (args.evplast_dir, args.nest_dir):
        if not os.path.isdir(d):
            print(f"compare.py: {d} is not a directory", file=sys.stderr)
            return 2

    kinds, h = {}, 0.1
    net_path = os.path.join(args.evplast_dir, "network.json")
    if os.path.exists(net_path):
        with open(net_path) as f:
            net = json.load(f)
        h = float(net.get("kernel", {}).get("resolution", 0.1))
        for n in net.get("nodes", []):
            if n.get("model") in (SPIKES, WEIGHTS, MULTIMETER):
                kinds[n.get("label") or f"{n['model']}_{n['id']}"] = n["model"]
    if args.resolution is not None:
        h = args.resolution

    names = sorted({f for d in (args.evplast_dir, args.nest_dir) for f in os.listdir(d) if f.endswith(".csv")})
    expected = {f"{label}.csv" for label in kinds}
    names = sorted(set(names) | expected)
    if not names:
        print("compare.py: no .csv files in either directory")
        return 1

    all_ok = True
    width = max(len(n) for n in names)
    for name in names:
        pe, pn = os.path.join(args.evplast_dir, name), os.path.join(args.nest_dir, name)
        missing = [who for who, p in (("evplast", pe), ("NEST", pn)) if not os.path.exists(p)]
        if name == "connections.csv" and len(missing) == 1:
            # no plastic connections: an absent file and a header-only file mean the same
            other = pn if missing[0] == "evplast" else pe
            if not read_csv(other)[1]:
                print(f"PASS  {name:{width}s}  {CONNECTIONS}: no plastic connections (file absent in {missing[0]} run)")
                continue
        if missing:
            all_ok = False
            print(f"FAIL  {name:{width}s}  missing in {' and '.join(missing)} run")
            continue
        eh, ev = read_csv(pe)
        nh, ne = read_csv(pn)
        kind = classify(name, nh or eh, kinds)
        try:
            if kind == SPIKES:
                ok, msg = cmp_spikes(ev, ne, h)
            elif kind == WEIGHTS:
                ok, msg = cmp_weight_recorder(ev, ne, h, args.rtol, args.atol)
            elif kind == CONNECTIONS:
                ok, msg = cmp_connections(ev, ne, h, args.rtol, args.atol)
            elif kind == MULTIMETER:
                ok, msg = cmp_multimeter(eh, ev, nh, ne, h, args.mm_rtol, args.mm_atol)
                strict = args.mm_rtol is not None or args.mm_atol is not None
                if ok and not strict:
                    print(f"INFO  {name:{width}s}  {kind}: {msg}")
                    continue
            else:
                ok, msg = False, f"unknown file kind (header {nh or eh})"
        except (ValueError, IndexError) as e:
            ok, msg = False, f"cannot parse: {e}"
        all_ok &= ok
        print(f"{'PASS' if ok else 'FAIL'}  {name:{width}s}  {kind}: {msg}")
    print("compare: all files match" if all_ok else "compare: MISMATCH")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
