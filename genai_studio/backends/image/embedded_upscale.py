"""Super-resolution x2, x3 and x4 with the ESRGAN "thick" networks of UpscalerJS (MIT,
trained on DIV2K), run by the studio's own torch port (`esrgan_net`) in tiles with overlap
(`upscale_tiles`): bounded memory at any size, progress per tile, Stop between tiles.

The weights are not in the clone: `upscale_weights` fetches them with npm and converts them
once (the set-up does it); `load` does it too when they are missing and npm is there.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from genai_studio import devices
from genai_studio.backends.base import READY, Availability, Backend, Progress, Result, Task
from genai_studio.backends.image import upscale_weights
from genai_studio.backends.image.upscale_request import SCALES, UpscaleRequest
from genai_studio.backends.image.upscale_tiles import upscale_tiled

log = logging.getLogger(__name__)


class ESRGANUpscale(Backend[UpscaleRequest]):
    name = "esrgan"
    task = Task.UPSCALE
    licence = "UpscalerJS esrgan-thick weights: MIT (trained on DIV2K); torch port: this project (Apache-2.0)"
    embedded = True
    title = "ESRGAN thick x2/x3/x4 (UpscalerJS, embedded)"
    estimated_memory_mb = 900
    tile = 192  # input pixels a side per tile: larger is a little faster and takes more memory
    margin = 16  # context around each tile: from 8 on the tiled result is the whole-image one ±1

    def __init__(self, ref: str, settings: Any) -> None:
        super().__init__(ref, settings)
        self._networks: dict[int, Any] = {}
        self._device = "cpu"

    def available(self) -> Availability:
        if upscale_weights.is_ready(self.settings.cache_dir):
            return READY
        if shutil.which("npm"):
            return Availability(True, "its weights (110 MB) are fetched with npm on first use")
        return Availability(False, f"its weights are missing: {upscale_weights.SETUP_HINT}.")

    def load(self, device: str) -> None:
        import torch

        from genai_studio.backends.image import esrgan_net

        upscale_weights.prepare(self.settings.cache_dir)
        self._device = devices.resolve_device(device)
        self._networks = {
            scale: esrgan_net.load(upscale_weights.weights_file(self.settings.cache_dir, scale), scale)
            .to(self._device)
            .to(memory_format=torch.channels_last)  # about 10 % faster on the CPU
            for scale in SCALES
        }

    def enlarge(self, image: np.ndarray, scale: int) -> np.ndarray:
        """One pass of the network over `image` (uint8 H, W, 3): uint8 (sH, sW, 3)."""
        import torch

        pixels = torch.from_numpy(np.array(image, dtype=np.float32)).to(self._device)
        with torch.inference_mode():
            x = pixels.permute(2, 0, 1)[None].div_(255.0).contiguous(memory_format=torch.channels_last)
            y = self._networks[scale](x)[0].clamp_(0.0, 1.0).mul_(255.0).round_()
            return y.to(torch.uint8).permute(1, 2, 0).cpu().numpy()

    def run(self, request: UpscaleRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        started = time.perf_counter()
        yield Progress(f"Upscaling x{request.scale}…", 0.0)
        result = yield from upscale_tiled(
            request.image,
            request.scale,
            lambda crop: self.enlarge(crop, request.scale),
            cancel,
            tile=self.tile,
            margin=self.margin,
        )
        if result is None:
            return
        seconds = time.perf_counter() - started
        width, height = request.output_size
        log.info("esrgan x%d to %dx%d in %.2f s", request.scale, width, height, seconds)
        yield Result(
            result,
            params=request.params(),
            info=f"Upscaled x{request.scale} to {width}x{height} in {seconds:.1f} s.",
        )

    def unload(self) -> None:
        self._networks = {}
