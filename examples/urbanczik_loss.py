#!/usr/bin/env python3
"""Loss curve of a run of examples/urbanczik_learning.toml (evplast or NEST run directory).

    python3 examples/urbanczik_loss.py RUN_DIR [--png FILE] [--csv FILE] [--mm mm.csv] [--sr sr.csv]

Reads the multimeter file (``senders,times,V_m.s,V_m.p,g_ex.s,g_in.s``) and, if present, the
soma's spike recorder file. For every pattern repetition r (200 ms windows (t0, t0 + 200] with
t0 = 400 + 200 r, r = 0..99, i.e. while the teacher is on) it prints

    loss_r = mean over the window's samples of (V*_W - U_M)^2       [mV^2]

with the dendritic prediction of the somatic potential
    V*_W = (g_L^s E_L^s + g_sp V_m.p) / (g_L^s + g_sp)             (g_L^s 30, E_L^s -70, g_sp 600)
and the matching potential of the teacher conductances
    U_M  = (g_ex E_ex + g_in E_in) / (g_ex + g_in)                  (E_ex 0, E_in -75)
(the quantities NEST's urbanczik_synapse_example.py plots). Then it prints the ratio
loss_after / loss_before, the mean loss of the last 5 repetitions over that of the first 5.

Standard library only for the table and CSV; --png needs matplotlib.
"""
from __future__ import annotations

import argparse
import csv
import math
import os
import sys

G_L_S, E_L_S, G_SP = 30.0, -70.0, 600.0
E_EX, E_IN = 0.0, -75.0
T_START, PERIOD, N_REPS, N_EDGE = 400.0, 200.0, 100, 5


def v_w_star(v_d):
    return (G_L_S * E_L_S + G_SP * v_d) / (G_L_S + G_SP)


def matching_potential(g_ex, g_in):
    s = g_ex + g_in
    return (g_ex * E_EX + g_in * E_IN) / s if s > 0.0 else float("nan")


def read_columns(path):
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        cols = {h: [] for h in header}
        for r in rows:
            for h, v in zip(header, r):
                cols[h].append(float(v))
    return cols


def compute(run_dir, mm="mm.csv", sr="sr.csv", t_start=T_START, period=PERIOD, n_reps=N_REPS, neuron=1):
    """Per repetition: dicts with rep, t0, t1, loss, samples, spikes. Also returns the traces."""
    m = read_columns(os.path.join(run_dir, mm))
    keep = [i for i, s in enumerate(m["senders"]) if int(s) == neuron]
    t = [m["times"][i] for i in keep]
    vstar = [v_w_star(m["V_m.p"][i]) for i in keep]
    um = [matching_potential(m["g_ex.s"][i], m["g_in.s"][i]) for i in keep]
    spikes = []
    sr_path = os.path.join(run_dir, sr)
    if os.path.exists(sr_path):
        s = read_columns(sr_path)
        spikes = sorted(tt for snd, tt in zip(s["senders"], s["times"]) if int(snd) == neuron)
    eps = 1e-6
    reps = []
    for r in range(n_reps):
        t0 = t_start + r * period
        t1 = t0 + period
        sq = [(vs - u) ** 2 for tt, vs, u in zip(t, vstar, um) if t0 + eps < tt <= t1 + eps and not math.isnan(u)]
        n_sp = sum(1 for tt in spikes if t0 + eps < tt <= t1 + eps)
        reps.append({"rep": r, "t0": t0, "t1": t1, "loss": sum(sq) / len(sq) if sq else float("nan"),
                     "samples": len(sq), "spikes": n_sp})
    return reps, {"t": t, "vstar": vstar, "um": um, "spikes": spikes}


def before_after(reps, n=N_EDGE):
    before = sum(r["loss"] for r in reps[:n]) / n
    after = sum(r["loss"] for r in reps[-n:]) / n
    return before, after


def write_csv(path, reps):
    with open(path, "w") as f:
        f.write("rep,t0,t1,loss,samples,soma_spikes\n")
        for r in reps:
            f.write(f"{r['rep']},{r['t0']!r},{r['t1']!r},{r['loss']!r},{r['samples']},{r['spikes']}\n")


def plot(path, reps, tr, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a1, a2, a3) = plt.subplots(3, 1, figsize=(9, 9))
    a1.semilogy([r["rep"] for r in reps], [r["loss"] for r in reps], "o-", ms=3)
    a1.set_xlabel("pattern repetition (200 ms, teacher on)")
    a1.set_ylabel(r"loss $\langle (V_W^\ast - U_M)^2\rangle$ [mV$^2$]")
    a1.set_title(title)
    for ax, (t0, t1) in ((a2, (reps[0]["t0"], reps[0]["t1"])), (a3, (reps[-1]["t0"], reps[-1]["t1"]))):
        sel = [i for i, tt in enumerate(tr["t"]) if t0 < tt <= t1]
        ts = [tr["t"][i] for i in sel]
        ax.plot(ts, [tr["um"][i] for i in sel], "r-", label=r"$U_M$ (teacher)")
        ax.plot(ts, [tr["vstar"][i] for i in sel], "b--", label=r"$V_W^\ast$ (dendritic prediction)")
        sp = [s for s in tr["spikes"] if t0 < s <= t1]
        ax.plot(sp, [min(tr["um"][i] for i in sel) - 1.0] * len(sp), "k|", label="soma spikes")
        ax.set_ylabel("mV")
        ax.legend(loc="upper right", fontsize=8)
    a2.set_title("first repetition with teacher")
    a3.set_title("last repetition with teacher")
    a3.set_xlabel("time [ms]")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--png", help="plot the loss curve and the first/last repetition (needs matplotlib)")
    ap.add_argument("--csv", help="write the table as CSV")
    ap.add_argument("--mm", default="mm.csv", help="multimeter file in RUN_DIR (default mm.csv)")
    ap.add_argument("--sr", default="sr.csv", help="soma spike_recorder file in RUN_DIR (default sr.csv)")
    ap.add_argument("--quiet", action="store_true", help="print only the summary line")
    args = ap.parse_args(argv)

    reps, tr = compute(args.run_dir, args.mm, args.sr)
    if not args.quiet:
        print(f"{'rep':>4} {'window [ms]':>17} {'loss [mV^2]':>12} {'spikes':>6}")
        for r in reps:
            print(f"{r['rep']:>4} {r['t0']:>8.0f}-{r['t1']:<8.0f} {r['loss']:>12.4f} {r['spikes']:>6}")
    before, after = before_after(reps)
    print(f"loss before (reps 0-{N_EDGE - 1}) {before:.4f} mV^2, after (reps {len(reps) - N_EDGE}-{len(reps) - 1}) "
          f"{after:.4f} mV^2, after/before {after / before:.4f}")
    if args.csv:
        write_csv(args.csv, reps)
    if args.png:
        try:
            plot(args.png, reps, tr, f"Urbanczik-Senn learning: {args.run_dir}")
        except ImportError:
            sys.exit("urbanczik_loss.py: --png needs matplotlib (pip install matplotlib)")


if __name__ == "__main__":
    main()
