#!/usr/bin/env bash
# The same bytes for any number of threads: every example and NEST case, in every scheme, run
# with 1, 2, 3 and 4 threads; every output file compared with the 1-thread run's (stats.json
# without times, memory and the thread count). Then both benchmark networks (Clopath and
# Urbanczik–Senn, shortened to T = 0.2 s) with 1 to 4 threads: their digests of spikes and
# final weights must agree.
#   tools/check_threads.sh [path/to/evplast]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-target/release/evplast}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
strip_stats() {
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for k in list(d):
    if k.endswith("_s") or k in ("real_time_factor", "peak_rss_bytes", "threads", "memory"):
        del d[k]
print(json.dumps(d, sort_keys=True))' "$1"
}
fail=0
runs=0
for model in examples/*.toml tests/nest_cases/*.toml; do
    for scheme in event compressed time; do
        name="$(basename "$model" .toml)-$scheme"
        for t in 1 2 3 4; do
            out="$TMP/$name-t$t"
            "$BIN" run "$model" --out "$out" --scheme "$scheme" --threads "$t" --dump-network --quiet >/dev/null 2>&1
            runs=$((runs + 1))
            [ "$t" = 1 ] && continue
            for f in "$TMP/$name-t1"/*; do
                b="$(basename "$f")"
                if [ "$b" = stats.json ]; then
                    if [ "$(strip_stats "$f")" != "$(strip_stats "$out/$b")" ]; then
                        echo "DIFFER: $name stats.json with $t threads"; fail=1
                    fi
                elif ! cmp -s "$f" "$out/$b"; then
                    echo "DIFFER: $name $b with $t threads"; fail=1
                fi
            done
        done
    done
done
echo "check_threads: $runs runs of $(ls examples/*.toml tests/nest_cases/*.toml | wc -l) models"
for rule in "clopath --K=500" "urbanczik --K=250"; do
    # shellcheck disable=SC2086  # the rule and its K are two arguments
    "$BIN" bench --rule $rule --N=200 --T=0.2 --threads 1,2,3,4 --json "$TMP/bench.json" >/dev/null
    python3 - "$TMP/bench.json" "$rule" <<'PY' || fail=1
import json, sys
runs = json.load(open(sys.argv[1]))
by = {}
for r in runs:
    by.setdefault(r["scheme"], set()).add(r["digest"])
bad = {s: d for s, d in by.items() if len(d) != 1}
print(f"bench {sys.argv[2]}: " + ", ".join(f"{s} {sorted(d)}" for s, d in by.items()))
if bad:
    print(f"DIFFER: bench {sys.argv[2]} digests depend on the thread count: {bad}")
    sys.exit(1)
PY
done
if [ "$fail" != 0 ]; then
    echo "check_threads: FAILED"
    exit 1
fi
echo "check_threads: the same bytes for 1 to 4 threads"
