#!/usr/bin/env python3
"""What sampling buys: Urbanczik–Senn under its three learning signals (docs/URBANCZIK.md).

    python3 tools/bench/signals.py [--evplast target/release/evplast] [--reps 1] [--out docs/perf]
                                   [--points grid|issue] [--signals S,…] [--name NAME] [--quick] [--png]

Runs `evplast bench --rule urbanczik --signal S` (crates/cli/src/bench.rs; N = 100, T = 1 s,
resolution 0.1 ms) over the winner grid of tools/bench/sweep.py for Urbanczik–Senn —
K ∈ {100, 250, 2000} × rate ∈ {2, 10, 40} Hz × delay ∈ {1, 10} ms — plus K = 1000 at 10 Hz,
delay 1 ms (issue 14's second point), for S = spike_rate, rate_rate, spike_spike and the
event-driven, compressed and time-driven schemes (time-driven only where K·T ≤ 1000, as the
sweeps). At each point the three signals run one after the other (the order rotating with the
repetition), so their ratios come from the same minutes of a shared machine. `--points issue`
runs only issue 14's two points (K = 250 and K = 1000, 10 Hz, delay 1 ms) and names its files
signals_issue*. `--signals` runs only some signals; `--name` names the output files.

Writes <out>/signals.csv (one row per run: the columns of `evplast bench --csv` plus rep),
<out>/signals_summary.md (per point: time per signal and scheme, the spike–spike / spike–rate
ratio, the archive length L and the Table 1 counters with the measured archive density f) and,
with --png, <out>/signals.png (time against K, per scheme and signal; needs matplotlib).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from common import EVPLAST_COLUMNS, append_row  # noqa: E402

SIGNALS = ["spike_rate", "rate_rate", "spike_spike"]
SCHEMES = ["event", "compressed", "time"]


def points(quick, which="grid"):
    if which == "issue":
        return [(100, K, 10, 1.0, 1) for K in (250, 1000)]
    if quick:
        return [(20, 50, r, 0.2, 1) for r in (5, 20)]
    pts = [(100, K, r, 1.0, d) for d in (1, 10) for K in (100, 250, 2000) for r in (2, 10, 40)]
    return pts + [(100, 1000, 10, 1.0, 1)]


def run(evplast, signal, p, tmp, schemes):
    N, K, rate, T, d = p
    schemes = [s for s in schemes if s != "time" or K * T <= 1000]
    out = os.path.join(tmp, "runs.json")
    cmd = [evplast, "bench", "--rule", "urbanczik", "--signal", signal, f"--N={N}", f"--K={K}",
           f"--rate={rate:g}", f"--T={T:g}", f"--delay={d:g}", "--threads=1",
           "--schemes=" + ",".join(schemes), "--json", out]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        rows = json.load(f)
    print(f"  {signal:11s} K={K:<5d} rate={rate:<3g} d={d:<3g} "
          + " ".join(f"{r['scheme']}={r['sim_s']:.3f}s" for r in rows), flush=True)
    return rows


def med(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def summary(rows):
    by = {}
    for r in rows:
        p = (int(r["N"]), int(r["K"]), float(r["rate_hz"]), float(r["T_s"]), float(r["delay_ms"]))
        by.setdefault((p, r["signal"], r["scheme"]), []).append(r)
    pts = sorted({k[0] for k in by})
    out = ["## Time per signal and scheme (s; median over repetitions)", "",
           "| K | rate (Hz) | delay (ms) | scheme | spike_rate | rate_rate | spike_spike "
           "| spike_rate / spike_spike | L mean: spike_rate → spike_spike |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for p in pts:
        N, K, rate, T, d = p
        for s in SCHEMES + ["auto"]:
            rs = {g: by.get((p, g, s)) for g in SIGNALS}
            if not any(rs.values()):
                continue
            t = {g: med([float(r["sim_s"]) for r in rs[g]]) if rs[g] else None for g in SIGNALS}
            L = {g: float(rs[g][0]["history_entries_mean"]) if rs[g] else None for g in SIGNALS}
            ratio = (f"**{t['spike_rate'] / t['spike_spike']:.2f}×**"
                     if t["spike_rate"] and t["spike_spike"] else "–")
            ls = " → ".join(f"{L[g]:.1f}" if L[g] is not None else "–"
                            for g in ("spike_rate", "spike_spike"))
            cells = [f"{t[g]:.3f}" if t[g] is not None else "–" for g in SIGNALS]
            if s == "auto":
                chosen = {g: rs[g][0]["chosen"] for g in SIGNALS if rs[g]}
                cells = [f"{c} ({chosen[g]})" if g in chosen else c for c, g in zip(cells, SIGNALS)]
            out.append(f"| {K} | {rate:g} | {d:g} | {s} | " + " | ".join(cells)
                       + f" | {ratio} | {ls} |")
    out += ["", "## Table 1 counters (first repetition) and the archive density f", "",
            "f = archive entries written per neuron and step (the event scheme's H / (N·T/h)); "
            "Table 1's C is K·T·f per target in the time-driven scheme, about the same in the "
            "event-driven one, T·f in the compressed one.", "",
            "| K | rate | delay | signal | f | scheme | M | C | H | L max | L mean |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for p in pts:
        N, K, rate, T, d = p
        for g in SIGNALS:
            ev = by.get((p, g, "event"))
            if not ev:
                continue
            f = float(ev[0]["history_manipulations"]) / (N * T * 1e4)
            for s in SCHEMES:
                r = by.get((p, g, s))
                if not r:
                    continue
                r = r[0]
                out.append(f"| {K} | {rate:g} | {d:g} | {g} | {f:.4f} | {s} | {r['synapse_calls']} "
                           f"| {r['weight_change_computations']} | {r['history_manipulations']} "
                           f"| {r['history_entries_max']} | {float(r['history_entries_mean']):.1f} |")
    return "\n".join(out) + "\n"


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), sharey=True)
    for ax, s in zip(axes, SCHEMES):
        for g, style in zip(SIGNALS, ("o-", "s--", "^-")):
            pts = {}
            for r in rows:
                if (r["signal"] == g and r["scheme"] == s and float(r["rate_hz"]) == 10
                        and float(r["delay_ms"]) == 1):
                    pts.setdefault(int(r["K"]), []).append(float(r["sim_s"]))
            if pts:
                ks = sorted(pts)
                ax.plot(ks, [med(pts[k]) for k in ks], style, label=g.replace("_", "–"))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("in-degree K (synapses per neuron)")
        ax.set_title(f"{s} scheme (10 Hz, delay 1 ms)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("simulation time (s), N = 100, T = 1 s")
    axes[0].legend(title="learning signal")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--evplast", default=os.path.join(ROOT, "target", "release", "evplast"))
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "perf"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--png", action="store_true")
    ap.add_argument("--points", choices=["grid", "issue"], default="grid")
    ap.add_argument("--signals", default=",".join(SIGNALS))
    ap.add_argument("--schemes", default=",".join(SCHEMES), help="may include auto")
    ap.add_argument("--name", default=None)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="evplast_signals_")
    exe = os.path.join(tmp, "evplast")
    shutil.copy(a.evplast, exe)  # a rebuild during the run does not mix versions
    out = a.out if not a.quick else os.path.join(ROOT, "target", "bench-quick")
    os.makedirs(out, exist_ok=True)
    name = a.name or ("signals" if a.points == "grid" else "signals_issue")
    signals = a.signals.split(",")
    csv_path = os.path.join(out, f"{name}.csv")
    if os.path.exists(csv_path):
        os.remove(csv_path)
    columns = EVPLAST_COLUMNS + ["chosen", "threads", "rep"]
    rows = []
    for rep in range(a.reps):
        for i, p in enumerate(points(a.quick, a.points)):
            k = (rep + i) % len(signals)
            for g in signals[k:] + signals[:k]:
                for r in run(exe, g, p, tmp, a.schemes.split(",")):
                    r["rep"] = rep
                    append_row(csv_path, r, columns)
                    rows.append(r)
    with open(os.path.join(out, f"{name}_summary.md"), "w") as f:
        f.write(summary(rows))
    if a.png:
        plot(rows, os.path.join(out, f"{name}.png"))
    shutil.rmtree(tmp)
    print(f"wrote {csv_path} and {name}_summary.md in {out}")


if __name__ == "__main__":
    main()
