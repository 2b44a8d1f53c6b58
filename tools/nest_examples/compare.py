"""Compares the summaries (summarize.py) of one NEST example run by evplast and by NEST.

The spike-pairing weights must agree to rtol 1e-6 (the same deterministic input). The other
two examples are driven by random numbers that the two simulators draw differently, so only
their statistics over seeds are compared, with the tolerances below.
usage: compare.py EVPLAST.out NEST.out
"""

import json
import math
import sys


def summaries(path):
    out = [json.loads(line[8:]) for line in open(path) if line.startswith("SUMMARY ")]
    if not out:
        sys.exit(f"compare.py: no SUMMARY line in {path}")
    return out


def over_seeds(runs, get):
    """Mean and standard error of the mean of get(run) over runs (one per seed)."""
    x = [get(r) for r in runs]
    m = sum(x) / len(x)
    sd = math.sqrt(sum((v - m) ** 2 for v in x) / (len(x) - 1)) if len(x) > 1 else float("inf")
    return m, sd / math.sqrt(len(x))


# Means over seeds agree when they differ by at most this many standard errors of their
# difference. With 6 to 8 seeds a side, Welch's t has 5 to 14 degrees of freedom, and
# |t| > 5 happens by chance in 0.4% (5) down to 0.02% (14) of comparisons of the same process
# (3 standard errors, the normal rule of thumb, would be 3% to 1%: a CI run compares 7 means).
SE_LIMIT = 5


def agree_over_seeds(what, evs, nes, get):
    (a, sa), (b, sb) = over_seeds(evs, get), over_seeds(nes, get)
    se = math.hypot(sa, sb)
    return (f"{what}, mean over seeds (+- {se:.3g})", a, b, abs(a - b) <= SE_LIMIT * se)


def main():
    evs, nes = summaries(sys.argv[1]), summaries(sys.argv[2])
    ev, ne = evs[0], nes[0]
    name = ev["script"]
    checks = []  # (what, evplast, nest, ok)
    if name.startswith("clopath_synapse_spike_pairing"):
        worst = max(abs(a - b) / abs(b) for a, b in zip(ev["syn_weights"], ne["syn_weights"]))
        checks.append(("pairing weights: max relative difference", worst, 0.0, worst <= 1e-6))
    elif name.startswith("clopath_synapse_small_network") and min(len(evs), len(nes)) > 2:
        # Runs over seeds (run.sh; Python's generator, which places the input, seeded too).
        # One run says little: NEST strengthened 68 to 90 of the 90 recurrent synapses over
        # seeds 1-12 (59 in one unseeded CI run, where evplast's 90 failed a single-run check),
        # its mean weight change 0.0025 to 0.0067. Every run of both must show net
        # potentiation (the example's point), and the means over seeds must agree.
        falls = all(r["weight_change"]["mean"] > 0 for r in evs + nes)
        checks.append((f"net potentiation in every run of {len(evs)} + {len(nes)} seeds", 1.0, 1.0, falls))
        for what, get in (
            ("recurrent weight change mean", lambda r: r["weight_change"]["mean"]),
            ("strengthened of 90", lambda r: r["n_strengthened"]),
            ("input weights mean", lambda r: r["input_weights"]["mean"]),
        ):
            checks.append(agree_over_seeds(what, evs, nes, get))
    elif name.startswith("urbanczik_synapse_example") and min(len(evs), len(nes)) > 2:
        # Runs over seeds (as docs/URBANCZIK.md compares): learning must show in every run of
        # both, and the means over seeds must agree.
        for key in ("rate_loss_first_last", "vm_loss_first_last"):
            falls = all(r[key][1] < r[key][0] for r in evs + nes)
            checks.append((f"{key}: learning (last 5 < first 5) in every run of {len(evs)} + {len(nes)} seeds", 1.0, 1.0, falls))
        for what, get in (
            ("vm loss last/first", lambda r: r["vm_loss_first_last"][1] / r["vm_loss_first_last"][0]),
            ("rate loss last/first", lambda r: r["rate_loss_first_last"][1] / r["rate_loss_first_last"][0]),
            ("final weights mean", lambda r: r["final_weights"]["mean"]),
            ("somatic spikes", lambda r: r["n_soma_spikes"]),
        ):
            checks.append(agree_over_seeds(what, evs, nes, get))
    elif name.startswith("urbanczik_synapse_example"):
        for key in ("rate_loss_first_last", "vm_loss_first_last"):
            (e0, e1), (n0, n1) = ev[key], ne[key]
            checks.append((f"{key}: evplast first 5 -> last 5 repetitions falls", e0, e1, e1 < e0))
            checks.append((f"{key}: NEST first 5 -> last 5 repetitions falls", n0, n1, n1 < n0))
            checks.append((f"{key}: last/first, evplast vs NEST", e1 / e0, n1 / n0, abs(e1 / e0 - n1 / n0) <= 0.25))
        a, b = ev["final_weights"], ne["final_weights"]
        checks.append(("final weights mean", a["mean"], b["mean"], abs(a["mean"] - b["mean"]) <= 0.15 * abs(b["mean"])))
        r = ev["n_soma_spikes"] / ne["n_soma_spikes"]
        checks.append(("somatic spikes", ev["n_soma_spikes"], ne["n_soma_spikes"], 0.8 <= r <= 1.25))
    if not checks:
        sys.exit(f"compare.py: nothing to compare for {name} with {len(evs)} + {len(nes)} runs (at least 3 seeds a side)")
    ok = True
    for what, a, b, good in checks:
        ok &= bool(good)
        first, second = ("", "-> ") if "falls" in what else ("evplast ", "NEST ")
        print(f"  {'ok  ' if good else 'FAIL'} {what}: {first}{a:.6g}  {second}{b:.6g}")
    sys.exit(0 if ok else 1)


main()
