"""The style-transfer request every style backend takes, and its validation.

`look` is "style-image" (take the style of an uploaded image) or one of the quick looks.
`strength` is how far the result moves from the content: a blend for the classic
methods, the denoising strength for diffusion models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from genai_studio import images
from genai_studio.backends.image.diffusion_inputs import diffusion_fields
from genai_studio.backends.image.style_looks import LOOKS
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput
from genai_studio.inputs import bounded_int, bounded_number, choice

STYLE_IMAGE = "style-image"
LOOK_NAMES = (STYLE_IMAGE, *LOOKS)
WORK_SIDES = (256, 1024)  # patch synthesis working size: larger is finer and slower


@dataclass(frozen=True)
class StyleRequest:
    """A content photo (uint8 H, W, 3) and the style to give it."""

    content: np.ndarray
    look: str = STYLE_IMAGE
    style: np.ndarray | None = None  # uint8 RGB, any size; needed for "style-image"
    strength: float = 1.0
    keep_colours: bool = False
    work_side: int = 512
    prompt: str = ""
    negative_prompt: str = ""
    steps: int = 20
    guidance: float = 5.0
    style_weight: float = 0.8  # IP-Adapter scale (diffusion models)
    seed: int | None = None  # None: random

    def params(self) -> dict[str, Any]:
        """What made the result, for History and the PNG's metadata (no pixel data)."""
        height, width = self.content.shape[:2]
        values: dict[str, Any] = {
            "look": self.look,
            "strength": self.strength,
            "keep_colours": self.keep_colours,
            "width": width,
            "height": height,
            "seed": self.seed,
        }
        if self.style is not None:
            values["style_size"] = f"{self.style.shape[1]}x{self.style.shape[0]}"
        if self.look == STYLE_IMAGE:
            values["work_side"] = self.work_side
        return values

    def diffusion_params(self) -> dict[str, Any]:
        return {
            **self.params(),
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt,
            "steps": self.steps,
            "guidance": self.guidance,
            "style_weight": self.style_weight,
        }


def _given(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def build_style_request(
    settings: Settings,
    *,
    content: object,
    look: object = STYLE_IMAGE,
    style: object = None,
    strength: object = 1.0,
    keep_colours: object = False,
    work_side: object = 512,
    prompt: object = "",
    negative_prompt: object = "",
    steps: object = 20,
    guidance: object = 5.0,
    style_weight: object = 0.8,
    seed: object = -1,
) -> StyleRequest:
    """Check every user value and read the images; raises InvalidInput."""
    look = choice(look, field="Look", options=LOOK_NAMES)
    photo = np.asarray(images.load_image(content, field="The content photo"))
    style_rgb = None
    if _given(style):
        style_rgb = np.asarray(images.load_image(style, field="The style image", min_side=32))
    if look == STYLE_IMAGE and style_rgb is None:
        raise InvalidInput(
            "No style image: upload one (a painting, a texture, a photo) or pick a quick look."
        )
    if not isinstance(keep_colours, bool):
        raise InvalidInput(f"Keep colours must be true or false, got {keep_colours!r}.")
    diffusion = diffusion_fields(
        prompt=prompt, negative_prompt=negative_prompt, steps=steps, guidance=guidance, seed=seed
    )
    return StyleRequest(
        content=photo,
        look=look,
        style=style_rgb,
        strength=bounded_number(strength, field="Strength", low=0.0, high=1.0),
        keep_colours=keep_colours,
        work_side=bounded_int(work_side, field="Working size", low=WORK_SIDES[0], high=WORK_SIDES[1]),
        style_weight=bounded_number(style_weight, field="Style weight", low=0.0, high=2.0),
        **diffusion,
    )
