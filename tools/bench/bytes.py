#!/usr/bin/env python3
"""Bytes per plastic synapse on the path users take: `evplast run` of a model file.

    python3 tools/bench/bytes.py [--evplast target/release/evplast] [--rules clopath,urbanczik]
                                 [--schemes event,compressed,time] [--signal spike_rate] [--reps 1]

For each rule and scheme it writes the network of `evplast bench --rule R --K=K` as a model file
(crates/cli/src/bench.rs: N = 100 targets, 2K parrots repeating one poisson_generator at 10 Hz,
`fixed_indegree` K without multapses, delay 1 ms, the bench's weights — Clopath
26 mV / (K·ν·τ_m) with τ_m = 281/30 ms and Wmax max(100, 10 w0); Urbanczik–Senn
0.2·0.3·C_m·(200·10 Hz)/(K·ν) with eta 0.17, tau_Delta 100, Wmax 4.5·C_m·max(1, w0/90) — and a
spike_recorder on the targets), for K = 500 and K = 2000, runs it (T = 1 s for Clopath, 0.3 s for
Urbanczik–Senn, as issue 5's measure; one thread) and reads the process's peak RSS (getrusage of
the child). Bytes per synapse = (peak RSS at K = 2000 − at K = 500) / (N · 1500): what one more
plastic synapse costs, connectivity included. With --reps > 1 the smallest peak of each is used.

With --python PY it measures the other path users take instead: the same network built by a
PyNEST script (`import evplast as nest`; Create, `Connect` with `fixed_indegree`, Simulate) run
by the interpreter PY, in which the evplast package is installed (README).
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
N, RATE = 100, 10.0


def model(rule, K, signal):
    if rule == "clopath":
        w0 = 26.0 / (K * RATE * 1e-3 * (281.0 / 30.0))
        nrn = 'model = "aeif_psc_delta_clopath"'
        syn = (f'synapse_model = "clopath_synapse", weight = {w0!r}, delay = 1.0, '
               f'Wmax = {max(100.0, 10 * w0)!r}')
        t = 1000.0
    else:
        c = 300.0
        w0 = 0.2 * 0.3 * c * (200.0 * 10.0) / (K * RATE)
        comp = "V_m = -70.0, C_m = 300.0, E_L = -70.0, g_L = 30.0, tau_syn_ex = 3.0, tau_syn_in = 3.0"
        nrn = ('model = "pp_cond_exp_mc_urbanczik"\n'
               f'params = {{ t_ref = 3.0, g_sp = 600.0, phi_max = 0.15, rate_slope = 0.5, '
               f'beta = 0.3333333333333333, theta = -55.0, learning_signal = "{signal}", '
               f'soma = {{ {comp}, E_ex = 0.0, E_in = -75.0 }}, dendritic = {{ {comp} }} }}')
        syn = (f'synapse_model = "urbanczik_synapse", receptor_type = "dendritic_exc", '
               f'weight = {w0!r}, delay = 1.0, tau_Delta = 100.0, eta = 0.17, '
               f'Wmax = {4.5 * c * max(1.0, w0 / 90.0)!r}')
        t = 300.0
    return f"""[kernel]
resolution = 0.1
rng_seed = 12345

[[create]]
label = "pg"
model = "poisson_generator"
params = {{ rate = {RATE} }}

[[create]]
label = "parrots"
model = "parrot_neuron"
n = {2 * K}

[[create]]
label = "nrn"
{nrn}
n = {N}

[[create]]
label = "sr"
model = "spike_recorder"

[[connect]]
pre = "pg"
post = "parrots"
syn_spec = {{ delay = 0.1 }}

[[connect]]
pre = "parrots"
post = "nrn"
conn_spec = {{ rule = "fixed_indegree", indegree = {K}, allow_multapses = false }}
syn_spec = {{ {syn} }}

[[connect]]
pre = "nrn"
post = "sr"

[simulate]
t = {t}
"""


def script(rule, K, signal, scheme):
    """The network of `model` as a PyNEST script."""
    if rule == "clopath":
        w0 = 26.0 / (K * RATE * 1e-3 * (281.0 / 30.0))
        nrn = 'nest.Create("aeif_psc_delta_clopath", N)'
        syn = {"synapse_model": "clopath_synapse", "weight": w0, "delay": 1.0,
               "Wmax": max(100.0, 10 * w0)}
        t = 1000.0
    else:
        c = 300.0
        w0 = 0.2 * 0.3 * c * (200.0 * 10.0) / (K * RATE)
        comp = dict(V_m=-70.0, C_m=300.0, E_L=-70.0, g_L=30.0, tau_syn_ex=3.0, tau_syn_in=3.0)
        params = dict(t_ref=3.0, g_sp=600.0, phi_max=0.15, rate_slope=0.5, beta=1.0 / 3.0,
                      theta=-55.0, learning_signal=signal,
                      soma=dict(comp, E_ex=0.0, E_in=-75.0), dendritic=dict(comp))
        nrn = f'nest.Create("pp_cond_exp_mc_urbanczik", N, params={params!r})'
        syn = {"synapse_model": "urbanczik_synapse", "receptor_type": 3, "weight": w0,
               "delay": 1.0, "tau_Delta": 100.0, "eta": 0.17, "Wmax": 4.5 * c * max(1.0, w0 / 90.0)}
        t = 300.0
    return f"""import resource
import evplast as nest
N = {N}
nest.SetKernelStatus({{"resolution": 0.1, "rng_seed": 12345, "scheme": "{scheme}"}})
pg = nest.Create("poisson_generator", params={{"rate": {RATE}}})
parrots = nest.Create("parrot_neuron", {2 * K})
nrn = {nrn}
sr = nest.Create("spike_recorder")
nest.Connect(pg, parrots, syn_spec={{"delay": 0.1}})
nest.Connect(parrots, nrn, {{"rule": "fixed_indegree", "indegree": {K}, "allow_multapses": False}},
             {syn!r})
nest.Connect(nrn, sr)
nest.Simulate({t})
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def measure_python(py, rule, K, signal, scheme):
    r = subprocess.run([py, "-c", script(rule, K, signal, scheme)], check=True,
                       capture_output=True, text=True)
    return int(r.stdout.strip().splitlines()[-1]) * 1024


def measure(evplast, path, out, scheme):
    # A fresh interpreter per run, so the children's maximum is this run's alone.
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
            "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    r = subprocess.run([sys.executable, "-c", code, evplast, "run", path, "--out", out, "--scheme",
                        scheme, "--quiet", "--threads", "1"], check=True, capture_output=True, text=True)
    return int(r.stdout.strip()) * 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--evplast", default=os.path.join(ROOT, "target", "release", "evplast"))
    ap.add_argument("--rules", default="clopath,urbanczik")
    ap.add_argument("--schemes", default="event,compressed,time")
    ap.add_argument("--signal", default="spike_rate")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--python", metavar="PY", help="measure PyNEST-style scripts run by PY instead")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="evplast_bytes_")
    print(f"{'rule':<10} {'scheme':<11} {'peak K=500 (MB)':>16} {'peak K=2000 (MB)':>17} {'B/synapse':>10}")
    for rule in a.rules.split(","):
        for scheme in a.schemes.split(","):
            peaks = []
            for K in (500, 2000):
                path = os.path.join(tmp, f"{rule}_{K}.toml")
                with open(path, "w") as f:
                    f.write(model(rule, K, a.signal))
                if a.python:
                    one = lambda: measure_python(a.python, rule, K, a.signal, scheme)
                else:
                    one = lambda: measure(a.evplast, path, os.path.join(tmp, "out"), scheme)
                peaks.append(min(one() for _ in range(a.reps)))
            b = (peaks[1] - peaks[0]) / (N * 1500)
            print(f"{rule:<10} {scheme:<11} {peaks[0] / 1e6:>16.1f} {peaks[1] / 1e6:>17.1f} {b:>10.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
