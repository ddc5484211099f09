"""The upscale request's checks and the tile plan: no weights needed. Every kind of bad
input is refused with a message that says what to change, before any work."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from PIL import Image

from genai_studio.backends.base import Progress
from genai_studio.backends.image.upscale_request import UpscaleRequest, build_upscale_request
from genai_studio.backends.image.upscale_tiles import plan_tiles, upscale_tiled
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput

SETTINGS = Settings()


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_good_upload_becomes_an_rgb_request(tmp_path):
    path = tmp_path / "photo.png"
    Image.new("RGBA", (40, 30), (200, 10, 10, 0)).save(path)  # transparency: composited over white
    request = build_upscale_request(SETTINGS, image=str(path), scale="x3")
    assert request.image.shape == (30, 40, 3) and request.image.dtype == np.uint8
    assert (request.image == 255).all()
    assert request.scale == 3 and request.output_size == (120, 90)
    assert request.params() == {"scale": 3, "width": 40, "height": 30, "output": "120x90"}


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (None, "missing"),
        ("", "missing"),
        (b"", "empty file"),
        (b"this is not an image at all", "not an image"),
        (png(64, 64)[:60], "damaged or truncated"),
        (12345, "must be an image file"),
        (np.full((32, 32, 3), np.nan), "NaN"),
        (np.zeros((32, 32, 5), np.uint8), "shape"),
        (np.zeros((8, 40, 3), np.uint8), "too small"),
        (np.zeros((3001, 3001, 3), np.uint8), "would become 12004x12004"),
    ],
)
def test_bad_images_are_refused_clearly(image, message):
    with pytest.raises(InvalidInput, match=message):
        build_upscale_request(SETTINGS, image=image, scale=4)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="could not be found"):
        build_upscale_request(SETTINGS, image=str(tmp_path / "gone.png"))


@pytest.mark.parametrize("scale", [1, 5, 8, 2.5, "x5", "four", None, float("nan"), float("inf"), True, -4])
def test_bad_scales_are_refused(scale):
    with pytest.raises(InvalidInput, match="Scale"):
        build_upscale_request(SETTINGS, image=png(32, 32), scale=scale)


def test_an_output_over_the_pixel_limit_is_refused_with_the_largest_input_that_fits():
    # 2000x2000 is a fine upload (4 MP), but x4 would be 64 MP: refused before any work.
    with pytest.raises(InvalidInput, match=r"would become 8000x8000.*at most 2\.5 megapixels"):
        build_upscale_request(SETTINGS, image=png(2000, 2000), scale=4)
    assert build_upscale_request(SETTINGS, image=png(2000, 2000), scale=3).output_size == (6000, 6000)
    with pytest.raises(InvalidInput, match="12,000 pixels a side"):  # a long strip: the side limit
        build_upscale_request(SETTINGS, image=png(5000, 100), scale=3)


@pytest.mark.parametrize(
    ("field", "value"),
    [("steps", 0), ("steps", "many"), ("guidance", float("nan")), ("noise_level", 351), ("seed", 2.5)],
)
def test_bad_diffusion_settings_are_refused(field, value):
    with pytest.raises(InvalidInput):
        build_upscale_request(SETTINGS, image=png(32, 32), **{field: value})


def test_a_request_made_directly_is_checked_too():
    with pytest.raises(InvalidInput, match="8-bit RGB"):
        UpscaleRequest(np.zeros((32, 32, 3), np.float32))
    with pytest.raises(InvalidInput, match="Scale"):
        UpscaleRequest(np.zeros((32, 32, 3), np.uint8), scale=8)
    with pytest.raises(InvalidInput, match="would become"):
        UpscaleRequest(np.zeros((3200, 3200, 3), np.uint8), scale=4)


@pytest.mark.parametrize(
    ("width", "height", "tile"), [(17, 23, 8), (192, 192, 192), (500, 333, 192), (16, 400, 64)]
)
def test_tiles_cover_the_image_exactly_once_within_their_size(width, height, tile):
    cover = np.zeros((height, width), int)
    for part in plan_tiles(width, height, tile, margin=16):
        left, top, right, bottom = part.box
        cover[top:bottom, left:right] += 1
        assert right - left <= tile and bottom - top <= tile
        c_left, c_top, c_right, c_bottom = part.crop
        assert (c_left, c_top) == (max(0, left - 16), max(0, top - 16))
        assert (c_right, c_bottom) == (min(width, right + 16), min(height, bottom + 16))
    assert (cover == 1).all()


def test_tiled_nearest_neighbour_equals_the_whole_image_and_stop_ends_between_tiles():
    """With an enlarger that needs no context, the tiled result is exactly the whole one."""
    image = np.random.default_rng(0).integers(0, 256, (37, 53, 3), dtype=np.uint8)

    def nearest(crop: np.ndarray) -> np.ndarray:
        return crop.repeat(3, axis=0).repeat(3, axis=1)

    steps = upscale_tiled(image, 3, nearest, threading.Event(), tile=16, margin=4)
    progress = []
    try:
        while True:
            progress.append(next(steps))
    except StopIteration as done:
        result = done.value
    assert np.array_equal(result, nearest(image))
    assert [p.fraction for p in progress] == [i / 12 for i in range(1, 13)]  # 4 x 3 tiles
    assert all(isinstance(p, Progress) and p.message.startswith("Tile ") for p in progress)

    cancel, seen = threading.Event(), []
    for _item in upscale_tiled(
        image, 3, lambda crop: seen.append(crop) or nearest(crop), cancel, tile=16, margin=4
    ):
        cancel.set()
    assert len(seen) == 1  # Stop after the first tile: no second tile was started
