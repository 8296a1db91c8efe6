#!/usr/bin/env bash
# Set up, then run every check CI runs: ruff, mypy --strict, the engine reproducibility check, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff";  .venv/bin/ruff check secure_exec tests benchmarks contrib scripts
echo "== mypy";  .venv/bin/mypy --strict secure_exec
if [ -f secure_exec/engine/build.py ]; then
  echo "== engine: fresh build equals the committed wasm"
  .venv/bin/python -m secure_exec.engine.build --check
fi
echo "== guest bundle: fresh build equals the committed 50-node.js (npm ci of pinned packages if needed)"
.venv/bin/python -m secure_exec.runtime.guest.build --check
echo "== pytest"; .venv/bin/python -m pytest "$@"
