#!/usr/bin/env bash
# Every test: the Rust workspace (release) and the Python package's pytest suite against the
# package built from this checkout (`pip install .`). Uses the venv .venv (made if missing), or
# the interpreter in EVPLAST_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${EVPLAST_PYTHON:-.venv/bin/python}"
if [ ! -x "$PY" ]; then
    python3 -m venv .venv
    PY=.venv/bin/python
fi
"$PY" -m pip install --quiet maturin==1.16 pytest numpy
cargo test --workspace --release
"$PY" -m pip install --quiet .
"$PY" -m pytest -q python/tests
