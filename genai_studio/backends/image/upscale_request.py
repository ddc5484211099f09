"""The super-resolution request every upscale backend takes, and its validation.

Built with `build_upscale_request` from user values (any image source `images.load_image`
reads: an upload path, bytes, PIL, a numpy array) or constructed directly from a checked
uint8 RGB array by a pipeline such as Restore. Either way a result over the studio's pixel
limit is refused when the request is made, before any work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from genai_studio import images
from genai_studio.backends.image.diffusion_inputs import diffusion_fields
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput
from genai_studio.inputs import bounded_int

SCALES = (2, 3, 4)
DEFAULT_STEPS = 20  # diffusion upscaler: its card uses 75; 20 keeps most of the detail
DEFAULT_GUIDANCE = 9.0
DEFAULT_NOISE_LEVEL = 20  # noise added to the low-resolution image (0-350), as the card does


def check_output_size(width: int, height: int, scale: int) -> None:
    """Refuse a result over the studio's image limits, saying how small the input must be."""
    out_w, out_h = width * scale, height * scale
    if out_w <= images.MAX_SIDE and out_h <= images.MAX_SIDE and out_w * out_h <= images.MAX_PIXELS:
        return
    largest = images.MAX_PIXELS / scale**2
    side = min(images.MAX_SIDE // scale, math.isqrt(int(largest)))
    raise InvalidInput(
        f"At x{scale} this {width}x{height} image would become {out_w}x{out_h} pixels, over the limit "
        f"of {images.MAX_PIXELS // 1_000_000} megapixels and {images.MAX_SIDE:,} pixels a side. "
        f"Pick a smaller scale, or upload at most {largest / 1e6:.1f} megapixels "
        f"(about {side}x{side}) for x{scale}."
    )


@dataclass(frozen=True)
class UpscaleRequest:
    """An image (uint8 H, W, 3) to enlarge `scale` times; the diffusion fields steer the
    hub upscaler only (the embedded network has no settings)."""

    image: np.ndarray
    scale: int = 4
    prompt: str = ""
    negative_prompt: str = ""
    steps: int = DEFAULT_STEPS
    guidance: float = DEFAULT_GUIDANCE
    noise_level: int = DEFAULT_NOISE_LEVEL
    seed: int | None = None  # None: random

    def __post_init__(self) -> None:
        image = self.image
        if (
            not isinstance(image, np.ndarray)
            or image.dtype != np.uint8
            or image.ndim != 3
            or image.shape[2] != 3
        ):
            raise InvalidInput(
                "The image to upscale must be 8-bit RGB (build the request with build_upscale_request)."
            )
        if self.scale not in SCALES:
            raise InvalidInput(
                f"Scale must be one of {', '.join(f'x{s}' for s in SCALES)}; got {self.scale!r}."
            )
        height, width = image.shape[:2]
        if min(width, height) < images.MIN_SIDE:
            raise InvalidInput(
                f"The image is too small: {width}x{height}; it needs {images.MIN_SIDE} pixels a side."
            )
        check_output_size(width, height, self.scale)

    @property
    def output_size(self) -> tuple[int, int]:
        """(width, height) of the result."""
        return self.image.shape[1] * self.scale, self.image.shape[0] * self.scale

    def params(self) -> dict[str, Any]:
        """What made the result, for History and the PNG's metadata (no pixel data)."""
        height, width = self.image.shape[:2]
        out_w, out_h = self.output_size
        return {"scale": self.scale, "width": width, "height": height, "output": f"{out_w}x{out_h}"}

    def diffusion_params(self) -> dict[str, Any]:
        return {
            **self.params(),
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt,
            "steps": self.steps,
            "guidance": self.guidance,
            "noise_level": self.noise_level,
            "seed": self.seed,
        }


def parse_scale(value: object) -> int:
    """2, 3 or 4 from a number or text such as "4" or "x4"; raises InvalidInput."""
    if isinstance(value, str) and value.strip().lower().startswith("x"):
        value = value.strip()[1:]
    return bounded_int(value, field="Scale", low=min(SCALES), high=max(SCALES))


def build_upscale_request(
    settings: Settings,
    *,
    image: object,
    scale: object = 4,
    prompt: object = "",
    negative_prompt: object = "",
    steps: object = DEFAULT_STEPS,
    guidance: object = DEFAULT_GUIDANCE,
    noise_level: object = DEFAULT_NOISE_LEVEL,
    seed: object = -1,
) -> UpscaleRequest:
    """Check every user value and read the image; raises InvalidInput."""
    factor = parse_scale(scale)
    opened = images.open_image(image, field="The image")  # decoded once, within the upload limits
    check_output_size(*opened.size, factor)
    photo = np.asarray(images.load_image(opened, field="The image"))
    diffusion = diffusion_fields(
        prompt=prompt, negative_prompt=negative_prompt, steps=steps, guidance=guidance, seed=seed
    )
    return UpscaleRequest(
        image=photo,
        scale=factor,
        noise_level=bounded_int(noise_level, field="Noise level", low=0, high=350),
        **diffusion,
    )
