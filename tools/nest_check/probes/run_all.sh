#!/usr/bin/env bash
# Run every probe with NEST 3.10 and keep its output next to it (<probe>.out).
#   NEST_PYTHON=/path/to/python tools/nest_check/probes/run_all.sh
set -euo pipefail
cd "$(dirname "$0")"
py="${NEST_PYTHON:-../../../.venv/bin/python}"
for p in p*.py; do
    echo "== $p"
    PYNEST_QUIET=1 "$py" "$p" 2>&1 | grep -v -e '^$' -e 'UserWarning' -e 'Provided for backward' > "${p%.py}.out"
done
