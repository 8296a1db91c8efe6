#!/usr/bin/env bash
# Set up (with the quickjs-rs peer), then run every benchmark; each prints medians and ratios
# against peers measured in the same run. Pass --quick for a shorter run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pip install -q -e '.[bench]'
for b in benchmarks/bench_engine.py benchmarks/bench_policy.py benchmarks/bench_audit.py benchmarks/bench_runtime.py; do
  echo "== $b"
  .venv/bin/python "$b" "$@"
done
