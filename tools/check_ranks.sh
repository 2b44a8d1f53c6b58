#!/usr/bin/env bash
# The same bytes for any number of MPI ranks: every example and NEST case, in every scheme, run
# by `mpirun -np R` (R = 1, 2, 3; oversubscribed is fine) with 1 and 2 threads per rank, every
# output file compared with the one-process, one-thread run's (stats.json without times,
# memory, threads and ranks), and both benchmark networks' digests and counters. Needs a binary
# built with `--features mpi`.
#   tools/check_ranks.sh [path/to/evplast]
#   CHECK_RANKS_MODELS="examples/spike_pairing.toml" tools/check_ranks.sh   # fewer models
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-target/release/evplast}"
MPIRUN=(mpirun --allow-run-as-root --oversubscribe)
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=tools/compare_runs.sh
. tools/compare_runs.sh
fail=0
runs=0
for model in ${CHECK_RANKS_MODELS:-examples/*.toml tests/nest_cases/*.toml}; do
    for scheme in event compressed time auto; do
        name="$(basename "$model" .toml)-$scheme"
        ref="$TMP/$name-ref"
        "$BIN" run "$model" --out "$ref" --scheme "$scheme" --threads 1 --quiet >/dev/null 2>&1
        for r in 1 2 3; do
            for t in 1 2; do
                out="$TMP/$name-r$r-t$t"
                "${MPIRUN[@]}" -np "$r" "$BIN" run "$model" --out "$out" --scheme "$scheme" --threads "$t" --quiet >/dev/null 2>&1
                runs=$((runs + 1))
                compare_runs "$ref" "$out" "$name with $r ranks x $t threads" || fail=1
                if [ "$(stat -c %s "$out/stats.json")" = 0 ] || ! grep -q "\"ranks\": $r" "$out/stats.json"; then
                    echo "DIFFER: $name did not run as $r ranks"; fail=1
                fi
            done
        done
    done
done
# Both benchmark networks: `evplast bench` under mpirun gives the one-process digests (spikes
# and final weights) and Table 1 counters in every scheme, for 1 to 3 ranks x 1 and 2 threads.
for rule in "clopath --K=500" "urbanczik --K=250"; do
    # shellcheck disable=SC2086  # the rule and its K are two arguments
    "$BIN" bench --rule $rule --N=200 --T=0.2 --threads 1 --json "$TMP/bench-ref.json" >/dev/null
    for r in 1 2 3; do
        # shellcheck disable=SC2086
        "${MPIRUN[@]}" -np "$r" "$BIN" bench --rule $rule --N=200 --T=0.2 --threads 1,2 --json "$TMP/bench-r$r.json" >/dev/null 2>&1
        runs=$((runs + 6))
        python3 - "$TMP/bench-ref.json" "$TMP/bench-r$r.json" "$rule" "$r" <<'PY' || fail=1
import json, sys
ref = {x["scheme"]: x for x in json.load(open(sys.argv[1]))}
runs = json.load(open(sys.argv[2]))
keys = ["digest", "synapse_calls", "weight_change_computations", "history_manipulations", "history_entries_max"]
bad = [(x["scheme"], x["threads"], k) for x in runs for k in keys if x[k] != ref[x["scheme"]][k]]
bad += [("ranks", x["ranks"]) for x in runs if x["ranks"] != int(sys.argv[4])]
if len(runs) != 2 * len(ref) or bad:
    print(f"DIFFER: bench {sys.argv[3]} with {sys.argv[4]} ranks: {bad or 'runs missing'}")
    sys.exit(1)
print(f"bench {sys.argv[3]} with {sys.argv[4]} ranks x 1, 2 threads: " + ", ".join(f"{s} {x['digest']}" for s, x in ref.items()))
PY
    done
done

# A rank that fails stops every rank with its error, and none hangs: node 2 lives on rank 1
# of 2 and blows up at 50 ms; node 1 (rank 0) is fine. Then input every rank refuses.
cat > "$TMP/unstable.toml" <<'TOML'
[[create]]
label = "n"
model = "aeif_psc_delta_clopath"
n = 2

[[create]]
label = "dc"
model = "dc_generator"
n = 2

[[create.params]]
amplitude = 0.0

[[create.params]]
amplitude = -1e9
start = 50.0

[[connect]]
pre = "dc"
post = "n"
conn_spec = { rule = "one_to_one" }
syn_spec = { delay = 1.0 }

[simulate]
t = 100.0
TOML
printf '[[create]]\nlabel = "x"\nmodel = "no_such_model"\n\n[simulate]\nt = 1.0\n' > "$TMP/bad.toml"
for case in unstable:"node 2" bad:"no_such_model"; do
    model="${case%%:*}"; want="${case#*:}"
    set +e
    timeout 120 "${MPIRUN[@]}" -np 2 "$BIN" run "$TMP/$model.toml" --out "$TMP/$model-out" --quiet >"$TMP/$model.log" 2>&1
    code=$?
    set -e
    if [ "$code" = 124 ]; then
        echo "FAILED: $model.toml hangs under 2 ranks"; fail=1
    elif [ "$code" = 0 ] || ! grep -q "$want" "$TMP/$model.log"; then
        echo "FAILED: $model.toml under 2 ranks: exit $code, want an error naming $want:"; cat "$TMP/$model.log"; fail=1
    elif [ -e "$TMP/$model-out/stats.json" ]; then
        echo "FAILED: $model.toml under 2 ranks left stats.json"; fail=1
    else
        echo "refused as one process would: $model.toml ($want; exit $code)"
    fi
done

if [ "$fail" != 0 ]; then
    echo "check_ranks: FAILED ($runs runs)"
    exit 1
fi
echo "check_ranks: the same bytes for 1 to 3 ranks x 1 and 2 threads ($runs runs)"
