"""Compares the summaries (summarize.py) of one NEST example run by evplast and by NEST.

The spike-pairing weights must agree to rtol 1e-6 (the same deterministic input). The other
two examples are driven by random numbers that the two simulators draw differently (the small
network is even unseeded), so only their statistics are compared, with the tolerances below.
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


def main():
    evs, nes = summaries(sys.argv[1]), summaries(sys.argv[2])
    ev, ne = evs[0], nes[0]
    name = ev["script"]
    checks = []  # (what, evplast, nest, ok)
    if name.startswith("clopath_synapse_spike_pairing"):
        worst = max(abs(a - b) / abs(b) for a, b in zip(ev["syn_weights"], ne["syn_weights"]))
        checks.append(("pairing weights: max relative difference", worst, 0.0, worst <= 1e-6))
    elif name.startswith("clopath_synapse_small_network"):
        # One unseeded run each. The per-run mean weight change varies from run to run with
        # the random sequence of input positions: over 8 runs each (this machine) NEST gave
        # 0.00329 +- 0.00097 (sd), evplast 0.00383 +- 0.00094. Two single runs therefore
        # agree within 4 x sqrt(2) x 0.001; both must show net potentiation, the example's
        # point (bidirectional strengthening).
        a, b = ev["weight_change"], ne["weight_change"]
        checks.append(("recurrent weight change mean", a["mean"], b["mean"],
                       abs(a["mean"] - b["mean"]) <= 4 * math.sqrt(2) * 0.001 and a["mean"] > 0 and b["mean"] > 0))
        checks.append(("recurrent weight change std", a["std"], b["std"], 0.5 <= a["std"] / b["std"] <= 2.0))
        # Strengthened synapses of 90: NEST 60..88, evplast 78..90 over those runs.
        checks.append(("strengthened of 90", ev["n_strengthened"], ne["n_strengthened"],
                       abs(ev["n_strengthened"] - ne["n_strengthened"]) <= 30))
        a, b = ev["input_weights"], ne["input_weights"]
        se = math.hypot(a["std"], b["std"]) / math.sqrt(a["n"])
        checks.append(("input weights mean", a["mean"], b["mean"], abs(a["mean"] - b["mean"]) <= 4 * se))
    elif name.startswith("urbanczik_synapse_example") and min(len(evs), len(nes)) > 2:
        # Runs over seeds (as docs/URBANCZIK.md compares): learning must show in every run of
        # both, and the means over seeds must agree within 3 standard errors of their
        # difference (a false alarm about 1 time in 370 per check if both simulate the same
        # process).
        for key in ("rate_loss_first_last", "vm_loss_first_last"):
            falls = all(r[key][1] < r[key][0] for r in evs + nes)
            checks.append((f"{key}: learning (last 5 < first 5) in every run of {len(evs)} + {len(nes)} seeds", 1.0, 1.0, falls))
        for what, get in (
            ("vm loss last/first", lambda r: r["vm_loss_first_last"][1] / r["vm_loss_first_last"][0]),
            ("rate loss last/first", lambda r: r["rate_loss_first_last"][1] / r["rate_loss_first_last"][0]),
            ("final weights mean", lambda r: r["final_weights"]["mean"]),
            ("somatic spikes", lambda r: r["n_soma_spikes"]),
        ):
            (a, sa), (b, sb) = over_seeds(evs, get), over_seeds(nes, get)
            checks.append((f"{what}, mean over seeds (+- {math.hypot(sa, sb):.3g})", a, b,
                           abs(a - b) <= 3 * math.hypot(sa, sb)))
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
    ok = True
    for what, a, b, good in checks:
        ok &= bool(good)
        first, second = ("", "-> ") if "falls" in what else ("evplast ", "NEST ")
        print(f"  {'ok  ' if good else 'FAIL'} {what}: {first}{a:.6g}  {second}{b:.6g}")
    sys.exit(0 if ok else 1)


main()
