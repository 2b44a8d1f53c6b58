#!/usr/bin/env python3
"""SONATA spike files against the CSV files of the same run, for every example and NEST case.

    python3 tools/check_sonata.py EVPLAST_BINARY    (built with --features hdf5; needs h5py)

Runs each model file twice (`--format csv`, `--format sonata`) and checks, for every spike
recorder, that `<stem>.h5` holds exactly the CSV's spikes: per population (the `[[create]]`
block a sender belongs to, named by its label) `/spikes/<label>/node_ids` (uint64, from 0 within
the block) and `/spikes/<label>/timestamps` (float64 ms, the nearest double to the CSV's exact
decimal), sorted by time then node, with the group attribute `sorting = "by_time"` and the
dataset attribute `units = "ms"`. The other recorders write the same CSV files in both runs.
Exit status 1 on the first difference.
"""
import csv
import glob
import os
import subprocess
import sys
import tempfile
import tomllib

import h5py
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def blocks(model):
    """(label, first id, n) of every [[create]] block, ids from 1 as evplast numbers them."""
    with open(model, "rb") as f:
        doc = tomllib.load(f)
    out, first = [], 1
    for c in doc.get("create", []):
        n = int(c.get("n", 1))
        out.append((c.get("label") or c["model"], first, n))
        first += n
    return out


def main():
    exe = sys.argv[1]
    models = sorted(glob.glob(os.path.join(ROOT, "examples", "*.toml"))
                    + glob.glob(os.path.join(ROOT, "tests", "nest_cases", "*.toml")))
    tmp = tempfile.mkdtemp(prefix="evplast_sonata_")
    files = 0
    for model in models:
        name = os.path.basename(model)[:-5]
        runs = {}
        for fmt in ("csv", "sonata"):
            out = os.path.join(tmp, f"{name}_{fmt}")
            subprocess.run([exe, "run", model, "--out", out, "--format", fmt, "--quiet",
                            "--threads", "1"], check=True, stdout=subprocess.DEVNULL)
            runs[fmt] = out
        pops = blocks(model)
        # Every spike recorder's CSV file (header senders,times) has its SONATA file.
        spike_csvs = []
        for c in sorted(glob.glob(os.path.join(runs["csv"], "*.csv"))):
            with open(c) as f:
                if f.readline().strip() == "senders,times":
                    spike_csvs.append(c)
        h5s = sorted(glob.glob(os.path.join(runs["sonata"], "*.h5")))
        assert [os.path.basename(h)[:-3] for h in h5s] == \
            [os.path.basename(c)[:-4] for c in spike_csvs], f"{name}: {h5s} for {spike_csvs}"
        for h5 in h5s:
            stem = os.path.basename(h5)[:-3]
            with open(os.path.join(runs["csv"], stem + ".csv")) as f:
                rows = list(csv.DictReader(f))
            senders = np.array([int(r["senders"]) for r in rows], dtype=np.int64)
            times = np.array([float(r["times"]) for r in rows], dtype=np.float64)
            with h5py.File(h5, "r") as f:
                groups = list(f["spikes"]) if "spikes" in f else []
                seen = 0
                for label, first, n in pops:
                    sel = (senders >= first) & (senders < first + n)
                    if not sel.any():
                        assert label not in groups, f"{name} {stem}: empty population {label}"
                        continue
                    g = f["spikes"][label]
                    assert g.attrs["sorting"] == "by_time", f"{name} {stem} {label}: sorting"
                    ts, ids = g["timestamps"], g["node_ids"]
                    assert ts.attrs["units"] == "ms", f"{name} {stem} {label}: units"
                    assert ts.dtype == np.float64 and ids.dtype == np.uint64
                    want_t, want_id = times[sel], (senders[sel] - first).astype(np.uint64)
                    assert np.array_equal(ts[()], want_t), f"{name} {stem} {label}: timestamps"
                    assert np.array_equal(ids[()], want_id), f"{name} {stem} {label}: node_ids"
                    seen += int(sel.sum())
                assert seen == len(rows), f"{name} {stem}: {seen} of {len(rows)} spikes"
            files += 1
        for c in glob.glob(os.path.join(runs["sonata"], "*.csv")):
            other = os.path.join(runs["csv"], os.path.basename(c))
            with open(c, "rb") as a, open(other, "rb") as b:
                assert a.read() == b.read(), f"{name}: {os.path.basename(c)}"
        # No spike recorder writes CSV in a SONATA run.
        for c in spike_csvs:
            assert not os.path.exists(os.path.join(runs["sonata"], os.path.basename(c))), c
    assert files >= 8, f"only {files} SONATA files"
    print(f"check_sonata: {files} SONATA spike files equal their CSV files ({len(models)} models)")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        sys.exit(f"check_sonata: {e}")
