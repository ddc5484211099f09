"""Super-resolution with the Stable Diffusion x4 upscaler (or any StableDiffusionUpscalePipeline
folder) through diffusers, in tiles of its native 128-pixel input so memory stays bounded.

The model always enlarges x4; x2 and x3 are its x4 result scaled down (area averaging).
Each tile shows its neighbours' pixels as context, so the seams are faint, but the noise
each tile is denoised from differs: fine texture can change across a tile border. Progress
per tile; Stop stops within a tile, at its next denoising step.

Model spec: `sd-upscale:<hub id or local folder>`, e.g. stabilityai/stable-diffusion-x4-upscaler.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np

from genai_studio.backends.base import Progress, Result, Task
from genai_studio.backends.image import hub_diffusers_common as common
from genai_studio.backends.image.hub_diffusers_common import DiffusersBackend
from genai_studio.backends.image.upscale_request import UpscaleRequest
from genai_studio.backends.image.upscale_tiles import upscale_tiled
from genai_studio.errors import InvalidInput

log = logging.getLogger(__name__)

MODEL_SCALE = 4
MULTIPLE = 8  # the UNet halves the size three times: tiles are padded to a multiple of 8


class _Stopped(Exception):
    """Raised from the pipeline's step callback to leave it at once when Stop is pressed."""


class DiffusersUpscale(DiffusersBackend[UpscaleRequest]):
    name = "sd-upscale"
    task = Task.UPSCALE
    licence = "diffusers: Apache-2.0; weights: see the model card (SD x4 upscaler: CreativeML Open RAIL++-M)"
    estimated_memory_mb = 4000
    tile = 128  # input pixels a side: the model's native 512-pixel output
    margin = 32

    def load(self, device: str) -> None:
        self._pipe, self._device = common.load_pipeline("StableDiffusionUpscalePipeline", self.ref, device)

    def _enlarge(
        self, crop: np.ndarray, scale: int, request: UpscaleRequest, generator: Any, cancel: threading.Event
    ) -> np.ndarray | None:
        """The pipeline on one tile (edge-padded to a multiple of 8), at `scale`; None on Stop."""
        height, width = crop.shape[:2]
        padded = np.pad(crop, ((0, -height % MULTIPLE), (0, -width % MULTIPLE), (0, 0)), mode="edge")

        def on_step(step: int, timestep: Any, latents: Any) -> None:
            if cancel.is_set():
                raise _Stopped

        try:
            output = self.pipe(
                prompt=request.prompt,
                negative_prompt=request.negative_prompt or None,
                image=padded.astype(np.float32)[None] / 255.0,
                num_inference_steps=request.steps,
                guidance_scale=request.guidance,
                noise_level=request.noise_level,
                generator=generator,
                output_type="np",
                callback=on_step,
            )
        except _Stopped:
            return None
        enlarged = output.images[0][: height * MODEL_SCALE, : width * MODEL_SCALE]
        enlarged = np.rint(np.clip(enlarged, 0.0, 1.0) * 255).astype(np.uint8)
        if scale != MODEL_SCALE:
            enlarged = cv2.resize(enlarged, (width * scale, height * scale), interpolation=cv2.INTER_AREA)
        return enlarged

    def run(self, request: UpscaleRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        pipe = self.pipe
        if request.noise_level > pipe.config.max_noise_level:
            raise InvalidInput(f"Noise level must be at most {pipe.config.max_noise_level} for this model.")
        seed = self.seed_for(request.seed)
        generator = common.generator_for(seed, self._device)
        yield Progress(f"Upscaling x{request.scale} with {self.ref}…", 0.0)
        result = yield from upscale_tiled(
            request.image,
            request.scale,
            lambda crop: self._enlarge(crop, request.scale, request, generator, cancel),
            cancel,
            tile=self.tile,
            margin=self.margin,
        )
        if result is None:
            return
        width, height = request.output_size
        params = {**request.diffusion_params(), "seed": seed, "model_ref": self.ref}
        yield Result(
            result, params=params, info=f"Upscaled x{request.scale} to {width}x{height} with {self.ref}."
        )
