"""Damage detection on real photos with synthetic scratches, dust and tears whose true mask
is known (bench/damage_synth.py). The floors are what bench/restore.py measured, with room
for the scanner-like blur: a detected pixel within 2 px of true damage counts as right."""

from __future__ import annotations

import time

import numpy as np
import pytest

from bench.damage_synth import damage, square_photo
from bench.restore import TOLERANCE, precision_recall
from genai_studio.backends.image.damage import detect_damage
from genai_studio.errors import InvalidInput

PHOTOS = ("astronaut", "chelsea", "camera")  # colour, soft texture, a grey photo with hard lines


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    return {name: square_photo(name) for name in PHOTOS}


def scores(photos: dict[str, np.ndarray], kinds: tuple[str, ...], sensitivity: float = 0.5):
    """Mean (precision, recall) within TOLERANCE px over the photos."""
    found = []
    for seed, (_, photo) in enumerate(photos.items()):
        aged = damage(photo, kinds, seed=seed)
        found.append(precision_recall(detect_damage(aged.image, sensitivity).mask, aged.mask, TOLERANCE))
    return tuple(np.mean(found, axis=0))


@pytest.mark.parametrize(
    ("kinds", "precision_floor", "recall_floor"),
    [
        (("scratches",), 0.45, 0.85),  # measured 0.58 / 0.94
        (("dust",), 0.28, 0.75),  # measured 0.38 / 0.85
        (("tears",), 0.4, 0.52),  # measured 0.51 / 0.63
        (("scratches", "dust", "tears"), 0.52, 0.68),  # measured 0.64 / 0.77
    ],
)
def test_synthetic_damage_is_found(photos, kinds, precision_floor, recall_floor):
    precision, recall = scores(photos, kinds)
    assert precision >= precision_floor and recall >= recall_floor, (precision, recall)


def test_an_undamaged_photo_gives_almost_no_mask():
    for seed, name in enumerate(("chelsea", "moon")):
        clean = damage(square_photo(name), (), seed=seed).image  # grain and blur, no damage
        assert detect_damage(clean).mask.mean() < 0.005, name


def test_sensitivity_trades_false_alarms_for_recall(photos):
    aged = damage(photos["astronaut"], ("scratches", "dust", "tears"), seed=4)
    low, high = detect_damage(aged.image, 0.0), detect_damage(aged.image, 1.0)
    assert low.mask.sum() < high.mask.sum()
    assert precision_recall(low.mask, aged.mask)[1] < precision_recall(high.mask, aged.mask)[1]
    assert high.params()["sensitivity"] == 1.0


def test_kinds_are_told_apart(photos):
    aged = damage(photos["chelsea"], ("dust",), seed=2)
    found = detect_damage(aged.image)
    assert found.dust.sum() > 3 * (found.scratches.sum() + found.tears.sum())
    aged = damage(photos["chelsea"], ("scratches",), seed=2)
    found = detect_damage(aged.image)
    assert found.scratches.sum() > 3 * found.dust.sum()


def test_a_large_scan_is_analysed_at_working_size_and_masked_at_full_size(photos):
    aged = damage(photos["chelsea"], ("scratches",), seed=3)
    big = np.repeat(np.repeat(aged.image, 5, axis=0), 5, axis=1)  # 2560 x 2560: scratches 5-15 px wide
    started = time.perf_counter()
    found = detect_damage(big)
    assert found.mask.shape == big.shape[:2]
    truth = np.repeat(np.repeat(aged.mask, 5, axis=0), 5, axis=1)
    assert precision_recall(found.mask, truth, 5 * TOLERANCE)[1] > 0.6
    assert time.perf_counter() - started < 60


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -0.1, 1.5, "high", None])
def test_bad_sensitivity_is_refused_clearly(photos, value):
    with pytest.raises(InvalidInput, match="Sensitivity"):
        detect_damage(photos["chelsea"], value)
