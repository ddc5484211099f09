"""CIE Lab conversions shared by colorization and style transfer.

Colour work happens in Lab because lightness (L, 0-100) and colour (a, b) separate there:
colorizing keeps a photo's L and invents a and b; "keep the content's colours" does the
reverse. OpenCV's float conversion is used: fast, and exact enough for 8-bit output.
"""

from __future__ import annotations

import cv2
import numpy as np


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB (H, W, 3) to float32 Lab: L in 0-100, a and b roughly -127..127."""
    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)


def to_rgb(lab: np.ndarray) -> np.ndarray:
    """float32 Lab to uint8 RGB; colours outside the sRGB gamut are clipped."""
    rgb = cv2.cvtColor(np.ascontiguousarray(lab, dtype=np.float32), cv2.COLOR_Lab2RGB)
    return np.rint(np.clip(rgb, 0.0, 1.0) * 255.0).astype(np.uint8)


def lightness(rgb: np.ndarray) -> np.ndarray:
    """The L channel (float32, 0-100) of a uint8 RGB image."""
    return to_lab(rgb)[:, :, 0]


def lightness_u8(lightness_channel: np.ndarray) -> np.ndarray:
    """L (0-100) as uint8 0-255: the guide image OpenCV's edge-aware filters want."""
    return np.rint(np.clip(lightness_channel, 0.0, 100.0) * 2.55).astype(np.uint8)


def combine(lightness_channel: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """uint8 RGB from a lightness channel (H, W) and colour channels (H, W, 2)."""
    return to_rgb(np.dstack([lightness_channel.astype(np.float32), ab.astype(np.float32)]))


def keep_lightness(result: np.ndarray, original: np.ndarray) -> np.ndarray:
    """`result`'s colours on `original`'s lightness (both uint8 RGB; resized to match).

    Colorization uses it so a generated image never changes the photo's tones; style
    transfer uses it the other way round to keep the content's colours.
    """
    height, width = original.shape[:2]
    if result.shape[:2] != (height, width):
        result = cv2.resize(result, (width, height), interpolation=cv2.INTER_CUBIC)
    return combine(lightness(original), to_lab(result)[:, :, 1:])


def chroma(rgb: np.ndarray) -> float:
    """Mean colourfulness (Lab chroma): about 0 for a grey photo, 10-40 for colour photos."""
    ab = to_lab(rgb)[:, :, 1:]
    return float(np.hypot(ab[:, :, 0], ab[:, :, 1]).mean())
