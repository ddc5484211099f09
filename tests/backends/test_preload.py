"""Preloading each tab's default hub model before the studio serves (what ZeroGPU needs).

A tiny random-weight Llama saved here stands in for a hub model: it goes through the same
`from_pretrained(path)` loader and the real manager. ZeroGPU itself cannot run here, so the
start-up test turns preloading on by flag instead of by the SPACES_ZERO_GPU environment.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from genai_studio.backends.manager import ModelManager
from genai_studio.backends.preload import default_hub_models, preload
from genai_studio.config import RECOMMENDED_HUB_MODELS, Settings, with_hub_models
from tests.backends.test_text_transformers import save_tiny_llama
from tests.conftest import free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_spec(tmp_path_factory) -> str:
    return f"transformers:{save_tiny_llama(tmp_path_factory.mktemp('tiny-llama'))}"


def test_the_defaults_are_the_first_hub_model_of_each_tab():
    specs = default_hub_models(with_hub_models(Settings(hub_models="on")))
    assert specs == list(dict.fromkeys(models[0] for models in RECOMMENDED_HUB_MODELS.values()))
    assert default_hub_models(Settings()) == []  # embedded models only: nothing to preload
    mixed = Settings(text_models=("smollm2", "transformers:a/b", "transformers:c/d", "openai:http://x/v1"))
    assert default_hub_models(mixed) == ["transformers:a/b"]


def test_preloads_what_loads_and_skips_what_cannot(tiny_spec, caplog):
    manager = ModelManager(Settings())
    missing = "transformers:/no/such/model-folder"
    with caplog.at_level(logging.WARNING, logger="genai_studio.backends.preload"):
        assert preload(manager, [missing, tiny_spec]) == [tiny_spec]
    assert manager.resident() == [tiny_spec]
    assert f"not preloading {missing}" in caplog.text
    manager.unload_all()


def test_preloading_stops_at_the_memory_budget(tiny_spec, caplog):
    manager = ModelManager(Settings(memory_budget_mb=1000))  # a transformers model is estimated at 2000
    with caplog.at_level(logging.WARNING, logger="genai_studio.backends.preload"):
        assert preload(manager, [tiny_spec]) == []
    assert manager.resident() == [] and "STUDIO_MEMORY_BUDGET_MB" in caplog.text


@pytest.mark.slow  # a whole studio start in a child process: ~20 s of CPU
def test_the_studio_preloads_before_it_serves(tiny_spec, tmp_path):
    port = free_port()
    log_path = tmp_path / "studio.log"
    argv = [sys.executable, "app.py", "--port", str(port), "--output-dir", str(tmp_path / "out")]
    argv += ["--text-models", f"smollm2,{tiny_spec}", "--preload-models", "on", "--hub-models", "off"]
    with log_path.open("w") as log:
        process = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/", process, log_path, seconds=240)
        text = log_path.read_text()
        assert f"preloaded {tiny_spec}" in text
        assert text.index(f"preloaded {tiny_spec}") < text.index("Running on")
    finally:
        process.terminate()
        process.wait(timeout=30)
