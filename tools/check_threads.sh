#!/usr/bin/env bash
# The same bytes for any number of threads: every example and NEST case, in every scheme, run
# with 1, 2, 3 and 4 threads; every output file compared with the 1-thread run's (stats.json
# without times, memory and the thread count). Then both benchmark networks (Clopath and
# Urbanczik–Senn, shortened to T = 0.2 s) with 1 to 4 threads: their digests of spikes and
# final weights must agree.
#   tools/check_threads.sh [path/to/evplast]
#   CHECK_THREADS_MODELS="examples/spike_pairing.toml" tools/check_threads.sh   # fewer models
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-target/release/evplast}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=tools/compare_runs.sh
. tools/compare_runs.sh
fail=0
runs=0
for model in ${CHECK_THREADS_MODELS:-examples/*.toml tests/nest_cases/*.toml}; do
    for scheme in event compressed time auto; do
        name="$(basename "$model" .toml)-$scheme"
        for t in 1 2 3 4; do
            out="$TMP/$name-t$t"
            "$BIN" run "$model" --out "$out" --scheme "$scheme" --threads "$t" --dump-network --quiet >/dev/null 2>&1
            runs=$((runs + 1))
            [ "$t" = 1 ] && continue
            compare_runs "$TMP/$name-t1" "$out" "$name with $t threads" || fail=1
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
