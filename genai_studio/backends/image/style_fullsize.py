"""Style results at the photo's full size from networks that see a small image.

A style network's strokes have a fixed size in pixels, so the *look* of a result (how big the
strokes are against the subject, the composition of colours) is decided by the size the
network sees: 384 pixels for the arbitrary-style transformer. Two ways to go from that look
to a 2048-pixel photo without blur (compared in bench/style.py and the style note):

- "detail": the look enlarged (bicubic) plus the photo's own fine luminance detail, the band
  the small pass could not hold. Fast (well under a second), no tiles, but the style's strokes
  stay as soft as the enlargement: only the photo's edges come back sharp.
- "tiles" (default): the network also runs on overlapping tiles of the photo at up to
  TEXTURE_MAX_SIDE pixels, blended with feathered weights. Alone, tiles at full size change
  the look (strokes shrink to texture and each tile is normalised by its own statistics, so
  tones drift from tile to tile); here they supply only the fine band (above the look's
  resolution) and the enlarged look supplies the coarse band, so the result looks like the
  preview, its strokes are sharp at 100 %, and tile-to-tile tone drift, being coarse, is
  discarded with the tiles' coarse band. Slower: about one network run per 320x320 pixels.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator

import cv2
import numpy as np

from genai_studio.backends.base import Progress
from genai_studio.backends.image import lab
from genai_studio.backends.image.style_networks import to_float, to_uint8

TILES, DETAIL = "tiles", "detail"
METHODS = (TILES, DETAIL)
OVERLAP = 64  # pixels shared by neighbouring tiles, blended with a linear ramp
MARGIN = 16  # reflected border around a network's input: networks smear their outer pixels
TEXTURE_MAX_SIDE = 2048  # the tiled pass runs at most this large; finer detail is the photo's
TILES_FROM = 1.5  # tiles only when the photo is this many times larger than the look
BAND = 0.5  # the coarse/fine split: a Gaussian of sigma BAND x (enlargement factor)

Stylize = Callable[[np.ndarray], np.ndarray]  # float HxWx3 in 0-1 -> the same, stylised
Steps = Generator[Progress, None, np.ndarray | None]  # progress, then the image (None: stopped)


def resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    shrink = width * height < image.shape[0] * image.shape[1]
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def fit_side(image: np.ndarray, side: int) -> np.ndarray:
    """`image` resized so its longer side is `side` (at least one pixel a side)."""
    height, width = image.shape[:2]
    scale = side / max(height, width)
    return resize(image, max(1, round(width * scale)), max(1, round(height * scale)))


def pad(image: np.ndarray, top: int, bottom: int, left: int, right: int) -> np.ndarray:
    """Mirror-padded (any widths, even wider than the image)."""
    return np.pad(image, ((top, bottom), (left, right), (0, 0)), mode="symmetric")


def in_square(image: np.ndarray, side: int, stylize: Stylize) -> np.ndarray:
    """Run a fixed-size network (side x side) on the whole image: fitted inside the square with a
    mirrored margin, stylised, and cropped back (float in, float out, at the fitted size)."""
    small = fit_side(image, side - 2 * MARGIN)
    height, width = small.shape[:2]
    top, left = (side - height) // 2, (side - width) // 2
    square = pad(small, top, side - height - top, left, side - width - left)
    return stylize(square)[top : top + height, left : left + width]


def padded_to_multiple(image: np.ndarray, multiple: int, stylize: Stylize) -> np.ndarray:
    """Run a fully convolutional network on `image` with a mirrored margin and sides rounded up
    to `multiple`; cropped back to the image's size."""
    height, width = image.shape[:2]
    bottom = MARGIN + (-(height + 2 * MARGIN)) % multiple
    right = MARGIN + (-(width + 2 * MARGIN)) % multiple
    styled = stylize(pad(image, MARGIN, bottom, MARGIN, right))
    return styled[MARGIN : MARGIN + height, MARGIN : MARGIN + width]


def origins(length: int, tile: int, step: int) -> list[int]:
    """Tile starts every `step` pixels, the last one flush with the end."""
    starts = list(range(0, max(1, length - tile + 1), step))
    if starts[-1] + tile < length:
        starts.append(length - tile)
    return starts


def feather(tile: int) -> np.ndarray:
    """Tile weights (tile x tile x 1): 1 inside, a ramp to near 0 across the OVERLAP at each edge,
    so every pixel is a smooth mix of the tiles covering it."""
    ramp = np.ones(tile, np.float32)
    rise = np.linspace(0.0, 1.0, OVERLAP + 2, dtype=np.float32)[1:-1]
    ramp[:OVERLAP], ramp[-OVERLAP:] = rise, rise[::-1]
    return np.outer(ramp, ramp)[:, :, None]


def tiled(image: np.ndarray, tile: int, stylize: Stylize, cancel: threading.Event) -> Steps:
    """`stylize` on overlapping tile x tile pieces of a float image of any size, feathered
    together. The image is mirror-padded by OVERLAP first, so its own borders lie inside tiles."""
    height, width = image.shape[:2]
    rows = max(0, tile - height - 2 * OVERLAP)
    cols = max(0, tile - width - 2 * OVERLAP)
    padded = pad(image, OVERLAP, OVERLAP + rows, OVERLAP, OVERLAP + cols)
    total = np.zeros(padded.shape, np.float32)
    weight = np.zeros((*padded.shape[:2], 1), np.float32)
    ramp = feather(tile)
    step = tile - OVERLAP
    rows_at, cols_at = origins(padded.shape[0], tile, step), origins(padded.shape[1], tile, step)
    grid = [(y, x) for y in rows_at for x in cols_at]
    for done, (y, x) in enumerate(grid):
        if cancel.is_set():
            return None
        total[y : y + tile, x : x + tile] += stylize(padded[y : y + tile, x : x + tile]) * ramp
        weight[y : y + tile, x : x + tile] += ramp
        yield Progress(f"Full-size detail: tile {done + 1}/{len(grid)}…", (done + 1) / len(grid))
    return (total / weight)[OVERLAP : OVERLAP + height, OVERLAP : OVERLAP + width]


def with_photo_detail(photo: np.ndarray, styled: np.ndarray) -> np.ndarray:
    """`styled` (uint8, smaller) enlarged to the photo's size, plus the photo's luminance detail
    finer than `styled` could hold (the band a Gaussian of the enlargement's scale removes)."""
    height, width = photo.shape[:2]
    enlarged = resize(styled, width, height)
    sigma = BAND * width / styled.shape[1]
    if sigma < 0.3:
        return enlarged
    photo_lightness = lab.lightness(photo)
    detail = photo_lightness - cv2.GaussianBlur(photo_lightness, (0, 0), sigma)
    result = lab.to_lab(enlarged)
    result[:, :, 0] = np.clip(result[:, :, 0] + detail, 0.0, 100.0)
    return lab.to_rgb(result)


def fuse(look: np.ndarray, texture: np.ndarray, sigma: float) -> np.ndarray:
    """The coarse band of `look` (float, enlarged to `texture`'s size) and the fine band of
    `texture`."""
    height, width = texture.shape[:2]
    coarse = cv2.GaussianBlur(resize(look, width, height), (0, 0), sigma)
    return coarse + texture - cv2.GaussianBlur(texture, (0, 0), sigma)


def enlarge(
    photo: np.ndarray, look: np.ndarray, method: str, tile: int, stylize: Stylize, cancel: threading.Event
) -> Steps:
    """The look (uint8, the network's working size) at the photo's full size (uint8), by
    `method` (see the module docstring). `stylize` runs the network on one tile x tile piece."""
    factor = max(photo.shape[:2]) / max(look.shape[:2])
    if method == DETAIL or factor < TILES_FROM:
        return with_photo_detail(photo, look)
    texture_photo = fit_side(photo, min(max(photo.shape[:2]), TEXTURE_MAX_SIDE))
    texture = yield from tiled(to_float(texture_photo), tile, stylize, cancel)
    if texture is None:
        return None
    sigma = BAND * texture.shape[1] / look.shape[1]
    fused = to_uint8(fuse(to_float(look), texture, sigma))
    return fused if fused.shape == photo.shape else with_photo_detail(photo, fused)
