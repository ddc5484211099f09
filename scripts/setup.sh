#!/usr/bin/env bash
# Idempotent set-up on Debian with Python 3.11: Debian packages, a virtual env in .venv,
# and the pinned Python packages. `setup.sh dev` adds the test tools and browser.
# Re-running it only installs what changed (a stamp holds the hash of what was installed).
set -euo pipefail
cd "$(dirname "$0")/.."

KIND=${1:-run}
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
lists=(packages.txt)
requirements=requirements.txt
if [ "$KIND" = dev ]; then
  lists+=(packages-dev.txt)
  requirements=requirements-dev.txt
fi

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for pkg in $(grep -hv '^\s*#' "${lists[@]}" | tr -s ' \n' '\n'); do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi

stamp="$VENV/.setup-stamp-$KIND"
digest=$(cat requirements*.txt packages*.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  echo "setup: installing Python packages from $requirements (llama-cpp-python compiles once, ~7 min)"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r "$requirements"
  echo "$digest" > "$stamp"
fi
"$VENV/bin/python" -m genai_studio.backends.speech.zh_assets || echo "setup: the Mandarin voice is not prepared (see above); the studio runs without it"
