"""The portable llama.cpp runtime: the CPU variant chosen at load time, proven in a child
process before use, and a text model that cannot run here reported instead of crashing."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from genai_studio.backends.text import llama_runtime
from genai_studio.backends.text.embedded_llama import SmolLM2
from genai_studio.config import Settings

pytestmark = pytest.mark.skipif(
    not llama_runtime.variants(), reason="llama.cpp is a build without CPU variants (GENAI_LLAMA_NATIVE=1)"
)


def cpu_flags() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            return " ".join(f for f in line.split(":", 1)[1].split() if f.startswith(("avx", "amx", "fma")))
    return "unknown"


def test_the_embedded_model_runs_on_the_variant_the_studio_chooses(tmp_path: Path) -> None:
    """In a child process, so a crash names its cause instead of ending the test run."""
    chosen = llama_runtime.choose(tmp_path)
    assert chosen is not None and chosen.name not in llama_runtime.UNSAFE
    ran, what = llama_runtime.probe(chosen.name)
    if not ran:
        available = ", ".join(f"{v.name}:{v.score}" for v in llama_runtime.variants())
        pytest.fail(
            f"llama.cpp's {chosen.name} kernels cannot run the embedded model here: {what}. "
            f"CPU flags: {cpu_flags()}. Variants (name:score): {available}. "
            f"Force another with {llama_runtime.FORCE_ENV}=haswell, or rebuild plainly (README, set-up)."
        )
    measured = json.loads(what)
    assert measured["variant"] == chosen.name and measured["tokens"] > 0


def test_amx_kernels_are_never_chosen_unless_forced(tmp_path: Path, monkeypatch) -> None:
    scores = [v.score for v in llama_runtime.candidates()]
    assert "sapphirerapids" not in [v.name for v in llama_runtime.candidates()]
    assert scores == sorted(scores, reverse=True) and min(scores) > 0
    monkeypatch.setenv(llama_runtime.FORCE_ENV, "x64")
    assert llama_runtime.choose(tmp_path).name == "x64"
    monkeypatch.setenv(llama_runtime.FORCE_ENV, "no-such-cpu")
    with pytest.raises(RuntimeError, match=r"no such llama\.cpp CPU variant"):
        llama_runtime.choose(tmp_path)


def test_a_variant_that_dies_is_skipped_and_the_next_one_proven(tmp_path: Path) -> None:
    if len(llama_runtime.candidates()) < 2:
        pytest.skip("this CPU runs a single variant")
    best, second = llama_runtime.candidates()[:2]
    record = llama_runtime.prove(tmp_path, module="tests.backends.llama_crash_probe")
    assert record["variant"] == second.name
    assert record["failed"] == [f"the {best.name} kernels were killed by SIGSEGV"]
    assert llama_runtime.choose(tmp_path).name == second.name  # what the text worker loads
    assert SmolLM2("", Settings(cache_dir=tmp_path)).available().ready


def test_a_cpu_no_variant_runs_on_makes_the_model_unavailable_with_its_reason(tmp_path: Path) -> None:
    reason = f"the zen4 kernels were killed by {signal.SIGSEGV.name}"
    (tmp_path / llama_runtime.PROVEN_FILE).write_text(
        json.dumps({llama_runtime.cpu_key(): {"variant": None, "reason": reason}})
    )
    availability = SmolLM2("", Settings(cache_dir=tmp_path)).available()
    assert not availability.ready
    assert "cannot run on this CPU" in availability.reason and "SIGSEGV" in availability.reason
