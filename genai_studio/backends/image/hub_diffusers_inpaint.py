"""Stable Diffusion inpainting (SD 1.5, SD 2, SDXL inpainting checkpoints) through diffusers,
by hub id or local folder.

The area around the hole is cropped, processed at the model's native size and blended
back, so the result keeps the photo's own resolution and every pixel outside the mask.
Each step streams a preview; Stop interrupts between steps.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import numpy as np
from PIL import Image

from genai_studio import images
from genai_studio.backends.base import Progress, Result, Task
from genai_studio.backends.image import hub_diffusers_common as common
from genai_studio.backends.image.hub_diffusers_common import DiffusersBackend, Step
from genai_studio.backends.image.inpaint_request import InpaintRequest

log = logging.getLogger(__name__)

CONTEXT = 1.0  # the crop spans the hole plus its own size on each side


class DiffusersInpaint(DiffusersBackend[InpaintRequest]):
    name = "sd-inpaint"
    task = Task.INPAINT
    licence = "diffusers: Apache-2.0; weights: see the model card (SD 1.5/2: CreativeML OpenRAIL-M)"
    estimated_memory_mb = 6000

    def load(self, device: str) -> None:
        self._pipe, self._device = common.load_pipeline("AutoPipelineForInpainting", self.ref, device)

    def run(self, request: InpaintRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        pipe = self.pipe
        region = images.plan_region(
            request.mask,
            self.native_size(),
            context=CONTEXT,
            multiple=pipe.vae_scale_factor,
            upscale=True,
        )
        crop, crop_mask = region.crop(request.image, request.mask)
        seed = self.seed_for(request.seed)
        width, height = region.work_size
        kwargs = dict(
            prompt=request.prompt,
            negative_prompt=request.negative_prompt or None,
            image=Image.fromarray(crop),
            mask_image=Image.fromarray(crop_mask.astype(np.uint8) * 255),
            width=width,
            height=height,
            num_inference_steps=request.steps,
            guidance_scale=request.guidance,
            strength=request.strength,
            generator=common.generator_for(seed, self._device),
        )

        def progress(step: Step) -> Progress:
            small = Image.fromarray(step.preview)
            preview = np.asarray(small.resize((width, height), Image.Resampling.BILINEAR))
            return Progress(
                f"Step {step.step}/{step.total}",
                step.step / step.total,
                partial=region.paste(request.image, request.mask, preview),
            )

        output = yield from common.denoise(pipe, kwargs, cancel, progress)
        if output is None:
            return
        result = region.paste(request.image, request.mask, np.asarray(output.images[0].convert("RGB")))
        params = {**request.params(), "seed": seed, "model_ref": self.ref}
        yield Result(result, params=params, info=f"Inpainted with {self.ref}.")
