"""Which of llama.cpp's CPU kernels run here, chosen at load time and proven before use.

The set-up builds llama.cpp portable (`GGML_BACKEND_DL`, `GGML_CPU_ALL_VARIANTS`): one
library per x86-64 feature level (x64, sse42, haswell, skylakex, icelake, zen4,
sapphirerapids...) beside the runtime, instead of one build for the CPU that compiled it. ggml
would load the best variant this CPU supports; we choose instead, because the best one on a
virtualised Xeon is the AMX variant, whose matrix kernels segfault there (llama.cpp #20824,
ollama #17249). So:

- `choose` picks the variant: the operator's (`STUDIO_LLAMA_CPU_VARIANT`), else the one this
  CPU was proven to run (`proven.json` in the cache folder, written by `prove`), else the
  best-scoring variant that is not AMX;
- `load_cpu_backend` registers it with ggml before llama.cpp's first use in the process;
- `prove` runs one short generation per candidate, each in a child process, best first,
  until one finishes: a variant that dies by a signal is recorded with the signal, and the
  next one is tried. The set-up runs it, so a studio that says ready has a runtime that runs.

A build without variants (GENAI_LLAMA_NATIVE=1, a CUDA build) has nothing to choose: ggml's
own CPU backend is linked in and these functions leave it alone.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import importlib.util
import json
import logging
import os
import platform
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MODULE = "genai_studio.backends.text.llama_runtime"
FORCE_ENV = "STUDIO_LLAMA_CPU_VARIANT"  # e.g. "haswell", or "x64" for the plainest kernels
UNSAFE = ("sapphirerapids",)  # AMX: faults on virtualised Sapphire/Granite Rapids
PROVEN_FILE = "llama-cpu-proven.json"
PROBE_TIMEOUT_S = 120
_loaded: str | None = None  # the variant registered in this process


@dataclass(frozen=True)
class Variant:
    name: str  # "haswell", "skylakex", ...
    path: Path
    score: int  # ggml's own: 0 when this CPU lacks a feature the variant needs


@functools.cache
def lib_dir() -> Path | None:
    """The folder of llama.cpp's CPU variants, found without importing llama_cpp: ggml installs
    them into its binaries folder, which llama-cpp-python's wheel puts at site-packages/bin."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    for folder in (package / "lib", package.parent / "bin"):
        if any(folder.glob("libggml-cpu-*.so")):
            return folder
    return None


def _runtime_library(name: str) -> ctypes.CDLL:
    """One of llama-cpp-python's own libraries by its soname file (`libggml.so.0`), the very
    copy libllama links to: the wheel holds `libggml.so` as a second, separate file, and
    loading that one would give ggml a second registry that llama.cpp never sees."""
    spec = importlib.util.find_spec("llama_cpp")
    folder = Path(next(iter(spec.submodule_search_locations))) / "lib"
    path = next((p for p in (folder / f"{name}.so.0", folder / f"{name}.so") if p.exists()), folder / name)
    return ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)


def _load_ggml_base() -> None:
    """The variants link to libggml-base by soname only (no RPATH): load it first."""
    _runtime_library("libggml-base")


@functools.cache
def variants() -> list[Variant]:
    """The CPU variants beside the runtime, best score first (empty for a build without them).

    The score comes from each library's `ggml_backend_score`, as ggml's own loader reads it:
    the libraries are built so that opening them on a CPU without their features is safe."""
    folder = lib_dir()
    if folder is None:
        return []
    _load_ggml_base()
    found = []
    for path in sorted(folder.glob("libggml-cpu-*.so")):
        name = path.name.removeprefix("libggml-cpu-").removesuffix(".so")
        try:
            score = int(ctypes.CDLL(str(path), mode=os.RTLD_LOCAL).ggml_backend_score())
        except (OSError, AttributeError):
            score = 0
        found.append(Variant(name, path, score))
    return sorted(found, key=lambda v: -v.score)


def candidates() -> list[Variant]:
    """Variants this CPU can run, best first, AMX ones left out."""
    return [v for v in variants() if v.score > 0 and v.name not in UNSAFE]


@functools.cache
def cpu_key() -> str:
    """What decides which variant runs: the CPU's model and flags, and the runtime's build.
    (Read once a process: the text model's availability check asks for it on every job.)"""
    flags = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "flags")):
                flags += line + "\n"
            if line.startswith("flags"):
                break
    except OSError:
        flags = platform.processor()
    folder = lib_dir()
    build = ""
    if folder is not None:
        build = ",".join(f"{p.name}:{p.stat().st_size}" for p in sorted(folder.glob("libggml*.so")))
    return hashlib.sha256(f"{platform.machine()}\n{flags}\n{build}".encode()).hexdigest()[:16]


def _proven_path(cache_dir: Path) -> Path:
    return cache_dir / PROVEN_FILE


def _records(cache_dir: Path) -> dict:
    """Every CPU's and build's record (an unreadable file counts as none)."""
    try:
        records = json.loads(_proven_path(cache_dir).read_text())
    except (OSError, ValueError):
        return {}
    return records if isinstance(records, dict) else {}


def proven(cache_dir: Path) -> dict | None:
    """The record `prove` left for this CPU and build: {"variant": name or None, "reason": ...}."""
    record = _records(cache_dir).get(cpu_key())
    return record if isinstance(record, dict) else None


def _remember(cache_dir: Path, record: dict) -> None:
    path = _proven_path(cache_dir)
    records = _records(cache_dir)
    records[cpu_key()] = record
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(records, indent=1))
    temporary.replace(path)


def choose(cache_dir: Path) -> Variant | None:
    """The variant to load here (None: a build without variants, or none can run)."""
    available = variants()
    if not available:
        return None
    by_name = {v.name: v for v in available}
    forced = os.environ.get(FORCE_ENV, "").strip()
    if forced:
        if forced not in by_name:
            raise RuntimeError(
                f"{FORCE_ENV}={forced!r}: no such llama.cpp CPU variant ({', '.join(by_name)})"
            )
        return by_name[forced]
    record = proven(cache_dir)
    if record is not None:
        return by_name.get(record.get("variant") or "")
    fitting = candidates()
    return fitting[0] if fitting else None


def unavailable_reason(cache_dir: Path) -> str:
    """Why llama.cpp cannot run on this CPU, as `prove` found ("" when it can, or when nothing
    was proven yet). Cheap: it reads the record and loads no native code."""
    if lib_dir() is None or os.environ.get(FORCE_ENV):
        return ""
    record = proven(cache_dir)
    if record is not None and not record.get("variant"):
        return record.get("reason") or "no llama.cpp CPU variant runs on this CPU"
    return ""


def load_cpu_backend(cache_dir: Path) -> str | None:
    """Register the chosen CPU variant with ggml, once per process, before the first model.
    Returns its name (None for a build without variants)."""
    if _loaded is not None:
        return _loaded
    variant = choose(cache_dir)
    if variant is None:
        if variants():
            raise RuntimeError(unavailable_reason(cache_dir) or "no llama.cpp CPU variant runs here")
        return None
    return load_variant(variant)


def program_env(cache_dir: Path) -> dict[str, str]:
    """Environment for another program using this llama.cpp build (llama_cpp.server...): ggml
    loads the backend named by GGML_BACKEND_PATH, so it gets the same safe variant."""
    variant = choose(cache_dir)
    return {"GGML_BACKEND_PATH": str(variant.path)} if variant is not None else {}


def load_variant(variant: Variant) -> str:
    """Register `variant` with ggml (llama.cpp then loads no other CPU backend)."""
    global _loaded
    load = _runtime_library("libggml").ggml_backend_load
    load.argtypes, load.restype = [ctypes.c_char_p], ctypes.c_void_p
    if not load(str(variant.path).encode()):
        raise RuntimeError(f"llama.cpp could not load its {variant.name} CPU kernels ({variant.path})")
    _loaded = variant.name
    log.info("llama.cpp runs its %s CPU kernels", variant.name)
    return _loaded


# -- proving a variant in a child process ----------------------------------------------------
def _probe(variant: str) -> None:
    """In a child: generate a few tokens with the embedded model on `variant`; print how long."""
    import time

    from llama_cpp import Llama

    from genai_studio.backends.text.embedded_llama import smollm2_path

    load_variant(next(v for v in variants() if v.name == variant))
    llm = Llama(model_path=str(smollm2_path()), n_ctx=256, n_threads=1, verbose=False)  # busy cores: 1
    started = time.perf_counter()
    out = llm.create_chat_completion(
        messages=[{"role": "user", "content": "Say hello."}], max_tokens=16, temperature=0.0, seed=1
    )
    seconds = time.perf_counter() - started
    print(json.dumps({"variant": variant, "tokens": out["usage"]["completion_tokens"], "seconds": seconds}))


class ProbeError(RuntimeError):
    """The probe failed for a reason that is not the CPU (no model, a broken install)."""


def probe(variant: str, timeout: float = PROBE_TIMEOUT_S, module: str = MODULE) -> tuple[bool, str]:
    """Run the probe for `variant` in a child process (`python -m module --probe variant`):
    (it ran, what happened). A child that dies by a signal or hangs is this variant's fault;
    any other failure raises ProbeError."""
    command = [sys.executable, "-m", module, "--probe", variant]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"the {variant} kernels did not finish a 16-token reply in {timeout:.0f} s"
    if done.returncode < 0:
        return False, f"the {variant} kernels were killed by {signal.Signals(-done.returncode).name}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise ProbeError(f"the llama.cpp probe failed: {last}")
    return True, done.stdout.strip().splitlines()[-1]


def prove(cache_dir: Path, module: str = MODULE) -> dict:
    """Find the best variant that really runs here, child by child, and record it."""
    tried = []
    for variant in candidates():
        ok, what = probe(variant.name, module=module)
        if ok:
            record = {"variant": variant.name, "measured": json.loads(what), "failed": tried}
            _remember(cache_dir, record)
            return record
        log.warning("llama.cpp: %s", what)
        tried.append(what)
    record = {"variant": None, "reason": "; ".join(tried) or "no llama.cpp CPU variant supports this CPU"}
    _remember(cache_dir, record)
    return record


def prove_in_background(cache_dir: Path) -> None:
    """At start-up, on a CPU no set-up has proven yet (a Space built elsewhere, a copied
    cache): prove the variants in the background, so the first text job uses a safe one."""
    if lib_dir() is not None and proven(cache_dir) is None and not os.environ.get(FORCE_ENV):
        import threading

        def prove_quietly() -> None:
            try:
                prove(cache_dir)
            except ProbeError as exc:  # not the CPU: the Text tab reports its own errors
                log.warning("%s", exc)

        threading.Thread(target=prove_quietly, name="llama-prove", daemon=True).start()


def main(argv: list[str]) -> int:
    if argv[:1] == ["--probe"]:
        _probe(argv[1])
        return 0
    from genai_studio.config import Settings

    cache_dir = Settings().cache_dir
    if not variants():
        print("setup: llama.cpp is a build without CPU variants: nothing to choose")
        return 0
    try:
        record = prove(cache_dir)
    except ProbeError as exc:
        print(f"setup: {exc}")
        return 1
    for failure in record.get("failed", []):
        print(f"setup: llama.cpp: {failure}; trying the next variant")
    if record["variant"] is None:
        print(f"setup: llama.cpp cannot run on this CPU ({record['reason']}); the Text tab will say so")
        return 1
    measured = record["measured"]
    print(
        f"setup: llama.cpp runs its {record['variant']} CPU kernels here "
        f"(a {measured['tokens']}-token reply in {measured['seconds']:.1f} s, in a child process)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
