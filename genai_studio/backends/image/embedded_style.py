"""Style transfer without learned weights: patch synthesis from any style image, or a quick
look (oil, pencil, watercolour, cartoon). The strength blends the result with the content;
"keep colours" puts the content's colours back on the result's lightness."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import cv2
import numpy as np

from genai_studio.backends.base import Backend, Progress, Result, Task
from genai_studio.backends.image import lab, style_patch
from genai_studio.backends.image.style_looks import apply_look
from genai_studio.backends.image.style_request import STYLE_IMAGE, StyleRequest
from genai_studio.errors import InvalidInput

log = logging.getLogger(__name__)


def finish(content: np.ndarray, styled: np.ndarray, strength: float, keep_colours: bool) -> np.ndarray:
    """`styled` at the content's size, optionally with the content's colours, blended with
    the content by `strength` (0: the content, 1: the styled image)."""
    height, width = content.shape[:2]
    if styled.shape[:2] != (height, width):
        styled = cv2.resize(styled, (width, height), interpolation=cv2.INTER_CUBIC)
    if keep_colours:
        styled = lab.keep_lightness(content, styled)
    blended = content.astype(np.float32) + strength * (styled.astype(np.float32) - content)
    return np.rint(blended).clip(0, 255).astype(np.uint8)


class ClassicStyle(Backend[StyleRequest]):
    name = "classic-style"
    task = Task.STYLE
    licence = "OpenCV (Apache-2.0), SciPy (BSD-3); patch synthesis: this project (Apache-2.0)"
    embedded = True
    title = "Patch synthesis and quick looks (embedded)"
    estimated_memory_mb = 300

    def load(self, device: str) -> None:
        """Nothing to load: the methods are filters and a patch search."""

    def run(self, request: StyleRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        started = time.perf_counter()
        if request.fixed_index is not None:
            raise InvalidInput(f"The fixed style {request.look} needs the learned model (neural-style).")
        if request.look == STYLE_IMAGE:
            yield Progress("Matching style patches…", 0.0)
            seed = request.seed if request.seed is not None else int(np.random.default_rng().integers(2**31))
            styled = None
            for fraction, styled in style_patch.stylize(
                request.content, request.style, work_side=request.work_side, seed=seed
            ):
                if cancel.is_set():
                    return
                yield Progress(f"Synthesising… {fraction:.0%}", fraction, partial=styled)
            params = {**request.params(), "seed": seed}
        else:
            styled = apply_look(request.look, request.content)
            params = request.params()
        result = finish(request.content, styled, request.strength, request.keep_colours)
        seconds = time.perf_counter() - started
        log.info("%s style on %s in %.2f s", request.look, request.content.shape, seconds)
        yield Result(result, params=params, info=f"Styled ({request.look}) in {seconds:.1f} s.")

    def unload(self) -> None:
        """Nothing to free."""
