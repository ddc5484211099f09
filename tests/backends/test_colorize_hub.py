"""sd-colorize through its real loading path: a tiny random-weight Stable Diffusion and
ControlNet built from configs (tiny_diffusers.py), saved to a folder and loaded by path,
2 steps on the CPU.
"""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from genai_studio.backends.base import Progress, Result
from genai_studio.backends.image import lab
from genai_studio.backends.image.colorize_request import build_colorize_request
from genai_studio.backends.image.hub_colorize import DiffusersColorize
from genai_studio.backends.manager import ModelManager
from genai_studio.config import Settings
from genai_studio.errors import ModelUnavailable
from tests.backends.tiny_diffusers import stopped_at_first_preview, tiny_controlnet, tiny_sd


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("tiny-sd-colorize")
    return f"sd-colorize:{tiny_sd(folder)}|{tiny_controlnet(folder)}"


@pytest.fixture(scope="module")
def manager() -> ModelManager:
    return ModelManager(Settings())


def test_colorizes_keeping_the_photos_lightness(spec, manager):
    photo = data.chelsea()  # a colour photo: converted, only its lightness is used
    request = build_colorize_request(
        Settings(), image=photo, method="prompt", prompt="a ginger cat", steps=2, seed=5
    )
    items = list(manager.run(spec, request))
    previews = [item for item in items if isinstance(item, Progress) and item.partial is not None]
    result = items[-1]
    assert isinstance(result, Result) and len(previews) == 2
    assert result.output.shape == photo.shape
    # whatever colours the (random) model made, the photo's tones are untouched
    assert np.abs(lab.lightness(result.output) - lab.lightness(photo)).mean() < 1.5
    assert result.params["seed"] == 5 and result.params["prompt"] == "a ginger cat"
    again = list(manager.run(spec, request))[-1]
    assert np.array_equal(again.output, result.output)  # a fixed seed repeats the result


def test_stop_between_steps(spec, manager):
    request = build_colorize_request(Settings(), image=data.astronaut(), method="prompt", steps=5)
    items = stopped_at_first_preview(manager.load(spec), request)
    assert not any(isinstance(item, Result) for item in items)


def test_missing_weights_say_what_to_do(tmp_path):
    backend = DiffusersColorize(f"{tmp_path / 'nothing'}|{tmp_path / 'none'}", Settings())
    with pytest.raises(ModelUnavailable, match="local folder"):
        backend.load("cpu")
