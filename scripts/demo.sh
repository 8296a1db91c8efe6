#!/usr/bin/env bash
# Set up .venv, then run the main demo: three example plugins from plugins/ under one host policy,
# followed by `secure-exec audit verify` and `secure-exec audit report` on the audit log it wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python scripts/demo.py
