#!/usr/bin/env bash
# The test command: ruff, mypy and the import contract (import-linter), then pytest (arguments go to pytest).
# Run after scripts/setup.sh; the README's test command is `bash scripts/setup.sh && bash scripts/test.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== ruff" && .venv/bin/ruff check teduo_gym tests examples benchmarks conftest.py
echo "== mypy" && .venv/bin/mypy teduo_gym
echo "== import contract" && .venv/bin/lint-imports
echo "== pytest" && .venv/bin/python -m pytest "$@"
