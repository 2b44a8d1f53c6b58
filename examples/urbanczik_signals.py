#!/usr/bin/env python3
"""The learning example (examples/urbanczik_learning.toml) under each learning signal, side by side.

    python3 examples/urbanczik_signals.py [--evplast target/release/evplast] [--seeds 1-5]
                                          [--work tmp/urbanczik_signals] [--png FILE] [--csv FILE]

For every signal (spike_rate, rate_rate, spike_spike: docs/URBANCZIK.md) and seed it writes the
example with `learning_signal` and `rng_seed` set, runs `evplast run` (scheme auto, one thread)
and computes the loss per pattern repetition with examples/urbanczik_loss.py. It prints the loss
of every 10th repetition (mean over seeds) per signal, then per signal and seed the loss over
the first 5 and the last 5 repetitions and their ratio (the example learns where the ratio is at
most 1/2), and the run times. --png draws the loss curves (mean over seeds, the band spans the
seeds; needs matplotlib); --csv writes rep, signal, seed, loss.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import urbanczik_loss  # noqa: E402

SIGNALS = ["spike_rate", "rate_rate", "spike_spike"]


def seeds_of(text):
    out = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def model_text(signal, seed):
    with open(os.path.join(HERE, "urbanczik_learning.toml")) as f:
        text = f.read()
    text, n = re.subn(r"(?m)^rng_seed = \d+$", f"rng_seed = {seed}", text)
    text, m = re.subn(r"(?m)^(theta = .*)$", lambda mo: f'{mo.group(1)}\nlearning_signal = "{signal}"', text)
    if n != 1 or m != 1:
        sys.exit("urbanczik_signals.py: urbanczik_learning.toml no longer has one rng_seed and one theta line")
    return text


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--evplast", default=os.path.join(ROOT, "target", "release", "evplast"))
    ap.add_argument("--seeds", default="1-5")
    ap.add_argument("--work", default=os.path.join(ROOT, "tmp", "urbanczik_signals"))
    ap.add_argument("--png")
    ap.add_argument("--csv")
    a = ap.parse_args(argv)
    seeds = seeds_of(a.seeds)
    os.makedirs(a.work, exist_ok=True)
    loss = {}  # (signal, seed) -> [loss per repetition]
    wall = {}
    for seed in seeds:
        for signal in SIGNALS:
            model = os.path.join(a.work, f"{signal}_{seed}.toml")
            with open(model, "w") as f:
                f.write(model_text(signal, seed))
            out = os.path.join(a.work, f"{signal}_{seed}")
            t0 = time.time()
            subprocess.run([a.evplast, "run", model, "--out", out, "--quiet", "--threads", "1"],
                           check=True, stdout=subprocess.DEVNULL)
            wall.setdefault(signal, []).append(time.time() - t0)
            reps, _ = urbanczik_loss.compute(out)
            loss[(signal, seed)] = [r["loss"] for r in reps]
    n_reps = len(next(iter(loss.values())))
    mean = {g: [sum(loss[(g, s)][r] for s in seeds) / len(seeds) for r in range(n_reps)] for g in SIGNALS}
    print(f"loss per repetition [mV^2], mean over seeds {a.seeds}")
    print(f"{'rep':>4} " + " ".join(f"{g:>12}" for g in SIGNALS))
    for r in list(range(0, n_reps, 10)) + [n_reps - 1]:
        print(f"{r:>4} " + " ".join(f"{mean[g][r]:>12.3f}" for g in SIGNALS))
    print()
    print(f"{'signal':<12} {'seed':>4} {'before':>9} {'after':>9} {'after/before':>12}")
    ok = True
    for g in SIGNALS:
        ratios = []
        for s in seeds:
            x = loss[(g, s)]
            before, after = sum(x[:5]) / 5, sum(x[-5:]) / 5
            ratios.append(after / before)
            print(f"{g:<12} {s:>4} {before:>9.3f} {after:>9.3f} {after / before:>12.3f}")
        ok &= max(ratios) <= 0.5
        print(f"{g:<12} mean after/before {sum(ratios) / len(ratios):.3f} (worst {max(ratios):.3f}), "
              f"run {sum(wall[g]) / len(wall[g]):.2f} s wall per seed")
    print("every signal learns (after/before <= 1/2 for every seed)" if ok else
          "NOT every run learns to 1/2")
    if a.csv:
        with open(a.csv, "w") as f:
            f.write("rep,signal,seed,loss\n")
            for (g, s), x in sorted(loss.items()):
                for r, v in enumerate(x):
                    f.write(f"{r},{g},{s},{v!r}\n")
    if a.png:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for g in SIGNALS:
            lo = [min(loss[(g, s)][r] for s in seeds) for r in range(n_reps)]
            hi = [max(loss[(g, s)][r] for s in seeds) for r in range(n_reps)]
            line, = ax.semilogy(range(n_reps), mean[g], label=g.replace("_", "–"))
            ax.fill_between(range(n_reps), lo, hi, color=line.get_color(), alpha=0.15)
        ax.set_xlabel("pattern repetition (200 ms each, teacher on)")
        ax.set_ylabel(r"loss $\langle (V_W^\ast - U_M)^2 \rangle$ [mV$^2$]")
        ax.set_title(f"Urbanczik–Senn learning by signal (mean of seeds {a.seeds}; band: min–max)")
        ax.legend(title="learning signal")
        ax.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        fig.savefig(a.png, dpi=110)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
