"""Pictures made into a film's moving shots: fitted to the frame (never stretched), a slow
pan or zoom over each, title and text cards over a colour or an image.

Each shot is a *canvas* (an RGB array a little larger than the frame) and a *move*: a window
of the frame's shape that travels and grows or shrinks over the canvas while the shot shows.
A frame is one `cv2.warpAffine` of the canvas (bilinear, sub-pixel, so the motion is smooth;
the canvas is made at the largest zoom, so a frame never enlarges it).

How a picture is fitted:
- *cover* when its shape is close to the frame's (cropping at most COVER_CROP of one side),
  and it is not a portrait picture on a wider frame: the window moves inside the picture;
- *fit* otherwise (portrait photos on a 16:9 frame, panoramas on a 9:16 frame): the whole
  picture in the middle, over a blurred, darkened copy of itself filling the frame; the
  move is a gentle zoom about the centre, so nothing of the picture leaves the frame but a
  thin rim (no face is cropped out).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

MAX_ZOOM = 1.12  # the window at its smallest is the frame's size / MAX_ZOOM of the canvas
FIT_ZOOM = 1.05  # a fitted picture zooms only this much (its rim stays in frame)
COVER_CROP = 0.25  # cover crops at most this share of the picture's width or height
MOVES = ("in", "pan", "out", "pan-back")  # cycled, so directions vary from shot to shot


@dataclass(frozen=True)
class Move:
    """The window's path: zoom and centre (as a share of the canvas's free room, -1..1) from
    the start to the end of the shot."""

    zoom: tuple[float, float]
    x: tuple[float, float] = (0.0, 0.0)
    y: tuple[float, float] = (0.0, 0.0)

    def at(self, u: float) -> tuple[float, float, float]:
        u = min(1.0, max(0.0, u))
        lerp = lambda pair: pair[0] + (pair[1] - pair[0]) * u  # noqa: E731
        return lerp(self.zoom), lerp(self.x), lerp(self.y)


STILL = Move((1.0, 1.0))


def is_cover(picture: tuple[int, int], frame: tuple[int, int]) -> bool:
    """Whether a picture of `picture` (w, h) fills a `frame` (w, h) by cropping (else: fit)."""
    picture_aspect, frame_aspect = picture[0] / picture[1], frame[0] / frame[1]
    if picture[1] > picture[0] * 1.05 and frame_aspect > picture_aspect * 1.05:
        return False  # a portrait picture on a wider frame: faces near the top would be cut
    crop = 1 - min(picture_aspect, frame_aspect) / max(picture_aspect, frame_aspect)
    return crop <= COVER_CROP


def move_for(index: int, canvas: tuple[int, int], frame: tuple[int, int], fitted: bool) -> Move:
    """The move of shot `index`: zoom in, pan, zoom out, pan back, ... along the canvas's
    longer free axis; fitted pictures only zoom, gently."""
    kind = MOVES[index % len(MOVES)]
    if fitted:
        return Move((1.0, FIT_ZOOM)) if index % 2 == 0 else Move((FIT_ZOOM, 1.0))
    if kind == "in":
        return Move((1.0, MAX_ZOOM), (0.0, 0.25 * (-1) ** index), (0.0, -0.2))
    if kind == "out":
        return Move((MAX_ZOOM, 1.0), (0.2 * (-1) ** (index // 2), 0.0), (-0.2, 0.0))
    # a pan along the axis with more free room, at a middle zoom so both axes have some
    spare_x = canvas[0] / frame[0] - canvas[1] / frame[1]
    sign = 1 if kind == "pan" else -1
    sign *= (-1) ** (index // 4)
    if spare_x >= 0:
        return Move((1.06, 1.06), (-0.7 * sign, 0.7 * sign), (0.0, 0.0))
    return Move((1.06, 1.06), (0.0, 0.0), (-0.7 * sign, 0.7 * sign))


def _resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    shrinking = size[0] < image.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return cv2.resize(image, size, interpolation=interpolation)


def cover_canvas(picture: np.ndarray, frame: tuple[int, int], zoom: float = MAX_ZOOM) -> np.ndarray:
    """The picture scaled (aspect kept) so the frame at `zoom` fits in it, at least."""
    h, w = picture.shape[:2]
    scale = max(frame[0] * zoom / w, frame[1] * zoom / h)
    size = (max(round(frame[0] * zoom), round(w * scale)), max(round(frame[1] * zoom), round(h * scale)))
    return _resize(picture, size)


def blurred_fill(picture: np.ndarray, size: tuple[int, int], darken: float = 0.55) -> np.ndarray:
    """A blurred, darkened copy of `picture` covering `size` (w, h): what a fitted picture sits on."""
    small = cover_canvas(picture, (max(8, size[0] // 12), max(8, size[1] // 12)), 1.0)
    h, w = small.shape[:2]
    x, y = (w - max(8, size[0] // 12)) // 2, (h - max(8, size[1] // 12)) // 2
    small = small[y : y + max(8, size[1] // 12), x : x + max(8, size[0] // 12)]
    small = cv2.GaussianBlur(small, (0, 0), 2.5)
    return (cv2.resize(small, size, interpolation=cv2.INTER_LINEAR) * darken).astype(np.uint8)


def fit_canvas(picture: np.ndarray, frame: tuple[int, int], zoom: float = FIT_ZOOM) -> np.ndarray:
    """The whole picture centred on a blurred fill, the canvas the frame's shape at `zoom`."""
    size = (round(frame[0] * zoom), round(frame[1] * zoom))
    canvas = blurred_fill(picture, size)
    h, w = picture.shape[:2]
    scale = min(size[0] * 0.96 / w, size[1] * 0.96 / h)  # a small margin of the fill all round
    inner = _resize(picture, (max(1, round(w * scale)), max(1, round(h * scale))))
    y, x = (size[1] - inner.shape[0]) // 2, (size[0] - inner.shape[1]) // 2
    canvas[y : y + inner.shape[0], x : x + inner.shape[1]] = inner
    return canvas


def colour_canvas(colour: tuple[int, int, int], frame: tuple[int, int]) -> np.ndarray:
    """A flat colour with a soft vignette (darker at the corners), the frame's size."""
    w, h = frame
    ys, xs = np.ogrid[-1 : 1 : h * 1j, -1 : 1 : w * 1j]
    shade = 1.0 - 0.28 * np.clip(xs**2 * 0.6 + ys**2 * 0.6, 0, 1)
    return (np.asarray(colour, np.float32)[None, None, :] * shade[..., None]).astype(np.uint8)


def picture_array(image: Image.Image, frame: tuple[int, int]) -> np.ndarray:
    """An RGB picture reduced to no more than its film needs (twice the frame each way), so a
    huge photo costs no more to move than a small one."""
    limit = 2 * max(frame)
    if max(image.size) > limit:
        image = image.copy()
        image.thumbnail((limit, limit), Image.Resampling.LANCZOS)
    return np.asarray(image.convert("RGB"))


@dataclass
class Shot:
    """A canvas seen through a moving window; `overlay` (a film_text.Patch) sits on top still."""

    canvas: np.ndarray
    move: Move
    frame: tuple[int, int]
    overlay: object | None = None
    darken: float = 1.0

    def render(self, u: float) -> np.ndarray:
        """The frame at `u` (0: the shot's first frame, 1: its last)."""
        zoom, cx, cy = self.move.at(u)
        w, h = self.frame
        ch, cw = self.canvas.shape[:2]
        # canvas pixels per frame pixel: the whole canvas's shorter fit at zoom 1
        base = min(cw / w, ch / h)
        scale = base / zoom
        free_x, free_y = cw - w * scale, ch - h * scale
        x0 = free_x / 2 * (1 + cx)
        y0 = free_y / 2 * (1 + cy)
        matrix = np.array([[scale, 0, x0], [0, scale, y0]], np.float32)
        out = cv2.warpAffine(
            self.canvas,
            matrix,
            (w, h),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT,
        )
        if self.darken != 1.0:
            out = cv2.convertScaleAbs(out, alpha=self.darken)
        if self.overlay is not None:
            self.overlay.blend(out)
        return out


def picture_shot(picture: np.ndarray, frame: tuple[int, int], index: int) -> tuple[Shot, bool]:
    """The shot of one picture (cover or fit, see the module's doc); returns it and whether it
    was fitted."""
    fitted = not is_cover((picture.shape[1], picture.shape[0]), frame)
    canvas = fit_canvas(picture, frame) if fitted else cover_canvas(picture, frame)
    return Shot(canvas, move_for(index, (canvas.shape[1], canvas.shape[0]), frame, fitted), frame), fitted


def card_background(
    frame: tuple[int, int], colour: tuple[int, int, int], image: np.ndarray | None, index: int
) -> Shot:
    """A card's moving background: the given image (darkened so words read on it) or a colour."""
    if image is None:
        return Shot(colour_canvas(colour, frame), STILL, frame)
    canvas = cover_canvas(image, frame)
    move = Move((1.0, 1.06)) if index % 2 == 0 else Move((1.06, 1.0))
    return Shot(canvas, move, frame, darken=0.6)


def blend(a: np.ndarray, b: np.ndarray, weight: float) -> np.ndarray:
    """(1 - weight) * a + weight * b."""
    return cv2.addWeighted(a, 1.0 - weight, b, weight, 0.0)
