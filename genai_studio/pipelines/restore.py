"""Restore an old photo: fill its damage, then optionally colorize and upscale it.

Each step is an ordinary request of its own task (inpaint, colorize, upscale), run through the
ModelManager one job at a time, so the queue bound, Stop and the model residency hold for a
restoration as for any single tab. Every request is built and checked against the uploaded
photo before the first step runs (a bad hint layer, or an upscale over the size limit, fails
at once, not after the fill); at run time a step's image is the previous step's output. Fill
and colorize keep the photo's size, so the upscale, last, enlarges what the checks measured.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from genai_studio import images
from genai_studio.backends.base import Progress, Result, Task
from genai_studio.backends.image.colorize_request import build_colorize_request
from genai_studio.backends.image.inpaint_request import METHODS as FILL_METHODS
from genai_studio.backends.image.inpaint_request import InpaintRequest, read_mask
from genai_studio.backends.image.upscale_request import UpscaleRequest, parse_scale
from genai_studio.backends.manager import ModelManager
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput
from genai_studio.inputs import choice

COLOUR_METHODS = ("none", "hints", "reference")
UPSCALES = ("none", "x2", "x4")


@dataclass(frozen=True)
class Step:
    """One task of the restoration: its name, the model that runs it, and its checked request."""

    name: str
    task: Task
    model: str
    request: Any  # a dataclass with an `image` field

    def request_for(self, image: np.ndarray) -> Any:
        """This step's request on `image` (the previous step's output)."""
        return replace(self.request, image=image)


@dataclass(frozen=True)
class RestorePlan:
    """The photo, the damage mask, and the steps to run on them in order."""

    image: np.ndarray
    mask: np.ndarray
    steps: tuple[Step, ...]
    choices: dict[str, Any]  # what the user picked, saved with every step

    def params(self, step: Step) -> dict[str, Any]:
        """History parameters of `step`: the user's choices and where the step stands."""
        names = [s.name for s in self.steps]
        return {**self.choices, "step": step.name, "restore_steps": names, "damage_share": self.damage_share}

    @property
    def damage_share(self) -> float:
        return round(float(self.mask.mean()), 4)


def build_restore_plan(
    settings: Settings,
    *,
    image: object,
    mask_layers: list[Any] | None = None,
    mask_upload: object = None,
    fill_model: object = None,
    fill_method: object = "auto",
    colour_method: object = "none",
    colour_model: object = None,
    hint_layers: list[Any] | None = None,
    reference: object = None,
    upscale: object = "none",
    upscale_model: object = None,
) -> RestorePlan:
    """Check every user value and build the steps; raises InvalidInput saying what to change.

    The damage is the union of the painted mask layers and the uploaded mask; without any,
    the fill is skipped (a photo may only need colour), but something must be asked for.
    """
    colour_method = choice(colour_method, field="Colorize", options=COLOUR_METHODS)
    upscale = choice(upscale, field="Upscale", options=UPSCALES)
    picture = images.load_image(image, field="The photo")
    mask = read_mask(picture.size, mask_layers, mask_upload)
    photo = np.asarray(picture)
    steps: list[Step] = []
    choices: dict[str, Any] = {"colour_method": colour_method}
    if mask.any():
        fill_model = choice(fill_model, field="Fill model", options=settings.inpaint_models)
        fill_method = choice(fill_method, field="Fill method", options=FILL_METHODS)
        fill = InpaintRequest(image=photo, mask=images.check_mask(mask), method=fill_method)
        steps.append(Step("fill", Task.INPAINT, fill_model, fill))
        choices.update(fill_model=fill_model, fill_method=fill_method)
    if colour_method != "none":
        colour_model = choice(colour_model, field="Colorize model", options=settings.colorize_models)
        colour = build_colorize_request(
            settings, image=picture, method=colour_method, hint_layers=hint_layers, reference=reference
        )
        steps.append(Step("colorize", Task.COLORIZE, colour_model, colour))
        choices["colour_model"] = colour_model
    if upscale != "none":
        if not settings.upscale_models:
            raise InvalidInput("No upscale model is configured on this server: choose Upscale “none”.")
        upscale_model = choice(upscale_model, field="Upscale model", options=settings.upscale_models)
        enlarge = UpscaleRequest(image=photo, scale=parse_scale(upscale))  # refuses an oversize result
        steps.append(Step("upscale", Task.UPSCALE, upscale_model, enlarge))
        choices.update(upscale=upscale, upscale_model=upscale_model)
    if not steps:
        raise InvalidInput(
            "Nothing to restore: press “Find damage” (or paint over the damage with the brush), "
            "or choose a way to colorize or upscale the photo."
        )
    return RestorePlan(image=photo, mask=mask, steps=tuple(steps), choices=choices)


@dataclass(frozen=True)
class StepUpdate:
    """What a step yielded (progress, or its result) and the image it started from."""

    step: Step
    before: np.ndarray
    item: Progress | Result


def run(
    manager: ModelManager, plan: RestorePlan, cancel: threading.Event | None = None
) -> Iterator[StepUpdate]:
    """Run the plan's steps in order, each as one manager job, streaming what they yield.

    `cancel` (or closing this generator) stops the running step at its next check and no
    further step starts. Each job gets its own event: the manager sets it when a job ends.
    """
    cancel = cancel or threading.Event()
    image: np.ndarray | None = plan.image
    for step in plan.steps:
        if cancel.is_set() or image is None:
            return
        before, image = image, None
        with closing(manager.run(step.model, step.request_for(before))) as items:
            for item in items:
                yield StepUpdate(step, before, item)
                if cancel.is_set():
                    return  # closing the job stops the backend at its next step
                if isinstance(item, Result):
                    image = item.output
