"""The hub Whisper loader (faster-whisper by id or folder) on a tiny random-weight Whisper,
converted to CTranslate2 here and loaded by path: the same loader a hub id goes through."""

from __future__ import annotations

import json
import shutil
import threading

import pytest

from genai_studio.backends.base import Progress, Result
from genai_studio.backends.listen import whisper_assets
from genai_studio.backends.listen.request import build_request
from genai_studio.backends.registry import create, uses_gpu
from genai_studio.config import Settings
from tests.backends.listen_helpers import ESPEAK_ENGLISH, espeak_wav

SETTINGS = Settings()


@pytest.fixture(scope="module")
def tiny_whisper(tmp_path_factory) -> str:
    """A 2-layer Whisper of d_model 16 with random weights, with Whisper's own multilingual
    vocabulary (51,865 tokens, from the embedded model's packages) so its tokenizer fits."""
    from ctranslate2.converters import TransformersConverter
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    folder = tmp_path_factory.mktemp("tiny-whisper")
    config = WhisperConfig(
        vocab_size=51_865,
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
    )
    WhisperForConditionalGeneration(config).save_pretrained(folder / "hf")
    converted = folder / "ct2"
    TransformersConverter(str(folder / "hf")).convert(str(converted))
    base = whisper_assets.package_dirs()[0]
    settings = json.loads((base / "config.json").read_text())  # language and suppressed token ids
    settings["alignment_heads"] = json.loads((converted / "config.json").read_text())["alignment_heads"]
    (converted / "config.json").write_text(json.dumps(settings))
    (converted / "vocabulary.json").unlink()
    for name in ("vocabulary.txt", "tokenizer.json"):
        shutil.copy(base / name, converted / name)
    return str(converted)


def test_a_whisper_folder_loads_through_the_hub_loader_and_streams(tiny_whisper, tmp_path):
    spec = f"faster-whisper:{tiny_whisper}"
    assert uses_gpu(spec)  # a hub model: ZeroGPU gives it a GPU
    backend = create(spec, SETTINGS)
    assert backend.available().ready
    backend.load("cpu")
    try:
        recording = espeak_wav(tmp_path / "speech.wav", ESPEAK_ENGLISH)
        request = build_request(SETTINGS, media_path=recording, language="en", temperature=0)
        items = list(backend.run(request, threading.Event()))
    finally:
        backend.unload()
    result = items[-1]
    assert isinstance(result, Result) and result.output.language == "en"
    segments = [item.partial for item in items if isinstance(item, Progress) and item.partial]
    assert list(result.output.segments) == segments  # random weights: words, though not these
    assert result.params["model"] == f"faster-whisper: {tiny_whisper}"
