#!/usr/bin/env bash
# Cross-check evplast against NEST 3.10 on model files.
#
#   tools/nest_check/check.sh MODEL.toml [MODEL.toml ...]
#
# For each model file: run evplast with --dump-network, rebuild the dumped network in NEST
# (nest_run.py) and compare the two run directories (compare.py). Prints PASS/FAIL per file and
# exits non-zero if any file failed. A model file containing the line
# "# nest_check: statistical" (a stochastic neuron: spikes cannot be identical) is skipped and
# not counted as a failure; its statistical comparison is elsewhere (docs/URBANCZIK.md).
#
# Environment:
#   EVPLAST      evplast binary              (default target/release/evplast)
#   NEST_PYTHON  Python with nest-simulator  (default .venv/bin/python)
#   CHECK_TMP    work directory              (default tmp/nest_check; outputs kept per model)
#   COMPARE_ARGS extra arguments for compare.py, e.g. "--mm-atol 1e-6"
#   EVPLAST_ARGS extra arguments for evplast run, e.g. "--scheme compressed"
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
EVPLAST="${EVPLAST:-target/release/evplast}"
NEST_PYTHON="${NEST_PYTHON:-.venv/bin/python}"
CHECK_TMP="${CHECK_TMP:-tmp/nest_check}"

if [ "$#" -eq 0 ]; then
    echo "usage: $0 MODEL.toml [MODEL.toml ...]" >&2
    exit 2
fi
[ -x "$EVPLAST" ] || { echo "check.sh: evplast binary not found at $EVPLAST (set EVPLAST)" >&2; exit 2; }
[ -x "$NEST_PYTHON" ] || { echo "check.sh: Python not found at $NEST_PYTHON (set NEST_PYTHON)" >&2; exit 2; }

mkdir -p "$CHECK_TMP"
# keep a scratch directory inside the checkout (tmp/...) out of git
case "$CHECK_TMP" in
    /*) ;;
    */*) top="${CHECK_TMP%%/*}"; [ -e "$top/.gitignore" ] || echo '*' > "$top/.gitignore" ;;
esac

failed=()
skipped=0
for model in "$@"; do
    if grep -qE '^#[[:space:]]*nest_check:[[:space:]]*statistical[[:space:]]*$' "$model" 2>/dev/null; then
        echo "SKIP (statistical: see docs/URBANCZIK.md)  $model"
        skipped=$((skipped + 1))
        continue
    fi
    name="$(basename "$model" .toml)"
    dir="$CHECK_TMP/$name"
    rm -rf "$dir"
    mkdir -p "$dir"
    log="$dir/log.txt"
    status=PASS
    # --nest-ltd-ring: reproduce NEST 3.10's short Clopath LTD buffer (see NEST_SEMANTICS.md).
    # shellcheck disable=SC2086  # EVPLAST_ARGS is a list of flags, e.g. "--scheme time"
    if ! "$EVPLAST" run "$model" --out "$dir/evp" --dump-network --nest-ltd-ring ${EVPLAST_ARGS:-} >"$log" 2>&1; then
        status="FAIL (evplast run failed)"
    elif [ ! -f "$dir/evp/network.json" ]; then
        status="FAIL (evplast wrote no network.json)"
    elif ! "$NEST_PYTHON" "$here/nest_run.py" "$dir/evp/network.json" --out "$dir/nest" >>"$log" 2>&1; then
        status="FAIL (nest_run.py failed)"
    elif ! "$NEST_PYTHON" "$here/compare.py" "$dir/evp" "$dir/nest" ${COMPARE_ARGS:-} >>"$log" 2>&1; then
        status="FAIL"
    fi
    echo "$status  $model"
    if [ "$status" != PASS ]; then
        sed 's/^/    /' "$log" | tail -n 40
        failed+=("$model")
    fi
done

note=""
[ "$skipped" -gt 0 ] && note=", $skipped skipped (statistical)"
echo "nest_check: $(( $# - skipped - ${#failed[@]} ))/$(( $# - skipped )) passed$note"
[ "${#failed[@]}" -eq 0 ]
