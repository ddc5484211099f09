"""Colorization without learned weights: colour hints spread along edges, or colours taken
from a reference photo by local statistics. Both keep the photo's lightness exactly.

Hints follow Levin, Lischinski and Weiss, "Colorization using Optimization" (2004): colour
flows between neighbours of similar lightness and stops at edges. Instead of their sparse
linear solve (about 14 s at 512x512 in scipy), the spreading is a normalised edge-aware
filter: OpenCV's Fast Global Smoother (Min et al. 2014, a weighted-least-squares solve by
separable 1-D passes) filters hint colours times confidence and the confidence itself, and
their ratio is the colour. Two smoothing strengths are summed so that nearby hints win
locally while far regions still get the colour of the hint they are best connected to.
Measured in bench/colorize.py: within ~0.5 dB of the sparse solve, about 500 times faster.

The reference transfer follows Welsh, Ashikhmin and Mueller, "Transferring Color to
Greyscale Images" (2002): each pixel is matched to reference pixels of similar lightness and
neighbourhood statistics (mean and spread at two scales) after the reference's lightness is
remapped to the photo's; their colours are averaged, then smoothed by a guided filter so
colour follows the photo's edges.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.spatial import cKDTree

from genai_studio.backends.image import lab

SPREAD_LAMBDAS = (300.0, 3000.0)  # Fast Global Smoother strengths at 512 px (local, far)
SPREAD_SIGMA = 8.0  # lightness difference (0-255 scale) that counts as an edge
REFERENCE_WORK_SIDE = 256  # matching runs on this many pixels a side; colour is smooth anyway
REFERENCE_SAMPLES = 4000  # reference pixels matched against
REFERENCE_NEIGHBOURS = 8
FEATURE_WEIGHTS = np.array([1.0, 0.5, 1.0, 0.5, 1.0], dtype=np.float32)  # L, mean5, sd5, mean15, sd15
GUIDED_RADIUS_AT_512 = 8


def spread_hints(lightness: np.ndarray, hint_ab: np.ndarray, hint_mask: np.ndarray) -> np.ndarray:
    """Colour channels (H, W, 2) for the whole photo from a and b known under `hint_mask`.

    `lightness` is L (0-100, H x W), `hint_ab` holds a and b (H, W, 2; only masked pixels are
    read). Far from every hint the nearest well-connected hint's colour is used.
    """
    if not hint_mask.any():
        raise ValueError("no hints")
    guide = lab.lightness_u8(lightness)
    confidence = hint_mask.astype(np.float32)
    weighted = hint_ab.astype(np.float32) * confidence[:, :, None]
    # The smoother's reach is in pixels: scale its strength with the image's area.
    area_scale = (max(lightness.shape) / 512.0) ** 2
    numerator = np.zeros_like(weighted)
    denominator = np.zeros_like(confidence)
    for strength in SPREAD_LAMBDAS:
        smoother = cv2.ximgproc.createFastGlobalSmootherFilter(guide, strength * area_scale, SPREAD_SIGMA)
        numerator += smoother.filter(weighted)
        denominator += smoother.filter(confidence)
    ab = numerator / np.maximum(denominator, 1e-8)[:, :, None]
    ab[hint_mask] = hint_ab[hint_mask]  # painted pixels keep exactly the painted colour
    return ab


def _shrink(image: np.ndarray, side: int) -> np.ndarray:
    scale = side / max(image.shape[:2])
    if scale >= 1:
        return image
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def _features(lightness: np.ndarray) -> np.ndarray:
    """Per-pixel (L, local mean, local spread) at 5 and 15 px, weighted for matching."""
    channels = [lightness]
    for size in (5, 15):
        mean = cv2.blur(lightness, (size, size))
        spread = np.sqrt(np.maximum(cv2.blur(lightness * lightness, (size, size)) - mean * mean, 0.0))
        channels += [mean, spread]
    return (np.stack(channels, axis=-1) * FEATURE_WEIGHTS).reshape(-1, len(FEATURE_WEIGHTS))


def transfer_from_reference(lightness: np.ndarray, reference: np.ndarray, seed: int = 0) -> np.ndarray:
    """Colour channels (H, W, 2) for a photo's lightness, taken from a uint8 RGB reference."""
    reference_lab = lab.to_lab(_shrink(reference, REFERENCE_WORK_SIDE))
    ref_l = reference_lab[:, :, 0]
    # Luminance remapping: match the reference's lightness mean and spread to the photo's.
    ref_l = (ref_l - ref_l.mean()) / (ref_l.std() + 1e-6) * lightness.std() + lightness.mean()
    small_l = _shrink(lightness, REFERENCE_WORK_SIDE)
    ref_features = _features(ref_l.astype(np.float32))
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(ref_features), min(REFERENCE_SAMPLES, len(ref_features)), replace=False)
    tree = cKDTree(ref_features[picked])
    distance, index = tree.query(_features(small_l.astype(np.float32)), k=REFERENCE_NEIGHBOURS, workers=-1)
    spread = float(np.median(distance)) + 1e-3
    weights = np.exp(-((distance / spread) ** 2) / 2)
    candidates = reference_lab[:, :, 1:].reshape(-1, 2)[picked][index]
    ab = (candidates * weights[:, :, None]).sum(axis=1) / weights.sum(axis=1)[:, None]
    ab = ab.reshape(*small_l.shape, 2).astype(np.float32)
    height, width = lightness.shape
    ab = cv2.resize(ab, (width, height), interpolation=cv2.INTER_LINEAR)
    radius = max(2, round(GUIDED_RADIUS_AT_512 * max(height, width) / 512))
    return cv2.ximgproc.guidedFilter(lab.lightness_u8(lightness), ab, radius, 50.0)
