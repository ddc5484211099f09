"""Recreate the generated style images in this folder (run once; results are committed).

.venv/bin/python assets/images/reference/styles/make_styles.py
"""

from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).parent


def swirling_strokes(size: int = 512, seed: int = 7) -> np.ndarray:
    """Short thick strokes in a warm/cool palette following a wavy flow field."""
    rng = np.random.default_rng(seed)
    image = np.zeros((size, size, 3), np.float32)
    image[:] = (0.12, 0.18, 0.35)
    palette = np.array([(0.95, 0.78, 0.25), (0.85, 0.35, 0.15), (0.15, 0.35, 0.65), (0.1, 0.2, 0.4),
                        (0.95, 0.9, 0.7), (0.3, 0.55, 0.75)])  # fmt: skip
    for _ in range(2500):
        y, x = rng.integers(0, size, 2)
        angle = np.sin(x / 60.0 + y / 90.0) * 1.2 + rng.normal(0, 0.2)
        length = rng.integers(8, 30)
        dx, dy = np.cos(angle) * length, np.sin(angle) * length
        colour = np.clip(palette[rng.integers(len(palette))] * rng.uniform(0.8, 1.1), 0, 1)
        start, end = (int(x - dx), int(y - dy)), (int(x + dx), int(y + dy))
        cv2.line(image, start, end, tuple(float(c) for c in colour), int(rng.integers(3, 8)), cv2.LINE_AA)
    image = cv2.GaussianBlur(image, (0, 0), 0.8) + rng.normal(0, 0.03, (size, size, 1)).astype(np.float32)
    return np.rint(np.clip(image, 0, 1) * 255).astype(np.uint8)


def stained_glass(size: int = 512, seed: int = 3) -> np.ndarray:
    """Voronoi cells of saturated colours with dark lead lines."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, size, (160, 2)).astype(np.float32)
    colours = cv2.cvtColor(
        np.stack(
            [rng.uniform(0, 180, 160), rng.uniform(150, 255, 160), rng.uniform(120, 240, 160)], -1
        ).astype(np.uint8)[None],
        cv2.COLOR_HSV2RGB,
    )[0]
    yy, xx = np.mgrid[:size, :size].astype(np.float32)
    distances = (yy[..., None] - points[:, 1]) ** 2 + (xx[..., None] - points[:, 0]) ** 2
    nearest = np.argsort(distances, axis=-1)[..., :2]
    first = np.take_along_axis(distances, nearest[..., :1], -1)[..., 0]
    second = np.take_along_axis(distances, nearest[..., 1:], -1)[..., 0]
    image = colours[nearest[..., 0]].astype(np.float32)
    image *= (0.85 + 0.15 * rng.normal(0, 1, (size, size, 1))).clip(0.6, 1.1)
    image[np.sqrt(second) - np.sqrt(first) < 3.0] = (25, 20, 20)
    return np.clip(image, 0, 255).astype(np.uint8)


if __name__ == "__main__":
    for name, make in (("swirling-strokes.jpg", swirling_strokes), ("stained-glass.jpg", stained_glass)):
        cv2.imwrite(str(HERE / name), make()[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90])
