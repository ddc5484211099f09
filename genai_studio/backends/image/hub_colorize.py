"""Colorization by Stable Diffusion with a brightness ControlNet, through diffusers.

The ControlNet is conditioned on the photo's greyscale, so the model paints colours that fit
its tones; the prompt steers them ("a 1950s street, red car, blue sky"). The result's
lightness is then replaced by the original's, so no tone, edge or detail of the photo
changes: only colour is added, at the photo's full resolution.

Model spec: `sd-colorize:<base>|<controlnet>`, each a hub id or local folder; without
`|<controlnet>` the brightness ControlNet below is used. Works with SD 1.x/2.x bases.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterator

import cv2
import numpy as np
from PIL import Image

from genai_studio.backends.base import Progress, Result, Task
from genai_studio.backends.image import hub_diffusers_common as common
from genai_studio.backends.image import lab
from genai_studio.backends.image.colorize_request import ColorizeRequest
from genai_studio.backends.image.hub_diffusers_common import DiffusersBackend, Step, split_ref, work_size
from genai_studio.errors import ModelUnavailable

log = logging.getLogger(__name__)

DEFAULT_CONTROLNET = "latentcat/control_v1p_sd15_brightness"  # CreativeML OpenRAIL-M
DEFAULT_PROMPT = "a colour photograph, natural colours, realistic"
PREVIEW_SIDE = 512  # previews are shown on a photo this size, not at full resolution


class DiffusersColorize(DiffusersBackend[ColorizeRequest]):
    name = "sd-colorize"
    task = Task.COLORIZE
    licence = (
        "diffusers: Apache-2.0; weights: see the model cards (SD 1.5, ControlNet: CreativeML OpenRAIL-M)"
    )
    estimated_memory_mb = 6500

    def load(self, device: str) -> None:
        import diffusers

        base, control = split_ref(self.ref, DEFAULT_CONTROLNET)
        pipe, self._device = common.load_pipeline("AutoPipelineForText2Image", base, device)
        try:
            controlnet = diffusers.ControlNetModel.from_pretrained(control, torch_dtype=pipe.unet.dtype)
        except OSError as exc:
            raise ModelUnavailable(
                f"Could not load the ControlNet {control!r}: {exc}. Download it once with network "
                "access, or point the model spec at a local folder."
            ) from None
        self._pipe = diffusers.StableDiffusionControlNetPipeline.from_pipe(pipe, controlnet=controlnet)
        self._pipe.controlnet.to(self._device)
        self._pipe.set_progress_bar_config(disable=True)

    def run(self, request: ColorizeRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        pipe = self.pipe
        width, height = work_size(request.image, self.native_size())
        grey = np.asarray(Image.fromarray(request.image).convert("L").convert("RGB"))
        control = Image.fromarray(cv2.resize(grey, (width, height), interpolation=cv2.INTER_AREA))
        seed = self.seed_for(request.seed)
        kwargs = dict(
            prompt=request.prompt or DEFAULT_PROMPT,
            negative_prompt=request.negative_prompt or None,
            image=control,
            width=width,
            height=height,
            num_inference_steps=request.steps,
            guidance_scale=request.guidance,
            generator=common.generator_for(seed, self._device),
        )
        small = _fit(request.image, PREVIEW_SIDE)

        def progress(step: Step) -> Progress:
            preview = lab.keep_lightness(step.preview, small)  # the colours on the photo's tones
            return Progress(f"Step {step.step}/{request.steps}", step.step / request.steps, partial=preview)

        output = yield from common.denoise(pipe, kwargs, cancel, progress)
        if output is None:
            return
        result = lab.keep_lightness(np.asarray(output.images[0].convert("RGB")), request.image)
        params = {
            **dataclasses.replace(request, method="prompt").params(),
            "seed": seed,
            "model_ref": self.ref,
        }
        notes = f"Colorized with {self.ref}; the photo's lightness is kept."
        if request.method != "prompt":
            notes += f" Diffusion models colour from the prompt: the {request.method} were not used."
        yield Result(result, params=params, info=notes)


def _fit(image: np.ndarray, side: int) -> np.ndarray:
    scale = side / max(image.shape[:2])
    if scale >= 1:
        return image
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
