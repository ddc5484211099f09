"""Speech from any OpenAI-compatible server (`/v1/audio/speech`): another studio, or a TTS
server such as Kokoro-FastAPI or LocalAI. Spec: `openai-speech:http://host:port/v1#model`.

One request per sentence, so the first sentence plays while the server makes the next and
Stop ends between sentences (and closes a request in flight). A studio lists its voices and
languages at `/v1/models/{id}`; for other servers OpenAI's voice names are offered.
"""

from __future__ import annotations

import io
import threading

import numpy as np
import soundfile as sf

from genai_studio.backends.base import Availability
from genai_studio.backends.remote import RemoteServer
from genai_studio.backends.speech.backend import SpeechBackend
from genai_studio.backends.speech.request import SpeechRequest
from genai_studio.errors import ModelUnavailable, StudioError

OPENAI_VOICES = ("alloy", "ash", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer")
AUTO_LANGUAGE = {"auto": "As the server decides"}


class RemoteSpeech(SpeechBackend):
    name = "openai-speech"
    licence = "the server's model: see its card"
    estimated_memory_mb = 0

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self.server = RemoteServer(ref, settings, "speech")
        self._options: tuple[dict[str, str], dict[str, str]] | None = None
        self._cancel = threading.Event()

    @property
    def label(self) -> str:
        return self.server.label("speech")

    def available(self) -> Availability:
        return self.server.availability()

    def _voice_options(self) -> tuple[dict[str, str], dict[str, str]]:
        """(voices, languages): a studio's own lists, else OpenAI's voices; asked once."""
        if self._options is None:
            try:
                self.server.connect("speech")
                card = self.server.models_card(self.server.model_name)
                voices, languages = dict(card["voices"]), dict(card["languages"])
            except (StudioError, KeyError, TypeError, ValueError):
                voices, languages = {v: v.title() for v in OPENAI_VOICES}, dict(AUTO_LANGUAGE)
            self._options = voices, languages
        return self._options

    def voices(self) -> dict[str, str]:
        return self._voice_options()[0]

    def languages(self) -> dict[str, str]:
        return self._voice_options()[1]

    def load(self, device: str) -> None:
        self.server.connect("speech")

    def run(self, request: SpeechRequest, cancel: threading.Event):
        self._cancel = cancel  # synthesize() closes a request in flight on Stop
        yield from super().run(request, cancel)

    def synthesize(self, sentence: str, request: SpeechRequest) -> np.ndarray:
        body = {
            "model": self.server.model_name or "tts-1",
            "input": sentence,
            "voice": request.voice,
            "speed": request.speed,
            "response_format": "wav",
        }
        if request.language not in AUTO_LANGUAGE:
            body["language"] = request.language
        response = self.server.post("/audio/speech", self._cancel, json=body)
        if response is None:
            return np.zeros(0, np.float32)
        try:
            audio, rate = sf.read(io.BytesIO(response.content), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise ModelUnavailable(f"The speech server sent audio this studio cannot read: {exc}") from exc
        self.sample_rate = rate
        return audio.mean(axis=1)

    def unload(self) -> None:
        self._options = None
