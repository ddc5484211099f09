"""Damage on scanned old photos found automatically: scratches, dust specks, tears and cracks.

Classical and fast (OpenCV morphology, no learned weights), because the mask is a first
draft the user corrects with the brush before anything is filled:

1. Thin structures brighter or darker than their surroundings are the morphological top-hat
   and black-hat of the lightness, at a small scale (lines and specks up to ~8 px across)
   and a large one (tears up to ~16 px).
2. Each residual is divided by its typical level nearby (a median over ~60 px), so a scratch
   over a smooth sky and one over fur are judged against their own background; `sensitivity`
   sets how many times above that level counts, with hysteresis so a line whose contrast
   fades is followed to its end.
3. Shapes decide the kind: scratches survive an opening with a line at one of 12
   orientations (texture does not hold a straight line for 15 px); tears and cracks are
   long, thin connected shapes whatever their path; dust is small, compact and strong.
4. The union is grown by a pixel or two so the soft edges of the damage are filled too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from genai_studio.inputs import bounded_number

KINDS = ("scratches", "dust", "tears")
WORK_SIDE = 2048  # larger scans are analysed at this size and the mask scaled back
ANGLES = 12  # orientations a line is looked for at
THIN = (3, 15)  # (px to each side, px along): scratches and cracks up to ~4 px wide
WIDE_AT_HALF = (3, 7)  # at half size: tears up to ~10 px wide
LINE_EXTENT = 30  # a scratch, crack or tear spans at least this many px
LINE_SHARE = 0.15  # and this share of the photo's longer side
NEUTRAL_WINDOW = 15  # px around a pixel its colourfulness is compared with...
NEUTRAL_SHARE = 0.5  # ...it must have at most this share of theirs...
NEUTRAL_SLACK = 12.0  # ...plus this (max - min RGB), so every pixel of a grey photo passes
PAPER_LIGHTNESS = 200  # a tear shows the paper: light (mean RGB at least this)...
PAPER_CHROMA = 30  # ...and nearly neutral (max - min RGB at most this)
TEAR_WIDTH = 3.5  # mean width (area / extent) from which a long shape counts as a tear
DUST_SIDE = 7  # median window: specks up to ~3 px across vanish in it
DUST_AREA = 40  # dust: at most this many px, spanning at most DUST_EXTENT
DUST_EXTENT = 10
CONTRAST = 24.0  # grey levels a mark must stand out by, at sensitivity 0.5...
LOCAL = 3.0  # ...and times the typical response around it (texture is not damage)
WEAK = 0.7  # hysteresis: a mark goes on while its response stays above this share
DUST_FACTOR = 1.5  # a speck has no length to vouch for it: it must stand out more


@dataclass(frozen=True)
class DamageMask:
    """Where each kind of damage was found (bool H, W each), already grown by `grow` px."""

    scratches: np.ndarray
    dust: np.ndarray
    tears: np.ndarray
    sensitivity: float
    grow: int

    @property
    def mask(self) -> np.ndarray:
        return self.scratches | self.dust | self.tears

    def params(self) -> dict[str, Any]:
        """The settings and how much of the photo each kind covers (for History)."""
        shares = {f"{kind}_share": round(float(getattr(self, kind).mean()), 4) for kind in KINDS}
        return {"sensitivity": self.sensitivity, "grow": self.grow, **shares}


def _disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _line_offsets(length: int, angle: float) -> list[tuple[int, int]]:
    """Whole-pixel (dx, dy) steps of a `length`-px line through the origin at `angle`."""
    half = (length - 1) / 2
    steps = np.linspace(-half, half, length)
    points = {(round(t * np.cos(angle)), round(t * np.sin(angle))) for t in steps}
    return sorted(points)


class _Shifts:
    """Whole-pixel shifted views of an image (edges mirrored), without copying it per shift."""

    def __init__(self, image: np.ndarray, reach: int) -> None:
        self.reach = reach
        self.height, self.width = image.shape
        self.padded = cv2.copyMakeBorder(image, reach, reach, reach, reach, cv2.BORDER_REFLECT)

    def __call__(self, dx: int, dy: int) -> np.ndarray:
        """The image moved by (dx, dy): out[y, x] = image[y + dy, x + dx]."""
        top, left = self.reach + dy, self.reach + dx
        return self.padded[top : top + self.height, left : left + self.width]


def _ridges(image: np.ndarray, side: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(ridge, line) strength in grey levels. Ridge: how much a pixel is brighter (or darker)
    than the pixels `side` px away on both sides, at the best of ANGLES orientations; a step
    edge has one side alike, so it scores 0. Line: the ridge averaged over `length` px along
    that orientation, high only where the ridge runs on straight (a scratch, not grain).

    Brightness is judged on the darkest channel and darkness on the brightest, as a white
    or black mark stands out most there: a black scratch on a red saucer is dark in every
    channel, the saucer only in two.
    """
    rgb = image.astype(np.float32)
    low, high = rgb.min(axis=2), rgb.max(axis=2)
    low_shifted, high_shifted = _Shifts(low, side + 1), _Shifts(high, side + 1)
    ridge = np.zeros_like(low)
    line = np.zeros_like(low)
    for angle in np.linspace(0, np.pi, ANGLES, endpoint=False):
        dx, dy = round(-np.sin(angle) * side), round(np.cos(angle) * side)  # across the line
        bright = np.minimum(low - low_shifted(dx, dy), low - low_shifted(-dx, -dy))
        dark = np.minimum(high_shifted(dx, dy) - high, high_shifted(-dx, -dy) - high)
        here = np.maximum(bright, dark)
        np.maximum(here, 0, out=here)
        np.maximum(ridge, here, out=ridge)
        offsets = _line_offsets(length, angle)
        along = _Shifts(here, length // 2 + 1)
        total = np.zeros_like(low)
        for step_x, step_y in offsets:
            total += along(step_x, step_y)
        np.maximum(line, total / len(offsets), out=line)
    return ridge, line


def _local_level(response: np.ndarray, cell: int = 8, cells: int = 7) -> np.ndarray:
    """The typical response around each pixel: the median of cell means over cells x cells
    cells (~60 px). Damage covers a minority of any window, so it barely moves the median."""
    height, width = response.shape
    small = cv2.resize(
        response, (max(1, width // cell), max(1, height // cell)), interpolation=cv2.INTER_AREA
    )
    quarter_levels = np.clip(np.rint(small * 4), 0, 255).astype(np.uint8)
    median = cv2.medianBlur(quarter_levels, cells).astype(np.float32) / 4
    return cv2.resize(median, (width, height), interpolation=cv2.INTER_LINEAR)


def _hysteresis(strong: np.ndarray, weak: np.ndarray) -> np.ndarray:
    """The connected parts of `weak` that hold at least one `strong` pixel."""
    count, labels = cv2.connectedComponents((weak | strong).astype(np.uint8), connectivity=8)
    keep = np.zeros(count, bool)
    keep[np.unique(labels[strong])] = True
    keep[0] = False
    return keep[labels]


def _regrow(seed: np.ndarray, within: np.ndarray) -> np.ndarray:
    """`seed` plus the pixels of `within` touching it: the edges of a mark, where its ridge
    is weaker than at its centre."""
    near = cv2.dilate(seed.astype(np.uint8), _disk(1)) > 0
    return seed | (near & within)


def _shapes(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labels, area, extent) of the 8-connected parts of `mask` (index 0: the background)."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    area = stats[:, cv2.CC_STAT_AREA].astype(np.float32)
    extent = np.hypot(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]).astype(np.float32)
    return labels, area, extent


def _lines(
    image: np.ndarray,
    scale: tuple[int, int],
    contrast: float,
    min_extent: float,
    where: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(marks spanning `min_extent` px or more, their mean width in px per pixel) at one
    scale; only `where` is given, a mark lies there."""
    ridge, line = _ridges(image, *scale)
    level = LOCAL * _local_level(line)
    seeds = (line > contrast) & (line > level)
    weak = (line > contrast * WEAK) & (line > level * WEAK)
    if where is not None:
        seeds &= where
        weak &= where
    marks = _hysteresis(seeds, weak)
    marks = _regrow(marks, ridge > contrast / 2)
    labels, area, extent = _shapes(marks)
    long = (extent >= min_extent)[labels] & (labels > 0)
    return long, (area / np.maximum(extent, 1))[labels]


def _neutral(image: np.ndarray) -> np.ndarray:
    """Pixels much greyer than their surroundings, or in a grey photo: damage is white, grey
    or black whatever the scene, so a thin orange highlight on a red saucer is not a scratch."""
    rgb = image.astype(np.int16)
    chroma = (rgb.max(axis=2) - rgb.min(axis=2)).astype(np.float32)
    around = cv2.blur(chroma, (NEUTRAL_WINDOW, NEUTRAL_WINDOW))
    return chroma <= NEUTRAL_SHARE * around + NEUTRAL_SLACK


def _paper(image: np.ndarray) -> np.ndarray:
    """Pixels light and nearly neutral: the paper a tear lays bare."""
    rgb = image.astype(np.int16)
    chroma = rgb.max(axis=2) - rgb.min(axis=2)
    return (rgb.mean(axis=2) >= PAPER_LIGHTNESS) & (chroma <= PAPER_CHROMA)


def _find(image: np.ndarray, sensitivity: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    contrast = CONTRAST * 2.0 ** (1.0 - 2.0 * sensitivity)  # x2 at 0, /2 at 1
    min_extent = max(LINE_EXTENT, LINE_SHARE * max(grey.shape))
    neutral = _neutral(image)
    thin, _ = _lines(image, THIN, contrast, min_extent, where=neutral)
    # Tears are wide: look for them at half size, four times cheaper.
    height, width = grey.shape
    half = cv2.resize(image, (max(1, width // 2), max(1, height // 2)), interpolation=cv2.INTER_AREA)
    wide, wide_width = _lines(half, WIDE_AT_HALF, contrast, min_extent / 2, where=_paper(half))
    tears = cv2.resize((wide & (wide_width >= TEAR_WIDTH / 2)).astype(np.uint8), (width, height)) > 0
    scratches = thin & ~tears
    spot = np.abs(grey - cv2.medianBlur(grey.astype(np.uint8), DUST_SIDE))  # (whole grey levels)
    specks = (spot > contrast * DUST_FACTOR) & neutral
    labels, area, extent = _shapes(specks)
    compact = (area <= DUST_AREA) & (extent <= DUST_EXTENT)
    dust = compact[labels] & (labels > 0) & ~(scratches | tears)
    return scratches, dust, tears


def detect_damage(image: np.ndarray, sensitivity: object = 0.5, grow: int = 1) -> DamageMask:
    """The damage on `image` (uint8 H, W, 3). `sensitivity` 0-1: higher finds fainter damage
    (and more false alarms); the user corrects the mask either way."""
    sensitivity = bounded_number(sensitivity, field="Sensitivity", low=0.0, high=1.0)
    height, width = image.shape[:2]
    scale = min(1.0, WORK_SIDE / max(height, width))
    if scale < 1.0:
        size = round(width * scale), round(height * scale)
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    found = _find(image, sensitivity)
    grown = []
    for mask in found:
        if grow > 0:
            mask = cv2.dilate(mask.astype(np.uint8), _disk(grow)) > 0
        if scale < 1.0:
            mask = cv2.resize(mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST) > 0
        grown.append(mask)
    return DamageMask(*grown, sensitivity=sensitivity, grow=grow)
