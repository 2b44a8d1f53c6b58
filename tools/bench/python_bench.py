"""`evplast bench`'s network (crates/cli/src/bench.rs, Clopath) built and run from Python,
to measure what the Python front end costs against the CLI (docs/PERFORMANCE.md).

usage: python_bench.py [--N 100] [--K 500] [--rate 10] [--T 1] [--scheme event] [--seed 1]
Prints one JSON line: build_s (Create + Connect + Prepare), simulate_s, n_synapses.
"""

import argparse
import json
import time

import evplast as nest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--N", type=int, default=100)
    ap.add_argument("--K", type=int, default=500)
    ap.add_argument("--rate", type=float, default=10.0)
    ap.add_argument("--T", type=float, default=1.0, help="simulated time (s)")
    ap.add_argument("--scheme", default="event")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--delay", type=float, default=1.0)
    a = ap.parse_args()

    t0 = time.perf_counter()
    nest.ResetKernel()
    nest.set(rng_seed=a.seed, scheme=a.scheme)
    m = 2 * a.K
    w0 = 26.0 / (a.K * a.rate * 1e-3 * (281.0 / 30.0))
    nrn = nest.Create("aeif_psc_delta_clopath", a.N)
    pg = nest.Create("poisson_generator", params={"rate": a.rate})
    parrots = nest.Create("parrot_neuron", m)
    sr = nest.Create("spike_recorder")
    nest.Connect(pg, parrots, syn_spec={"weight": 1.0, "delay": 0.1})
    nest.Connect(parrots, nrn, {"rule": "fixed_indegree", "indegree": a.K, "allow_multapses": False},
                 {"synapse_model": "clopath_synapse", "weight": w0, "delay": a.delay, "Wmax": max(100.0, 10 * w0)})
    nest.Connect(nrn, sr)
    nest.Prepare()
    t1 = time.perf_counter()
    nest.Run(a.T * 1000.0)
    nest.Cleanup()
    t2 = time.perf_counter()
    print(json.dumps({"build_s": t1 - t0, "simulate_s": t2 - t1, "n_synapses": a.N * a.K,
                      "post_rate_hz": sr.n_events / (a.N * a.T)}))


main()
