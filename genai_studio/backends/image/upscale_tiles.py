"""Upscaling a large image in tiles, so memory stays bounded whatever the image's size.

Each tile is enlarged together with a margin of its neighbours' pixels and only its own
part of the result is kept: a convolutional network then sees around every kept pixel
what it would see in the whole image (up to the margin), so the tiles meet without seams.
Tiles are split evenly (sizes differ by at most a pixel) and processed in reading order;
the caller's `cancel` is checked before each tile, so Stop stops between tiles.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np

from genai_studio.backends.base import Progress

Box = tuple[int, int, int, int]  # left, top, right, bottom


@dataclass(frozen=True)
class Tile:
    """`box`: the part of the input this tile produces; `crop`: that box grown by the margin
    and clipped to the image, which is what the network sees."""

    box: Box
    crop: Box


def _cuts(length: int, tile: int) -> list[int]:
    count = max(1, math.ceil(length / tile))
    return [round(i * length / count) for i in range(count + 1)]


def plan_tiles(width: int, height: int, tile: int, margin: int) -> list[Tile]:
    """Tiles of at most `tile` pixels a side covering a `width` x `height` image exactly once."""
    xs, ys = _cuts(width, tile), _cuts(height, tile)
    tiles = []
    for top, bottom in itertools.pairwise(ys):
        for left, right in itertools.pairwise(xs):
            crop = (
                max(0, left - margin),
                max(0, top - margin),
                min(width, right + margin),
                min(height, bottom + margin),
            )
            tiles.append(Tile((left, top, right, bottom), crop))
    return tiles


def upscale_tiled(
    image: np.ndarray,
    scale: int,
    enlarge: Callable[[np.ndarray], np.ndarray | None],
    cancel: threading.Event,
    *,
    tile: int,
    margin: int,
) -> Generator[Progress, None, np.ndarray | None]:
    """Run `enlarge(crop) -> crop enlarged `scale` times (uint8)` tile by tile, yielding a
    Progress after each; return the whole result, or None once `cancel` is set (before a
    tile, or during one: `enlarge` may then return None). Use with `yield from`."""
    height, width = image.shape[:2]
    result = np.empty((height * scale, width * scale, 3), dtype=np.uint8)
    tiles = plan_tiles(width, height, tile, margin)
    for done, part in enumerate(tiles, start=1):
        if cancel.is_set():
            return None
        c_left, c_top, c_right, c_bottom = part.crop
        enlarged = enlarge(image[c_top:c_bottom, c_left:c_right])
        if cancel.is_set():
            return None
        expected = ((c_bottom - c_top) * scale, (c_right - c_left) * scale, 3)
        if getattr(enlarged, "shape", None) != expected:
            raise RuntimeError(
                f"the upscaler returned {getattr(enlarged, 'shape', None)} for a tile of {expected}"
            )
        left, top, right, bottom = part.box
        result[top * scale : bottom * scale, left * scale : right * scale] = enlarged[
            (top - c_top) * scale : (bottom - c_top) * scale,
            (left - c_left) * scale : (right - c_left) * scale,
        ]
        yield Progress(f"Tile {done}/{len(tiles)}", done / len(tiles))
    return result
