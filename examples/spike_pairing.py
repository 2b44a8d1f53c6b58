#!/usr/bin/env python3
"""Print the spike-pairing result of examples/spike_pairing.toml as in Clopath et al. (2010)
Fig. 2b: the final weight of each copy, normalised as 100*15*(w - 0.5)/0.5 + 100.

    evplast run examples/spike_pairing.toml --out out/pairing
    python3 examples/spike_pairing.py out/pairing
"""
import csv
import sys

run_dir = sys.argv[1] if len(sys.argv) > 1 else "out/pairing"
with open(f"{run_dir}/connections.csv") as f:
    rows = sorted(csv.DictReader(f), key=lambda r: int(r["source"]))
norm = [100 * 15 * (float(r["weight"]) - 0.5) / 0.5 + 100 for r in rows]
print("rate (Hz)   post-pre   pre-post")
for i, rate in enumerate([10, 20, 30, 40, 50]):
    print(f"{rate:9d}   {norm[i]:8.2f}   {norm[i + 5]:8.2f}")
