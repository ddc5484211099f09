"""Unloading returns memory to the system: a model that leaves takes its worker process, and
everything it allocated, with it. 20 switches between two real embedded models under a budget
that holds one at a time; the studio's total (this process plus its workers) stays flat."""

from __future__ import annotations

import time
from pathlib import Path

import psutil

from genai_studio.backends.base import Result
from genai_studio.backends.speech.request import build_request as speech_request
from genai_studio.backends.text.request import build_request as text_request
from genai_studio.config import Settings
from genai_studio.owners import Owner
from genai_studio.serving.service import ModelService

SWITCHES = 20


def total_mb(service: ModelService) -> float:
    here = psutil.Process().memory_info().rss / 2**20
    return here + sum(worker.rss_mb() for worker in service.workers())


def settle(service: ModelService, spec: str) -> None:
    """Wait until the retired worker has gone (it leaves in the background)."""
    deadline = time.monotonic() + 10
    while [w.spec.spec for w in service.workers()] != [spec]:
        assert time.monotonic() < deadline, f"workers left: {[w.spec.spec for w in service.workers()]}"
        time.sleep(0.05)


def test_twenty_switches_between_two_models_keep_total_memory_flat(tmp_path: Path) -> None:
    settings = Settings(output_dir=tmp_path, memory_budget_mb=300, llama_threads=1, max_new_tokens=8)
    service = ModelService(settings)
    espeak = service.backend_for("espeak")
    voices, languages = espeak.voices(), espeak.languages()
    jobs = {
        "smollm2": text_request(settings, prompt="Say hi.", max_new_tokens=4, temperature=0.0, seed=1),
        "espeak": speech_request(
            text="Hello.", voice=next(iter(voices)), language="en-us", voices=voices, languages=languages
        ),
    }
    owner = Owner.local()
    totals = []
    try:
        for switch in range(SWITCHES + 1):
            spec = ("smollm2", "espeak")[switch % 2]
            assert any(isinstance(item, Result) for item in service.run(spec, jobs[spec], owner=owner))
            settle(service, spec)
            totals.append(total_mb(service))
    finally:
        service.close()
    for first, last in ((totals[0], totals[-1]), (totals[1], totals[-2])):  # the same model loaded
        assert last <= first * 1.10, f"memory grew from {first:.0f} MB to {last:.0f} MB: {totals}"
