"""VITS voices through transformers, by hub id or local folder: MMS-TTS (1,100+ languages,
one model per language, e.g. `vits:facebook/mms-tts-eng`) and other VitsModel checkpoints.

CUDA when present. Weights stay in fp32 even there: VITS is small and its flow and
stochastic duration predictor are touchy in half precision. MMS models for non-Latin
scripts read romanized text (`is_uroman`); that needs the `uroman` package.
"""

from __future__ import annotations

import importlib.util
import logging

import numpy as np

from genai_studio import devices
from genai_studio.backends.speech.backend import SpeechBackend
from genai_studio.backends.speech.request import SpeechRequest
from genai_studio.errors import ModelUnavailable

log = logging.getLogger(__name__)


class HubVits(SpeechBackend):
    name = "vits"
    licence = "transformers: Apache-2.0; weights: see the model's card (MMS-TTS: CC-BY-NC-4.0)"
    estimated_memory_mb = 600

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self._model = None
        self._tokenizer = None
        self._device = "cpu"

    def voices(self) -> dict[str, str]:
        return {"default": "The model's voice"}

    def languages(self) -> dict[str, str]:
        return {"model": "The model's language"}

    def load(self, device: str) -> None:
        from transformers import AutoTokenizer, VitsModel

        self._device = devices.resolve_device(device)
        self._tokenizer = AutoTokenizer.from_pretrained(self.ref)
        self._model = VitsModel.from_pretrained(self.ref).to(self._device).eval()
        self.sample_rate = int(self._model.config.sampling_rate)
        log.info("VITS %s on %s at %d Hz", self.ref, self._device, self.sample_rate)

    def _romanize(self, sentence: str) -> str:
        if not getattr(self._tokenizer, "is_uroman", False):
            return sentence
        if importlib.util.find_spec("uroman") is None:
            raise ModelUnavailable(f"{self.ref} reads romanized text: install the uroman package to use it.")
        import uroman

        return uroman.Uroman().romanize_string(sentence)

    def synthesize(self, sentence: str, request: SpeechRequest) -> np.ndarray:
        import torch

        if self._model is None:
            raise RuntimeError("synthesize() before load()")
        ids = self._tokenizer(self._romanize(sentence))["input_ids"]
        if not ids:
            return np.zeros(0, np.float32)  # nothing in the model's alphabet
        with torch.inference_mode():
            input_ids = torch.tensor([ids], device=self._device)
            waveform = self._model(input_ids=input_ids, speaking_rate=request.speed).waveform
        return waveform[0].float().cpu().numpy()

    def unload(self) -> None:
        self._model = None
        self._tokenizer = None
