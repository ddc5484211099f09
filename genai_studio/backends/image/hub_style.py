"""Style transfer by Stable Diffusion image-to-image with an IP-Adapter, through diffusers.

The content photo is the starting image (strength: how much of it is repainted) and the
style image is shown to the model through the IP-Adapter's image encoder (style weight: how
strongly it counts); the prompt can add what words say better. Every step streams a
preview; Stop interrupts between steps.

Model spec: `sd-style:<base>|<ip-adapter>`, each a hub id or local folder. The IP-Adapter
folder holds `models/ip-adapter_sd15.safetensors` and `models/image_encoder/`, as in
h94/IP-Adapter (the default). Works with SD 1.x bases.
"""

from __future__ import annotations

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
from genai_studio.backends.image.hub_colorize import split_ref, work_size
from genai_studio.backends.image.hub_diffusers_common import Step
from genai_studio.backends.image.style_request import MAX_SEED, STYLE_IMAGE, StyleRequest
from genai_studio.errors import InvalidInput, ModelUnavailable

log = logging.getLogger(__name__)

DEFAULT_IP_ADAPTER = "h94/IP-Adapter"  # Apache-2.0
IP_ADAPTER_FOLDER = "models"
IP_ADAPTER_WEIGHTS = "ip-adapter_sd15.safetensors"
DEFAULT_PROMPT = "a painting, artwork, best quality"


class DiffusersStyle(Backend[StyleRequest]):
    name = "sd-style"
    task = Task.STYLE
    licence = (
        "diffusers: Apache-2.0; weights: see the model cards "
        "(SD 1.5: CreativeML OpenRAIL-M; IP-Adapter: Apache-2.0)"
    )
    estimated_memory_mb = 6500

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self._pipe: Any = None
        self._device = "cpu"

    def load(self, device: str) -> None:
        base, adapter = split_ref(self.ref, DEFAULT_IP_ADAPTER)
        pipe, self._device = common.load_pipeline("AutoPipelineForImage2Image", base, device)
        try:
            pipe.load_ip_adapter(adapter, subfolder=IP_ADAPTER_FOLDER, weight_name=IP_ADAPTER_WEIGHTS)
        except OSError as exc:
            raise ModelUnavailable(
                f"Could not load the IP-Adapter {adapter!r}: {exc}. Download it once with network "
                "access, or point the model spec at a local folder."
            ) from None
        self._pipe = pipe

    def run(self, request: StyleRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        if self._pipe is None:
            raise RuntimeError("run() before load()")
        if request.look != STYLE_IMAGE or request.style is None:
            raise InvalidInput(
                "Diffusion style transfer takes a style image; the quick looks are classic only."
            )
        steps_run = int(request.steps * request.strength)
        if steps_run < 1:
            raise InvalidInput("Strength x steps is below one step: raise the strength or the steps.")
        native = int(self._pipe.unet.config.sample_size * self._pipe.vae_scale_factor)
        width, height = work_size(request.content, native)
        content = Image.fromarray(cv2.resize(request.content, (width, height), interpolation=cv2.INTER_AREA))
        seed = request.seed if request.seed is not None else int(np.random.default_rng().integers(MAX_SEED))
        self._pipe.set_ip_adapter_scale(request.style_weight)
        kwargs = dict(
            prompt=request.prompt or DEFAULT_PROMPT,
            negative_prompt=request.negative_prompt or None,
            image=content,
            ip_adapter_image=Image.fromarray(request.style),
            strength=request.strength,
            num_inference_steps=request.steps,
            guidance_scale=request.guidance,
            generator=common.generator_for(seed, self._device),
        )
        yield Progress("Denoising…", 0.0)
        output = None
        for item in common.stream_pipeline(self._pipe, kwargs, cancel):
            if isinstance(item, Step):
                yield Progress(
                    f"Step {item.step}/{steps_run}", min(1.0, item.step / steps_run), partial=item.preview
                )
            else:
                output = item
        if output is None or cancel.is_set():
            return
        result = np.asarray(output.images[0].convert("RGB"))
        result = cv2.resize(result, request.content.shape[1::-1], interpolation=cv2.INTER_CUBIC)
        if request.keep_colours:
            result = lab.keep_lightness(request.content, result)
        params = {**request.diffusion_params(), "seed": seed, "model_ref": self.ref}
        yield Result(result, params=params, info=f"Styled with {self.ref} in {steps_run} steps.")

    def unload(self) -> None:
        self._pipe = None
