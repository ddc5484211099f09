"""What every speech backend shares: its voices and languages, and the sentence-by-sentence run.

A backend only says how to speak one sentence (`synthesize`); streaming, Stop between
sentences and the final full-length Result are written once, here.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from collections.abc import Iterator
from typing import ClassVar

import numpy as np

from genai_studio.backends.base import Backend, Progress, Result, Task
from genai_studio.backends.speech.request import SpeechRequest
from genai_studio.errors import InvalidInput

Audio = tuple[int, np.ndarray]  # (sample rate in Hz, mono float32 samples in [-1, 1])


def _stretch(audio: np.ndarray, speed: float) -> np.ndarray:
    """Change pace without changing pitch (phase vocoder), for models that cannot do it themselves."""
    import librosa

    return np.clip(librosa.effects.time_stretch(audio, rate=speed), -1.0, 1.0).astype(np.float32)


class SpeechBackend(Backend[SpeechRequest]):
    """A text-to-speech model. `voices()` and `languages()` map ids to names shown to users and
    must be cheap: the UI asks them before the model is loaded."""

    task = Task.SPEECH
    sample_rate: int = 24_000
    native_speed: ClassVar[bool] = True  # False: the model has no pace control; audio is time-stretched

    @abstractmethod
    def voices(self) -> dict[str, str]:
        """Voice id -> display name; the first is the default."""

    @abstractmethod
    def languages(self) -> dict[str, str]:
        """Language id -> display name; the first is the default."""

    @abstractmethod
    def synthesize(self, sentence: str, request: SpeechRequest) -> np.ndarray:
        """One sentence as mono samples at `self.sample_rate` (may be empty if unpronounceable)."""

    def run(self, request: SpeechRequest, cancel: threading.Event) -> Iterator[Progress | Result[Audio]]:
        """Yield one Progress per sentence, in order, with its audio as soon as it is made (empty
        if the sentence was unpronounceable), then the whole recording. A request that does not
        `keep_audio` gets an empty recording: its caller keeps the chunks (long-form narration
        writes them to a file, so memory does not grow with the length of the text)."""
        chunks: list[np.ndarray] = []
        samples = 0
        total = len(request.sentences)
        for index, sentence in enumerate(request.sentences, 1):
            if cancel.is_set():
                break
            audio = np.clip(np.asarray(self.synthesize(sentence, request), np.float32).reshape(-1), -1.0, 1.0)
            if not self.native_speed and request.speed != 1.0 and audio.size:
                audio = _stretch(audio, request.speed)
            samples += audio.size
            if audio.size and request.keep_audio:
                chunks.append(audio)
            yield Progress(f"Sentence {index} of {total}", index / total, (self.sample_rate, audio))
        if not samples and not cancel.is_set():
            raise InvalidInput(
                f"{self.label} could not pronounce this text. Check the language, or pick a model "
                "that speaks it (espeak-ng speaks Mandarin and 100+ other languages)."
            )
        full = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        params = {
            **request.params(),
            "model": self.label,
            "sample_rate": self.sample_rate,
            "seconds": round(samples / self.sample_rate, 3),
            "stopped": cancel.is_set(),
        }
        yield Result((self.sample_rate, full), params=params)
