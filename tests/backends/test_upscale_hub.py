"""sd-upscale through its real loading path: a tiny random x4 upscaler pipeline saved to a
folder and loaded by path (no hub here, and no GPU: the real model needs both); 2 steps per
tile on the CPU. Random weights make noise, so only sizes, tiling, seeds and Stop are checked."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from skimage import data

from genai_studio.backends import registry
from genai_studio.backends.base import Progress, Result
from genai_studio.backends.image.hub_diffusers_common import generator_for
from genai_studio.backends.image.upscale_request import build_upscale_request
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput, ModelUnavailable
from tests.backends.tiny_diffusers import tiny_sd_upscale

SETTINGS = Settings()


@pytest.fixture(scope="module")
def upscaler(tmp_path_factory):
    folder = tiny_sd_upscale(tmp_path_factory.mktemp("tiny-sd-upscale"))
    backend = registry.create(f"sd-upscale:{folder}", SETTINGS)
    backend.load("cpu")
    backend.tile, backend.margin = 24, 4  # a few tiles on a small photo
    return backend


def photo(width: int = 45, height: int = 30) -> np.ndarray:
    return np.ascontiguousarray(data.astronaut()[100 : 100 + height, 200 : 200 + width])


@pytest.mark.parametrize("scale", [4, 3])
def test_upscales_in_tiles_to_the_exact_size(upscaler, scale):
    request = build_upscale_request(SETTINGS, image=photo(), scale=scale, steps=2, seed=3)
    items = list(upscaler.run(request, threading.Event()))
    result = items[-1]
    assert isinstance(result, Result) and result.output.shape == (30 * scale, 45 * scale, 3)
    assert [item.message for item in items[1:-1]] == ["Tile 1/4", "Tile 2/4", "Tile 3/4", "Tile 4/4"]
    assert result.params["seed"] == 3 and result.params["steps"] == 2 and result.params["scale"] == scale
    assert result.output.std() > 1  # the pipeline's output, not a blank canvas


def test_same_seed_same_image(upscaler):
    request = build_upscale_request(SETTINGS, image=photo(20, 20), scale=4, steps=2, seed=5)
    first, second = (list(upscaler.run(request, threading.Event()))[-1].output for _ in range(2))
    assert np.array_equal(first, second)


def test_stop_between_tiles_and_within_one(upscaler):
    request = build_upscale_request(SETTINGS, image=photo(), scale=4, steps=2)
    cancel, items = threading.Event(), []
    for item in upscaler.run(request, cancel):
        items.append(item)
        if isinstance(item, Progress) and item.fraction:
            cancel.set()
    assert not any(isinstance(item, Result) for item in items) and items[-1].message == "Tile 1/4"
    stopped = threading.Event()
    stopped.set()  # set while the pipeline runs: it leaves at its first step
    generator = generator_for(0, "cpu")
    assert upscaler._enlarge(photo(16, 16), 4, request, generator, stopped) is None


def test_noise_level_above_the_models_limit_is_refused(upscaler):
    request = build_upscale_request(SETTINGS, image=photo(20, 20), noise_level=351 - 1, steps=1)
    object.__setattr__(
        request, "noise_level", 351
    )  # beyond what the request allows, as a model with a lower limit would see
    with pytest.raises(InvalidInput, match="Noise level"):
        list(upscaler.run(request, threading.Event()))


def test_missing_model_is_a_clear_error(tmp_path):
    backend = registry.create(f"sd-upscale:{tmp_path / 'nothing-here'}", SETTINGS)
    with pytest.raises(ModelUnavailable, match="local folder"):
        backend.load("cpu")
