"""Synthetic damage of scanned old photos, with the true mask of every kind drawn.

Used by bench/restore.py and the tests to score the automatic damage mask, and to make the
Restore tab's example photos (`python bench/damage_synth.py` rewrites them). Every kind is
drawn the way it looks on a scan, then the whole print gets film grain and a slight scanner
blur, so the damage has soft edges and the photo around it is not clean either:

- scratches: long, slightly curved lines 1-3 px wide, bright (emulsion scraped off) or dark;
- dust: specks and hairs-ends 1-4 px across, bright or dark, irregular;
- tears: a jagged path 3-9 px wide in the colour of the paper under the print, and cracks,
  thin dark jagged lines that branch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

KINDS = ("scratches", "dust", "tears")
GRAIN = 3.0  # film grain, grey levels (sd)
VISIBLE = 12  # grey levels a mark must change a pixel by to count as damage there
PAPER = np.array([236, 229, 212], np.float32)  # the cream of old photo paper


@dataclass(frozen=True)
class Damaged:
    """A damaged photo and the true mask (bool H, W) of each kind drawn on it."""

    image: np.ndarray
    clean: np.ndarray  # the same photo with grain and blur but no damage
    truth: dict[str, np.ndarray]

    @property
    def mask(self) -> np.ndarray:
        out = np.zeros(self.image.shape[:2], bool)
        for mask in self.truth.values():
            out |= mask
        return out


def _tone(rng: np.random.Generator) -> float:
    """A bright (scraped emulsion, dust on a negative) or dark (dirt on a print) grey."""
    return float(rng.uniform(215, 250) if rng.random() < 0.6 else rng.uniform(10, 45))


def _curve(rng: np.random.Generator, side: int) -> np.ndarray:
    """Points of a quadratic Bezier across 25-80 % of the photo, slightly bent."""
    start = rng.uniform(0.05, 0.95, 2) * side
    angle = rng.uniform(0, np.pi)
    length = rng.uniform(0.25, 0.8) * side
    end = np.clip(start + length * np.array([np.cos(angle), np.sin(angle)]), 0, side - 1)
    bend = (start + end) / 2 + rng.normal(0, 0.06 * length, 2)
    t = np.linspace(0, 1, 200)[:, None]
    return (1 - t) ** 2 * start + 2 * (1 - t) * t * bend + t**2 * end


def _jagged(rng: np.random.Generator, side: int, steps: int, step: float, turn: float) -> np.ndarray:
    """A random walk that keeps its heading roughly: a tear or a crack."""
    point = rng.uniform(0.1, 0.9, 2) * side
    heading = rng.uniform(0, 2 * np.pi)
    points = [point]
    for _ in range(steps):
        heading += rng.normal(0, turn)
        point = point + step * np.array([np.cos(heading), np.sin(heading)])
        points.append(point)
    return np.clip(np.array(points), 0, side - 1)


def _polyline(canvas: np.ndarray, points: np.ndarray, value: float, width: int) -> None:
    cv2.polylines(canvas, [np.rint(points).astype(np.int32)], False, value, width, cv2.LINE_8)


def _scratches(rng: np.random.Generator, side: int) -> tuple[np.ndarray, np.ndarray]:
    tone, mask = np.zeros((side, side), np.float32), np.zeros((side, side), np.uint8)
    for _ in range(int(rng.integers(3, 7))):
        curve, width, value = _curve(rng, side), int(rng.integers(1, 4)), _tone(rng)
        _polyline(mask, curve, 1, width)
        _polyline(tone, curve, value, width)
    return tone, mask


def _dust(rng: np.random.Generator, side: int) -> tuple[np.ndarray, np.ndarray]:
    tone, mask = np.zeros((side, side), np.float32), np.zeros((side, side), np.uint8)
    for _ in range(int(rng.integers(25, 60) * side / 512)):
        centre = tuple(int(v) for v in rng.integers(0, side, 2))
        axes = tuple(int(v) for v in rng.integers(1, 3, 2))
        angle, value = float(rng.uniform(0, 180)), _tone(rng)
        cv2.ellipse(mask, centre, axes, angle, 0, 360, 1, -1)
        cv2.ellipse(tone, centre, axes, angle, 0, 360, value, -1)
    return tone, mask


def _tears(rng: np.random.Generator, side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(paper mask, crack tone, mask): a torn path showing the paper, and branching cracks."""
    paper, tone = np.zeros((side, side), np.uint8), np.zeros((side, side), np.float32)
    tear = _jagged(rng, side, steps=int(side / 8), step=6.0, turn=0.5)
    for start in range(0, len(tear) - 1, 4):  # the width changes along the tear
        _polyline(paper, tear[start : start + 5], 1, int(rng.integers(3, 10)))
    for _ in range(int(rng.integers(1, 3))):
        crack = _jagged(rng, side, steps=int(side / 6), step=4.0, turn=0.7)
        _polyline(tone, crack, rng.uniform(15, 50), int(rng.integers(1, 3)))
        branch_from = crack[int(rng.integers(5, len(crack) - 5))]
        branch = branch_from + np.cumsum(rng.normal(0, 4, (int(side / 16), 2)), axis=0)
        _polyline(tone, np.clip(branch, 0, side - 1), rng.uniform(15, 50), 1)
    mask = ((paper > 0) | (tone > 0)).astype(np.uint8)
    return paper, tone, mask


def damage(photo: np.ndarray, kinds: tuple[str, ...] = KINDS, seed: int = 0) -> Damaged:
    """`photo` (uint8 square H, W, 3) aged with the damage `kinds` and grain, and the true masks."""
    side = photo.shape[0]
    rng = np.random.default_rng(seed)
    grain = rng.normal(0, GRAIN, photo.shape[:2]).astype(np.float32)[:, :, None]
    base = photo.astype(np.float32) + grain
    damaged = base.copy()
    truth: dict[str, np.ndarray] = {}
    for kind in kinds:
        if kind == "tears":
            paper, tone, mask = _tears(rng, side)
            damaged[paper > 0] = PAPER + rng.normal(0, 4, (int((paper > 0).sum()), 1))
        else:
            tone, mask = (_scratches if kind == "scratches" else _dust)(rng, side)
        damaged[tone > 0] = tone[tone > 0, None] + grain[tone > 0]
        truth[kind] = mask > 0
    blur = (3, 3), 0.6  # the scanner's optics soften every edge a little

    def finish(image: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(cv2.GaussianBlur(image, *blur)), 0, 255).astype(np.uint8)

    image, clean = finish(damaged), finish(base)
    # A mark that does not change the photo (a bright scratch on a white sky) is no damage.
    changed = np.abs(image.astype(np.int16) - clean).max(axis=2) >= VISIBLE
    return Damaged(image, clean, {kind: mask & changed for kind, mask in truth.items()})


def square_photo(name: str, side: int = 512) -> np.ndarray:
    """A scikit-image sample photo as RGB, centre-cropped square at `side` px."""
    from skimage import data

    image = getattr(data, name)()
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    height, width = image.shape[:2]
    crop = min(height, width)
    top, left = (height - crop) // 2, (width - crop) // 2
    return cv2.resize(image[top : top + crop, left : left + crop], (side, side), interpolation=cv2.INTER_AREA)


def write_examples(folder: Path) -> None:
    """The Restore tab's examples: scikit-image photos, faded to sepia, with every kind of damage."""
    from PIL import Image

    for name, seed in (("camera", 3), ("chelsea", 5)):
        grey = cv2.cvtColor(square_photo(name), cv2.COLOR_RGB2GRAY).astype(np.float32)
        sepia = np.clip(grey[:, :, None] * np.array([1.07, 0.96, 0.80]) * 0.85 + 20, 0, 255)
        aged = damage(sepia.astype(np.uint8), seed=seed)
        Image.fromarray(aged.image).save(folder / f"{name}_damaged.jpg", quality=92)


if __name__ == "__main__":
    write_examples(Path(__file__).resolve().parents[1] / "assets" / "images" / "restore")
