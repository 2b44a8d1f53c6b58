#!/usr/bin/env python3
"""The evplast benchmark network in NEST 3.10 (event-driven clopath_synapse / urbanczik_synapse).

Adapted from ../shared/bench/bench_nest.py.  Same network as `evplast bench`
(crates/cli/src/bench.rs): N targets (aeif_psc_delta_clopath with NEST defaults for
--rule clopath; the nest-models.md §7.3 pp_cond_exp_mc_urbanczik neuron for --rule urbanczik),
each with K plastic synapses (fixed_indegree, no multapses) from M = 2K parrot neurons that
repeat one poisson_generator at --rate Hz (an independent train per parrot, delay 0.1 ms);
resolution 0.1 ms, plastic delay --delay ms (default 1).
Clopath: w0 = 26 mV/(K·rate·τ_m), Wmax = max(100, 10 w0).
Urbanczik–Senn: dendritic_exc, w0 = 0.2·0.3·C_m·2000 Hz/(K·rate), eta 0.17, tau_Delta 100,
Wmax = 4.5·C_m·max(1, w0/90).   --static: the same network with static_synapse.

Appends one row to --csv with the columns of `evplast bench --csv` (Table 1 counters left empty;
scheme = "event" for NEST's plastic synapses, "static" for the baseline) plus threads,
resolution_ms, w_std_final, import_s, tag and the exact command line.
Peak RSS is ru_maxrss of this Python process (it includes the ≈80 MB interpreter + NEST).
"""
import argparse
import os
import resource
import shlex
import sys
import time

import numpy as np

from common import append_row, print_row, rss_now_bytes

T_IMPORT0 = time.perf_counter()
import nest  # noqa: E402
T_IMPORT = time.perf_counter() - T_IMPORT0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rule", choices=["clopath", "urbanczik"], required=True)
    ap.add_argument("--N", type=int, default=100)
    ap.add_argument("--K", type=int, default=500)
    ap.add_argument("--rate", type=float, default=10.0, help="input Poisson rate [Hz]")
    ap.add_argument("--T", type=float, default=1.0, help="simulated time [s]")
    ap.add_argument("--delay", type=float, default=1.0, help="delay of the plastic synapses [ms]")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--static", action="store_true",
                    help="baseline: same network with static_synapse (same initial weights)")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--tag", default="")
    ap.add_argument("--csv", default=None, help="append one row to this CSV file")
    a = ap.parse_args()

    rss0 = rss_now_bytes()
    t0 = time.perf_counter()
    nest.ResetKernel()
    try:
        nest.verbosity = nest.VerbosityLevel.ERROR
    except AttributeError:
        nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": a.threads, "rng_seed": a.seed})
    M = 2 * a.K
    rate_khz = a.rate * 1e-3
    if a.rule == "clopath":
        model, syn_model = "aeif_psc_delta_clopath", "clopath_synapse"
        nrn = nest.Create(model, a.N)
        tau_m = 281.0 / 30.0  # NEST default C_m / g_L [ms]
        w0 = 26.0 / (a.K * rate_khz * tau_m)
        syn_spec = {"synapse_model": syn_model, "weight": w0, "delay": a.delay,
                    "Wmax": max(100.0, 10 * w0)}
    else:
        model, syn_model = "pp_cond_exp_mc_urbanczik", "urbanczik_synapse"
        C = 300.0
        nrn_params = {
            "t_ref": 3.0, "g_sp": 600.0,
            "soma": {"V_m": -70.0, "C_m": C, "E_L": -70.0, "g_L": 30.0, "E_ex": 0.0, "E_in": -75.0,
                     "tau_syn_ex": 3.0, "tau_syn_in": 3.0},
            "dendritic": {"V_m": -70.0, "C_m": C, "E_L": -70.0, "g_L": 30.0,
                          "tau_syn_ex": 3.0, "tau_syn_in": 3.0},
            "phi_max": 0.15, "rate_slope": 0.5, "beta": 1.0 / 3.0, "theta": -55.0,
        }
        nrn = nest.Create(model, a.N, params=nrn_params)
        rec = nest.GetDefaults(model)["receptor_types"]
        w0 = 0.2 * 0.3 * C * (200 * 10.0) / (a.K * a.rate)
        syn_spec = {"synapse_model": syn_model, "receptor_type": rec["dendritic_exc"], "weight": w0,
                    "delay": a.delay, "tau_Delta": 100.0, "eta": 0.17,
                    "Wmax": 4.5 * C * max(1.0, w0 / 90.0)}
    if a.static:
        syn_model = "static_synapse"
        syn_spec = {k: v for k, v in syn_spec.items() if k in ("weight", "delay", "receptor_type")}
        syn_spec["synapse_model"] = syn_model
    pg = nest.Create("poisson_generator", 1, {"rate": a.rate})
    par = nest.Create("parrot_neuron", M)
    nest.Connect(pg, par, "all_to_all", {"delay": 0.1})
    nest.Connect(par, nrn, {"rule": "fixed_indegree", "indegree": a.K, "allow_multapses": False},
                 syn_spec)
    sr = nest.Create("spike_recorder")
    nest.Connect(nrn, sr)
    t_build = time.perf_counter() - t0
    rss_build = rss_now_bytes()

    t1 = time.perf_counter()
    nest.Simulate(a.T * 1000.0)
    t_sim = time.perf_counter() - t1

    # peak before any GetConnections (its Python lists would dominate the peak)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    conns = nest.GetConnections(par, nrn, synapse_model=syn_model)
    n_syn = len(conns)
    ws = np.asarray(conns.get("weight"), dtype=float)
    n_post = sr.get("n_events")
    row = dict(
        simulator=f"nest-{nest.__version__}", rule=a.rule + ("_static" if a.static else ""),
        scheme="static" if a.static else "event",
        N=a.N, K=a.K, M_inputs=M, rate_hz=a.rate, T_s=a.T, delay_ms=a.delay, n_plastic_syn=n_syn,
        w_init=w0, w_mean_final=float(ws.mean()), post_rate_hz=n_post / (a.N * a.T),
        build_s=t_build, sim_s=t_sim, rtf=t_sim / a.T,
        ns_per_syn_event=1e9 * t_sim / max(1.0, a.N * a.K * a.rate * a.T),
        rss_start_bytes=rss0, rss_after_build_bytes=rss_build, peak_rss_bytes=peak, seed=a.seed,
        threads=a.threads, resolution_ms=0.1, w_std_final=float(ws.std()), import_s=T_IMPORT,
        target="", tag=a.tag,
        cmd=" ".join(shlex.quote(x) for x in [os.path.basename(sys.executable)] + sys.argv),
    )
    print_row(row)
    if a.csv:
        append_row(a.csv, row)


if __name__ == "__main__":
    main()
