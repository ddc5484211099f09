"""The embedded ESRGAN upscaler through its real weights (fetched and converted by the
set-up: `python -m genai_studio.backends.image.upscale_weights`): the port gives the
package's own reference images, sizes are exact, tiles meet without seams, Stop stops
between tiles, and the missing weights are explained."""

from __future__ import annotations

import shutil
import threading
import time

import numpy as np
import pytest
from PIL import Image

from genai_studio.backends import registry
from genai_studio.backends.base import Progress, Result
from genai_studio.backends.image import upscale_weights
from genai_studio.backends.image.upscale_request import UpscaleRequest
from genai_studio.backends.image.upscale_tiles import upscale_tiled
from genai_studio.config import Settings

SETTINGS = Settings()


def skip_without_upscaler(cache_dir) -> None:
    """Skip, saying why, when the ESRGAN weights are missing and cannot be fetched."""
    if not upscale_weights.is_ready(cache_dir) and shutil.which("npm") is None:
        pytest.skip(
            "the upscaler's weights are not fetched and npm is absent (scripts/setup.sh fetches them)"
        )


@pytest.fixture(scope="module")
def backend():
    skip_without_upscaler(SETTINGS.cache_dir)
    esrgan = registry.create("esrgan", SETTINGS)
    esrgan.load("cpu")
    return esrgan


def reference(scale: int) -> tuple[np.ndarray, np.ndarray]:
    """(the package's 128x128 fixture, UpscalerJS's own result at `scale`), RGB uint8."""
    fixture, result = upscale_weights.reference_files(SETTINGS.cache_dir, scale)
    return np.asarray(Image.open(fixture).convert("RGB")), np.asarray(Image.open(result).convert("RGB"))


def difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(np.int16) - b.astype(np.int16))


def run(backend, request: UpscaleRequest, cancel: threading.Event | None = None) -> list[Progress | Result]:
    return list(backend.run(request, cancel or threading.Event()))


@pytest.mark.slow
def test_the_port_gives_the_packages_own_x4_result_on_the_whole_fixture(backend):
    fixture, expected = reference(4)
    diff = difference(backend.enlarge(fixture, 4), expected)
    assert diff.max() <= 1 and diff.mean() < 0.01  # measured: 15 values off by one in 786k


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_the_port_gives_the_packages_own_result_at_every_scale(backend, scale):
    """A 32-row band of the fixture (the full width, so the image's own left and right edges
    are in it) against the same rows of the package's result, 8 rows of context kept."""
    fixture, expected = reference(scale)
    top, bottom, context = 48, 80, 8
    enlarged = backend.enlarge(fixture[top:bottom], scale)
    kept = slice(context * scale, (bottom - top - context) * scale)
    diff = difference(enlarged[kept], expected[(top + context) * scale : (bottom - context) * scale])
    assert diff.max() <= 1 and diff.mean() < 0.01


@pytest.mark.parametrize(("width", "height", "scale"), [(17, 16, 2), (23, 19, 3), (16, 31, 4)])
def test_sizes_are_exact_for_odd_sizes_in_tiles(backend, width, height, scale, monkeypatch):
    monkeypatch.setattr(backend, "tile", 8)
    monkeypatch.setattr(backend, "margin", 2)  # cheap: only the sizes matter here
    image = np.random.default_rng(width).integers(0, 256, (height, width, 3), dtype=np.uint8)
    items = run(backend, UpscaleRequest(image, scale=scale))
    result = items[-1]
    assert isinstance(result, Result) and result.output.shape == (height * scale, width * scale, 3)
    assert result.params == {
        "scale": scale,
        "width": width,
        "height": height,
        "output": f"{width * scale}x{height * scale}",
    }
    tiles = [item for item in items if isinstance(item, Progress) and item.message.startswith("Tile")]
    assert len(tiles) >= 4 and tiles[-1].fraction == 1.0


def yield_result(steps):
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def test_tiles_meet_without_seams(backend):
    """The tiled result against one pass over the whole image: no tile border stands out."""
    fixture, _ = reference(2)
    image = fixture[40:88, 32:96]  # 64 x 48: tiles of 32 x 24 with a 16-pixel margin, 2 x 2 of them
    whole = backend.enlarge(image, 2)
    enlarge = lambda crop: backend.enlarge(crop, 2)  # noqa: E731
    tiled = yield_result(upscale_tiled(image, 2, enlarge, threading.Event(), tile=32, margin=16))
    diff = difference(tiled, whole)
    assert diff.max() <= 1 and diff.mean() < 0.01
    borders = diff[:, 60:68], diff[44:52, :]  # the columns and rows around the tile borders (x2)
    assert all(band.max() <= 1 for band in borders)


def test_stop_between_tiles(backend, monkeypatch):
    monkeypatch.setattr(backend, "tile", 16)
    monkeypatch.setattr(backend, "margin", 2)
    image = np.random.default_rng(1).integers(0, 256, (16, 48, 3), dtype=np.uint8)  # 3 tiles
    cancel, items = threading.Event(), []
    for item in backend.run(UpscaleRequest(image, scale=2), cancel):
        items.append(item)
        if item.fraction:  # the first tile is done: press Stop
            cancel.set()
    assert not any(isinstance(item, Result) for item in items)
    assert items[-1].message == "Tile 1/3"


def test_missing_weights_are_explained_and_a_ready_cache_is_not_fetched_again(tmp_path, monkeypatch, backend):
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm on the PATH
    missing = registry.create("esrgan", Settings(cache_dir=tmp_path)).available()
    assert not missing.ready
    assert "python -m genai_studio.backends.image.upscale_weights" in missing.reason
    started = time.perf_counter()
    assert upscale_weights.prepare(SETTINGS.cache_dir) == upscale_weights.weights_dir(SETTINGS.cache_dir)
    assert time.perf_counter() - started < 1.0  # idempotent: no npm, no conversion
    assert registry.create("esrgan", SETTINGS).available().ready
