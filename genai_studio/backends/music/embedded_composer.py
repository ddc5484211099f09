"""The embedded music backend: prompt -> plan -> arrangement with our melody model -> audio.

Runs offline on the CPU with weights this project trained (assets/music/) and a SoundFont
from Debian or pretty_midi. 15 s of music is composed and rendered in well under a second,
and the first audio chunk is ready after a few tens of milliseconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import numpy as np

from genai_studio.backends.base import READY, Availability, Backend, Progress, Result, Task
from genai_studio.backends.music.melody import WEIGHTS
from genai_studio.backends.music.request import MusicOutput, MusicRequest

log = logging.getLogger(__name__)

CHUNK_S = 1.0


class Composer(Backend[MusicRequest]):
    name = "composer"
    task = Task.MUSIC
    licence = (
        "melody model: trained by this project on the music21 corpus (BSD-3, public-domain tunes); "
        "FluidR3_GM SoundFont: MIT; tinysoundfont: MIT"
    )
    embedded = True
    estimated_memory_mb = 400

    def cpu_threads(self) -> int:
        return 1  # composing and the SoundFont renderer are single-threaded

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self._model = None
        self._soundfont = None

    @property
    def label(self) -> str:
        return "Composer (embedded, offline)"

    def available(self) -> Availability:
        from genai_studio.backends.music.render import soundfont_path

        if not WEIGHTS.is_file():
            return Availability(False, f"the melody model is missing ({WEIGHTS.name})")
        if soundfont_path() is None:
            return Availability(
                False, "no General MIDI SoundFont (install fluid-soundfont-gm or pretty_midi)"
            )
        return READY

    def load(self, device: str) -> None:
        from genai_studio.backends.music import render
        from genai_studio.backends.music.melody import MelodyModel

        self._model = MelodyModel.load()
        self._soundfont = render.shared_soundfont()

    def run(self, request: MusicRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        from genai_studio.backends.music import render
        from genai_studio.backends.music.compose import compose

        if self._model is None:
            raise RuntimeError("run() before load()")
        plan = request.plan
        started = time.perf_counter()
        yield Progress("Composing…", 0.0)
        piece = compose(plan, request.seed, self._model)
        chunks: list[np.ndarray] = []
        done = 0.0
        for chunk in render.stream(piece.midi, plan.seconds, CHUNK_S, self._soundfont):
            if cancel.is_set():
                break
            chunks.append(chunk)
            done += len(chunk) / render.SAMPLE_RATE
            yield Progress(
                f"Rendered {done:.0f} of {plan.seconds:g} s", done / plan.seconds, (render.SAMPLE_RATE, chunk)
            )
        audio = np.concatenate(chunks) if chunks else np.zeros((0, 2), np.float32)
        seconds = time.perf_counter() - started
        log.info("composed %.1f s of %s in %.2f s", len(audio) / render.SAMPLE_RATE, plan.genre, seconds)
        output = MusicOutput(render.SAMPLE_RATE, audio, piece.midi_bytes(), piece.chart)
        yield Result(
            output,
            params={**request.params(), "model": self.label, "stopped": cancel.is_set()},
            info=f"Chords: {piece.chart}",
        )

    def unload(self) -> None:
        self._model = None
        self._soundfont = None  # the SoundFont stays cached for the process: reloading costs 0.7-2 s
