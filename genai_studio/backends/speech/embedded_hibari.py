"""The embedded default voice: hibari-tts, Kokoro-82M distilled to a 6 MB int8 ONNX (Apache-2.0).

Only the US English "heart" voice ships in the wheel; other hibari voices download on first
use, so they are offered only once they are already in hibari's cache. One onnxruntime
thread is faster than two for a model this small (see MODELS.md).
"""

from __future__ import annotations

import importlib.util
import logging

import numpy as np

from genai_studio.backends.base import READY, Availability
from genai_studio.backends.speech.backend import SpeechBackend
from genai_studio.backends.speech.request import SpeechRequest

log = logging.getLogger(__name__)

LANGUAGES = {"en-us": "English (US)"}


def _local_voices() -> dict[str, str]:
    """hibari voices usable without a download: the bundled one and any already cached."""
    from hibari.voices import VOICES, voice_path

    found = {}
    for name, info in VOICES.items():
        try:
            voice_path(name, download_missing=False)
        except (FileNotFoundError, ValueError):
            continue
        found[name] = f"{name.title()} ({info['accent']} English, {info['gender']})"
    return found


class Hibari(SpeechBackend):
    name = "hibari"
    licence = "Apache-2.0 (hibari-tts; Kokoro-82M weights Apache-2.0)"
    embedded = True
    estimated_memory_mb = 150
    sample_rate = 24_000

    def cpu_threads(self) -> int:
        return 1  # one onnxruntime thread (MODELS.md: faster than two on this model)

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self._models: dict[str, object] = {}

    @property
    def label(self) -> str:
        return "hibari (embedded neural English, Kokoro distilled: the fast default)"

    def available(self) -> Availability:
        if importlib.util.find_spec("hibari") is None:
            return Availability(False, "the hibari-tts package is not installed")
        return READY

    def voices(self) -> dict[str, str]:
        return _local_voices()

    def languages(self) -> dict[str, str]:
        return dict(LANGUAGES)

    def _model(self, voice: str):
        if voice not in self._models:
            from hibari import Hibari as HibariTTS

            model = HibariTTS(voice=voice, threads=1)
            model("Warm up.")  # loads the G2P lexicons now, not during the user's first sentence
            self._models[voice] = model
            log.info("hibari voice %s ready", voice)
        return self._models[voice]

    def load(self, device: str) -> None:
        from hibari.voices import DEFAULT

        self._model(DEFAULT)

    def synthesize(self, sentence: str, request: SpeechRequest) -> np.ndarray:
        parts = list(self._model(request.voice).stream(sentence, speed=request.speed))
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def unload(self) -> None:
        self._models.clear()
