#!/usr/bin/env python3
"""Fits the per-operation costs of `scheme = "auto"`'s cost model (crates/models/src/builder/cost.rs)
to a winner grid measured by sweep.py (docs/perf/grid12_grid.csv).

For every rule and scheme, the extra simulate time of the plastic network over the static one,
per target and simulated second, is fitted as  a*M + b*C + c*H, where M, C, H are the counts
the cost model *predicts* from build-time quantities (in-degree K, input rate, resolution,
min_delay) -- Table 1 of Stapmanns et al. (2021) with this code's definitions, docs/SCHEMES.md.
Coefficients are fitted with non-negative least squares (a negative one is dropped and the
rest refitted). Prints the constants, the per-point predictions, and which scheme the model
picks against which was fastest.

usage: python tools/bench/fit_cost.py [GRID.csv ...]   (default docs/perf/grid12_grid.csv;
several grids are pooled: the median of all their repetitions per point)
needs numpy.
"""
import collections
import csv
import math
import sys

import numpy as np

GAMMA = 0.5772156649015329
# Clopath's LTP archive: entries per step (an assumption: the factor is non-zero in 17-92% of
# steps in the benchmark networks, median about 35%; docs/SCHEMES.md).
CLOPATH_DENSITY = 0.35
# auto takes another scheme than event only if predicted below this fraction of it, by rule
# (crates/models/src/builder/cost.rs, MARGIN).
MARGIN = {"clopath": 1.0, "urbanczik": 0.92}


def ein(a):
    """Ein(a) = integral_0^a (1 - e^-t)/t dt."""
    if a < 20.0:
        s, term, n = 0.0, 1.0, 1
        while True:
            term *= a / n
            d = term / n * (1 if n % 2 else -1)
            s += d
            if abs(d) < 1e-17 * max(abs(s), 1e-300) or n > 200:
                return s
            n += 1
    return math.log(a) + GAMMA


def features(rule, scheme, K, rate, h_ms):
    """The cost model's terms per target and simulated second: synapse calls at spikes,
    weight-change computations, history manipulations, and (time-driven only) synapse updates
    per step."""
    M, C, H = counts(rule, scheme, K, rate, h_ms, 0)
    steps = 1000.0 / h_ms
    if scheme == "time":
        return K * rate, C, H, K * steps
    return M, C, H, 0.0


def counts(rule, scheme, K, rate, h_ms, min_delay_steps):
    """Predicted (M, C, H) per target and simulated second."""
    steps = 1000.0 / h_ms
    rho = steps * (1.0 if rule == "urbanczik" else CLOPATH_DENSITY)
    p = rate * h_ms / 1000.0  # spikes per step of one source
    M = K * rate
    if scheme == "event":
        return M, K * rho, rho
    if scheme == "time":
        return M + K * steps, K * rho, rho
    # compressed: distinct window starts per second, times the entries each one folds
    distinct = steps * -math.expm1(-K * p)
    live = ein(K * -math.expm1(-p)) / p if p > 0 else 0.0
    return M, rho, distinct * live


def nnls(X, y):
    keep = list(range(X.shape[1]))
    while True:
        c, *_ = np.linalg.lstsq(X[:, keep], y, rcond=None)
        if (c >= 0).all():
            out = np.zeros(X.shape[1])
            out[keep] = c
            return out
        keep = [k for k, v in zip(keep, c) if v >= 0]


def main():
    paths = sys.argv[1:] or ["docs/perf/grid12_grid.csv"]
    runs = collections.defaultdict(list)
    for r in (r for p in paths for r in csv.DictReader(open(p))):
        if r["scheme"] == "auto":
            continue
        key = (r["rule"].replace("_static", ""), r["scheme"], int(r["K"]), float(r["rate_hz"]),
               float(r["delay_ms"]))
        runs[key].append(r)
    med = {k: sorted(float(x["sim_s"]) for x in v)[len(v) // 2] for k, v in runs.items()}
    first = {k: v[0] for k, v in runs.items()}
    coef = {}
    for rule in ("clopath", "urbanczik"):
        for scheme in ("event", "compressed", "time"):
            X, y = [], []
            for k in sorted(med):
                if k[0] != rule or k[1] != scheme:
                    continue
                r = first[k]
                n, t = int(r["N"]), float(r["T_s"])
                h = float(r["resolution_ms"] or 0.1)
                X.append(features(rule, scheme, k[2], k[3], h))
                y.append((med[k] - med[(rule, "static") + k[2:]]) / n / t)
            c = nnls(np.array(X), np.array(y))
            coef[(rule, scheme)] = c
            print(f"{rule:9} {scheme:10} ns per M, C, H, S: " + ", ".join(f"{v * 1e9:.3f}" for v in c))
    print()
    wrong = 0
    for k in sorted(med):
        rule, scheme = k[0], k[1]
        if scheme != "event":
            continue
        pts = {s: med.get((rule, s) + k[2:]) for s in ("event", "compressed", "time")}
        pts = {s: v for s, v in pts.items() if v is not None}
        r = first[k]
        h = float(r["resolution_ms"] or 0.1)
        pred = {s: float(np.dot(coef[(rule, s)], features(rule, s, k[2], k[3], h))) for s in pts}
        ev = pred.pop("event")
        pick = min(pred, key=pred.get)
        if pred[pick] >= MARGIN[rule] * ev:
            pick = "event"
        best = min(pts, key=pts.get)
        ratio = pts[pick] / pts[best]
        wrong += ratio > 1.1 or pts[pick] > pts["event"]
        print(f"{rule:9} K={k[2]:5} rate={k[3]:4} d={k[4]:4}: picks {pick:10} fastest {best:10} "
              f"pick/fastest {ratio:.3f} pick/event {pts[pick] / pts['event']:.3f}")
    print(f"\npoints where the pick is >10% behind the fastest or slower than event: {wrong}")


if __name__ == "__main__":
    main()
