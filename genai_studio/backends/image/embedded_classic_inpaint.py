"""Inpainting that needs no learned weights: OpenCV's Telea and Navier-Stokes diffusion for
thin masks on large photos, and this project's PatchMatch exemplar fill for large holes and
for whatever it can fill at full size.

Large photos are filled around the hole at a working resolution and blended back, so a
4000-pixel photo costs about what its hole's neighbourhood costs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import cv2
import numpy as np

from genai_studio import images
from genai_studio.backends.base import Backend, Progress, Result, Task
from genai_studio.backends.image import patchmatch
from genai_studio.backends.image.inpaint_request import InpaintRequest, choose_method
from genai_studio.errors import InvalidInput

log = logging.getLogger(__name__)

OPENCV_FLAGS = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}
OPENCV_RADIUS = 5  # neighbourhood each diffused pixel looks at
OPENCV_WORKING_SIZE = 4096  # diffusion is cheap: stay at (nearly) full resolution
PATCHMATCH_WORKING_SIZE = 1024  # exemplar fill cost grows with the hole; beyond this, downscale


class ClassicInpaint(Backend[InpaintRequest]):
    name = "classic-inpaint"
    task = Task.INPAINT
    licence = "OpenCV inpaint: Apache-2.0; PatchMatch fill: this project (Apache-2.0)"
    embedded = True
    title = "Classic fill (embedded: OpenCV + PatchMatch)"
    estimated_memory_mb = 100

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self._loaded = False

    def load(self, device: str) -> None:
        """Compile (or load from numba's on-disk cache) the PatchMatch kernels now, not mid-request."""
        sample = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
        hole = np.zeros((64, 64), dtype=bool)
        hole[24:40, 24:40] = True
        patchmatch.fill(sample, hole, rounds=(1, 1))
        self._loaded = True

    def run(self, request: InpaintRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        method = request.method
        if method == "auto":
            full_size = images.plan_region(request.mask, PATCHMATCH_WORKING_SIZE).scale == 1.0
            method = choose_method(request.mask, exemplar_full_size=full_size)
        seed = request.seed if request.seed is not None else int(np.random.default_rng().integers(2**31))
        yield Progress(f"Filling with {method}…", 0.0)
        started = time.perf_counter()
        if method in OPENCV_FLAGS:
            flag = OPENCV_FLAGS[method]

            def fill(crop: np.ndarray, hole: np.ndarray) -> np.ndarray:
                return cv2.inpaint(crop, hole.astype(np.uint8), OPENCV_RADIUS, flag)

            working_size = OPENCV_WORKING_SIZE
        else:

            def fill(crop: np.ndarray, hole: np.ndarray) -> np.ndarray:
                return patchmatch.fill(crop, hole, seed=seed, cancel=cancel)

            working_size = PATCHMATCH_WORKING_SIZE
        try:
            result = images.fill_at_working_size(request.image, request.mask, fill, working_size)
        except ValueError as exc:  # the hole leaves nothing to copy from
            raise InvalidInput(f"This mask cannot be filled with {method}: {exc}.") from None
        seconds = time.perf_counter() - started
        log.info("%s fill of %s in %.2f s", method, request.image.shape, seconds)
        params = {**request.params(), "method": method, "requested_method": request.method}
        if method == "patchmatch":
            params["seed"] = seed
        yield Result(result, params=params, info=f"Filled with {method} in {seconds:.1f} s.")

    def unload(self) -> None:
        self._loaded = False
