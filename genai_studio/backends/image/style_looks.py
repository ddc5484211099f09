"""Quick looks: fixed painterly styles from OpenCV's non-photorealistic filters, each well
under a second at 512x512. Spatial parameters are given for a 512-pixel image and scaled
with the image, so a look is the same on a thumbnail and on a 12-megapixel photo; photos
larger than WORK_SIDE are processed at that size and scaled back (the looks are smooth)."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

WORK_SIDE = 1024
EMBOSS = np.array([[-1, -1, 0], [-1, 0, 1], [0, 1, 1]], dtype=np.float32)


def _scale(image: np.ndarray) -> float:
    return max(image.shape[:2]) / 512.0


def oil_paint(image: np.ndarray) -> np.ndarray:
    """Oil paint: each pixel takes the most frequent tone of its neighbourhood (xphoto), with
    a light emboss of the result for the relief of brush strokes."""
    painted = cv2.xphoto.oilPainting(image, max(2, round(4 * _scale(image))), 1)
    relief = cv2.filter2D(cv2.cvtColor(painted, cv2.COLOR_RGB2GRAY).astype(np.float32), -1, EMBOSS)
    return np.clip(painted + 0.2 * relief[:, :, None], 0, 255).astype(np.uint8)


def pencil(image: np.ndarray) -> np.ndarray:
    """Graphite pencil sketch (Gastal and Oliveira's domain transform, OpenCV pencilSketch)."""
    sketch, _ = cv2.pencilSketch(
        image, sigma_s=min(200.0, 60 * _scale(image)), sigma_r=0.07, shade_factor=0.05
    )
    return cv2.cvtColor(sketch, cv2.COLOR_GRAY2RGB)


def watercolour(image: np.ndarray) -> np.ndarray:
    """Watercolour: edge-preserving abstraction with soft colour fields (OpenCV stylization)."""
    return cv2.stylization(image, sigma_s=min(200.0, 60 * _scale(image)), sigma_r=0.45)


def cartoon(image: np.ndarray) -> np.ndarray:
    """Cartoon: flattened colours (repeated bilateral filter, quantised) with inked edges."""
    scale = _scale(image)
    small = (
        cv2.resize(image, None, fx=1 / scale, fy=1 / scale, interpolation=cv2.INTER_AREA)
        if scale > 1
        else image
    )
    flat = small
    for _ in range(4):
        flat = cv2.bilateralFilter(flat, 9, 40, 7)
    if scale > 1:
        flat = cv2.resize(flat, image.shape[1::-1], interpolation=cv2.INTER_CUBIC)
    levels = 12
    flat = (np.floor(flat.astype(np.float32) / (256 / levels)) * (256 / levels) + 128 / levels).astype(
        np.uint8
    )
    grey = cv2.medianBlur(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), 5 if scale < 2 else 7)
    block = 2 * max(4, round(4.5 * scale)) + 1
    edges = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 5)
    return np.where(edges[:, :, None] > 0, flat, (flat * 0.15).astype(np.uint8))


LOOKS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "oil": oil_paint,
    "pencil": pencil,
    "watercolour": watercolour,
    "cartoon": cartoon,
}


def apply_look(name: str, image: np.ndarray) -> np.ndarray:
    """The look `name` on a uint8 RGB image, at the image's size."""
    height, width = image.shape[:2]
    scale = WORK_SIDE / max(height, width)
    if scale >= 1:
        return LOOKS[name](image)
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return cv2.resize(LOOKS[name](small), (width, height), interpolation=cv2.INTER_CUBIC)
