"""Style transfer by patch synthesis: any style image on any content image, no learned weights.

After Elad and Milanfar, "Style Transfer via Texture Synthesis" (2017): the result starts
as the content with the style's colours plus noise, and is rebuilt coarse to fine (three
scales, patch sizes 21, 13 and 9). Each step replaces every patch of the current image by its
nearest style patch, averages the overlaps with robust weights (IRLS, r = 0.8), pulls the
result back towards the content where the content has edges (content fusion), matches the
colours to the style's again, and smooths it with an edge-aware domain-transform filter.
The very last step does not average: each pixel comes from its best-matching style patch,
which keeps the style's brush and grain texture (bench/style.py: sliced Wasserstein
distance of texture patches to the style 2.6 instead of 4.9 with averaging, at the cost of
some content structure, SSIM 0.31 instead of 0.50; the strength slider trades them).

The nearest-patch search compares cheap descriptors: each patch is summarised by a 4x4 grid
of box-blurred colours (48 values), projected on its 8 principal components, and looked
up in a k-d tree with approximate search (eps=2). At 512x512 on 2 cores this takes about
3-5 s, where G'MIC's `stylize` took ~19 s (see MODELS.md and bench/style.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
from scipy.spatial import cKDTree

SCALES = (0.25, 0.5, 1.0)
PATCH_SIZES = (21, 13, 9)
ITERATIONS = 2  # per scale and patch size
GRID = 4  # descriptor: GRID x GRID blurred colours per patch
DIMENSIONS = 8  # principal components kept for the search
SEARCH_EPS = 2.0  # approximate nearest neighbours: (1 + eps) times the best distance at most
IRLS_POWER = 0.8
CONTENT_WEIGHT = 2.0  # how strongly edges of the content are kept
DENOISE_SIGMA_SPATIAL = 20.0
DENOISE_SIGMA_COLOUR = 0.05
SHARP_FINISH = True  # last step: each pixel from its best patch, not an average (see rebuild)


def colour_transfer(image: np.ndarray, target: np.ndarray) -> np.ndarray:
    """`image`'s colours moved to `target`'s mean and covariance (float32 RGB 0-1, any sizes).

    The linear map is the symmetric one (covariance square roots), which keeps hues in place
    as far as the two colour clouds allow.
    """
    pixels = image.reshape(-1, 3).astype(np.float64)
    goal = target.reshape(-1, 3).astype(np.float64)
    mean, goal_mean = pixels.mean(axis=0), goal.mean(axis=0)
    ridge = 1e-5 * np.eye(3)

    def power(matrix: np.ndarray, exponent: float) -> np.ndarray:
        values, vectors = np.linalg.eigh(matrix)
        return (vectors * np.maximum(values, 1e-8) ** exponent) @ vectors.T

    transform = power(np.cov(goal.T) + ridge, 0.5) @ power(np.cov(pixels.T) + ridge, -0.5)
    moved = (pixels - mean) @ transform.T + goal_mean
    return np.clip(moved, 0.0, 1.0).reshape(image.shape).astype(np.float32)


def _grid(length: int, patch: int, step: int) -> np.ndarray:
    """Patch origins every `step` pixels, the last one flush with the border."""
    starts = list(range(0, length - patch + 1, step))
    if starts[-1] != length - patch:
        starts.append(length - patch)
    return np.array(starts)


def _descriptors(image: np.ndarray, patch: int, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """GRID x GRID blurred colours of each patch at origins (ys x xs): (len(ys)*len(xs), 48)."""
    cell = max(1, patch // GRID)
    blurred = cv2.blur(image, (cell, cell)) if cell > 1 else image
    offsets = [min(patch - 1, cell // 2 + i * cell) for i in range(GRID)]
    parts = [blurred[np.ix_(ys + oy, xs + ox)] for oy in offsets for ox in offsets]
    return np.concatenate(parts, axis=-1).reshape(len(ys) * len(xs), -1)


@dataclass
class _StyleIndex:
    """The style's patches of one size, searchable by descriptor."""

    style: np.ndarray
    patch: int
    ys: np.ndarray
    xs: np.ndarray
    mean: np.ndarray
    basis: np.ndarray
    tree: cKDTree

    @classmethod
    def build(cls, style: np.ndarray, patch: int) -> _StyleIndex:
        step = max(2, patch // 4)
        ys, xs = _grid(style.shape[0], patch, step), _grid(style.shape[1], patch, step)
        found = _descriptors(style, patch, ys, xs)
        mean = found.mean(axis=0)
        sample = found[:: max(1, len(found) // 5000)] - mean
        _, vectors = np.linalg.eigh(np.cov(sample.T))
        basis = vectors[:, ::-1][:, :DIMENSIONS].astype(np.float32)
        return cls(style, patch, ys, xs, mean, basis, cKDTree((found - mean) @ basis))

    def rebuild(self, image: np.ndarray, step: int, sharp: bool = False) -> np.ndarray:
        """`image` with every patch (every `step` px) replaced by its nearest style patch.

        Overlapping patches are averaged with robust weights; `sharp` instead lets each pixel
        take the value of its best-matching patch, which keeps the style's fine texture.
        """
        patch = self.patch
        height, width = image.shape[:2]
        ys, xs = _grid(height, patch, step), _grid(width, patch, step)
        query = (_descriptors(image, patch, ys, xs) - self.mean) @ self.basis
        distance, nearest = self.tree.query(query, eps=SEARCH_EPS, workers=-1)
        source_y = self.ys[nearest // len(self.xs)].reshape(len(ys), len(xs))
        source_x = self.xs[nearest % len(self.xs)].reshape(len(ys), len(xs))
        weight = ((distance + 1e-2) ** (IRLS_POWER - 2)).reshape(len(ys), len(xs)).astype(np.float32)
        total = np.zeros((height, width, 3), np.float32)
        weights = np.zeros((height, width), np.float32)
        rows, cols, weight3 = ys[:, None], xs[None, :], weight[:, :, None]
        for dy in range(patch):
            for dx in range(patch):
                values = self.style[source_y + dy, source_x + dx]
                if sharp:
                    better = (weight > weights[rows + dy, cols + dx])[:, :, None]
                    total[rows + dy, cols + dx] = np.where(better, values, total[rows + dy, cols + dx])
                    weights[rows + dy, cols + dx] = np.maximum(weights[rows + dy, cols + dx], weight)
                else:
                    total[rows + dy, cols + dx] += values * weight3
                    weights[rows + dy, cols + dx] += weight
        if sharp:
            return total
        return total / np.maximum(weights, 1e-8)[:, :, None]


def _resize(image: np.ndarray, scale: float) -> np.ndarray:
    if scale == 1.0:
        return image
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def _fit(image: np.ndarray, side: int) -> np.ndarray:
    """float32 0-1 copy of a uint8 image with its longer side `side` (up or down)."""
    scale = side / max(image.shape[:2])
    resized = cv2.resize(
        image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    )
    return resized.astype(np.float32) / 255.0


def _edge_weight(content: np.ndarray) -> np.ndarray:
    """Content fusion weight (H, W, 1): high on the content's edges, low on flat areas."""
    grey = cv2.cvtColor(content, cv2.COLOR_RGB2GRAY)
    edges = cv2.GaussianBlur(np.abs(cv2.Laplacian(grey, cv2.CV_32F, ksize=3)), (0, 0), 2)
    return (CONTENT_WEIGHT * edges / (edges.max() + 1e-6) + 0.05)[:, :, None]


def stylize(
    content: np.ndarray, style: np.ndarray, *, work_side: int = 512, seed: int = 0
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (fraction done, current image as uint8 RGB at working size) after each step.

    The last item, with fraction 1.0, is the result.

    `content` and `style` are uint8 RGB of any size; both are processed with their longer
    side at `work_side`.
    """
    content_f = _fit(content, work_side)
    style_f = _fit(style, work_side)
    rng = np.random.default_rng(seed)
    current: np.ndarray | None = None
    plan = [(scale, patch) for scale in SCALES for patch in PATCH_SIZES]
    done = 0
    for scale in SCALES:
        content_s, style_s = _resize(content_f, scale), _resize(style_f, scale)
        target = colour_transfer(content_s, style_s)
        if current is None:
            current = np.clip(target + rng.normal(0, 0.2, target.shape), 0, 1).astype(np.float32)
        else:
            current = cv2.resize(current, content_s.shape[1::-1], interpolation=cv2.INTER_LINEAR)
        fusion = _edge_weight(content_s)
        for patch in PATCH_SIZES:
            done += 1
            if patch > min(*style_s.shape[:2], *content_s.shape[:2]) // 2:
                continue  # too big for this scale
            index = _StyleIndex.build(style_s, patch)
            for iteration in range(ITERATIONS):
                last = scale == SCALES[-1] and patch == PATCH_SIZES[-1] and iteration == ITERATIONS - 1
                current = index.rebuild(current, max(1, patch // 3), sharp=last and SHARP_FINISH)
                current = (current + fusion * target) / (1 + fusion)
                current = colour_transfer(current, style_s)
                if not (last and SHARP_FINISH):
                    current = cv2.ximgproc.dtFilter(
                        current, current, DENOISE_SIGMA_SPATIAL, DENOISE_SIGMA_COLOUR
                    )
            yield done / len(plan), _to_uint8(current)
    yield 1.0, _to_uint8(current)  # also when every patch size was too big for a thin image


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(image, 0, 1) * 255).astype(np.uint8)
