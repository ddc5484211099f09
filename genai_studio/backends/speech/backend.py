"""What every speech backend shares: its voices and languages, and the sentence-by-sentence run.

A backend only says how to speak one sentence (`synthesize`); streaming, Stop between
sentences and the final full-length Result are written once, here.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from genai_studio.backends.base import Backend, Progress, Result, Task
from genai_studio.backends.speech.request import SpeechRequest, known
from genai_studio.errors import InvalidInput

Audio = tuple[int, np.ndarray]  # (sample rate in Hz, mono float32 samples in [-1, 1])


@dataclass(frozen=True)
class EarlyPart:
    """A clause of the sentence being spoken, sent as soon as it is made (for a request with
    `early_parts`) so a listener hears it sooner. The sentence's own chunk, which follows its
    parts, still holds the whole sentence: cues and files are made from whole sentences."""

    rate: int
    audio: np.ndarray


def _stretch(audio: np.ndarray, speed: float) -> np.ndarray:
    """Change pace without changing pitch (phase vocoder), for models that cannot do it themselves."""
    import librosa

    return np.clip(librosa.effects.time_stretch(audio, rate=speed), -1.0, 1.0).astype(np.float32)


class Unheard:
    """The audio a listener has not heard yet, over a run with early parts: each EarlyPart, and
    what is left of a sentence's chunk after its parts."""

    def __init__(self) -> None:
        self._played = 0  # samples of the current sentence already sent as early parts

    def of(self, partial: EarlyPart | Audio) -> Audio:
        if isinstance(partial, EarlyPart):
            self._played += partial.audio.size
            return partial.rate, partial.audio
        rate, sentence = partial
        rest, self._played = sentence[self._played :], 0
        return rate, rest


class SpeechBackend(Backend[SpeechRequest]):
    """A text-to-speech model. `voices()` and `languages()` map ids to names shown to users and
    must be cheap: the UI asks them before the model is loaded."""

    task = Task.SPEECH
    sample_rate: int = 24_000
    native_speed: ClassVar[bool] = True  # False: the model has no pace control; audio is time-stretched
    mixes: ClassVar[bool] = False  # True: takes voice mixes, so users' saved voices are offered

    @abstractmethod
    def voices(self) -> dict[str, str]:
        """Voice id -> display name; the first is the default."""

    @abstractmethod
    def languages(self) -> dict[str, str]:
        """Language id -> display name; the first is the default."""

    def check_voice(self, voice: object, language: object) -> str:
        """`voice` if this model speaks it, else InvalidInput naming some it has. A model
        that takes more than its listed voices (mixes) checks them here."""
        return known(voice, field="Voice", options=self.voices())

    def voice_language(self, voice: str) -> str | None:
        """The language id a voice speaks natively; None where voices speak any language."""
        return None

    @abstractmethod
    def synthesize(self, sentence: str, request: SpeechRequest) -> np.ndarray:
        """One sentence as mono samples at `self.sample_rate` (may be empty if unpronounceable)."""

    def synthesize_parts(self, sentence: str, request: SpeechRequest) -> Iterator[np.ndarray]:
        """One sentence in the pieces the model makes it in, each as soon as it is made; a model
        that speaks clause by clause yields each clause (with its pause)."""
        yield self.synthesize(sentence, request)

    def _sentence(self, sentence: str, request: SpeechRequest) -> Iterator[EarlyPart | np.ndarray]:
        """The EarlyParts of one sentence (if asked for and the model has them), then its audio."""
        early = request.early_parts and self.native_speed  # a time stretch needs the whole sentence
        parts = []
        for part in self.synthesize_parts(sentence, request):
            part = np.clip(np.asarray(part, np.float32).reshape(-1), -1.0, 1.0)
            parts.append(part)
            if early and part.size:
                yield EarlyPart(self.sample_rate, part)
        audio = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        if not self.native_speed and request.speed != 1.0 and audio.size:
            audio = _stretch(audio, request.speed)
        yield audio

    def run(self, request: SpeechRequest, cancel: threading.Event) -> Iterator[Progress | Result[Audio]]:
        """Yield one Progress per sentence, in order, with its audio as soon as it is made (empty
        if the sentence was unpronounceable), then the whole recording. A request that does not
        `keep_audio` gets an empty recording: its caller keeps the chunks (long-form narration
        writes them to a file, so memory does not grow with the length of the text). A request
        with `early_parts` also gets each clause of a sentence as an EarlyPart before it."""
        chunks: list[np.ndarray] = []
        samples = 0
        total = len(request.sentences)
        for index, sentence in enumerate(request.sentences, 1):
            if cancel.is_set():
                break
            message = f"Sentence {index} of {total}"
            audio = np.zeros(0, np.float32)
            for piece in self._sentence(sentence, request.for_sentence(index - 1)):
                if isinstance(piece, EarlyPart):
                    yield Progress(message, (index - 1) / total, piece)
                else:
                    audio = piece
            samples += audio.size
            if audio.size and request.keep_audio:
                chunks.append(audio)
            yield Progress(message, index / total, (self.sample_rate, audio))
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
