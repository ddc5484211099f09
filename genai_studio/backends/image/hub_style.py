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

import cv2
import numpy as np
from PIL import Image

from genai_studio.backends.base import Progress, Result, Task
from genai_studio.backends.image import hub_diffusers_common as common
from genai_studio.backends.image import lab
from genai_studio.backends.image.hub_diffusers_common import DiffusersBackend, Step, split_ref, work_size
from genai_studio.backends.image.style_request import STYLE_IMAGE, StyleRequest
from genai_studio.errors import InvalidInput, ModelUnavailable

log = logging.getLogger(__name__)

DEFAULT_IP_ADAPTER = "h94/IP-Adapter"  # Apache-2.0
IP_ADAPTER_FOLDER = "models"
IP_ADAPTER_WEIGHTS = "ip-adapter_sd15.safetensors"
DEFAULT_PROMPT = "a painting, artwork, best quality"


class DiffusersStyle(DiffusersBackend[StyleRequest]):
    name = "sd-style"
    task = Task.STYLE
    licence = (
        "diffusers: Apache-2.0; weights: see the model cards "
        "(SD 1.5: CreativeML OpenRAIL-M; IP-Adapter: Apache-2.0)"
    )
    estimated_memory_mb = 6500

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
        pipe = self.pipe
        if request.look != STYLE_IMAGE or request.style is None:
            raise InvalidInput(
                "Diffusion style transfer takes a style image; the quick looks are classic only."
            )
        steps_run = int(request.steps * request.strength)
        if steps_run < 1:
            raise InvalidInput("Strength x steps is below one step: raise the strength or the steps.")
        width, height = work_size(request.content, self.native_size())
        content = Image.fromarray(cv2.resize(request.content, (width, height), interpolation=cv2.INTER_AREA))
        seed = self.seed_for(request.seed)
        pipe.set_ip_adapter_scale(request.style_weight)
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

        def progress(step: Step) -> Progress:
            fraction = min(1.0, step.step / steps_run)
            return Progress(f"Step {step.step}/{steps_run}", fraction, partial=step.preview)

        output = yield from common.denoise(pipe, kwargs, cancel, progress)
        if output is None:
            return
        result = np.asarray(output.images[0].convert("RGB"))
        result = cv2.resize(result, request.content.shape[1::-1], interpolation=cv2.INTER_CUBIC)
        if request.keep_colours:
            result = lab.keep_lightness(request.content, result)
        params = {**request.diffusion_params(), "seed": seed, "model_ref": self.ref}
        yield Result(result, params=params, info=f"Styled with {self.ref} in {steps_run} steps.")
