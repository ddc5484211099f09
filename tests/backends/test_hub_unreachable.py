"""A hub model that cannot be reached says so plainly, through the manager.

Real hub ids, really loaded: this machine has no network to the hub. The default test runs
with HF_HUB_OFFLINE=1 (set in a child process, since huggingface_hub reads it at import) so
it fails in seconds; the slow test goes online and lets the libraries retry and give up, as
on a machine whose network is down.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from genai_studio.backends.preload import default_hub_models
from genai_studio.config import Settings, with_hub_models

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_HUB = default_hub_models(with_hub_models(Settings(hub_models="on")))

LOAD_EACH = """
import json, sys
from genai_studio.backends.manager import ModelManager
from genai_studio.config import Settings
from genai_studio.errors import ModelUnavailable

manager = ModelManager(Settings())
messages = {}
for spec in sys.argv[1:]:
    try:
        manager.load(spec)
        messages[spec] = "loaded"
    except ModelUnavailable as exc:
        messages[spec] = str(exc)
print(json.dumps(messages))
"""


def load_each(specs: list[str], offline: bool, timeout: float) -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1" if offline else "0", "HF_HUB_DISABLE_TELEMETRY": "1"}
    done = subprocess.run(
        [sys.executable, "-c", LOAD_EACH, *specs],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def hub_ids(spec: str) -> list[str]:
    return spec.partition(":")[2].split("|")


def test_every_default_hub_model_offline_gets_a_clear_message(tmp_path):
    assert len(DEFAULT_HUB) == 9  # one per tab: text, speech, music, five image tasks and listen
    broken = tmp_path / "broken-model"  # a local folder that is there but is no model
    broken.mkdir()
    (broken / "config.json").write_text("{ not json")
    messages = load_each([*DEFAULT_HUB, f"transformers:{broken}"], offline=True, timeout=240)
    for spec in DEFAULT_HUB:
        message = messages[spec]
        assert message.startswith(f"Could not download {hub_ids(spec)[0]} from the Hugging Face hub"), message
        assert "HF_HUB_OFFLINE" in message and "embedded model" in message
        assert "Traceback" not in message and len(message) < 400
    assert "Hugging Face hub" not in messages[f"transformers:{broken}"]  # another failure, not the hub


@pytest.mark.slow
def test_online_without_a_network_the_message_says_no_connection():
    spec = "vits:facebook/mms-tts-eng"
    message = load_each([spec], offline=False, timeout=280)[spec]
    expected = "Could not download facebook/mms-tts-eng from the Hugging Face hub (no connection?)"
    assert message.startswith(expected), message
