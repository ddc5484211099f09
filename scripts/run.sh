#!/usr/bin/env bash
# Set up what is missing, then start the studio on its embedded defaults at
# http://127.0.0.1:7860 . Extra arguments go to app.py (see `app.py --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh run
exec .venv/bin/python app.py "$@"
