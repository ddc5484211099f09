"""The style-transfer request every style backend takes, and its validation.

`look` is "style-image" (take the style of an uploaded image), one of the quick looks, or one
of the 26 fixed styles of the learned network ("fixed-01".."fixed-26"). `strength` is how far
the result moves from the content: for the learned network and a style image, the style
vector moves from the photo's own to the style's; a pixel blend for the other looks and the
classic methods; the denoising strength for diffusion models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from genai_studio import images
from genai_studio.backends.image.diffusion_inputs import diffusion_fields
from genai_studio.backends.image.style_fullsize import METHODS, TILES
from genai_studio.backends.image.style_looks import LOOKS
from genai_studio.backends.image.style_networks import FIXED_STYLES
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput
from genai_studio.inputs import bounded_int, bounded_number, choice

STYLE_IMAGE = "style-image"
FIXED_LOOKS = tuple(f"fixed-{number:02d}" for number in range(1, FIXED_STYLES + 1))
LOOK_NAMES = (STYLE_IMAGE, *LOOKS, *FIXED_LOOKS)
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
    style2: np.ndarray | None = None  # a second style image, mixed in by style_blend
    style_blend: float = 0.5  # 0: the first style only, 1: the second only
    full_size: bool = True  # False: the result at the method's working size (fast preview)
    full_size_method: str = TILES  # how a small network pass reaches full size (style_fullsize.py)

    @property
    def fixed_index(self) -> int | None:
        """0-25 for a fixed look, else None."""
        return FIXED_LOOKS.index(self.look) if self.look in FIXED_LOOKS else None

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
        if self.style2 is not None:
            values["style2_size"] = f"{self.style2.shape[1]}x{self.style2.shape[0]}"
            values["style_blend"] = self.style_blend
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


def _flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be true or false, got {value!r}.")
    return value


def _style_image(value: object, field: str) -> np.ndarray | None:
    return np.asarray(images.load_image(value, field=field, min_side=32)) if _given(value) else None


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
    style2: object = None,
    style_blend: object = 0.5,
    full_size: object = True,
    full_size_method: object = TILES,
) -> StyleRequest:
    """Check every user value and read the images; raises InvalidInput."""
    look = choice(look, field="Look", options=LOOK_NAMES)
    photo = np.asarray(images.load_image(content, field="The content photo"))
    style_rgb = _style_image(style, "The style image")
    if look == STYLE_IMAGE and style_rgb is None:
        raise InvalidInput(
            "No style image: upload one (a painting, a texture, a photo) or pick a quick look."
        )
    second = _style_image(style2, "The second style image") if look == STYLE_IMAGE else None
    diffusion = diffusion_fields(
        prompt=prompt, negative_prompt=negative_prompt, steps=steps, guidance=guidance, seed=seed
    )
    return StyleRequest(
        content=photo,
        look=look,
        style=style_rgb,
        strength=bounded_number(strength, field="Strength", low=0.0, high=1.0),
        keep_colours=_flag(keep_colours, "Keep colours"),
        work_side=bounded_int(work_side, field="Working size", low=WORK_SIDES[0], high=WORK_SIDES[1]),
        style_weight=bounded_number(style_weight, field="Style weight", low=0.0, high=2.0),
        **diffusion,
        style2=second,
        style_blend=bounded_number(style_blend, field="Blend", low=0.0, high=1.0),
        full_size=_flag(full_size, "Full size"),
        full_size_method=choice(full_size_method, field="Full-size method", options=METHODS),
    )
