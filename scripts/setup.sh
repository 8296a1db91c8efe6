#!/usr/bin/env bash
# Create .venv and install secure_exec with its test tools. Needs only python3 (>= 3.11) and PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'
if [ -d contrib ]; then
  for d in contrib/*/; do
    [ -f "$d/pyproject.toml" ] && .venv/bin/python -m pip install -q -e "$d"
  done
fi
exit 0
