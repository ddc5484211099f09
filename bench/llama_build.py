"""What the portable llama.cpp build costs: tokens/s of the studio's build (every CPU variant,
one chosen at load time) against a build for this very CPU (`-march=native`, what the set-up
made before), same model, same prompt, rounds interleaved in one run.

    CMAKE_ARGS=-DLLAVA_BUILD=OFF .venv/bin/pip wheel --no-deps --no-cache-dir \\
        -w /tmp/native llama-cpp-python==0.3.36          # the native build, once (~5 min)
    .venv/bin/python bench/llama_build.py --native-wheel /tmp/native/llama_cpp_python-*.whl

Each measurement runs in a child process (a build is a process-wide choice): SmolLM2, a
warm-up reply, then `--tokens` greedy tokens. Also measured: each CPU variant of the portable
build this CPU can run, so the table shows what the choice is worth.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import zipfile
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = """
import json, sys, time
variant = sys.argv[1]
if variant != "native":
    from genai_studio.backends.text import llama_runtime
    llama_runtime.load_variant(next(v for v in llama_runtime.variants() if v.name == variant))
from llama_cpp import Llama
from genai_studio.backends.text.embedded_llama import smollm2_path
llm = Llama(model_path=str(smollm2_path()), n_ctx=512, n_threads=int(sys.argv[2]), verbose=False)
llm.create_chat_completion(messages=[{"role": "user", "content": "hi"}], max_tokens=4)
ask = [{"role": "user", "content": "Write a short story about a lighthouse keeper who finds a map."}]
started = time.perf_counter()
out = llm.create_chat_completion(messages=ask, max_tokens=int(sys.argv[3]), temperature=0.0)
print(json.dumps(out["usage"]["completion_tokens"] / (time.perf_counter() - started)))
"""


def rate(variant: str, threads: int, tokens: int, pythonpath: str) -> float:
    env = {**os.environ, "PYTHONPATH": pythonpath}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, variant, str(threads), str(tokens)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    from genai_studio.backends.text import llama_runtime
    from genai_studio.config import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--native-wheel", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    chosen = llama_runtime.choose(Settings().cache_dir)
    variants = [v.name for v in llama_runtime.candidates()]
    with TemporaryDirectory() as tmp:
        zipfile.ZipFile(args.native_wheel).extractall(tmp)
        paths = {"native": f"{tmp}:{ROOT}"} | {name: str(ROOT) for name in variants}
        rates: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(args.rounds):
            for name, pythonpath in paths.items():
                rates[name].append(rate(name, args.threads, args.tokens, pythonpath))
    native = statistics.median(rates["native"])
    print(f"SmolLM2 Q4_1, {args.tokens} greedy tokens, {args.threads} thread(s), ", end="")
    print(f"median of {args.rounds} rounds")
    print(f"the studio loads: {chosen.name if chosen else '-'} (AMX variants are never chosen)\n")
    print("| build | tokens/s | vs native |")
    print("|---|---|---|")
    print(f"| native (-march=native, before) | {native:.1f} | 1.00x |")
    for name in variants:
        median = statistics.median(rates[name])
        mark = " (chosen)" if chosen and name == chosen.name else ""
        print(f"| portable: {name}{mark} | {median:.1f} | {median / native:.2f}x |")
    print("\n" + json.dumps({name: [round(r, 1) for r in values] for name, values in rates.items()}))


if __name__ == "__main__":
    main()
