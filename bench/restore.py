"""Restore benchmark: the automatic damage mask against the true one, and the fill inside the
damage, on photos from scikit-image with synthetic damage (bench/damage_synth.py).

Detection: pixel precision and recall of the automatic mask against the drawn mask, one
damage kind per photo (so each kind is scored alone) and all kinds together; "±2 px" also
counts a detected pixel as right when it lies within 2 px of true damage (and a true pixel
as found when a detection lies within 2 px): the scanner blur spreads every mark by a pixel
or so, and a fill needs the mask around the damage, not its exact outline. "clean" is the
share of an undamaged photo (same grain and blur) that is flagged: false alarms.

Fill: PSNR inside the true damage against the photo before it was damaged, for OpenCV's
Telea on the true mask (the baseline the issue asks for), Telea on the detected mask, and
the studio's Restore pipeline (detect, then the embedded fill through the manager, method
picked from the mask's shape) on the detected mask; the damaged photo itself for scale.

Times at 512x512 and 2048x2048 against Telea on the same mask in the same run.

    .venv/bin/python bench/restore.py [--save /tmp/restore-bench]   # images to look at
    .venv/bin/python bench/restore.py --no-detection                 # the fill and the times only
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from damage_synth import KINDS, damage, square_photo  # noqa: E402

from genai_studio.backends.image.damage import detect_damage  # noqa: E402
from genai_studio.backends.manager import ModelManager  # noqa: E402
from genai_studio.config import Settings  # noqa: E402
from genai_studio.pipelines import restore  # noqa: E402

PHOTOS = ("astronaut", "coffee", "chelsea", "camera", "rocket", "moon")
TOLERANCE = 2


def near(mask: np.ndarray, pixels: int) -> np.ndarray:
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    return cv2.dilate(mask.astype(np.uint8), disk) > 0


def precision_recall(found: np.ndarray, truth: np.ndarray, tolerance: int = 0) -> tuple[float, float]:
    wide_truth = near(truth, tolerance) if tolerance else truth
    wide_found = near(found, tolerance) if tolerance else found
    precision = (found & wide_truth).sum() / max(found.sum(), 1)
    recall = (truth & wide_found).sum() / max(truth.sum(), 1)
    return float(precision), float(recall)


def psnr(result: np.ndarray, truth: np.ndarray, where: np.ndarray) -> float:
    mse = float(np.mean((result[where].astype(float) - truth[where].astype(float)) ** 2))
    return 10 * np.log10(255**2 / max(mse, 1e-9))


def telea(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return cv2.inpaint(image, mask.astype(np.uint8), 5, cv2.INPAINT_TELEA)


def studio_fill(
    manager: ModelManager, image: np.ndarray, mask: np.ndarray, method: str = "auto"
) -> tuple[np.ndarray, str]:
    """The Restore pipeline's fill of `mask`: (the result, the method it used)."""
    plan = restore.build_restore_plan(
        manager.settings,
        image=image,
        mask_upload=mask.astype(np.uint8) * 255,
        fill_model="classic-inpaint",
        fill_method=method,
    )
    results = [update.item for update in restore.run(manager, plan) if hasattr(update.item, "output")]
    return results[-1].output, results[-1].params["method"]


def overlay(image: np.ndarray, found: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Green: found and true; red: found, not true; blue: true, missed."""
    out = image.copy()
    out[found & truth] = (0, 220, 0)
    out[found & ~truth] = (255, 0, 0)
    out[truth & ~found] = (0, 80, 255)
    return out


def detection(sensitivity: float, save: Path | None) -> None:
    print(
        f"\n## Automatic mask against the true one (sensitivity {sensitivity}; {len(PHOTOS)} photos, 512²)\n"
    )
    print("| damage | precision | recall | F1 | precision ±2 px | recall ±2 px | mask share |")
    print("|---|---|---|---|---|---|---|")
    for kinds in [(kind,) for kind in KINDS] + [KINDS]:
        strict, tolerant, shares = [], [], []
        for index, name in enumerate(PHOTOS):
            aged = damage(square_photo(name), kinds, seed=index)
            found = detect_damage(aged.image, sensitivity).mask
            strict.append(precision_recall(found, aged.mask))
            tolerant.append(precision_recall(found, aged.mask, TOLERANCE))
            shares.append(found.mean())
            if save and len(kinds) > 1:
                cv2.imwrite(str(save / f"{name}_damaged.png"), aged.image[:, :, ::-1])
                cv2.imwrite(str(save / f"{name}_mask.png"), overlay(aged.image, found, aged.mask)[:, :, ::-1])
        p, r = np.mean(strict, axis=0)
        tp, tr = np.mean(tolerant, axis=0)
        label = "all kinds" if len(kinds) > 1 else kinds[0]
        print(
            f"| {label} | {p:.2f} | {r:.2f} | {2 * p * r / max(p + r, 1e-9):.2f} | {tp:.2f} | {tr:.2f} "
            f"| {np.mean(shares):.2%} |"
        )
    clean = [
        detect_damage(damage(square_photo(n), (), seed=i).image, sensitivity).mask.mean()
        for i, n in enumerate(PHOTOS)
    ]
    print(f"| clean (no damage) | | | | | | {np.mean(clean):.2%} (worst {max(clean):.2%}) |")


def sweep() -> None:
    print("\n## Sensitivity (all kinds together)\n")
    print("| sensitivity | precision ±2 px | recall ±2 px | clean photo flagged |")
    print("|---|---|---|---|")
    for sensitivity in (0.0, 0.25, 0.5, 0.75, 1.0):
        scores, clean = [], []
        for index, name in enumerate(PHOTOS):
            aged = damage(square_photo(name), KINDS, seed=index)
            scores.append(precision_recall(detect_damage(aged.image, sensitivity).mask, aged.mask, TOLERANCE))
            clean.append(detect_damage(aged.clean, sensitivity).mask.mean())
        p, r = np.mean(scores, axis=0)
        print(f"| {sensitivity} | {p:.2f} | {r:.2f} | {np.mean(clean):.2%} |")


def fill_quality(manager: ModelManager, save: Path | None) -> None:
    print("\n## PSNR inside the true damage (all kinds, dB, mean over photos)\n")
    rows: dict[str, list[float]] = {}
    chosen: list[str] = []
    for index, name in enumerate(PHOTOS):
        aged = damage(square_photo(name), KINDS, seed=index)
        found = detect_damage(aged.image).mask
        restored, method = studio_fill(manager, aged.image, found)
        chosen.append(f"{name}: {method}")
        results = {
            "damaged photo (nothing filled)": aged.image,
            "Telea, true mask": telea(aged.image, aged.mask),
            "Telea, detected mask": telea(aged.image, found),
            "Restore (detect + studio fill, auto method), detected mask": restored,
            "studio fill, auto method, true mask": studio_fill(manager, aged.image, aged.mask)[0],
            "studio fill, telea, true mask": studio_fill(manager, aged.image, aged.mask, "telea")[0],
            "studio fill, patchmatch, true mask": studio_fill(manager, aged.image, aged.mask, "patchmatch")[
                0
            ],
        }
        for label, result in results.items():
            rows.setdefault(label, []).append(psnr(result, aged.clean, aged.mask))
        if save:
            cv2.imwrite(str(save / f"{name}_restored.png"), restored[:, :, ::-1])
    print(f"(auto picked, detected mask: {', '.join(chosen)})\n")
    baseline = np.mean(rows["Telea, true mask"])
    print("| fill | PSNR dB | vs Telea on the true mask |")
    print("|---|---|---|")
    for label, values in rows.items():
        print(f"| {label} | {np.mean(values):.2f} | {np.mean(values) - baseline:+.2f} |")


def speed(manager: ModelManager) -> None:
    print("\n## Time (s; best of 3 at 512, 1 run at 2048; same run)\n")
    print(
        "| size | detect | Restore fill (manager + backend) | Telea on the same mask | detect ÷ Telea "
        "| fill ÷ Telea | PatchMatch fill | PatchMatch ÷ Telea | PSNR Telea / PatchMatch, true mask |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for side in (512, 2048):
        aged = damage(square_photo("astronaut", side), KINDS, seed=1)
        runs = 3 if side == 512 else 1

        def best(fn, runs: int = runs) -> float:
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                fn()
                times.append(time.perf_counter() - started)
            return min(times)

        found = detect_damage(aged.image).mask
        detect_s = best(lambda aged=aged: detect_damage(aged.image))
        method = studio_fill(manager, aged.image, found)[1]
        fill_s = best(lambda aged=aged, found=found: studio_fill(manager, aged.image, found))
        telea_s = best(lambda aged=aged, found=found: telea(aged.image, found))
        patch_s = best(lambda aged=aged, found=found: studio_fill(manager, aged.image, found, "patchmatch"))
        quality = [
            psnr(studio_fill(manager, aged.image, aged.mask, fill)[0], aged.clean, aged.mask)
            for fill in ("telea", "patchmatch")
        ]
        print(
            f"| {side}² | {detect_s:.2f} | {fill_s:.2f} ({method}) | {telea_s:.2f} "
            f"| {detect_s / telea_s:.1f}x | {fill_s / telea_s:.1f}x "
            f"| {patch_s:.2f} | {patch_s / telea_s:.0f}x | {quality[0]:.2f} / {quality[1]:.2f} dB |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--save", type=Path, help="write damaged photos, mask overlays and results here")
    parser.add_argument("--sensitivity", type=float, default=0.5)
    parser.add_argument("--no-detection", action="store_true", help="only the fill and the times")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
    manager = ModelManager(Settings())
    manager.load("classic-inpaint")
    if not args.no_detection:
        detection(args.sensitivity, args.save)
        sweep()
    fill_quality(manager, args.save)
    speed(manager)


if __name__ == "__main__":
    main()
