"""The diffusers inpainting and text-to-image backends, loaded by path through their real
`from_pretrained` code, on tiny random-weight Stable Diffusion pipelines built from configs
(tiny_diffusers.py), 2 steps on the CPU."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from skimage import data

from genai_studio.backends import registry
from genai_studio.backends.base import Progress, Result
from genai_studio.backends.image.hub_diffusers_txt2img import TextToImageRequest, build_text_to_image_request
from genai_studio.backends.image.inpaint_request import InpaintRequest
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput, ModelUnavailable
from tests.backends.tiny_diffusers import stopped_at_first_preview, tiny_sd


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-sd")
    return {"inpaint": tiny_sd(root, inpaint=True), "txt2img": tiny_sd(root)}


@pytest.fixture(scope="module")
def inpainter(tiny_models):
    backend = registry.create(f"sd-inpaint:{tiny_models['inpaint']}", Settings())
    backend.load("cpu")
    return backend


def _photo_and_hole() -> tuple[np.ndarray, np.ndarray]:
    photo = data.astronaut()[:, :400]  # not square, not the model's size
    mask = np.zeros(photo.shape[:2], bool)
    mask[180:260, 120:220] = True
    return photo, mask


def test_inpaints_at_the_photo_resolution_with_step_previews(inpainter):
    photo, mask = _photo_and_hole()
    request = InpaintRequest(photo, mask, prompt="a red cat", steps=2, seed=3)
    items = list(inpainter.run(request, threading.Event()))
    previews = [i for i in items if isinstance(i, Progress) and isinstance(i.partial, np.ndarray)]
    result = items[-1]
    assert isinstance(result, Result) and result.output.shape == photo.shape
    assert len(previews) >= 2 and all(p.partial.shape == photo.shape for p in previews)
    assert np.array_equal(result.output[~mask], photo[~mask])  # only the hole is repainted
    assert np.abs(result.output[mask].astype(int) - photo[mask]).mean() > 5
    assert result.params["seed"] == 3 and result.params["model_ref"].endswith("inpaint")


def test_same_seed_same_image(inpainter):
    photo, mask = _photo_and_hole()
    request = InpaintRequest(photo, mask, prompt="sky", steps=2, seed=11, guidance=3.0)
    first = list(inpainter.run(request, threading.Event()))[-1].output
    second = list(inpainter.run(request, threading.Event()))[-1].output
    assert np.array_equal(first, second)


def test_stop_between_steps_gives_no_result(inpainter):
    photo, mask = _photo_and_hole()
    items = stopped_at_first_preview(inpainter, InpaintRequest(photo, mask, steps=4, seed=1))
    assert not any(isinstance(item, Result) for item in items)
    assert sum(isinstance(item, Progress) and item.partial is not None for item in items) == 1


def test_text_to_image_by_local_path(tiny_models):
    backend = registry.create(f"sd-txt2img:{tiny_models['txt2img']}", Settings())
    backend.load("cpu")
    # Built directly: the request builder's 256-pixel minimum is for real models, and a tiny
    # UNet at 256 px spends most of a minute in attention on this CPU.
    request = TextToImageRequest(prompt="a lighthouse at dusk", width=64, height=96, steps=2, seed=5)
    items = list(backend.run(request, threading.Event()))
    assert items[-1].output.shape == (96, 64, 3) and items[-1].params["seed"] == 5
    assert any(isinstance(i, Progress) and isinstance(i.partial, np.ndarray) for i in items)


def test_text_to_image_request_checks():
    assert build_text_to_image_request(prompt="x", width=300, height=260).width == 296
    with pytest.raises(InvalidInput, match="Width must be between"):
        build_text_to_image_request(prompt="x", width=100000)
    with pytest.raises(InvalidInput, match="Prompt is empty"):
        build_text_to_image_request(prompt="   ")


def test_missing_model_is_a_clear_error(tmp_path):
    backend = registry.create(f"sd-inpaint:{tmp_path / 'nowhere'}", Settings())
    with pytest.raises(ModelUnavailable, match="Could not load"):
        backend.load("cpu")
    with pytest.raises(ModelUnavailable, match="needs a hub id or a local folder"):
        registry.create("sd-inpaint", Settings()).load("cpu")
