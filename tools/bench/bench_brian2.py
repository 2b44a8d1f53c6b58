#!/usr/bin/env python3
"""The evplast benchmark network with a time-driven Clopath rule in Brian2 (cpp_standalone).

Adapted from ../shared/bench/bench_brian2.py.  Same network as `evplast bench --rule clopath`:
N adaptive-exponential Clopath neurons (NEST aeif_psc_delta_clopath default parameters: C 281 pF,
g_L 30 nS, E_L -70.6, Delta_T 2, V_th_rest -50.4, V_th_max 30.4, tau_V_th 50, V_peak 33,
V_clamp 33, t_clamp 2 ms, V_reset -60, a 4 nS, b 80.5 pA, tau_w 144, I_sp 400 pA, tau_z 40,
theta_minus -70.6, theta_plus -45.3, tau_u_bar_minus 10, tau_u_bar_plus 7, A_LTD 14e-5,
A_LTP 8e-5, tau_x 15 ms, Wmin 0), each with K delta synapses (weight in mV) from a pool of
M = 2K Poisson inputs at --rate, fixed in-degree without multapses, delay --delay ms (default 1),
dt 0.1 ms, forward Euler.  w0 = 26 mV/(K·rate·τ_m), Wmax = max(100, 10 w0).

Time-driven plasticity: every time step every synapse does
    w = clip(w + dt*A_LTP*x_bar_pre*[V_post-theta_plus]+*[u_bar_plus_post-theta_minus]+, 0, Wmax)
and at each presynaptic spike arrival  w -= A_LTD*[u_bar_minus_post-theta_minus]+ .
Simplifications vs NEST (timing-relevant only): no delay_u_bars, the presynaptic trace is read
at the step (not delayed by d), exp argument capped at 20, spike detection V > V_peak then clamp.
It is the peer a user would otherwise pick, not a bit-exact replica.

Times (CSV columns as `evplast bench --csv`, scheme = "time", plus peer extras):
  build_s              Python object construction and connect (before code generation)
  prep_s               code generation + compilation (total device.build wall − binary wall)
  compile_s            Brian2's own timer of 'make clean' + 'make'
  sim_s                the run inside the binary (device._last_run_time): no codegen/compilation
  binary_wall_s        wall time of running the binary (Brian2's timer: loading arrays, run, writing results)
  total_with_codegen_s build_s + device.build wall (codegen + compilation + binary)
  peak_rss_bytes       peak RSS of the binary (/usr/bin/time %M)
--fresh (default on) deletes the build directory first so compilation is not reused.
"""
import argparse
import os
import resource
import shlex
import shutil
import sys
import tempfile
import time

import numpy as np

from common import append_row, print_row, rss_now_bytes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rule", choices=["clopath"], default="clopath",
                    help="only the Clopath rule is written for Brian2")
    ap.add_argument("--N", type=int, default=100)
    ap.add_argument("--K", type=int, default=500)
    ap.add_argument("--rate", type=float, default=10.0)
    ap.add_argument("--T", type=float, default=1.0)
    ap.add_argument("--delay", type=float, default=1.0, help="synaptic delay [ms]")
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads (cpp_standalone only)")
    ap.add_argument("--target", choices=["runtime", "numpy", "cpp_standalone"], default="cpp_standalone")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "evplast_brian2_standalone"))
    ap.add_argument("--no-fresh", dest="fresh", action="store_false",
                    help="reuse an existing build directory (compilation may be skipped)")
    ap.add_argument("--tag", default="")
    ap.add_argument("--csv", default=None, help="append one row to this CSV file")
    a = ap.parse_args()

    t_imp = time.perf_counter()
    import brian2 as b2
    from brian2 import ms, NeuronGroup, Synapses, SpikeMonitor, Network, defaultclock, prefs
    t_imp = time.perf_counter() - t_imp
    rss0 = rss_now_bytes()

    outdir = None
    if a.target == "cpp_standalone":
        outdir = os.path.join(a.workdir, f"N{a.N}_K{a.K}_r{a.rate:g}_T{a.T:g}_d{a.delay:g}_th{a.threads}")
        if a.fresh and os.path.isdir(outdir):
            shutil.rmtree(outdir)
        b2.set_device("cpp_standalone", directory=outdir, build_on_run=False)
        if a.threads > 1:
            prefs.devices.cpp_standalone.openmp_threads = a.threads
        prefs.devices.cpp_standalone.run_cmd_unix = ["/usr/bin/time", "-f", "%M %e", "-o",
                                                     "time_rss.txt", "./main"]
    else:
        prefs.codegen.target = "cython" if a.target == "runtime" else "numpy"
    b2.seed(a.seed)
    np.random.seed(a.seed)
    defaultclock.dt = 0.1 * ms

    t0 = time.perf_counter()
    C, gL, EL, DT = 281.0, 30.0, -70.6, 2.0
    tau_m = C / gL
    M = 2 * a.K
    w0 = 26.0 / (a.K * a.rate * 1e-3 * tau_m)
    Wmax = max(100.0, 10 * w0)
    ns = dict(C=C, gL=gL, EL=EL, DT=DT, Vth_rest=-50.4, Vth_max=30.4, tau_Vth=50.0 * ms, Vpeak=33.0,
              Vclamp=33.0, t_clamp=2.0 * ms, Vreset=-60.0, a_ad=4.0, b_ad=80.5, tau_wad=144.0 * ms,
              Isp=400.0, tau_z=40.0 * ms, theta_minus=-70.6, theta_plus=-45.3, tau_um=10.0 * ms,
              tau_up=7.0 * ms, A_LTD=14e-5, A_LTP=8e-5, tau_x=15.0 * ms, tau_x_ms=15.0, Wmax=Wmax,
              rate=a.rate * b2.Hz, dt_ms=0.1)
    # unitless mV / pA / nS / pF quantities; time derivatives per ms
    eqs = """
    dV/dt = int(not_clamped) * (-gL*(V-EL) + gL*DT*exp(clip((V-Vth)/DT, -50, 20)) + z - wad) / C / ms : 1
    dwad/dt = (a_ad*(V-EL) - wad) / tau_wad : 1
    dz/dt = -z / tau_z : 1
    dVth/dt = -(Vth - Vth_rest) / tau_Vth : 1
    dubp/dt = (V - ubp) / tau_up : 1
    dubm/dt = (V - ubm) / tau_um : 1
    ltp = clip(V - theta_plus, 0, 1e9) * clip(ubp - theta_minus, 0, 1e9) : 1
    ltd = clip(ubm - theta_minus, 0, 1e9) : 1
    not_clamped : boolean
    lastsp : second
    """
    post = NeuronGroup(a.N, eqs, threshold="V > Vpeak and not_clamped",
                       reset="V = Vclamp; not_clamped = False; lastsp = t; wad += b_ad; z = Isp; Vth = Vth_max",
                       events={"release": "(not not_clamped) and (t - lastsp >= t_clamp - 0.5*dt)"},
                       method="euler", namespace=ns, name="post")
    post.run_on_event("release", "V = Vreset; not_clamped = True")
    post.V = EL
    post.ubp = EL
    post.ubm = EL
    post.Vth = -50.4
    post.not_clamped = True
    pre = NeuronGroup(M, "dx/dt = -x / tau_x : 1", threshold="rand() < rate*dt", reset="x += 1.0/tau_x_ms",
                      method="exact", namespace=ns, name="pre")
    syn = Synapses(pre, post, "w : 1", delay=a.delay * ms, namespace=ns, name="syn",
                   on_pre="V_post += w*int(not_clamped_post)\nw = clip(w - A_LTD*ltd_post, 0, Wmax)")
    # fixed in-degree K without multapses from a pool of M
    rng = np.random.default_rng(a.seed)
    src = np.concatenate([rng.choice(M, size=a.K, replace=False) for _ in range(a.N)])
    tgt = np.repeat(np.arange(a.N), a.K)
    syn.connect(i=src, j=tgt)
    syn.w = w0
    syn.run_regularly("w = clip(w + dt_ms*A_LTP*x_pre*ltp_post, 0, Wmax)", dt=0.1 * ms, name="ltp")
    spm = SpikeMonitor(post)
    net = Network(post, pre, syn, spm)
    t_build = time.perf_counter() - t0

    row = dict(simulator=f"brian2-{b2.__version__}", rule=a.rule, scheme="time", N=a.N, K=a.K,
               M_inputs=M, rate_hz=a.rate, T_s=a.T, delay_ms=a.delay, n_plastic_syn=a.N * a.K,
               w_init=w0, seed=a.seed, threads=a.threads, resolution_ms=0.1, target=a.target,
               rss_start_bytes=rss0)
    if a.target == "cpp_standalone":
        net.run(a.T * 1000.0 * ms)
        t1 = time.perf_counter()
        b2.device.build(directory=outdir, compile=True, run=True, with_output=False)
        total = time.perf_counter() - t1
        with open(os.path.join(outdir, "time_rss.txt")) as f:
            rss_kb, bin_wall = f.read().split()[-2:]
        timers = getattr(b2.device, "timers", {}) or {}
        comp = timers.get("compile") or {}
        parts = [v for v in (comp.get("clean"), comp.get("make")) if v is not None]
        compile_s = float(sum(parts)) if parts else float("nan")
        run_binary = timers.get("run_binary")
        ws = np.asarray(syn.w[:])
        n_post = spm.num_spikes
        bin_wall = float(run_binary) if run_binary is not None else float(bin_wall)
        row.update(build_s=t_build, prep_s=total - bin_wall, compile_s=compile_s,
                   sim_s=float(b2.device._last_run_time), binary_wall_s=bin_wall,
                   total_with_codegen_s=t_build + total, peak_rss_bytes=int(rss_kb) * 1024)
    else:
        t1 = time.perf_counter()
        net.run(0.1 * ms)  # code generation / compilation + 1 step
        prep = time.perf_counter() - t1
        t2 = time.perf_counter()
        net.run(a.T * 1000.0 * ms)
        sim = time.perf_counter() - t2
        ws = np.asarray(syn.w[:])
        n_post = spm.num_spikes
        row.update(build_s=t_build, prep_s=prep, sim_s=sim, total_with_codegen_s=t_build + prep + sim,
                   peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    row.update(w_mean_final=float(ws.mean()), w_std_final=float(ws.std()),
               post_rate_hz=n_post / (a.N * a.T), rtf=row["sim_s"] / a.T,
               ns_per_syn_event=1e9 * row["sim_s"] / max(1.0, a.N * a.K * a.rate * a.T),
               import_s=t_imp, tag=a.tag,
               cmd=" ".join(shlex.quote(x) for x in [os.path.basename(sys.executable)] + sys.argv))
    print_row(row)
    if a.csv:
        append_row(a.csv, row)
    if a.target == "cpp_standalone" and a.fresh:
        shutil.rmtree(outdir, ignore_errors=True)


if __name__ == "__main__":
    main()
