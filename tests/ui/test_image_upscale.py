"""The Upscale sub-tab through gradio_client against the launched studio (real ESRGAN-thick
weights, fetched by the set-up; skipped with the reason when they cannot be there)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image
from skimage import data

from genai_studio import images
from genai_studio.history import History
from genai_studio.owners import Owner
from tests.backends.test_upscale_embedded import skip_without_upscaler

ENDPOINT = "/upscale_image"
TAIL = ["", "", 20, 9.0, 20, -1]  # prompt, negative prompt, steps, guidance, noise level, seed


@pytest.fixture(scope="module")
def small_photo(studio, tmp_path_factory) -> Path:
    skip_without_upscaler(studio.settings.cache_dir)
    path = tmp_path_factory.mktemp("upscale-ui") / "eye.png"
    Image.fromarray(data.astronaut()[90:114, 180:211]).save(path)  # 31 x 24: odd sizes
    return path


def test_upscales_x3_to_a_png_saved_in_history(studio, small_photo):
    job = studio.client.submit(handle_file(str(small_photo)), 3, "esrgan", *TAIL, api_name=ENDPOINT)
    slider, png_path, status = job.result(timeout=300)
    assert "Upscaled x3 to 93x72" in status
    result = np.asarray(Image.open(png_path).convert("RGB"))
    assert result.shape == (72, 93, 3)
    params = images.read_png_params(png_path)
    assert params["task"] == "upscale" and params["scale"] == 3 and params["output"] == "93x72"
    assert any("Tile 1/1" in str(out[2]) for out in job.outputs()[:-1])  # progress streamed
    before, after = slider
    assert Image.open(before).size == (31, 24) and Image.open(after).size == (93, 72)
    entry = next(
        e for e in History(studio.settings.history_dir).entries(Owner.local()) if e.task == "upscale"
    )
    assert {"result.png", "input.png"} <= set(entry.files)
    assert entry.summary == "x3 to 93x72"


@pytest.mark.parametrize(
    ("scale", "model", "message"),
    [
        (5, "esrgan", "Scale must be between 2 and 4|not in the list"),
        (4, "sd-nothing", "Model must be one of|not in the list"),
    ],
)
def test_bad_settings_get_clear_messages(studio, small_photo, scale, model, message):
    with pytest.raises(AppError, match=message):
        studio.client.predict(handle_file(str(small_photo)), scale, model, *TAIL, api_name=ENDPOINT)


def test_bad_uploads_get_clear_messages(studio, small_photo, tmp_path):
    fake = tmp_path / "photo.png"
    fake.write_text("not a picture")
    with pytest.raises(AppError, match="not an image"):
        studio.client.predict(handle_file(str(fake)), 2, "esrgan", *TAIL, api_name=ENDPOINT)
    big = tmp_path / "big.png"
    Image.new("RGB", (2000, 2000), (10, 20, 30)).save(big)
    with pytest.raises(AppError, match="would become 8000x8000"):
        studio.client.predict(handle_file(str(big)), 4, "esrgan", *TAIL, api_name=ENDPOINT)
    with pytest.raises(AppError, match="missing"):
        studio.client.predict(None, 2, "esrgan", *TAIL, api_name=ENDPOINT)
