"""The Restore pipeline through a real ModelManager and the embedded fill, colorize and upscale
models: its checks before anything runs, the steps in order, and Stop between steps and
between the upscaler's tiles."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from bench.damage_synth import damage, square_photo
from genai_studio.backends.base import Progress, Result
from genai_studio.backends.manager import ModelManager
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput
from genai_studio.pipelines import restore
from tests.backends.test_upscale_embedded import skip_without_upscaler

REFERENCE = square_photo("chelsea", 256)


@pytest.fixture(scope="module")
def manager() -> ModelManager:
    return ModelManager(Settings())


@pytest.fixture(scope="module")
def aged():
    return damage(square_photo("chelsea", 256), ("scratches", "dust"), seed=1)


@pytest.fixture(scope="module")
def upscaler() -> str:
    """The embedded upscaler's name, once its weights can be there."""
    skip_without_upscaler(Settings().cache_dir)
    return "esrgan"


def plan(aged, **changes):
    values = dict(
        image=aged.image,
        mask_upload=aged.mask.astype(np.uint8) * 255,
        fill_model="classic-inpaint",
        fill_method="telea",
        colour_method="none",
        colour_model="classic-colorize",
        reference=REFERENCE,
        upscale_model="esrgan",
    )
    return restore.build_restore_plan(Settings(), **{**values, **changes})


def results(updates) -> list[tuple[str, Result]]:
    return [(u.step.name, u.item) for u in updates if isinstance(u.item, Result)]


def test_fill_then_colorize_in_order_keeping_the_photo_size(manager, aged):
    grey = np.repeat(aged.image.mean(axis=2, keepdims=True).astype(np.uint8), 3, axis=2)
    done = results(restore.run(manager, plan(aged, image=grey, colour_method="reference")))
    assert [name for name, _ in done] == ["fill", "colorize"]
    filled, coloured = done[0][1].output, done[1][1].output
    assert filled.shape == coloured.shape == grey.shape
    outside = ~aged.mask
    assert np.array_equal(filled[outside], grey[outside])  # the fill touches only the damage
    assert np.abs(filled[aged.mask].astype(int) - grey[aged.mask]).mean() > 10  # and mends it
    assert np.ptp(coloured.astype(int), axis=2).mean() > 5  # colour came from the reference


def test_every_step_carries_the_users_choices(aged):
    steps = plan(aged, colour_method="reference")
    params = steps.params(steps.steps[1])
    assert params["step"] == "colorize" and params["restore_steps"] == ["fill", "colorize"]
    assert params["fill_method"] == "telea" and params["colour_method"] == "reference"
    assert 0 < params["damage_share"] < 0.2


def test_no_damage_marked_skips_the_fill(aged):
    only_colour = plan(aged, mask_upload=None, colour_method="reference")
    assert [step.name for step in only_colour.steps] == ["colorize"]


def test_stop_between_steps_starts_no_further_step(manager, aged):
    cancel = threading.Event()
    seen = []
    for update in restore.run(manager, plan(aged, colour_method="reference"), cancel):
        seen.append(update.step.name)
        if isinstance(update.item, Result):
            cancel.set()  # Stop pressed as the fill finishes
    assert set(seen) == {"fill"}
    done = results(restore.run(manager, plan(aged, colour_method="reference")))  # the worker is free
    assert len(done) == 2


def test_the_upscale_enlarges_the_filled_photo_last(manager, upscaler):
    small = damage(square_photo("astronaut", 64), ("scratches",), seed=3)
    updates = list(restore.run(manager, plan(small, colour_method="reference", upscale="x2")))
    done = results(updates)
    assert [name for name, _ in done] == ["fill", "colorize", "upscale"]
    coloured, enlarged = done[1][1].output, done[2][1].output
    assert enlarged.shape == (128, 128, 3) and done[2][1].params["scale"] == 2
    last = next(u for u in updates if u.step.name == "upscale")
    assert np.array_equal(last.before, coloured)  # it enlarges what the steps before made
    bicubic = cv2.resize(coloured, (128, 128), interpolation=cv2.INTER_CUBIC)
    difference = np.abs(enlarged.astype(int) - bicubic).mean()
    assert 0.5 < difference < 8, difference  # the same picture twice the size, redrawn, not resampled
    assert any(isinstance(u.item, Progress) and "Tile 1/1" in u.item.message for u in updates)


def test_stop_between_the_upscalers_tiles(manager, aged, upscaler):
    """Stop pressed after the first of the upscale's two tiles: no result, the worker free."""
    strip = np.ascontiguousarray(square_photo("coffee", 200)[76:124])  # 200 x 48: two tiles
    cancel = threading.Event()
    seen = []
    for update in restore.run(manager, plan(aged, image=strip, mask_upload=None, upscale="x2"), cancel):
        seen.append(getattr(update.item, "message", "result"))
        if "Tile 1/2" in seen[-1]:
            cancel.set()
    assert seen[-1] == "Tile 1/2" and "result" not in seen
    assert [name for name, _ in results(restore.run(manager, plan(aged)))] == ["fill"]


def test_every_upscale_choice_is_checked_before_any_step_runs(aged):
    with pytest.raises(InvalidInput, match="No upscale model is configured"):
        restore.build_restore_plan(Settings(upscale_models=()), image=aged.image, upscale="x2")
    huge = np.full((2000, 2000, 3), 90, np.uint8)
    with pytest.raises(InvalidInput, match="would become 8000x8000"):
        plan(aged, image=huge, mask_upload=None, upscale="x4")
    steps = plan(aged, upscale="x4")
    assert [step.name for step in steps.steps] == ["fill", "upscale"]
    assert steps.params(steps.steps[0])["upscale"] == "x4"  # the fill's History entry says so too
    assert steps.params(steps.steps[1])["upscale_model"] == "esrgan"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mask_upload": None}, "Nothing to restore"),
        ({"fill_model": "sd-inpaint:/etc"}, "Fill model must be one of"),
        ({"fill_method": "magic"}, "Fill method must be one of"),
        ({"colour_method": "sepia"}, "Colorize must be one of"),
        ({"colour_method": "hints"}, "No colour hints"),
        ({"colour_method": "reference", "reference": None}, "No reference photo"),
        ({"colour_method": "reference", "colour_model": "x"}, "Colorize model must be one of"),
        ({"mask_upload": np.full((256, 256), 255, np.uint8)}, "leaves nothing to fill it from"),
        ({"mask_upload": np.full((100, 300), 255, np.uint8)}, "same shape"),
        ({"image": b"not an image"}, "not an image"),
        ({"image": np.full((8, 8, 3), 9, np.uint8)}, "too small"),
        ({"upscale": "x3"}, "Upscale must be one of"),
        ({"upscale": 4}, "Upscale must be one of"),
        ({"upscale": "x2", "upscale_model": "sd-upscale:/etc"}, "Upscale model must be one of"),
    ],
)
def test_bad_requests_are_refused_before_any_step_runs(aged, changes, message):
    with pytest.raises(InvalidInput, match=message):
        plan(aged, **changes)
