"""Colorization that needs no learned weights: painted hints spread along edges, or the
colours of a reference photo (see colorize_classic for the methods and their sources)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from genai_studio.backends.base import Backend, Progress, Result, Task
from genai_studio.backends.image import colorize_classic, lab
from genai_studio.backends.image.colorize_request import ColorizeRequest
from genai_studio.errors import InvalidInput

log = logging.getLogger(__name__)


class ClassicColorize(Backend[ColorizeRequest]):
    name = "classic-colorize"
    task = Task.COLORIZE
    licence = "OpenCV (Apache-2.0), SciPy (BSD-3); methods: this project (Apache-2.0)"
    embedded = True
    title = "Hints or reference (embedded)"
    estimated_memory_mb = 100

    def load(self, device: str) -> None:
        """Nothing to load: the methods are filters and a nearest-neighbour search."""

    def run(self, request: ColorizeRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        if request.method == "prompt":
            raise InvalidInput(
                "The classic colorizer needs colour hints or a reference photo; "
                "colouring from a prompt alone needs a diffusion model."
            )
        yield Progress(f"Colorizing from {request.method}…", 0.0)
        started = time.perf_counter()
        lightness = lab.lightness(request.image)
        if request.method == "hints":
            hint_ab = lab.to_lab(request.hint_rgb)[:, :, 1:]
            ab = colorize_classic.spread_hints(lightness, hint_ab, request.hint_mask)
        else:
            ab = colorize_classic.transfer_from_reference(
                lightness, request.reference, seed=request.seed or 0
            )
        if cancel.is_set():
            return
        result = lab.combine(lightness, ab)
        seconds = time.perf_counter() - started
        log.info("%s colorization of %s in %.2f s", request.method, request.image.shape, seconds)
        notes = [f"Colorized from {request.method} in {seconds:.1f} s."]
        if request.was_colour:
            notes.append("The photo already had colour: only its lightness was used.")
        if request.method == "hints" and request.hint_colours() == 1:
            notes.append(
                "Every hint has the same colour, so the whole photo is tinted with it: paint other "
                "colours where they belong (white or grey keeps an area neutral)."
            )
        yield Result(result, params=request.params(), info=" ".join(notes))

    def unload(self) -> None:
        """Nothing to free."""
