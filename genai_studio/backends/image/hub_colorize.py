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
from typing import Any

import cv2
import numpy as np
from PIL import Image

from genai_studio.backends.base import Backend, Progress, Result, Task
from genai_studio.backends.image import hub_diffusers_common as common
from genai_studio.backends.image import lab
from genai_studio.backends.image.colorize_request import MAX_SEED, ColorizeRequest
from genai_studio.backends.image.hub_diffusers_common import Step
from genai_studio.errors import ModelUnavailable

log = logging.getLogger(__name__)

DEFAULT_CONTROLNET = "latentcat/control_v1p_sd15_brightness"  # CreativeML OpenRAIL-M
DEFAULT_PROMPT = "a colour photograph, natural colours, realistic"
PREVIEW_SIDE = 512  # previews are shown on a photo this size, not at full resolution


def split_ref(ref: str, default_extra: str) -> tuple[str, str]:
    """`base|extra` -> (base, extra); a missing extra part takes `default_extra`."""
    base, _, extra = ref.partition("|")
    return base.strip(), extra.strip() or default_extra


def work_size(image: np.ndarray, native: int, multiple: int = 8) -> tuple[int, int]:
    """(width, height) with the longer side at the model's native size, both multiples of 8."""
    height, width = image.shape[:2]
    scale = native / max(height, width)
    return (
        max(multiple, round(width * scale / multiple) * multiple),
        max(multiple, round(height * scale / multiple) * multiple),
    )


class DiffusersColorize(Backend[ColorizeRequest]):
    name = "sd-colorize"
    task = Task.COLORIZE
    licence = (
        "diffusers: Apache-2.0; weights: see the model cards (SD 1.5, ControlNet: CreativeML OpenRAIL-M)"
    )
    estimated_memory_mb = 6500

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self._pipe: Any = None
        self._device = "cpu"

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
        if self._pipe is None:
            raise RuntimeError("run() before load()")
        native = int(self._pipe.unet.config.sample_size * self._pipe.vae_scale_factor)
        width, height = work_size(request.image, native)
        grey = np.asarray(Image.fromarray(request.image).convert("L").convert("RGB"))
        control = Image.fromarray(cv2.resize(grey, (width, height), interpolation=cv2.INTER_AREA))
        seed = request.seed if request.seed is not None else int(np.random.default_rng().integers(MAX_SEED))
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
        yield Progress("Denoising…", 0.0)
        output = None
        for item in common.stream_pipeline(self._pipe, kwargs, cancel):
            if isinstance(item, Step):
                preview = lab.keep_lightness(item.preview, small)  # the colours on the photo's tones
                yield Progress(
                    f"Step {item.step}/{request.steps}", item.step / request.steps, partial=preview
                )
            else:
                output = item
        if output is None or cancel.is_set():
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

    def unload(self) -> None:
        self._pipe = None


def _fit(image: np.ndarray, side: int) -> np.ndarray:
    scale = side / max(image.shape[:2])
    if scale >= 1:
        return image
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
