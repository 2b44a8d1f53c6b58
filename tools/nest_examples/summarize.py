"""Run one of NEST's example scripts unchanged (apart from the import line, already patched
by run.sh) and print, as JSON, the numbers it computes, for compare.py.

usage: summarize.py SCRIPT.py [--seed S --module evplast|nest]  (MPLBACKEND=Agg is set here)

With --seed, the simulator module the script imports gets rng_seed = S before the script runs
and after every ResetKernel, and Python's and NumPy's global generators are seeded with S (the
small network draws its input positions from `random`, unseeded): the script itself stays
unchanged, and runs over several seeds give the statistics of an example.
"""

import importlib
import json
import os
import random
import runpy
import sys
import types

import numpy as np

os.environ.setdefault("MPLBACKEND", "Agg")


def stats(a):
    a = np.asarray(a, dtype=float).ravel()
    return {"n": int(a.size), "mean": float(a.mean()), "std": float(a.std()), "min": float(a.min()), "max": float(a.max())}


def seed_module(name, seed):
    mod = importlib.import_module(name)
    reset = mod.ResetKernel

    def reset_seeded():
        reset()
        mod.rng_seed = seed

    # PyNEST's module refuses new attributes through its own __setattr__; a module's plain one
    # replaces the function (the script looks it up on the module at each call).
    types.ModuleType.__setattr__(mod, "ResetKernel", reset_seeded)
    mod.rng_seed = seed


def main():
    script = sys.argv[1]
    if "--seed" in sys.argv:
        seed = int(sys.argv[sys.argv.index("--seed") + 1])
        seed_module(sys.argv[sys.argv.index("--module") + 1], seed)
        random.seed(seed)
        np.random.seed(seed)
    name = os.path.basename(script)
    g = runpy.run_path(script, run_name="__main__")
    out = {"script": name}
    if name.startswith("clopath_synapse_spike_pairing"):
        out["syn_weights"] = [float(x) for x in g["syn_weights"]]
    elif name.startswith("clopath_synapse_small_network"):
        wm = g["weight_matrix"] - g["init_w_matrix"]
        off = wm[~np.eye(10, dtype=bool)]
        w = np.asarray(g["weight_matrix"])
        # Bidirectional pairs: both directions grew above the initial weight.
        bi = sum(1 for i in range(10) for j in range(i + 1, 10) if w[i, j] > 0.25 and w[j, i] > 0.25)
        out["weight_change"] = stats(off)
        out["n_strengthened"] = int((off > 0).sum())
        out["n_bidirectional_pairs"] = bi
        conns = g["nest"].GetConnections(g["pop_input"], g["pop_exc"])
        out["input_weights"] = stats(conns.weight)
    elif name.startswith("urbanczik_synapse_example"):
        nrn_params = g["nrn_params"]
        t, V_s, V_d_star, U_M = (np.asarray(g[k]) for k in ("t", "V_s", "V_d_star", "U_M"))
        phi = g["phi"]
        pd = g["pattern_duration"]
        err = (phi(V_s, nrn_params) - phi(V_d_star, nrn_params)) ** 2
        rep = (t // pd).astype(int)
        loss = np.array([err[rep == r].mean() for r in np.unique(rep)])
        with np.errstate(invalid="ignore"):
            vloss = np.array([np.mean(((V_d_star - U_M) ** 2)[rep == r]) for r in np.unique(rep)])
        senders, weights = np.asarray(g["senders"]), np.asarray(g["weights"])
        last = {}
        for s, w in zip(senders, weights):
            last[int(s)] = float(w)
        out["n_soma_spikes"] = int(len(g["spike_times_soma"]))
        out["final_weights"] = stats(list(last.values()))
        out["n_weight_events"] = int(len(weights))
        # Mean loss over the first and the last five repetitions with a teacher (U_M is
        # undefined while both teacher conductances are 0).
        with_teacher = np.isfinite(vloss)
        lo, vlo = loss[with_teacher], vloss[with_teacher]
        out["rate_loss_first_last"] = [float(lo[:5].mean()), float(lo[-5:].mean())]
        out["vm_loss_first_last"] = [float(vlo[:5].mean()), float(vlo[-5:].mean())]
    print("SUMMARY " + json.dumps(out))


main()
