"""Images from any OpenAI-compatible server: inpainting through `/v1/images/edits` and text to
image through `/v1/images/generations`: another studio (on a GPU machine), LocalAI and kin.

Specs: `openai-inpaint:http://host:port/v1#model` and `openai-txt2img:http://host:port/v1#model`.
The mask is sent the OpenAI way (transparent where to fill), which a studio reads too; the
studio's own fields (method, steps, guidance, strength, seed) go along, other servers ignore
them. Stop closes the request, which makes a studio stop its job.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np

from genai_studio import images
from genai_studio.backends.base import Availability, Backend, Progress, Result, Task
from genai_studio.backends.image.hub_diffusers_txt2img import TextToImageRequest
from genai_studio.backends.image.inpaint_request import InpaintRequest
from genai_studio.backends.remote import RemoteServer
from genai_studio.errors import InvalidInput, ModelUnavailable


class _RemoteImages(Backend[Any]):
    remote = True  # the server's GPU, not ours (no ZeroGPU reservation)
    licence = "the server's model: see its card"
    estimated_memory_mb = 0
    what = "images"

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self.server = RemoteServer(ref, settings, self.what)

    @property
    def label(self) -> str:
        return self.server.label(self.what)

    def available(self) -> Availability:
        return self.server.availability()

    def load(self, device: str) -> None:
        self.server.connect(self.task.value)

    def unload(self) -> None:
        pass

    def _image(self, path: str, cancel: threading.Event, **kwargs: Any) -> np.ndarray | None:
        """The first image of the server's answer as RGB, or None when Stop came first."""
        response = self.server.post(path, cancel, **kwargs)
        if response is None:
            return None
        try:
            png = base64.b64decode(response.json()["data"][0]["b64_json"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ModelUnavailable(f"The {self.what} server sent no image: {exc}") from exc
        try:
            return np.asarray(images.load_image(png, field="The server's image", min_side=1))
        except InvalidInput as exc:
            raise ModelUnavailable(str(exc)) from exc


class RemoteInpaint(_RemoteImages):
    name = "openai-inpaint"
    task = Task.INPAINT
    what = "inpainting"

    def run(self, request: InpaintRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        yield Progress(f"Sent to {self.server.base_url}")
        alpha = np.where(request.mask, 0, 255).astype(np.uint8)  # OpenAI: transparent = edit here
        files = {
            "image": ("image.png", images.png_bytes(request.image), "image/png"),
            "mask": ("mask.png", images.png_bytes(np.dstack([request.image, alpha])), "image/png"),
        }
        fields = {
            "model": self.server.model_name,
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt,
            "method": request.method,
            "steps": str(request.steps),
            "guidance": str(request.guidance),
            "strength": str(request.strength),
            "seed": str(-1 if request.seed is None else request.seed),
            "response_format": "b64_json",
        }
        output = self._image("/images/edits", cancel, data=fields, files=files)
        if output is None:
            return
        height, width = request.mask.shape
        if output.shape[:2] != (height, width):  # servers that answer at their own size
            output = cv2.resize(output, (width, height), interpolation=cv2.INTER_LANCZOS4)
        yield Result(
            output, params={**request.params(), "model_ref": self.ref}, info=f"Made by {self.label}."
        )


class RemoteTextToImage(_RemoteImages):
    name = "openai-txt2img"
    task = Task.TEXT_TO_IMAGE
    what = "text-to-image"

    def run(self, request: TextToImageRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        yield Progress(f"Sent to {self.server.base_url}")
        body = {
            "model": self.server.model_name,
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt,
            "size": f"{request.width}x{request.height}",
            "steps": request.steps,
            "guidance": request.guidance,
            "seed": -1 if request.seed is None else request.seed,
            "response_format": "b64_json",
        }
        output = self._image("/images/generations", cancel, json=body)
        if output is not None:
            yield Result(
                output, params={**request.params(), "model_ref": self.ref}, info=f"Made by {self.label}."
            )
