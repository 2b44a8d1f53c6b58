#!/usr/bin/env python3
"""Statistical parity of evplast and NEST 3.10 on the Urbanczik-Senn learning example.

    NEST_PYTHON=/work/nestvenv/bin/python
    $NEST_PYTHON tools/nest_check/stat_urbanczik.py [--seeds 1-10] [--model examples/urbanczik_learning.toml]
                 [--work tmp/stat_urbanczik] [--png docs/urbanczik_loss.png] [--evplast target/release/evplast]

pp_cond_exp_mc_urbanczik spikes through each simulator's own random numbers, so spike trains and
weights cannot be compared run by run (check.sh skips the model for that reason). This script
compares statistics instead. For every seed s it

1. writes a copy of the model file with kernel.rng_seed = s and runs
   ``evplast run COPY --out WORK/evp_s --dump-network``;
2. runs the dumped network in NEST with NEST's rng_seed = s
   (``nest_run.py WORK/evp_s/network.json --seed s --out WORK/nest_s``);
3. computes the loss curve of both runs with examples/urbanczik_loss.py (per 200 ms repetition
   while the teacher is on: mean of (V*_W - U_M)^2).

Then it checks and prints
  (a) for every repetition, whether evplast's mean-over-seeds loss lies inside NEST's seed-to-seed
      range [min, max] (no widening), with the number and size of excursions. As a calibration of
      what chance alone gives, the same count is made the other way round (NEST's mean inside
      evplast's range);
  (b) loss after learning (mean of the last 5 repetitions) <= 1/3 of the loss before (first 5),
      for both simulators, from the mean-over-seeds curves;
and writes the plot (mean and min/max band of both simulators, log y), WORK/loss_table.csv (per
repetition: mean/min/max of both) and WORK/summary.md (markdown tables for docs/URBANCZIK.md).
It also compares soma spike counts and the per-seed learning figures (Welch t statistics).

For (a) it also gives the chance level: the same count with the simulator labels of whole runs
permuted at random (with 5 seeds each, about 14 of 100 repetitions fall outside by chance alone
even if both simulators were the same; with 10 about 1; with 40 none).

Exit status: 0 if (a) has no excursion and (b) holds for both simulators, 1 otherwise.
Needs numpy and matplotlib (the NEST venv has both).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "examples"))
import urbanczik_loss as UL  # noqa: E402

N_EDGE = UL.N_EDGE


def parse_seeds(spec: str) -> list[int]:
    seeds = []
    for part in spec.split(","):
        if "-" in part:
            a, b = part.split("-")
            seeds += list(range(int(a), int(b) + 1))
        else:
            seeds.append(int(part))
    return seeds


def with_seed(model_text: str, seed: int) -> str:
    """The model file with kernel.rng_seed = seed (added to [kernel] if missing)."""
    out, n = re.subn(r"(?m)^(\s*rng_seed\s*=\s*)\d+", lambda m: f"{m.group(1)}{seed}", model_text, count=1)
    if n == 0:
        out, n = re.subn(r"(?m)^\[kernel\]\s*$", f"[kernel]\nrng_seed = {seed}", model_text, count=1)
    if n == 0:
        out = f"[kernel]\nrng_seed = {seed}\n" + model_text
    return out


def run(cmd, log):
    t0 = time.perf_counter()
    with open(log, "a") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT)
    if r.returncode != 0:
        sys.exit(f"stat_urbanczik: command failed ({r.returncode}), see {log}: {' '.join(cmd)}")
    return time.perf_counter() - t0


def welch_t(a, b, axis=None):
    """Welch's t of mean(a) - mean(b); along axis 0 for 2-D arrays (one t per column)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    se = np.sqrt(a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (a.mean(axis=0) - b.mean(axis=0)) / se
    return float(t) if np.ndim(t) == 0 else t


def final_weights(run_dir):
    """Final urbanczik_synapse weights, ordered by (source, target)."""
    rows = []
    with open(os.path.join(run_dir, "connections.csv")) as f:
        next(f)
        for line in f:
            src, tgt, model, w, _ = line.strip().split(",")
            if model == "urbanczik_synapse":
                rows.append((int(src), int(tgt), float(w)))
    return [w for _, _, w in sorted(rows)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", default="1-10", help="seeds, e.g. 1-10 or 1,2,5 (default 1-10; at least 5)")
    ap.add_argument("--model", default="examples/urbanczik_learning.toml")
    ap.add_argument("--work", default="tmp/stat_urbanczik")
    ap.add_argument("--png", default="docs/urbanczik_loss.png")
    ap.add_argument("--evplast", default=os.environ.get("EVPLAST", "target/release/evplast"))
    ap.add_argument("--nest-python", default=sys.executable,
                    help="Python with nest-simulator for nest_run.py (default: this interpreter)")
    ap.add_argument("--reuse", action="store_true", help="reuse existing run directories in WORK")
    args = ap.parse_args(argv)

    seeds = parse_seeds(args.seeds)
    if len(seeds) < 5:
        sys.exit("stat_urbanczik: use at least 5 seeds")
    os.chdir(ROOT)
    work = args.work
    os.makedirs(work, exist_ok=True)
    top = work.split("/")[0]
    if not os.path.isabs(work) and "/" in work and not os.path.exists(os.path.join(top, ".gitignore")):
        with open(os.path.join(top, ".gitignore"), "w") as f:
            f.write("*\n")
    log = os.path.join(work, "log.txt")
    open(log, "w").close()
    with open(args.model) as f:
        model_text = f.read()

    loss = {"evplast": [], "nest": []}
    weights = {"evplast": [], "nest": []}
    spikes = {"evplast": [], "nest": []}
    wall = {"evplast": [], "nest": []}
    sim_s = []
    for s in seeds:
        evp, nst = os.path.join(work, f"evp_{s}"), os.path.join(work, f"nest_{s}")
        if not (args.reuse and os.path.exists(os.path.join(evp, "stats.json"))):
            copy = os.path.join(work, f"model_seed{s}.toml")
            with open(copy, "w") as f:
                f.write(with_seed(model_text, s))
            wall["evplast"].append(run([args.evplast, "run", copy, "--out", evp, "--dump-network", "--quiet"], log))
        with open(os.path.join(evp, "stats.json")) as f:
            sim_s.append(json.load(f)["simulate_s"])
        if not (args.reuse and os.path.exists(os.path.join(nst, "mm.csv"))):
            wall["nest"].append(run([args.nest_python, os.path.join(HERE, "nest_run.py"),
                                     os.path.join(evp, "network.json"), "--seed", str(s), "--out", nst], log))
        for sim, d in (("evplast", evp), ("nest", nst)):
            reps, _ = UL.compute(d)
            loss[sim].append([r["loss"] for r in reps])
            spikes[sim].append([r["spikes"] for r in reps])
            weights[sim].append(final_weights(d))
        b_e, a_e = UL.before_after([{"loss": x} for x in loss["evplast"][-1]])
        b_n, a_n = UL.before_after([{"loss": x} for x in loss["nest"][-1]])
        print(f"seed {s:3d}: evplast before {b_e:7.3f} after {a_e:7.3f} ratio {a_e / b_e:.3f} "
              f"spikes {sum(spikes['evplast'][-1]):5d} | NEST before {b_n:7.3f} after {a_n:7.3f} "
              f"ratio {a_n / b_n:.3f} spikes {sum(spikes['nest'][-1]):5d}", flush=True)

    L = {k: np.array(v) for k, v in loss.items()}          # seeds x reps
    S = {k: np.array(v, float) for k, v in spikes.items()}
    n_reps = L["nest"].shape[1]
    mean = {k: v.mean(axis=0) for k, v in L.items()}
    lo = {k: v.min(axis=0) for k, v in L.items()}
    hi = {k: v.max(axis=0) for k, v in L.items()}

    # (a) evplast's mean inside NEST's range, per repetition; and the mirror image as calibration
    def excursions(m, lo_, hi_):
        out = []
        for r in range(n_reps):
            if m[r] < lo_[r]:
                out.append((r, m[r] - lo_[r], (m[r] - lo_[r]) / lo_[r]))
            elif m[r] > hi_[r]:
                out.append((r, m[r] - hi_[r], (m[r] - hi_[r]) / hi_[r]))
        return out
    exc = excursions(mean["evplast"], lo["nest"], hi["nest"])
    mirror = excursions(mean["nest"], lo["evplast"], hi["evplast"])

    # What chance alone gives for (a): permute the simulator labels of whole runs (one seed's loss
    # curve stays together, so the correlation between repetitions is kept) and count again.
    pool = np.vstack([L["evplast"], L["nest"]])
    prng = np.random.default_rng(12345)
    null_counts = []
    for _ in range(2000):
        idx = prng.permutation(len(pool))
        a, b = pool[idx[:len(L["evplast"])]], pool[idx[len(L["evplast"]):]]
        m = a.mean(axis=0)
        null_counts.append(int(((m < b.min(axis=0)) | (m > b.max(axis=0))).sum()))
    null_counts = np.array(null_counts)
    p_exc = float((null_counts >= len(exc)).mean())

    # (b) learning, from the mean curves
    ba = {k: (mean[k][:N_EDGE].mean(), mean[k][-N_EDGE:].mean()) for k in L}
    ok_b = {k: a <= b / 3.0 for k, (b, a) in ba.items()}
    per_seed_ratio = {k: v[:, -N_EDGE:].mean(axis=1) / v[:, :N_EDGE].mean(axis=1) for k, v in L.items()}

    # further statistics over seeds (each seed is one independent sample per simulator)
    late = slice(N_EDGE, n_reps)
    t_late = welch_t(L["evplast"][:, late].mean(axis=1), L["nest"][:, late].mean(axis=1))
    t_before = welch_t(L["evplast"][:, :N_EDGE].mean(axis=1), L["nest"][:, :N_EDGE].mean(axis=1))
    t_after = welch_t(L["evplast"][:, -N_EDGE:].mean(axis=1), L["nest"][:, -N_EDGE:].mean(axis=1))
    t_ratio = welch_t(per_seed_ratio["evplast"], per_seed_ratio["nest"])
    t_spk = welch_t(S["evplast"].sum(axis=1), S["nest"].sum(axis=1))
    rate = {k: v.sum(axis=1) / (n_reps * 0.2) for k, v in S.items()}  # Hz over the teacher period
    t_rep = welch_t(L["evplast"], L["nest"])                 # one t per repetition
    t_rep_spk = welch_t(S["evplast"], S["nest"])
    W = {k: np.array(v) for k, v in weights.items()}         # seeds x synapses
    t_w_mean = welch_t(W["evplast"].mean(axis=1), W["nest"].mean(axis=1))
    const = (W["evplast"] == W["evplast"][0]).all(axis=0) & (W["nest"] == W["nest"][0]).all(axis=0)
    const_differ = int((W["evplast"][0][const] != W["nest"][0][const]).sum())   # constant, but not alike
    t_w_syn = welch_t(W["evplast"][:, ~const], W["nest"][:, ~const])
    w_corr = np.corrcoef(W["evplast"].mean(axis=0), W["nest"].mean(axis=0))[0, 1]

    n = len(seeds)
    lines = []
    p = lines.append
    p(f"seeds {seeds[0]}..{seeds[-1]} ({n}), {n_reps} repetitions with teacher")
    p("")
    p("| | evplast | NEST |")
    p("|---|---|---|")
    p(f"| loss before (mean of reps 0-{N_EDGE - 1}, mean over seeds) [mV²] | {ba['evplast'][0]:.2f} | {ba['nest'][0]:.2f} |")
    p(f"| loss after (mean of reps {n_reps - N_EDGE}-{n_reps - 1}) [mV²] | {ba['evplast'][1]:.2f} | {ba['nest'][1]:.2f} |")
    p(f"| after/before (mean curves) | {ba['evplast'][1] / ba['evplast'][0]:.3f} | {ba['nest'][1] / ba['nest'][0]:.3f} |")
    p(f"| after/before per seed, min–max | {per_seed_ratio['evplast'].min():.3f}–{per_seed_ratio['evplast'].max():.3f} "
      f"| {per_seed_ratio['nest'].min():.3f}–{per_seed_ratio['nest'].max():.3f} |")
    p(f"| loss of rep 0 (first with teacher), mean over seeds [mV²] | {mean['evplast'][0]:.2f} | {mean['nest'][0]:.2f} |")
    p(f"| mean loss of reps {N_EDGE}-{n_reps - 1} [mV²] | {L['evplast'][:, late].mean():.2f} | {L['nest'][:, late].mean():.2f} |")
    p(f"| soma rate while teacher on, mean ± sd over seeds [Hz] | {rate['evplast'].mean():.2f} ± {rate['evplast'].std(ddof=1):.2f} "
      f"| {rate['nest'].mean():.2f} ± {rate['nest'].std(ddof=1):.2f} |")
    if wall["evplast"]:
        p(f"| wall-clock per run, mean (min–max) [s] | {np.mean(wall['evplast']):.2f} ({min(wall['evplast']):.2f}–{max(wall['evplast']):.2f}) "
          f"| {np.mean(wall['nest']):.2f} ({min(wall['nest']):.2f}–{max(wall['nest']):.2f}) |")
    p(f"| evplast simulate_s (stats.json), mean [s] | {np.mean(sim_s):.3f} | |")
    p(f"| final urbanczik weight, mean over synapses, mean ± sd over seeds [pA] | {W['evplast'].mean():.2f} ± "
      f"{W['evplast'].mean(axis=1).std(ddof=1):.2f} | {W['nest'].mean():.2f} ± {W['nest'].mean(axis=1).std(ddof=1):.2f} |")
    p("")
    p(f"Welch t (evplast − NEST, {n} vs {n} seeds): loss before {t_before:+.2f}, loss after {t_after:+.2f}, "
      f"mean loss reps {N_EDGE}-{n_reps - 1} {t_late:+.2f}, after/before {t_ratio:+.2f}, soma spikes {t_spk:+.2f}, "
      f"mean final weight {t_w_mean:+.2f}")
    p(f"Per repetition, |Welch t| > 2 (about 5 % expected by chance; repetitions are correlated): loss "
      f"{int((np.abs(t_rep) > 2).sum())}/{n_reps} (max |t| {np.nanmax(np.abs(t_rep)):.2f}), soma spikes "
      f"{int((np.abs(t_rep_spk) > 2).sum())}/{n_reps} (max |t| {np.nanmax(np.abs(t_rep_spk)):.2f})")
    fixed = {k: (int((v == v[0]).all(axis=0).sum()), int((v == 0.0).all(axis=0).sum())) for k, v in W.items()}
    if n >= 10:   # the same counts between two halves of one simulator's seeds: what chance gives
        halves = []
        for k, lab in (("nest", "NEST"), ("evplast", "evplast")):
            a, b = slice(0, None, 2), slice(1, None, 2)
            tl, ts = welch_t(L[k][a], L[k][b]), welch_t(S[k][a], S[k][b])
            halves.append(f"{lab} odd vs even seeds: loss {int((np.abs(tl) > 2).sum())}/{n_reps} (max {np.nanmax(np.abs(tl)):.2f}), "
                       f"spikes {int((np.abs(ts) > 2).sum())}/{n_reps} (max {np.nanmax(np.abs(ts)):.2f})")
        p("  calibration, the same counts between two halves of one simulator's seeds: " + "; ".join(halves))
    p(f"Per synapse, final weight: mean-over-seeds correlation evplast vs NEST {w_corr:.4f}; |Welch t| > 2 for "
      f"{int((np.abs(t_w_syn) > 2).sum())}/{len(t_w_syn)} synapses (max |t| {np.abs(t_w_syn).max():.2f}); the other "
      f"{int(const.sum())} end with one weight in every run of both simulators, the same in both for "
      f"{int(const.sum()) - const_differ} of them (evplast: "
      f"{fixed['evplast'][0]} of {W['nest'].shape[1]} constant over seeds, {fixed['evplast'][1]} of them at Wmin = 0; NEST: "
      f"{fixed['nest'][0]}, {fixed['nest'][1]} at 0; the rest of the constant ones are inputs silent in the pattern, at 90)")
    p("")
    p(f"(a) evplast's mean-over-seeds loss inside NEST's [min, max] over seeds: {n_reps - len(exc)}/{n_reps} repetitions")
    for r, d, rel in exc:
        p(f"    rep {r:3d}: outside by {d:+.3f} mV² ({rel:+.1%} of the nearer bound); "
          f"evplast mean {mean['evplast'][r]:.3f}, NEST [{lo['nest'][r]:.3f}, {hi['nest'][r]:.3f}]")
    p(f"    chance level: with the simulator labels of the {2 * n} runs permuted at random, the count of repetitions "
      f"outside is {null_counts.mean():.1f} on average (median {np.median(null_counts):.0f}, 95th percentile "
      f"{np.percentile(null_counts, 95):.0f}); P(count >= {len(exc)}) = {p_exc:.2f}")
    p(f"    calibration (mirror image): NEST's mean inside evplast's [min, max]: {n_reps - len(mirror)}/{n_reps}")
    for r, d, rel in mirror:
        p(f"    rep {r:3d}: outside by {d:+.3f} mV² ({rel:+.1%})")
    p(f"(b) after <= before/3: evplast {'yes' if ok_b['evplast'] else 'NO'} "
      f"({ba['evplast'][1]:.2f} vs {ba['evplast'][0] / 3:.2f}), NEST {'yes' if ok_b['nest'] else 'NO'} "
      f"({ba['nest'][1]:.2f} vs {ba['nest'][0] / 3:.2f})")
    verdict = "PASS" if not exc and all(ok_b.values()) else "FAIL"
    p(f"verdict (strict: (a) every repetition inside, (b) for both): {verdict}")
    p("")
    p("| rep | evplast mean | evplast min–max | NEST mean | NEST min–max | inside |")
    p("|---:|---:|---:|---:|---:|:---:|")
    bad = {r for r, _, _ in exc}
    for r in range(n_reps):
        if r % 10 == 0 or r == n_reps - 1 or r < N_EDGE or r in bad:
            p(f"| {r} | {mean['evplast'][r]:.2f} | {lo['evplast'][r]:.2f}–{hi['evplast'][r]:.2f} | {mean['nest'][r]:.2f} "
              f"| {lo['nest'][r]:.2f}–{hi['nest'][r]:.2f} | {'no' if r in bad else 'yes'} |")
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(work, "summary.md"), "w") as f:
        f.write(text + "\n")

    with open(os.path.join(work, "loss_table.csv"), "w") as f:
        f.write("rep,t0,evplast_mean,evplast_min,evplast_max,nest_mean,nest_min,nest_max,"
                "evplast_spikes_mean,nest_spikes_mean,evplast_mean_inside_nest_range\n")
        for r in range(n_reps):
            f.write(f"{r},{UL.T_START + r * UL.PERIOD:g},{mean['evplast'][r]!r},{lo['evplast'][r]!r},{hi['evplast'][r]!r},"
                    f"{mean['nest'][r]!r},{lo['nest'][r]!r},{hi['nest'][r]!r},{S['evplast'][:, r].mean()!r},"
                    f"{S['nest'][:, r].mean()!r},{int(r not in bad)}\n")

    if args.png:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        x = np.arange(n_reps)
        fig, (a1, a2) = plt.subplots(2, 1, figsize=(9, 7.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
        for k, c, lab in (("nest", "tab:orange", "NEST 3.10"), ("evplast", "tab:blue", "evplast")):
            a1.fill_between(x, lo[k], hi[k], color=c, alpha=0.22, lw=0)
            a1.plot(x, mean[k], color=c, lw=1.6, label=f"{lab}: mean over {n} seeds, band min–max")
            sm = S[k].mean(axis=0)
            a2.plot(x, sm / 0.2, color=c, lw=1.2, label=lab)
        if exc:
            a1.plot([r for r, _, _ in exc], [mean["evplast"][r] for r, _, _ in exc], "kx", ms=6,
                    label="evplast mean outside NEST's range")
        for k, c in (("nest", "tab:orange"), ("evplast", "tab:blue")):
            a1.axhline(ba[k][0] / 3.0, color=c, ls=":", lw=1.2)
        a1.plot([], [], "k:", lw=1.2, label=f"1/3 of the mean loss of reps 0-{N_EDGE - 1} (criterion b)")
        a1.set_yscale("log")
        a1.set_ylabel(r"loss $\langle (V_W^\ast - U_M)^2 \rangle_{200\,\mathrm{ms}}$ [mV$^2$]")
        a1.set_title("Urbanczik–Senn learning (Fig. 1B setup): evplast vs NEST, per pattern repetition")
        a1.legend(loc="upper right", fontsize=9)
        a1.grid(True, which="both", alpha=0.3)
        a2.set_ylabel("soma rate [Hz]\n(mean over seeds)")
        a2.set_xlabel("pattern repetition with teacher (200 ms each, starting at 400 ms)")
        a2.legend(loc="upper right", fontsize=8)
        a2.grid(True, alpha=0.3)
        fig.tight_layout()
        os.makedirs(os.path.dirname(os.path.abspath(args.png)), exist_ok=True)
        fig.savefig(args.png, dpi=110)
        print(f"wrote {args.png}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
