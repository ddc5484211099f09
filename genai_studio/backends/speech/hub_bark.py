"""Bark through transformers, by hub id or local folder (`bark:suno/bark-small`, `bark:suno/bark`).

The expressive hub voice: Bark (MIT) reads 13 languages, Mandarin included, and acts out
cues such as [laughs], [sighs], [music] and ♪ lyrics ♪. Its speaker presets (v2/en_speaker_0
... v2/zh_speaker_9) come with the hub repository. It is slow on a CPU (a GPU is the point)
and has no pace control, so speed is applied afterwards by time-stretching.
"""

from __future__ import annotations

import logging

import numpy as np

from genai_studio import devices
from genai_studio.backends.speech.backend import SpeechBackend
from genai_studio.backends.speech.request import SpeechRequest
from genai_studio.errors import ModelUnavailable

log = logging.getLogger(__name__)

PRESET_LANGUAGES = ("en", "zh", "de", "es", "fr", "hi", "it", "ja", "ko", "pl", "pt", "ru", "tr")
VOICES = {"default": "Random speaker"} | {
    f"v2/{lang}_speaker_{n}": f"{lang} speaker {n}" for lang in PRESET_LANGUAGES for n in range(10)
}


class HubBark(SpeechBackend):
    name = "bark"
    licence = "transformers: Apache-2.0; Bark weights: MIT"
    estimated_memory_mb = 2500
    native_speed = False

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self._model = None
        self._processor = None
        self._device = "cpu"

    def voices(self) -> dict[str, str]:
        return dict(VOICES)

    def languages(self) -> dict[str, str]:
        return {"auto": "Detected from the text"}

    def load(self, device: str) -> None:
        from transformers import AutoProcessor, BarkModel

        self._device = devices.resolve_device(device)
        dtype = devices.resolve_dtype(self._device)
        self._processor = AutoProcessor.from_pretrained(self.ref)
        self._model = BarkModel.from_pretrained(self.ref, dtype=dtype).to(self._device).eval()
        self.sample_rate = int(self._model.generation_config.sample_rate)
        log.info("Bark %s on %s (%s) at %d Hz", self.ref, self._device, dtype, self.sample_rate)

    def _inputs(self, sentence: str, voice: str):
        preset = None if voice == "default" else voice
        known = self._processor.speaker_embeddings or {}
        if preset is not None and preset not in known:
            raise ModelUnavailable(f"{self.ref} has no speaker preset {preset!r}: pick another voice.")
        return self._processor(sentence, voice_preset=preset, return_tensors="pt")

    def synthesize(self, sentence: str, request: SpeechRequest) -> np.ndarray:
        import torch

        if self._model is None:
            raise RuntimeError("synthesize() before load()")
        inputs = self._inputs(sentence, request.voice).to(self._device)
        if "history_prompt" in inputs:  # the speaker preset is nested: .to() above skips it
            inputs["history_prompt"] = inputs["history_prompt"].to(self._device)
        with torch.inference_mode():
            audio = self._model.generate(**inputs, do_sample=True)
        return audio[0].float().cpu().numpy()

    def unload(self) -> None:
        self._model = None
        self._processor = None
