"""What every Listen backend shares: Whisper's languages and the segment-by-segment run.

A backend only says how to hear a request (`recognise`: its segments in order, and Heard
notes on how far it has got); streaming each segment as Progress, Stop between segments,
Chinese in simplified characters and the final Transcript are written once, here.
"""

from __future__ import annotations

import functools
import threading
from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, replace

from genai_studio.backends.base import Backend, Progress, Result, Task
from genai_studio.backends.listen.request import AUTO, TranscribeRequest, language_choices
from genai_studio.backends.listen.transcript import Segment, Transcript

SILENT_PEAK = 10 ** (-50 / 20)  # a recording whose loudest sample is below -50 dBFS is silence
SILENT = "The recording is silent: there is no speech in it, so the transcript is empty."
NOTHING_HEARD = "No speech was recognised in this recording, so the transcript is empty."


@dataclass(frozen=True)
class Heard:
    """How far recognition has got: seconds of audio heard, the loudest sample so far, and the
    language spoken once it is known ("" before)."""

    seconds: float
    peak: float = 1.0
    language: str = ""


@functools.cache
def _to_simplified():
    import opencc

    return opencc.OpenCC("t2s")


def simplified(segment: Segment) -> Segment:
    """A Chinese segment in simplified characters (Whisper often writes traditional ones)."""
    convert = _to_simplified().convert
    words = tuple(replace(word, text=convert(word.text)) for word in segment.words)
    return replace(segment, text=convert(segment.text), words=words)


class ListenBackend(Backend[TranscribeRequest]):
    """A speech recogniser. `languages()` maps codes to names shown to users; it must be cheap."""

    task = Task.TRANSCRIBE

    def languages(self) -> dict[str, str]:
        return language_choices()

    @abstractmethod
    def recognise(self, request: TranscribeRequest, cancel: threading.Event) -> Iterator[Segment | Heard]:
        """The request's segments in order (times from the start of the recording), with a
        Heard note whenever the language becomes known and as the audio is read; returns
        early once `cancel` is set."""

    def run(
        self, request: TranscribeRequest, cancel: threading.Event
    ) -> Iterator[Progress | Result[Transcript]]:
        """One Progress per segment as it is recognised (its Segment as the partial), Progress
        without a partial as silence or music goes by, then the whole Transcript. Silence gives
        an empty transcript and a Result whose info says so."""
        segments: list[Segment] = []
        heard = Heard(0.0, 0.0, "" if request.language == AUTO else request.language)
        total = request.seconds
        for item in self.recognise(request, cancel):
            if cancel.is_set():
                break
            if isinstance(item, Heard):
                heard = Heard(item.seconds, max(item.peak, heard.peak), item.language or heard.language)
                fraction = min(heard.seconds / total, 1.0) if total else None
                yield Progress(self._said(heard.seconds, total), fraction)
                continue
            if heard.language in ("zh", "yue") and not request.translate:
                item = simplified(item)
            segments.append(item)
            fraction = min(item.end / total, 1.0) if total else None
            yield Progress(self._said(item.end, total), fraction, item)
        duration = max(heard.seconds, segments[-1].end if segments else 0.0)
        transcript = Transcript(tuple(segments), heard.language or "en", duration, request.task)
        info = ""
        if not segments and not cancel.is_set():
            info = SILENT if heard.peak < SILENT_PEAK else NOTHING_HEARD
        params = {
            **request.params(),
            "model": self.label,
            "detected_language": transcript.language,
            "seconds": round(duration, 3),
            "segments": len(segments),
            "stopped": cancel.is_set(),
        }
        yield Result(transcript, params=params, info=info)

    @staticmethod
    def _said(seconds: float, total: float | None) -> str:
        return f"Heard {seconds:.0f} s of {total:.0f} s" if total else f"Heard {seconds:.0f} s"
