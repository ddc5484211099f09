"""Colorization benchmark: colour error and speed, measured in one run.

Real colour photos from scikit-image are turned grey; each method colours the grey photo
and is scored against the true colours: PSNR in RGB (higher is better) and the mean
colour error in Lab a*b* (lower is better; the lightness is the same for every method).
Hints are 60 dots (radius 3 px) of the true colours at random places, ~0.7 % of the pixels at 512 px.

- grey: the input itself; flat tint: the mean hint colour everywhere (baselines).
- hints: the studio's edge-aware spreading (normalised Fast Global Smoother).
- Levin 2004 sparse solve: the original optimisation (3x3 windows, exact sparse solve with
  SciPy), the naive peer the studio's method approximates; 512 px only (minutes at 2048).
- reference (same scene): the photo mirrored and halved as the reference photo.
- reference (other photo): the next photo in the list as reference: colours that fit
  tones but not the scene, the honest case for an unrelated reference.

Speed at 512x512 and 2048x2048, against the SD 1.5 image-to-image architecture with random
weights (bench/sd_reference.py; a brightness ControlNet would add about 40 % per step):
1 and 2 steps timed, extrapolated to 20 steps at strength 0.75.

    .venv/bin/python bench/colorize.py            # everything (SD part: a few minutes, ~5 GB RAM)
    .venv/bin/python bench/colorize.py --no-sd    # embedded methods only
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import scipy.sparse as sparse
import scipy.sparse.linalg as sparse_linalg
from skimage import data

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sd_reference import sd15_img2img_seconds  # noqa: E402

from genai_studio.backends.image import colorize_classic, lab  # noqa: E402

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")


def photo(name: str, side: int = 512) -> np.ndarray:
    image = getattr(data, name)()
    scale = side / max(image.shape[:2])
    return cv2.resize(
        image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    )


def hints(truth: np.ndarray, count: int = 60, radius: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    height, width = truth.shape[:2]
    scale = max(height, width) / 512
    mask = np.zeros((height, width), np.uint8)
    for y, x in zip(rng.integers(0, height, count), rng.integers(0, width, count), strict=True):
        cv2.circle(mask, (int(x), int(y)), max(1, round(radius * scale)), 1, -1)
    return mask.astype(bool)


def levin(lightness: np.ndarray, hint_ab: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Levin, Lischinski and Weiss 2004: every pixel's colour is the affinity-weighted mean of
    its 3x3 neighbours' (weights from lightness), hinted pixels fixed; one sparse solve per
    channel."""
    height, width = lightness.shape
    count = height * width
    index = np.arange(count).reshape(height, width)
    value = lightness.astype(np.float64) / 100.0
    padded = np.pad(value, 1, mode="edge")
    offsets = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]
    shifted = np.stack([padded[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width] for dy, dx in offsets])
    variance = np.maximum(np.concatenate([shifted, value[None]]).var(axis=0), 2e-6)
    weights = np.exp(-((shifted - value) ** 2) / (2 * variance))
    weights /= weights.sum(axis=0)
    columns = []
    for dy, dx in offsets:
        rows = np.clip(np.arange(height)[:, None] + dy, 0, height - 1)
        cols = np.clip(np.arange(width)[None, :] + dx, 0, width - 1)
        columns.append(index[rows, cols])
    free = ~mask.ravel()
    rows = np.repeat(index.ravel()[None], len(offsets), axis=0)
    keep = np.repeat(free[None], len(offsets), axis=0)
    matrix = sparse.csr_matrix(
        (
            -weights.reshape(len(offsets), -1)[keep],
            (rows[keep], np.stack(columns).reshape(len(offsets), -1)[keep]),
        ),
        shape=(count, count),
    ) + sparse.eye(count, format="csr")
    solved = np.zeros((count, 2))
    for channel in range(2):
        target = np.where(free, 0.0, hint_ab[:, :, channel].ravel())
        solved[:, channel] = sparse_linalg.spsolve(matrix.tocsc(), target)
    return solved.reshape(height, width, 2).astype(np.float32)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255.0**2 / np.mean((a.astype(np.float64) - b) ** 2)))


def ab_error(a: np.ndarray, b: np.ndarray) -> float:
    difference = lab.to_lab(a)[:, :, 1:] - lab.to_lab(b)[:, :, 1:]
    return float(np.hypot(difference[:, :, 0], difference[:, :, 1]).mean())


def methods(truth: np.ndarray, other: np.ndarray) -> dict[str, Callable[[], np.ndarray]]:
    grey = np.repeat(cv2.cvtColor(truth, cv2.COLOR_RGB2GRAY)[:, :, None], 3, axis=2)
    lightness = lab.lightness(grey)
    mask = hints(truth)
    true_ab = lab.to_lab(truth)[:, :, 1:]
    reference = cv2.resize(truth[:, ::-1], None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    return {
        "grey (input)": lambda: grey,
        "flat tint": lambda: lab.combine(
            lightness, np.broadcast_to(true_ab[mask].mean(axis=0), true_ab.shape)
        ),
        "hints (studio)": lambda: lab.combine(
            lightness, colorize_classic.spread_hints(lightness, true_ab, mask)
        ),
        "Levin 2004 sparse solve": lambda: lab.combine(lightness, levin(lightness, true_ab, mask)),
        "reference (same scene)": lambda: lab.combine(
            lightness, colorize_classic.transfer_from_reference(lightness, reference)
        ),
        "reference (other photo)": lambda: lab.combine(
            lightness, colorize_classic.transfer_from_reference(lightness, other)
        ),
    }


def timed(make: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    out = make()
    return out, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-sd", action="store_true", help="skip the Stable Diffusion peer")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    cv2.setNumThreads(2)
    scores: dict[str, list[tuple[float, float]]] = {}
    timings: dict[tuple[str, int], list[float]] = {}
    for position, name in enumerate(PHOTOS):
        for side in (512, 2048):
            truth = photo(name, side)
            other = photo(PHOTOS[(position + 1) % len(PHOTOS)], side)
            for method, make in methods(truth, other).items():
                if side == 2048 and method.startswith("Levin"):
                    continue
                out, seconds = timed(make)
                timings.setdefault((method, side), []).append(seconds)
                if side == 512:
                    scores.setdefault(method, []).append((psnr(out, truth), ab_error(out, truth)))
    print(f"Quality: {len(PHOTOS)} photos at 512 px, mean over photos")
    print(f"{'method':26s} {'PSNR RGB':>9s} {'a*b* error':>11s}")
    for method, values in scores.items():
        quality, error = np.mean(values, axis=0)
        print(f"{method:26s} {quality:9.2f} {error:11.2f}")
    sd_total = None if args.no_sd else sd15_img2img_seconds(photo("astronaut"))
    levin_512 = float(np.median(timings[("Levin 2004 sparse solve", 512)]))
    print("\nSpeed (median seconds over photos; ratios measured in this run)")
    for (method, side), seconds in timings.items():
        if method.startswith(("grey", "flat")):
            continue
        median = float(np.median(seconds))
        versus_levin = f"{levin_512 / median:7.0f}x vs Levin@512" if side == 512 else ""
        versus_sd = f"{sd_total / median:8.0f}x vs SD@512" if sd_total else ""
        print(f"  {method:26s} {side:5d}px {median:8.3f} s {versus_levin} {versus_sd}")


if __name__ == "__main__":
    main()
