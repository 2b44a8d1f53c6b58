"""Shared helpers of the benchmark scripts in tools/bench (CSV layout, RSS)."""
import csv
import os

# The columns of `evplast bench --csv` (crates/cli/src/bench.rs, COLUMNS), in its order,
# followed by the peers' extra columns.  Peer scripts leave the Table 1 counters empty.
EVPLAST_COLUMNS = [
    "simulator", "rule", "signal", "scheme", "N", "K", "M_inputs", "rate_hz", "T_s", "delay_ms",
    "n_plastic_syn", "w_init", "w_mean_final", "post_rate_hz", "build_s", "sim_s", "rtf",
    "ns_per_syn_event", "rss_start_bytes", "rss_after_build_bytes", "peak_rss_bytes",
    "synapse_calls", "weight_change_computations", "history_manipulations",
    "history_entries_max", "history_entries_mean", "seed",
]
PEER_EXTRA = ["threads", "resolution_ms", "w_std_final", "import_s", "target", "prep_s",
              "compile_s", "binary_wall_s", "total_with_codegen_s", "tag", "chosen", "predicted_s",
              "cmd"]
PEER_COLUMNS = EVPLAST_COLUMNS + PEER_EXTRA


def rss_now_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def fmt(v):
    if isinstance(v, float):
        return f"{v:.6g}"
    return "" if v is None else v


def append_row(path, row, columns=PEER_COLUMNS):
    """Appends one row; writes the header if the file is new or empty."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    new = not os.path.exists(path) or os.path.getsize(path) == 0
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        if new:
            w.writeheader()
        w.writerow({k: fmt(row.get(k)) for k in columns})


def print_row(row):
    for k, v in row.items():
        print(f"{k:>22s} = {v:.6g}" if isinstance(v, float) else f"{k:>22s} = {v}")
