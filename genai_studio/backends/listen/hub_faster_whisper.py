"""Whisper through faster-whisper (CTranslate2, MIT), by hub id, size name or folder:
`faster-whisper:Systran/faster-whisper-large-v3`, `faster-whisper:small`, or a folder holding a
converted model. float16 on CUDA, int8 on the CPU.

Long recordings are heard window by window (WINDOW_S of audio per call, decoded by ffmpeg as
a stream), so memory does not grow with their length. Whisper itself works through a window
30 s at a time; only segments ending more than TAIL_S before a window's cut are kept (they
came from 30-s stretches wholly inside it, exactly as in one call on the whole file), and
the next window starts where the last kept one ends, prompted with its text as Whisper
prompts each stretch with the text before it. A recording that fits one window is heard
in one call, as a plain faster-whisper call would.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Iterator
from contextlib import closing

import numpy as np
import psutil

from genai_studio.backends.base import READY, Availability
from genai_studio.backends.listen import media
from genai_studio.backends.listen.backend import SILENT_PEAK, Heard, ListenBackend
from genai_studio.backends.listen.request import AUTO, TranscribeRequest
from genai_studio.backends.listen.transcript import Segment, Word, join

log = logging.getLogger(__name__)

WINDOW_S = 300.0  # audio given to one faster-whisper call
TAIL_S = 30.0  # segments ending this close to a window's cut are heard again in the next window
PROMPT_CHARS = 300  # the text carried from one window to the next
BEAM_SIZE = 5  # faster-whisper's own default


def _device(requested: str) -> tuple[str, int]:
    """CUDA (and which GPU) where asked for or automatic and present, else the CPU. Asked of
    CTranslate2 itself: it has its own CUDA build, and torch need not be imported."""
    import ctranslate2

    if requested == "cpu" or not requested.startswith(("auto", "cuda")):
        return "cpu", 0
    if ctranslate2.get_cuda_device_count() == 0:
        if requested.startswith("cuda"):
            raise RuntimeError(f"device {requested!r} was asked for but CTranslate2 sees no CUDA GPU")
        return "cpu", 0
    _, _, index = requested.partition(":")
    return "cuda", int(index or 0)


class FasterWhisper(ListenBackend):
    name = "faster-whisper"
    licence = "faster-whisper, CTranslate2: MIT; weights: see the model's card (OpenAI Whisper: MIT)"
    estimated_memory_mb = 3000

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self._model = None

    def available(self) -> Availability:
        if importlib.util.find_spec("faster_whisper") is None:
            return Availability(False, "the faster-whisper package is not installed")
        return READY

    def source(self) -> str:
        """What WhisperModel loads: a size name, a hub id or a folder."""
        return self.ref

    def load(self, device: str) -> None:
        from faster_whisper import WhisperModel

        where, index = _device(device)
        compute = "float16" if where == "cuda" else "int8"
        threads = psutil.cpu_count(logical=False) or 1
        self._model = WhisperModel(
            self.source(), device=where, device_index=index, compute_type=compute, cpu_threads=threads
        )
        log.info("Whisper %s on %s (%s, %d threads)", self.label, where, compute, threads)

    def unload(self) -> None:
        self._model = None

    def recognise(self, request: TranscribeRequest, cancel: threading.Event) -> Iterator[Segment | Heard]:
        if self._model is None:
            raise RuntimeError("recognise() before load()")
        rate = media.SAMPLE_RATE
        language = None if request.language == AUTO else request.language
        options: dict = {
            "task": request.task,
            "word_timestamps": request.word_timestamps,
            "beam_size": BEAM_SIZE,
            "initial_prompt": request.prompt or None,
        }
        if request.temperature is not None:
            options["temperature"] = request.temperature
        buffer, offset, peak, ended = np.zeros(0, np.float32), 0.0, 0.0, False
        with closing(media.decode(request.media, max_seconds=request.max_seconds)) as blocks:
            while not ended:
                pieces = [buffer]
                while sum(piece.size for piece in pieces) < WINDOW_S * rate:
                    block = next(blocks, None)
                    if block is None:
                        ended = True
                        break
                    pieces.append(block)
                    if cancel.is_set():
                        return
                buffer = np.concatenate(pieces)
                length = buffer.size / rate
                loudest = float(np.abs(buffer).max()) if buffer.size else 0.0
                peak = max(peak, loudest)
                keep_from = length if ended else max(length - TAIL_S, 0.0)
                if loudest >= SILENT_PEAK:
                    found, info = self._model.transcribe(buffer, language=language, **options)
                    language = language or info.language
                    yield Heard(offset, peak, language)
                    kept: list[Segment] = []
                    for segment in found:
                        if cancel.is_set():
                            return
                        if not ended and segment.end > length - TAIL_S:  # near the cut: heard again
                            keep_from = max(kept[-1].end - offset if kept else 0.0, segment.start - 1.0)
                            break
                        kept.append(_segment(segment, offset))
                        yield kept[-1]
                    if kept:
                        options["initial_prompt"] = join([s.text for s in kept], language)[-PROMPT_CHARS:]
                offset += keep_from
                buffer = buffer[round(keep_from * rate) :]
                yield Heard(offset, peak, language or "")


def _segment(segment, offset: float) -> Segment:
    """faster-whisper's segment as the studio's, its times from the start of the recording."""

    def at(seconds: float) -> float:
        return round(float(seconds) + offset, 3)

    words = tuple(
        Word(at(w.start), at(w.end), w.word, round(float(w.probability), 4)) for w in segment.words or ()
    )
    return Segment(
        at(segment.start),
        at(segment.end),
        segment.text,
        words,
        float(segment.avg_logprob),
        float(segment.no_speech_prob),
        float(segment.compression_ratio),
        float(segment.temperature or 0.0),
    )
