"""Text to image with Stable Diffusion pipelines (SD 1.5, SD 2, SDXL...) through diffusers,
by hub id or local folder: for users with a GPU (a CPU takes minutes per image)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from genai_studio.backends.base import Progress, Result, Task
from genai_studio.backends.image import hub_diffusers_common as common
from genai_studio.backends.image.diffusion_inputs import diffusion_fields
from genai_studio.backends.image.hub_diffusers_common import DiffusersBackend, Step
from genai_studio.inputs import bounded_int

log = logging.getLogger(__name__)

MIN_SIDE, MAX_SIDE = 256, 2048


@dataclass(frozen=True)
class TextToImageRequest:
    prompt: str
    negative_prompt: str = ""
    width: int = 512
    height: int = 512
    steps: int = 25
    guidance: float = 7.5
    seed: int | None = None  # None: random

    def params(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt,
            "width": self.width,
            "height": self.height,
            "steps": self.steps,
            "guidance": self.guidance,
            "seed": self.seed,
        }


def build_text_to_image_request(
    *,
    prompt: object,
    negative_prompt: object = "",
    width: object = 512,
    height: object = 512,
    steps: object = 25,
    guidance: object = 7.5,
    seed: object = -1,
) -> TextToImageRequest:
    """Check every user value; sizes must be multiples of 8 (the latent grid). Raises InvalidInput."""
    width = bounded_int(width, field="Width", low=MIN_SIDE, high=MAX_SIDE)
    height = bounded_int(height, field="Height", low=MIN_SIDE, high=MAX_SIDE)
    diffusion = diffusion_fields(
        prompt=prompt,
        negative_prompt=negative_prompt,
        steps=steps,
        guidance=guidance,
        seed=seed,
        prompt_required=True,
    )
    return TextToImageRequest(width=width // 8 * 8, height=height // 8 * 8, **diffusion)


class DiffusersTextToImage(DiffusersBackend[TextToImageRequest]):
    name = "sd-txt2img"
    task = Task.TEXT_TO_IMAGE
    licence = "diffusers: Apache-2.0; weights: see the model card (SD 1.5/2: CreativeML OpenRAIL-M)"
    estimated_memory_mb = 6000

    def load(self, device: str) -> None:
        self._pipe, self._device = common.load_pipeline("AutoPipelineForText2Image", self.ref, device)

    def run(self, request: TextToImageRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        pipe = self.pipe
        seed = self.seed_for(request.seed)
        kwargs = dict(
            prompt=request.prompt,
            negative_prompt=request.negative_prompt or None,
            width=request.width,
            height=request.height,
            num_inference_steps=request.steps,
            guidance_scale=request.guidance,
            generator=common.generator_for(seed, self._device),
        )

        def progress(step: Step) -> Progress:
            preview = Image.fromarray(step.preview).resize((request.width, request.height))
            return Progress(f"Step {step.step}/{step.total}", step.step / step.total, np.asarray(preview))

        output = yield from common.denoise(pipe, kwargs, cancel, progress)
        if output is None:
            return
        params = {**request.params(), "seed": seed, "model_ref": self.ref}
        yield Result(
            np.asarray(output.images[0].convert("RGB")), params=params, info=f"Made with {self.ref}."
        )
