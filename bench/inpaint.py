"""Inpainting benchmark: quality inside the hole and speed, measured in one run.

Quality: real photos from scikit-image under synthetic masks (thin strokes, large blocks);
PSNR and SSIM inside the hole against the original, for each embedded method, with
OpenCV Telea as the baseline. "detail" is the mean gradient magnitude inside the hole as
a share of the original's: 1.0 keeps the photo's texture, near 0 is a smooth smear.

Speed: each method through the studio's backend at 512x512 and 2048x2048 (working
resolution included), against the SD 1.5 inpainting architecture (UNet with 9 input
channels, VAE, CLIP ViT-L text encoder) built from its config with random weights
(bench/sd_reference.py): 1 and 2 denoising steps are timed at 512x512 and extrapolated to
20 steps (fixed cost + 20 x step).

    .venv/bin/python bench/inpaint.py            # everything (SD part: ~2 min, 6 GB RAM)
    .venv/bin/python bench/inpaint.py --no-sd    # embedded methods only
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
from skimage import data
from skimage.metrics import structural_similarity

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sd_reference import sd15_pipeline, step_seconds

from genai_studio.backends import registry
from genai_studio.backends.image.inpaint_request import InpaintRequest
from genai_studio.config import Settings

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "brick")
METHODS = ("telea", "ns", "patchmatch", "auto")


def photo(name: str, side: int = 512) -> np.ndarray:
    image = getattr(data, name)()
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    height, width = image.shape[:2]
    crop = min(height, width)  # centre square, then to `side`
    top, left = (height - crop) // 2, (width - crop) // 2
    return cv2.resize(image[top : top + crop, left : left + crop], (side, side), interpolation=cv2.INTER_AREA)


def thin_mask(side: int, rng: np.random.Generator) -> np.ndarray:
    """Scratches and scribbles 3-7 px wide over about 8 % of the image."""
    mask = np.zeros((side, side), np.uint8)
    for _ in range(14):
        start, end = rng.integers(0, side, 2), rng.integers(0, side, 2)
        cv2.line(mask, tuple(map(int, start)), tuple(map(int, end)), 1, int(rng.integers(3, 8)))
    return mask.astype(bool)


def block_mask(side: int, rng: np.random.Generator) -> np.ndarray:
    """Two solid blocks of 12-22 % of the side each (objects to remove)."""
    mask = np.zeros((side, side), bool)
    for _ in range(2):
        height, width = (rng.uniform(0.12, 0.22, 2) * side).astype(int)
        top, left = rng.integers(side // 10, side - side // 10 - max(height, width), 2)
        mask[top : top + height, left : left + width] = True
    return mask


def scores(result: np.ndarray, truth: np.ndarray, hole: np.ndarray) -> tuple[float, float, float]:
    mse = float(np.mean((result[hole].astype(float) - truth[hole].astype(float)) ** 2))
    psnr = 10 * np.log10(255**2 / max(mse, 1e-9))
    _, ssim_map = structural_similarity(result, truth, channel_axis=2, data_range=255, full=True)

    def detail(image: np.ndarray) -> float:
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
        return float(
            np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))[hole].mean()
        )

    return psnr, float(ssim_map[hole].mean()), detail(result) / max(detail(truth), 1e-6)


def fill(backend, image: np.ndarray, hole: np.ndarray, method: str) -> tuple[np.ndarray, float, str]:
    started = time.perf_counter()
    result = list(backend.run(InpaintRequest(image, hole, method=method, seed=1), threading.Event()))[-1]
    return result.output, time.perf_counter() - started, result.params["method"]


def quality(backend) -> None:
    rng = np.random.default_rng(0)
    print("\n## Quality inside the hole (mean over photos: " + ", ".join(PHOTOS) + ")\n")
    print("| mask | method | PSNR dB | SSIM | detail | PSNR vs Telea | picked by auto |")
    print("|---|---|---|---|---|---|---|")
    for mask_name, make in (("thin strokes", thin_mask), ("large blocks", block_mask)):
        rows: dict[str, list[tuple[float, float, float]]] = {m: [] for m in METHODS}
        picked: list[str] = []
        for name in PHOTOS:
            truth = photo(name)
            hole = make(512, rng)
            for method in METHODS:
                result, _, used = fill(backend, truth, hole, method)
                rows[method].append(scores(result, truth, hole))
                if method == "auto":
                    picked.append(used)
        baseline = np.mean([r[0] for r in rows["telea"]])
        for method in METHODS:
            psnr, ssim, detail = np.mean(rows[method], axis=0)
            auto = ", ".join(sorted(set(picked))) if method == "auto" else ""
            gain = psnr - baseline
            cells = [mask_name, method, f"{psnr:.2f}", f"{ssim:.3f}", f"{detail:.2f}", f"{gain:+.2f}", auto]
            print("| " + " | ".join(cells) + " |")


def speed(backend) -> dict[tuple[str, int], float]:
    rng = np.random.default_rng(1)
    times: dict[tuple[str, int], float] = {}
    for side in (512, 2048):
        truth = photo("astronaut", side)
        hole = (
            cv2.resize(block_mask(512, rng).astype(np.uint8), (side, side), interpolation=cv2.INTER_NEAREST)
            > 0
        )
        for method in ("telea", "ns", "patchmatch"):
            runs = [fill(backend, truth, hole, method)[1] for _ in range(3 if side == 512 else 1)]
            times[(method, side)] = min(runs)
    return times


def sd15_inpaint_seconds(steps: int = 20) -> tuple[float, float, float]:
    """(extrapolated seconds for `steps` steps, seconds per step, fixed seconds) at 512x512."""
    from PIL import Image

    pipe = sd15_pipeline("StableDiffusionInpaintPipeline", in_channels=9)
    image = Image.fromarray(photo("astronaut"))
    mask = Image.fromarray((block_mask(512, np.random.default_rng(2)) * 255).astype(np.uint8))
    per_step, fixed = step_seconds(
        lambda n: pipe(
            prompt="a photo", image=image, mask_image=mask, num_inference_steps=n, guidance_scale=7.5
        )
    )
    return fixed + steps * per_step, per_step, fixed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-sd", action="store_true", help="skip the Stable Diffusion peer")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    import torch

    torch.set_num_threads(2)
    backend = registry.create("classic-inpaint", Settings())
    backend.load("cpu")
    quality(backend)
    times = speed(backend)
    sd = None if args.no_sd else sd15_inpaint_seconds()
    print("\n## Speed (large blocks; best of 3 at 512, 1 run at 2048; same run, same CPU)\n")
    header = "| method | 512x512 s | 2048x2048 s |" + (" SD 1.5 20 steps / method at 512 |" if sd else "")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for method in ("telea", "ns", "patchmatch"):
        row = f"| {method} | {times[(method, 512)]:.2f} | {times[(method, 2048)]:.2f} |"
        if sd:
            row += f" {sd[0] / times[(method, 512)]:,.0f}x |"
        print(row)
    if sd:
        total, per_step, fixed = sd
        print(
            f"\nSD 1.5 inpainting architecture, random weights, 512x512, fp32, CPU: {per_step:.1f} s per "
            f"denoising step (with classifier-free guidance), {fixed:.1f} s fixed (text encoder, VAE); "
            f"20 steps extrapolated from 1- and 2-step runs: {total:.0f} s."
        )


if __name__ == "__main__":
    main()
