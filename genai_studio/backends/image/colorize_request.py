"""The colorization request every colorization backend takes, and its validation.

Hints come from gr.ImageEditor brush layers: each painted pixel's colour is a hint for the
pixel under it (white or grey brush strokes mean "keep this neutral"). A colour photo is
accepted and converted: only its lightness is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from genai_studio import images
from genai_studio.backends.image import lab
from genai_studio.backends.image.diffusion_inputs import diffusion_fields
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput
from genai_studio.inputs import choice

# hints: spread painted colours; reference: colours of a reference photo;
# prompt: a diffusion model invents colours from the prompt (hub backends only).
METHODS = ("hints", "reference", "prompt")
GREY_CHROMA = 3.0  # mean Lab chroma below which a photo counts as black and white
HINT_ALPHA = 128  # brush pixels at least this opaque are hints (soft edges are not)


@dataclass(frozen=True)
class ColorizeRequest:
    """A photo (uint8 H, W, 3; colour or grey) and what to colour it from."""

    image: np.ndarray
    method: str = "hints"
    hint_rgb: np.ndarray | None = None  # uint8 (H, W, 3): painted colours
    hint_mask: np.ndarray | None = None  # bool (H, W): where hints were painted
    reference: np.ndarray | None = None  # uint8 RGB reference photo, any size
    prompt: str = ""
    negative_prompt: str = ""
    steps: int = 20
    guidance: float = 7.5
    seed: int | None = None  # None: random

    @property
    def was_colour(self) -> bool:
        return lab.chroma(self.image) >= GREY_CHROMA

    def hint_colours(self) -> int:
        """How many distinct hint colours were painted (colours closer than ~6 Lab units merge)."""
        if self.hint_mask is None or not self.hint_mask.any():
            return 0
        ab = lab.to_lab(self.hint_rgb[self.hint_mask][None])[0, :, 1:]
        return len(np.unique(np.rint(ab / 6.0), axis=0))

    def params(self) -> dict[str, Any]:
        """What made the result, for History and the PNG's metadata (no pixel data)."""
        height, width = self.image.shape[:2]
        values: dict[str, Any] = {"method": self.method, "width": width, "height": height}
        if self.method == "hints":
            values["hinted_share"] = round(float(self.hint_mask.mean()), 4)
            values["hint_colours"] = self.hint_colours()
        if self.method == "reference" and self.reference is not None:
            values["reference_size"] = f"{self.reference.shape[1]}x{self.reference.shape[0]}"
        if self.method == "prompt":
            values.update(
                prompt=self.prompt,
                negative_prompt=self.negative_prompt,
                steps=self.steps,
                guidance=self.guidance,
                seed=self.seed,
            )
        return values


def hints_from_layers(layers: list[Any] | None, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(colours uint8 H x W x 3, painted bool H x W) from gr.ImageEditor brush layers.

    Later layers paint over earlier ones. A layer of another size is scaled when its shape
    matches the photo's (see `images.fit_mask`).
    """
    width, height = size
    colours = np.zeros((height, width, 3), dtype=np.uint8)
    painted = np.zeros((height, width), dtype=bool)
    for index, layer in enumerate(layers or []):
        if layer is None:
            continue
        image = images.open_image(layer, field=f"Brush layer {index + 1}")
        alpha = images.alpha_of(image)
        if alpha is None:  # an opaque layer is not a brush layer: nothing painted on it
            continue
        here = images.fit_mask(alpha >= HINT_ALPHA, size, field="The brush layer")
        rgb = np.asarray(image.convert("RGBA"))[:, :, :3]  # the painted colour, not composited
        if rgb.shape[:2] != (height, width):
            rgb = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_NEAREST)
        colours[here] = rgb[here]
        painted |= here
    return colours, painted


def build_colorize_request(
    settings: Settings,
    *,
    image: object,
    method: object = "hints",
    hint_layers: list[Any] | None = None,
    reference: object = None,
    prompt: object = "",
    negative_prompt: object = "",
    steps: object = 20,
    guidance: object = 7.5,
    seed: object = -1,
) -> ColorizeRequest:
    """Check every user value and read the photo, hints and reference; raises InvalidInput."""
    method = choice(method, field="Method", options=METHODS)
    photo = images.load_image(image, field="The photo")
    hint_rgb, hint_mask = hints_from_layers(hint_layers, photo.size)
    reference_rgb = None
    if method == "hints" and not hint_mask.any():
        raise InvalidInput(
            "No colour hints: paint a few strokes of colour on the photo with the brush "
            "(or choose the reference-photo method)."
        )
    if method == "reference":
        if reference is None or (isinstance(reference, str) and not reference.strip()):
            raise InvalidInput("No reference photo: pick one of the examples or upload a colour photo.")
        reference_rgb = np.asarray(images.load_image(reference, field="The reference photo"))
        if lab.chroma(reference_rgb) < GREY_CHROMA:
            raise InvalidInput(
                "The reference photo has almost no colour, so there is nothing to transfer: "
                "pick a colour photo."
            )
    diffusion = diffusion_fields(
        prompt=prompt, negative_prompt=negative_prompt, steps=steps, guidance=guidance, seed=seed
    )
    return ColorizeRequest(
        image=np.asarray(photo),
        method=method,
        hint_rgb=hint_rgb,
        hint_mask=hint_mask,
        reference=reference_rgb,
        **diffusion,
    )
