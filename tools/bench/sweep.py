#!/usr/bin/env python3
"""The paper's comparison sweeps for evplast, optionally side by side with NEST 3.10 and Brian2.

Runs `evplast bench` (crates/cli/src/bench.rs) over

  K      K ∈ {100, 250, 500, 1000, 2000, 5000}, rate 10 Hz, T 1 s, delay 1 ms
  rate   rate ∈ {2, 5, 10, 20, 40} Hz, K = K0, T 1 s, delay 1 ms
  delay  delay ∈ {1, 2, 5, 10} ms, K = K0, rate 10 Hz, T 1 s
  T      T ∈ {0.5, 1, 2, 4} s, K = K0, rate 10 Hz, delay 1 ms      (linearity)
  grid   K ∈ {100, K0, 2000} × rate ∈ {2, 10, 40} Hz × delay ∈ {1, 10} ms, T 1 s  (which scheme wins where)

for both rules (K0 = 500 for Clopath, 250 for Urbanczik–Senn: the issue's must-show points),
N = 100, every point with the event-driven and compressed schemes and the static-synapse
baseline; the time-driven scheme only where K·T ≤ --time-max-KT (default 1000 synapse·s per
target, i.e. K ≤ 1000 at T = 1 s; it costs K·T synapse calls per neuron).  A configuration shared
by several sweeps is run once per repetition and reused.

--with-nest runs tools/bench/bench_nest.py at every point with K ≤ --nest-max-K-<rule> (default
5000, i.e. all; NEST's Urbanczik–Senn K = 5000 point alone takes ≈ 2.5 min), --with-brian2
runs tools/bench/bench_brian2.py (cpp_standalone, time-driven Clopath; Clopath points only), in
the same run, interleaved point by point with evplast (the order of the simulators rotates with
the repetition), and writes NEST/evplast and Brian2/evplast per point.

--mustshow instead runs the issue's must-show set (default 2 repetitions, NEST and Brian2 on):
Clopath N=100 K=500 and Urbanczik–Senn K=250 (10 Hz, 1 s, all schemes, static, NEST plastic and
static, Brian2 K=500), Clopath K=1000 (overhead), and K=500 / K=2000 of both rules for the
bytes per plastic synapse (the time-driven scheme at these memory-only points in the first
repetition only).

Outputs in --out (default docs/perf): <name>.csv (one row per run, all simulators, the columns of
`evplast bench --csv` plus sweep, rep, loadavg_1m, evplast_rev), <name>_points.csv (medians and
ratios per point), PNG plots, and <name>_summary.md (the tables PERFORMANCE.md quotes).
--quick: a smoke version (N = 20, small K, T = 0.2 s) into target/bench-quick; seconds for
evplast alone, about a minute with --mustshow (Brian2 compiles twice).

Timings on a shared machine are noisy: compare ratios measured within one run, never absolute
thresholds.  The evplast binary is copied at start, so a rebuild during the run does not mix
versions; its git revision is stored with every row.
"""
import argparse
import csv
import datetime
import hashlib
import json
import math
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from common import EVPLAST_COLUMNS, PEER_EXTRA  # noqa: E402

ALL_COLUMNS = (["sweep", "rep", "started", "loadavg_1m", "evplast_rev"] + EVPLAST_COLUMNS
               + [c for c in PEER_EXTRA if c != "cmd"] + ["cmd"])
SCHEMES = ["event", "compressed", "time"]
K0 = {"clopath": 500, "urbanczik": 250}


def log(*a):
    print(*a, flush=True)


# ---------------------------------------------------------------------------------------------
# point sets

def cfg(rule, N, K, rate, T, delay):
    return (rule, int(N), int(K), float(rate), float(T), float(delay))


def sweep_points(name, quick, N, rules=("clopath", "urbanczik"), k_values=None):
    """List of configurations (rule, N, K, rate, T, delay) of one sweep."""
    pts = []
    for rule in rules:
        k0 = 100 if quick else K0[rule]
        T0 = 0.2 if quick else 1.0
        if name == "K":
            Ks = [50, 100, 200] if quick else [100, 250, 500, 1000, 2000, 5000]
            if k_values:
                Ks = k_values
            pts += [cfg(rule, N, K, 10, T0, 1) for K in Ks]
        elif name == "rate":
            rates = [5, 20] if quick else [2, 5, 10, 20, 40]
            pts += [cfg(rule, N, k0, r, T0, 1) for r in rates]
        elif name == "delay":
            ds = [1, 5] if quick else [1, 2, 5, 10]
            pts += [cfg(rule, N, k0, 10, T0, d) for d in ds]
        elif name == "T":
            Ts = [0.1, 0.2] if quick else [0.5, 1, 2, 4]
            pts += [cfg(rule, N, k0, 10, T, 1) for T in Ts]
        elif name == "grid":
            Ks = [50, 200] if quick else [100, K0[rule], 2000]
            rates = [5, 20] if quick else [2, 10, 40]
            ds = [1] if quick else [1, 10]
            pts += [cfg(rule, N, K, r, T0, d) for d in ds for K in Ks for r in rates]
        elif name == "gridhi":
            # High input rates, where Table 1 puts the time-driven scheme's turn.
            Ks = [50] if quick else [100, K0[rule]]
            rates = [100] if quick else [100, 200, 400]
            ds = [1] if quick else [1, 10]
            pts += [cfg(rule, N, K, r, T0, d) for d in ds for K in Ks for r in rates]
        else:
            raise SystemExit(f"unknown sweep {name}")
    return pts


def mustshow_points(quick):
    N = 20 if quick else 100
    T = 0.2 if quick else 1.0
    s = 0.2 if quick else 1.0  # K scale
    k = lambda x: max(10, int(x * s))  # noqa: E731
    # (config, evplast schemes, nest plastic, nest static, brian2, purpose)
    return [
        (cfg("clopath", N, k(500), 10, T, 1), SCHEMES, True, True, True, "speed"),
        (cfg("urbanczik", N, k(250), 10, T, 1), SCHEMES, True, True, False, "speed"),
        (cfg("clopath", N, k(1000), 10, T, 1), SCHEMES, False, False, False, "overhead"),
        (cfg("urbanczik", N, k(500), 10, T, 1), SCHEMES, False, False, False, "memory"),
        (cfg("clopath", N, k(2000), 10, T, 1), SCHEMES, True, False, False, "memory"),
        (cfg("urbanczik", N, k(2000), 10, T, 1), SCHEMES, False, False, False, "memory"),
    ]


# ---------------------------------------------------------------------------------------------
# running

class Runner:
    def __init__(self, a, tmp):
        self.a = a
        self.tmp = tmp
        self.cache = {}
        self.n_runs = 0
        src = os.path.abspath(a.evplast)
        if not os.path.exists(src):
            raise SystemExit(f"{src} not found: cargo build --release")
        self.evplast = os.path.join(tmp, "evplast")
        shutil.copy2(src, self.evplast)
        with open(self.evplast, "rb") as f:
            self.sha = hashlib.sha256(f.read()).hexdigest()[:12]
        rev = a.rev
        if not rev:
            try:
                rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                                     capture_output=True, text=True).stdout.strip()
            except OSError:
                rev = "?"
        self.rev = f"{rev}/bin:{self.sha}"

    def _run(self, cmd, timeout):
        self.n_runs += 1
        t0 = time.time()
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.tmp)
        if p.returncode != 0:
            raise RuntimeError(f"failed ({p.returncode}): {shlex.join(cmd)}\n{p.stderr[-3000:]}")
        return time.time() - t0

    def _meta(self, sweep, rep):
        return dict(sweep=sweep, rep=rep, started=datetime.datetime.now().isoformat(timespec="seconds"),
                    loadavg_1m=round(os.getloadavg()[0], 2), evplast_rev=self.rev)

    def evplast_rows(self, c, schemes, static, sweep, rep):
        rule, N, K, rate, T, d = c
        key = ("evplast", c, tuple(schemes), static, rep)
        if key in self.cache:
            return [dict(r, sweep=sweep) for r in self.cache[key]]
        meta = self._meta(sweep, rep)
        out = os.path.join(self.tmp, f"ev_{self.n_runs}.json")
        cmd = [self.evplast, "bench", "--rule", rule, f"--N={N}", f"--K={K}", f"--rate={rate:g}",
               f"--T={T:g}", f"--delay={d:g}"]
        if schemes:
            cmd.append("--schemes=" + ",".join(schemes))
            if static:
                cmd.append("--static")
        else:
            cmd.append("--static-only")
        cmd += ["--json", out]
        wall = self._run(cmd, self.a.timeout)
        with open(out) as f:
            rows = json.load(f)
        cmdline = shlex.join(["target/release/evplast"] + cmd[1:-2])
        rows = [dict(r, **meta, cmd=cmdline) for r in rows]
        log(f"  evplast {rule:9s} N={N} K={K:<5d} rate={rate:<4g} T={T:<4g} d={d:<4g} " +
            " ".join(f"{r['scheme']}={r['sim_s']:.3f}s" for r in rows) + f"  (wall {wall:.1f}s)")
        self.cache[key] = rows
        return rows

    def peer_row(self, which, c, static, sweep, rep):
        rule, N, K, rate, T, d = c
        key = (which, c, static, rep)
        if key in self.cache:
            return [dict(r, sweep=sweep) for r in self.cache[key]]
        meta = self._meta(sweep, rep)
        out = os.path.join(self.tmp, f"{which}_{self.n_runs}.csv")
        common = [f"--N={N}", f"--K={K}", f"--rate={rate:g}", f"--T={T:g}", f"--delay={d:g}",
                  "--csv", out]
        if which == "nest":
            cmd = [self.a.nest_python, os.path.join(HERE, "bench_nest.py"), "--rule", rule] + common
            if static:
                cmd.append("--static")
        else:
            cmd = [self.a.brian2_python, os.path.join(HERE, "bench_brian2.py"),
                   "--target", "cpp_standalone", "--workdir", os.path.join(self.tmp, "brian2")] + common
        wall = self._run(cmd, self.a.timeout)
        with open(out) as f:
            rows = list(csv.DictReader(f))
        rows = [dict(r, **meta) for r in rows]
        for r in rows:
            r["cmd"] = shlex.join(["python", os.path.relpath(cmd[1], ROOT)] + cmd[2:-2])
        extra = f" codegen+compile={float(rows[0]['prep_s']):.1f}s" if which == "brian2" else ""
        log(f"  {which:7s} {rule:9s} N={N} K={K:<5d} rate={rate:<4g} T={T:<4g} d={d:<4g} "
            f"{rows[0]['scheme']}={float(rows[0]['sim_s']):.3f}s{extra}  (wall {wall:.1f}s)")
        self.cache[key] = rows
        return rows


def time_ok(a, c):
    _, _, K, _, T, _ = c
    return K * T <= a.time_max_KT + 1e-9


def run_set(a, runner, name, jobs, reps):
    """jobs: list of (config, schemes, nest, nest_static, brian2[, schemes after the first
    repetition]).  Returns all rows."""
    rows = []
    t_start = time.time()
    for rep in range(reps):
        log(f"[{name}] repetition {rep + 1}/{reps}")
        order = jobs if rep % 2 == 0 else list(reversed(jobs))
        for job in order:
            c, schemes, nest, nest_static, brian2 = job[:5]
            if rep > 0 and len(job) > 5 and job[5] is not None:
                schemes = job[5]
            sims = ["evplast"] + (["nest"] if nest or nest_static else []) + (["brian2"] if brian2 else [])
            k = rep % len(sims)
            for sim in sims[k:] + sims[:k]:
                try:
                    if sim == "evplast":
                        rows += runner.evplast_rows(c, schemes, True, name, rep)
                    elif sim == "nest":
                        if nest:
                            rows += runner.peer_row("nest", c, False, name, rep)
                        if nest_static:
                            rows += runner.peer_row("nest", c, True, name, rep)
                    else:
                        rows += runner.peer_row("brian2", c, False, name, rep)
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    log(f"  !! {sim} {c}: {e}")
    log(f"[{name}] {time.time() - t_start:.0f} s")
    return rows


# ---------------------------------------------------------------------------------------------
# analysis

def fnum(x):
    try:
        v = float(x)
        return v if math.isfinite(v) else None
    except (TypeError, ValueError):
        return None


def family(r):
    s = str(r["simulator"])
    return "nest" if s.startswith("nest") else "brian2" if s.startswith("brian2") else "evplast"


def point_of(r):
    rule = str(r["rule"]).replace("_static", "")
    return cfg(rule, r["N"], r["K"], r["rate_hz"], r["T_s"], r["delay_ms"])


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def aggregate(rows):
    """{point: {(family, scheme): {"sim": [..], "build": [..], "rss": [..], "row": first}}}"""
    agg = {}
    for r in rows:
        p = point_of(r)
        k = (family(r), r["scheme"])
        e = agg.setdefault(p, {}).setdefault(k, {"sim": [], "build": [], "rss": [], "rss_build": [],
                                                 "total": [], "row": r})
        e["rss_build"].append(fnum(r.get("rss_after_build_bytes")))
        e["sim"].append(fnum(r["sim_s"]))
        e["build"].append(fnum(r["build_s"]))
        e["rss"].append(fnum(r["peak_rss_bytes"]))
        e["total"].append(fnum(r.get("total_with_codegen_s")))
    return agg


def ratio(x, y):
    return x / y if (x is not None and y) else None


def point_table(agg):
    out = []
    for p in sorted(agg, key=lambda p: (p[0], p[1], p[2], p[3], p[4], p[5])):
        e = agg[p]
        g = lambda fam, sch, f="sim": med(e.get((fam, sch), {}).get(f, []))  # noqa: E731
        row = dict(rule=p[0], N=p[1], K=p[2], rate_hz=p[3], T_s=p[4], delay_ms=p[5])
        row["n_reps"] = len(e.get(("evplast", "static"), e.get(("evplast", "event"), {"sim": []}))["sim"])
        for s in ["static"] + SCHEMES:
            row[f"evplast_{s}_s"] = g("evplast", s)
        best = min(((row[f"evplast_{s}_s"], s) for s in SCHEMES if row[f"evplast_{s}_s"] is not None),
                   default=(None, None))
        row["best_scheme"], row["best_s"] = best[1], best[0]
        # scheme = "auto": its time, what it chose, and how far from the fastest and event.
        row["evplast_auto_s"] = g("evplast", "auto")
        auto = e.get(("evplast", "auto"), {}).get("row")
        row["auto_chosen"] = auto.get("chosen") if auto else None
        row["auto_over_best"] = ratio(row["evplast_auto_s"], row["best_s"])
        row["auto_over_event"] = ratio(row["evplast_auto_s"], row["evplast_event_s"])
        row["nest_s"] = g("nest", "event")
        row["nest_static_s"] = g("nest", "static")
        row["brian2_s"] = g("brian2", "time")
        row["brian2_with_codegen_s"] = g("brian2", "time", "total")
        row["nest_over_best"] = ratio(row["nest_s"], row["best_s"])
        for s in SCHEMES:
            row[f"nest_over_{s}"] = ratio(row["nest_s"], row[f"evplast_{s}_s"])
        row["brian2_over_best"] = ratio(row["brian2_s"], row["best_s"])
        bb = None
        if row["best_scheme"]:
            bb = (g("evplast", row["best_scheme"]) or 0) + (g("evplast", row["best_scheme"], "build") or 0)
        row["brian2_with_codegen_over_best_build_sim"] = ratio(row["brian2_with_codegen_s"], bb)
        for s in SCHEMES:
            row[f"overhead_{s}"] = ratio(row[f"evplast_{s}_s"], row["evplast_static_s"])
        row["nest_overhead"] = ratio(row["nest_s"], row["nest_static_s"])
        for s in ["static"] + SCHEMES:
            row[f"evplast_{s}_peak_rss_bytes"] = g("evplast", s, "rss")
        row["nest_peak_rss_bytes"] = g("nest", "event", "rss")
        row["brian2_peak_rss_bytes"] = g("brian2", "time", "rss")
        out.append(row)
    return out


def write_csv(path, rows, columns):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else ("" if v is None else v))
                        for k, v in ((k, r.get(k)) for k in columns)})


def f3(x, nd=3):
    if x is None:
        return "–"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.{nd}f}"


def md_table(header, rows):
    s = "| " + " | ".join(header) + " |\n|" + "|".join(" --- " for _ in header) + "|\n"
    for r in rows:
        s += "| " + " | ".join(str(x) for x in r) + " |\n"
    return s


def archive_predictions(K, rate, T, h=1e-4):
    """Time-averaged expected archive lengths in a run of length T started at 0.

    Every synapse registers at t = 0 and re-registers at each of its presynaptic spikes
    (Bernoulli(p = rate·h) per step).  At step t the age of a synapse's last registration is s
    with P = p(1-p)^s for s < t, and t with P = (1-p)^t (no spike yet).
    Event scheme: the archive reaches back to the oldest registration: E[max age] in steps.
    Compressed scheme: one entry per distinct registration step: E[distinct].
    Both averaged over t ∈ [1, T/h] (the counters sample L every slice)."""
    S = int(round(T / h))
    p = rate * h
    q = 1.0 - p
    # event: E[max age at t] = sum_{a=0}^{t-1} P(max age > a) = sum_{a<t} 1 - (1 - q^(a+1))^K
    cum_max, acc_max = 0.0, 0.0
    # compressed: E[distinct at t] = sum_{s<t} [1-(1-p q^s)^K] + [1-(1-q^t)^K]
    cum_d, acc_d = 0.0, 0.0
    qa = 1.0
    for t in range(1, S + 1):
        # add the term for age t-1
        qs = qa          # q^(t-1)
        qa = qa * q      # q^t
        cum_max += 1.0 - (1.0 - qa) ** K
        cum_d += 1.0 - (1.0 - p * qs) ** K
        acc_max += cum_max
        acc_d += cum_d + (1.0 - (1.0 - qa) ** K)
    return acc_max / S, acc_d / S


def table1_rows(agg):
    """Measured Table 1 counters against the predictions, per point and scheme."""
    out = []
    for p in sorted(agg):
        rule, N, K, rate, T, d = p
        e = agg[p]
        S = T * 1e4  # steps
        ev = e.get(("evplast", "event"), {}).get("row")
        f_nz = None
        if ev and fnum(ev.get("history_manipulations")):
            f_nz = fnum(ev["history_manipulations"]) / (N * S)  # archive entries written per step
        L_ev, L_co = archive_predictions(K, rate, T)
        # a synapse's window since its last spike is still unread at the end of the run:
        # expected read fraction 1 - (1 - e^{-νT})/(νT)
        read = 1.0 - (1.0 - math.exp(-rate * T)) / (rate * T)
        for s in SCHEMES:
            r = e.get(("evplast", s), {}).get("row")
            if not r or fnum(r.get("synapse_calls")) is None:
                continue
            M, C, H = (fnum(r[c]) for c in ("synapse_calls", "weight_change_computations",
                                            "history_manipulations"))
            Lmax, Lmean = fnum(r["history_entries_max"]), fnum(r["history_entries_mean"])
            spikes = N * K * rate * T  # expected presynaptic spikes over all targets
            f = f_nz if f_nz is not None else 1.0
            if s == "time":
                pred = dict(M=N * K * S + spikes, C=N * K * S * f, H=N * S * f, L=d / 0.1 + 1)
            elif s == "event":
                pred = dict(M=spikes, C=N * K * S * f * read, H=N * S * f, L=(L_ev + d / 0.1) * f)
            else:
                pred = dict(M=spikes, C=N * S * f, H=spikes * L_co, L=L_co)
            out.append(dict(rule=rule, N=N, K=K, rate=rate, T=T, delay=d, scheme=s, f_nz=f,
                            M=M, C=C, H=H, Lmax=Lmax, Lmean=Lmean,
                            M_pred=pred["M"], C_pred=pred["C"], H_pred=pred["H"], L_pred=pred["L"],
                            i_eff=(H / M if (s == "compressed" and M) else None)))
    return out


# ---------------------------------------------------------------------------------------------
# plots

def plots(outdir, name, pts, sweep_param):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing: no plots (run sweep.py with /work/nestvenv/bin/python)")
        return []
    xkey = {"K": "K", "rate": "rate_hz", "delay": "delay_ms", "T": "T_s"}[sweep_param]
    xlabel = {"K": "in-degree K", "rate": "input rate (Hz)", "delay": "delay (ms)",
              "T": "simulated time T (s)"}[sweep_param]
    files = []
    styles = {"static": ("k", "--", "s"), "event": ("C0", "-", "o"), "compressed": ("C2", "-", "^"),
              "time": ("C3", "-", "v")}
    for rule in ("clopath", "urbanczik"):
        rp = sorted([p for p in pts if p["rule"] == rule], key=lambda p: p[xkey])
        if not rp:
            continue
        has_peer = any(p["nest_s"] or p["brian2_s"] for p in rp)
        ncol = 3 if has_peer else 2
        fig, ax = plt.subplots(1, ncol, figsize=(5.2 * ncol, 4.2))
        logx = sweep_param in ("K", "rate", "delay")
        logy = sweep_param != "T"
        for s in ["static"] + SCHEMES:
            xs = [p[xkey] for p in rp if p[f"evplast_{s}_s"]]
            ys = [p[f"evplast_{s}_s"] for p in rp if p[f"evplast_{s}_s"]]
            if xs:
                c, ls, m = styles[s]
                ax[0].plot(xs, ys, color=c, ls=ls, marker=m, label=f"evplast {s}")
        for fam, key, c, m in (("NEST 3.10 (event)", "nest_s", "C1", "D"),
                               ("NEST static", "nest_static_s", "C1", "x"),
                               ("Brian2 cpp_standalone (time)", "brian2_s", "C4", "P")):
            xs = [p[xkey] for p in rp if p[key]]
            if xs:
                ax[0].plot(xs, [p[key] for p in rp if p[key]], color=c, marker=m, ls=":", label=fam)
        ax[0].set_xlabel(xlabel)
        ax[0].set_ylabel("simulation wall time (s), 1 thread")
        ax[0].set_title(f"{'Clopath' if rule == 'clopath' else 'Urbanczik–Senn'}: time vs {sweep_param}")
        for s in SCHEMES:
            xs = [p[xkey] for p in rp if p[f"overhead_{s}"]]
            if xs:
                c, ls, m = styles[s]
                ax[1].plot(xs, [p[f"overhead_{s}"] for p in rp if p[f"overhead_{s}"]], color=c, ls=ls,
                           marker=m, label=s)
        xs = [p[xkey] for p in rp if p["nest_overhead"]]
        if xs:
            ax[1].plot(xs, [p["nest_overhead"] for p in rp if p["nest_overhead"]], color="C1", marker="D",
                       ls=":", label="NEST")
        ax[1].set_xlabel(xlabel)
        ax[1].set_ylabel("plastic / static run time")
        ax[1].set_title("plasticity overhead")
        if has_peer:
            for s in SCHEMES:
                xs = [p[xkey] for p in rp if p[f"nest_over_{s}"]]
                if xs:
                    c, ls, m = styles[s]
                    ax[2].plot(xs, [p[f"nest_over_{s}"] for p in rp if p[f"nest_over_{s}"]], color=c,
                               ls=ls, marker=m, label=f"NEST / evplast {s}")
            xs = [p[xkey] for p in rp if p["brian2_over_best"]]
            if xs:
                ax[2].plot(xs, [p["brian2_over_best"] for p in rp if p["brian2_over_best"]], color="C4",
                           marker="P", ls=":", label="Brian2 / evplast best")
            ax[2].axhline(10, color="grey", lw=0.8, ls="--")
            ax[2].axhline(1, color="grey", lw=0.8)
            ax[2].set_xlabel(xlabel)
            ax[2].set_ylabel("speed-up (peer time / evplast time)")
            ax[2].set_yscale("log")
            ax[2].set_title("ratios in the same run")
        for i, x in enumerate(ax):
            if logx:
                x.set_xscale("log")
            if logy and i < 2:
                x.set_yscale("log")
            x.grid(True, which="both", alpha=0.3)
            x.legend(fontsize=7)
        fig.tight_layout()
        fn = os.path.join(outdir, f"{name}_{rule}.png")
        fig.savefig(fn, dpi=90)
        plt.close(fig)
        files.append(fn)
        if sweep_param == "K":
            fig, ax = plt.subplots(figsize=(5.5, 4.2))
            for s in ["static"] + SCHEMES:
                xs = [p["K"] for p in rp if p[f"evplast_{s}_peak_rss_bytes"]]
                if xs:
                    c, ls, m = styles[s]
                    ax.plot(xs, [p[f"evplast_{s}_peak_rss_bytes"] / 1e6 for p in rp
                                 if p[f"evplast_{s}_peak_rss_bytes"]], color=c, ls=ls, marker=m,
                            label=f"evplast {s}")
            xs = [p["K"] for p in rp if p["nest_peak_rss_bytes"]]
            if xs:
                ax.plot(xs, [p["nest_peak_rss_bytes"] / 1e6 for p in rp if p["nest_peak_rss_bytes"]],
                        color="C1", marker="D", ls=":", label="NEST 3.10 (Python process)")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("in-degree K (N = 100 targets)")
            ax.set_ylabel("peak RSS (MB)")
            ax.set_title(f"{'Clopath' if rule == 'clopath' else 'Urbanczik–Senn'}: memory vs K")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7)
            fig.tight_layout()
            fn = os.path.join(outdir, f"{name}_memory_{rule}.png")
            fig.savefig(fn, dpi=90)
            plt.close(fig)
            files.append(fn)
    return files


# ---------------------------------------------------------------------------------------------
# summaries

def summary_points_md(pts, with_peers):
    hdr = ["rule", "K", "rate", "T", "delay", "static s", "event s", "compr. s", "time s", "best",
           "ovh ev", "ovh co", "ovh ti"]
    if with_peers:
        hdr += ["NEST s", "NEST/best", "NEST/ev", "NEST/co", "Brian2 s", "Brian2/best"]
    rows = []
    for p in pts:
        r = [p["rule"], p["K"], f"{p['rate_hz']:g}", f"{p['T_s']:g}", f"{p['delay_ms']:g}",
             f3(p["evplast_static_s"]), f3(p["evplast_event_s"]), f3(p["evplast_compressed_s"]),
             f3(p["evplast_time_s"]), p["best_scheme"] or "–",
             f3(p["overhead_event"], 2), f3(p["overhead_compressed"], 2), f3(p["overhead_time"], 2)]
        if with_peers:
            r += [f3(p["nest_s"]), f3(p["nest_over_best"], 1), f3(p["nest_over_event"], 1),
                  f3(p["nest_over_compressed"], 1), f3(p["brian2_s"]), f3(p["brian2_over_best"], 2)]
        rows.append(r)
    return md_table(hdr, rows)


def winners_md(pts):
    rows = []
    for p in sorted(pts, key=lambda p: (p["rule"], p["delay_ms"], p["K"], p["rate_hz"])):
        ts = sorted((p[f"evplast_{s}_s"], s) for s in SCHEMES if p[f"evplast_{s}_s"] is not None)
        if not ts:
            continue
        margin = ts[1][0] / ts[0][0] if len(ts) > 1 else None
        rows.append([p["rule"], f"{p['delay_ms']:g}", p["K"], f"{p['rate_hz']:g}", f"**{ts[0][1]}**",
                     ts[1][1] if len(ts) > 1 else "–", f3(margin, 2),
                     p.get("auto_chosen") or "–", f3(p.get("auto_over_best"), 3),
                     f3(p.get("auto_over_event"), 3),
                     " < ".join(f"{s} {f3(t)}" for t, s in ts)])
    return md_table(["rule", "delay ms", "K", "rate Hz", "fastest", "runner-up", "runner-up / fastest",
                     "auto picks", "auto / fastest", "auto / event", "sim s"], rows)


def table1_md(t1):
    rows = []
    for r in t1:
        q = lambda m, p: f3(ratio(m, p), 2)  # noqa: E731
        rows.append([r["rule"], r["K"], f"{r['rate']:g}", f"{r['T']:g}", f"{r['delay']:g}", r["scheme"],
                     f"{r['M']:.3g}", q(r["M"], r["M_pred"]), f"{r['C']:.3g}", q(r["C"], r["C_pred"]),
                     f"{r['H']:.3g}", q(r["H"], r["H_pred"]),
                     f"{r['Lmean']:.0f}/{r['Lmax']:.0f}" if r["Lmean"] is not None else "–",
                     f"{r['L_pred']:.0f}", f3(r["i_eff"], 1) if r["i_eff"] else "–"])
    return md_table(["rule", "K", "rate", "T", "d", "scheme", "M", "M/pred", "C", "C/pred", "H", "H/pred",
                     "L mean/max", "L pred", "H/M (i)"], rows)


TABLE1_NOTE = """Predictions (N targets, S = T/h steps, K inputs at rate ν, f = archive entries written per
neuron and step, measured from the event run's H: f = 1 for Urbanczik–Senn, f < 1 for Clopath, whose
LTP archive keeps only steps with a non-zero LTP factor):
time-driven M = N·K·S + spikes, C = N·K·S·f, H = N·S·f, L ≈ d/h + 1;
event M = N·K·ν·T (spikes), C = N·K·S·f·ρ with ρ = 1 − (1 − e^(−νT))/(νT) the expected part of
each synapse's time that is read before the run ends (the window after its last spike is not),
H = N·S·f, L = f·(E[age of the oldest last spike among K inputs] + d/h), time-averaged over the
run (Table 1's L = I for regular inputs; for Poisson inputs the oldest of K ages ≈ H_K/ν);
compressed M = N·K·ν·T, C = N·S·f, L = i = E[distinct last-spike steps among K inputs]
(time-averaged), H = M·i (Table 1's K·T/I·i: every spike touches all i entries — an upper
bound for evplast, whose entries are rescaled lazily, only when a fold adds something).
"H/M (i)" is the measured number of compressed-entry manipulations per incoming spike.
L mean/max are the sampled archive lengths per neuron (mean over neurons and slices / max).
"""


def write_summary(outdir, name, pts, t1, files, runner, a, elapsed, extra=""):
    with_peers = any(p["nest_s"] or p["brian2_s"] for p in pts)
    s = f"# {name}\n\n"
    s += (f"- command: `{shlex.join(['python', 'tools/bench/sweep.py'] + sys.argv[1:])}`\n"
          f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}, {os.cpu_count()} CPUs "
          f"({cpu_model()}), evplast {runner.rev}, {runner.n_runs} processes, {elapsed:.0f} s wall\n"
          f"- median over repetitions; times are `sim_s` (simulate only) on one thread\n\n")
    s += extra
    s += "## Points\n\n" + summary_points_md(pts, with_peers) + "\n"
    if t1:
        s += "## Table 1 counters: measured vs predicted\n\n" + TABLE1_NOTE + "\n" + table1_md(t1) + "\n"
    if files:
        s += "## Plots\n\n" + "".join(f"![{os.path.basename(f)}]({os.path.basename(f)})\n" for f in files)
    with open(os.path.join(outdir, f"{name}_summary.md"), "w") as f:
        f.write(s)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def bytes_per_syn_md(agg, N, k_lo, k_hi, T):
    """(peak RSS at K=k_hi − at K=k_lo) / (N·(k_hi − k_lo)) per rule and scheme; also the same
    difference of the peak reached by the end of the build (before simulating)."""
    rows = []
    res = {}
    for rule in ("clopath", "urbanczik"):
        lo = agg.get(cfg(rule, N, k_lo, 10, T, 1), {})
        hi = agg.get(cfg(rule, N, k_hi, 10, T, 1), {})
        for fam, s in [("evplast", x) for x in ["static"] + SCHEMES] + [("nest", "event")]:
            el, eh = lo.get((fam, s), {}), hi.get((fam, s), {})
            a_, b_ = med(el.get("rss", [])), med(eh.get("rss", []))
            if a_ is None or b_ is None:
                continue
            bps = (b_ - a_) / (N * (k_hi - k_lo))
            ab, bb = med(el.get("rss_build", [])), med(eh.get("rss_build", []))
            bpsb = (bb - ab) / (N * (k_hi - k_lo)) if (ab is not None and bb is not None) else None
            res[(fam, rule, s)] = bps
            rows.append([rule, f"{fam} {s}", f"{a_ / 1e6:.1f}", f"{b_ / 1e6:.1f}", f"{bps:.1f}",
                         f3(bpsb, 1), "yes" if bps <= 48 else "**no**"])
    return md_table(["rule", "simulator / scheme", f"peak RSS K={k_lo} (MB)", f"peak RSS K={k_hi} (MB)",
                     "bytes / plastic synapse", "same, peak reached by end of build",
                     "≤ 48 B"], rows), res


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--sweeps", default="K,rate,delay,T,grid",
                    help="comma-separated subset of K,rate,delay,T,grid")
    ap.add_argument("--rules", default="clopath,urbanczik", help="rules to sweep")
    ap.add_argument("--K-values", default=None, help="override the K sweep's list, e.g. 5000")
    ap.add_argument("--mustshow", action="store_true", help="run the must-show set of issue 5 instead")
    ap.add_argument("--quick", action="store_true", help="small smoke version")
    ap.add_argument("--N", type=int, default=None, help="targets (default 100, quick 20)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 1, mustshow 2)")
    ap.add_argument("--with-nest", action="store_true")
    ap.add_argument("--with-brian2", action="store_true")
    ap.add_argument("--no-peers", action="store_true", help="--mustshow without NEST and Brian2")
    ap.add_argument("--nest-max-K-clopath", type=int, default=5000)
    ap.add_argument("--nest-max-K-urbanczik", type=int, default=5000)
    ap.add_argument("--brian2-max-K", type=int, default=5000)
    ap.add_argument("--time-max-KT", type=float, default=1000.0,
                    help="run the time-driven scheme only where K·T ≤ this (synapse·s per target)")
    ap.add_argument("--evplast", default=os.path.join(ROOT, "target", "release", "evplast"))
    ap.add_argument("--rev", default=None,
                    help="label of the evplast revision (default: git describe of this checkout at start; "
                         "set it when --evplast is a binary built earlier)")
    ap.add_argument("--nest-python", default="/work/nestvenv/bin/python")
    ap.add_argument("--brian2-python", default="/work/brianvenv/bin/python")
    ap.add_argument("--timeout", type=float, default=1800.0, help="per process (s)")
    ap.add_argument("--out", default=None,
                    help="output directory (default docs/perf; with --quick target/bench-quick)")
    ap.add_argument("--name", default=None, help="prefix of the output files")
    a = ap.parse_args()
    N = a.N or (20 if a.quick else 100)
    if a.out is None:
        a.out = os.path.join(ROOT, "target", "bench-quick") if a.quick else os.path.join(ROOT, "docs", "perf")
    os.makedirs(a.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="evplast_sweep_")
    runner = Runner(a, tmp)
    t0 = time.time()
    log(f"evplast {runner.rev}; output {a.out}; scratch {tmp}")
    try:
        if a.mustshow:
            run_mustshow(a, runner, t0)
        else:
            run_sweeps(a, runner, N, t0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"done in {time.time() - t0:.0f} s")


def nest_ok(a, c):
    return c[2] <= (a.nest_max_K_clopath if c[0] == "clopath" else a.nest_max_K_urbanczik)


def run_sweeps(a, runner, N, t0):
    reps = a.reps or 1
    prefix = a.name or ("quick" if a.quick else "sweep")
    all_rows = []
    for name in [s.strip() for s in a.sweeps.split(",") if s.strip()]:
        pts_cfg = sweep_points(name, a.quick, N, [r.strip() for r in a.rules.split(",")],
                               [int(k) for k in a.K_values.split(",")] if a.K_values else None)
        jobs = []
        for c in pts_cfg:
            schemes = [s for s in SCHEMES if s != "time" or time_ok(a, c)]
            if name in ("grid", "gridhi"):
                schemes.append("auto")
            jobs.append((c, schemes, a.with_nest and nest_ok(a, c), False,
                         a.with_brian2 and c[0] == "clopath" and c[2] <= a.brian2_max_K))
        rows = run_set(a, runner, name, jobs, reps)
        all_rows += rows
        fname = f"{prefix}_{name}"
        write_csv(os.path.join(a.out, fname + ".csv"), rows, ALL_COLUMNS)
        agg = aggregate(rows)
        pts = point_table(agg)
        write_csv(os.path.join(a.out, fname + "_points.csv"), pts, list(pts[0].keys()) if pts else [])
        files = plots(a.out, fname, pts, name) if name not in ("grid", "gridhi") else []
        extra = ""
        if name in ("grid", "gridhi"):
            extra = "## Which scheme wins where (rule × K × rate)\n\n" + winners_md(pts) + "\n"
        if name == "K":
            lo, hi = (50, 200) if a.quick else (500, 2000)
            t, _ = bytes_per_syn_md(agg, N, lo, hi, 0.2 if a.quick else 1.0)
            extra = (f"## Bytes per plastic synapse: (peak RSS K={hi} − K={lo}) / (N·{hi - lo})\n\n"
                     + t + "\n")
        write_summary(a.out, fname, pts, table1_rows(agg), files, runner, a, time.time() - t0, extra)
        log(f"wrote {fname}.csv, {fname}_points.csv, {fname}_summary.md" +
            "".join(f", {os.path.basename(f)}" for f in files))


def run_mustshow(a, runner, t0):
    reps = a.reps or 2
    peers = not a.no_peers
    name = a.name or ("quick_mustshow" if a.quick else "mustshow")
    jobs = []
    for (c, schemes, nest, nest_static, brian2, purpose) in mustshow_points(a.quick):
        # memory-only points: the (slow) time-driven scheme in the first repetition only
        later = [x for x in schemes if x != "time"] if purpose == "memory" else None
        jobs.append((c, schemes, peers and nest, peers and nest_static, peers and brian2, later))
    rows = run_set(a, runner, name, jobs, reps)
    write_csv(os.path.join(a.out, name + ".csv"), rows, ALL_COLUMNS)
    agg = aggregate(rows)
    pts = point_table(agg)
    write_csv(os.path.join(a.out, name + "_points.csv"), pts, list(pts[0].keys()) if pts else [])
    N = 20 if a.quick else 100
    extra = ""
    # per-repetition detail of the speed points
    det = []
    for r in rows:
        p = point_of(r)
        ms = mustshow_points(a.quick)
        if p in (ms[0][0], ms[1][0]):
            det.append([r["rep"], family(r), p[0], p[2], r["scheme"], f3(fnum(r["sim_s"])),
                        f3(fnum(r["build_s"])), f3(fnum(r.get("total_with_codegen_s"))),
                        f"{fnum(r['peak_rss_bytes']) / 1e6:.1f}", f3(fnum(r["post_rate_hz"]), 2),
                        r.get("loadavg_1m", "")])
    extra += "## Every run at the speed points\n\n" + md_table(
        ["rep", "simulator", "rule", "K", "scheme", "sim s", "build s", "Brian2 total with codegen s",
         "peak RSS MB", "post Hz", "load 1 min"], det) + "\n"
    k_lo, k_hi = (100, 400) if a.quick else (500, 2000)
    # urbanczik K=500 and clopath K=500 exist in the set
    t, _ = bytes_per_syn_md(agg, N, k_lo, k_hi, 0.2 if a.quick else 1.0)
    extra += (f"## Bytes per plastic synapse: (peak RSS K={k_hi} − K={k_lo}) / (N·{k_hi - k_lo})\n\n"
              + t + "\n")
    write_summary(a.out, name, pts, table1_rows(agg), [], runner, a, time.time() - t0, extra)
    log(f"wrote {name}.csv, {name}_points.csv, {name}_summary.md")


if __name__ == "__main__":
    main()
