#!/usr/bin/env bash
# Set up what is missing (test tools and Chromium included), lint, then run the test suite:
# CPU-only and offline. Extra arguments go to pytest (e.g. `-m slow` for the long tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest -m "not slow" "$@"
