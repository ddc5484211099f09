"""Style-transfer benchmark: content kept, style taken, and speed, measured in one run.

Content kept: SSIM of the lightness of result and content photo (1 = same structure).
Style taken: Hellinger distance between the colour histograms of result and style image
(0 = same colours) and a texture distance: the sliced Wasserstein distance between random
7x7 lightness patches (each minus its mean) of result and style, 64 random projections
(0 = same texture statistics; as in Heitz et al. 2021 for texture synthesis). Baselines: the content with
the style's colours (colour transfer, the first stage of patch synthesis), a plain 50/50
blend of content and style, and the content as it is.

Speed: each method through the studio's backend at 512x512 and 2048x2048, against the SD 1.5
image-to-image architecture (UNet, VAE, CLIP ViT-L text encoder; the IP-Adapter is not
counted) built from its config with random weights (bench/sd_reference.py): 1 and 2 denoising
steps are timed at 512x512 and extrapolated to 20 steps at strength 0.75 (15 denoising steps
+ fixed cost).

    .venv/bin/python bench/style.py            # everything (SD part: a few minutes, ~5 GB RAM)
    .venv/bin/python bench/style.py --no-sd    # embedded methods only
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
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image
from skimage import data
from skimage.metrics import structural_similarity

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sd_reference import sd15_img2img_seconds  # noqa: E402

from genai_studio.backends.base import Result  # noqa: E402
from genai_studio.backends.image import lab  # noqa: E402
from genai_studio.backends.image.embedded_style import ClassicStyle  # noqa: E402
from genai_studio.backends.image.style_patch import colour_transfer  # noqa: E402
from genai_studio.backends.image.style_request import build_style_request  # noqa: E402
from genai_studio.config import Settings  # noqa: E402

CONTENTS = ("astronaut", "chelsea", "coffee")
STYLES = ROOT / "assets" / "images" / "reference" / "styles"
STYLE_FILES = ("swirling-strokes.jpg", "stained-glass.jpg")
LOOKS = ("oil", "pencil", "watercolour", "cartoon")
SETTINGS = Settings()


def photo(name: str, side: int = 512) -> np.ndarray:
    image = getattr(data, name)()
    scale = side / max(image.shape[:2])
    return cv2.resize(
        image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    )


def style_image(name: str) -> np.ndarray:
    return np.asarray(Image.open(STYLES / name).convert("RGB"))


def content_ssim(result: np.ndarray, content: np.ndarray) -> float:
    return float(structural_similarity(lab.lightness(result), lab.lightness(content), data_range=100.0))


def colour_distance(a: np.ndarray, b: np.ndarray, bins: int = 8) -> float:
    def histogram(rgb: np.ndarray) -> np.ndarray:
        counts, _ = np.histogramdd(rgb.reshape(-1, 3), bins=bins, range=[(0, 256)] * 3)
        return counts.ravel() / counts.sum()

    return float(np.sqrt(max(0.0, 1 - np.sum(np.sqrt(histogram(a) * histogram(b))))))


def texture_patches(rgb: np.ndarray, size: int = 7, count: int = 4000, seed: int = 0) -> np.ndarray:
    """Random size x size lightness patches with their own mean removed: texture, not tone."""
    windows = sliding_window_view(lab.lightness(rgb), (size, size)).reshape(-1, size * size)
    picked = windows[np.random.default_rng(seed).choice(len(windows), count, replace=False)]
    return picked - picked.mean(axis=1, keepdims=True)


def texture_distance(a: np.ndarray, b: np.ndarray, directions: int = 64) -> float:
    """Sliced Wasserstein distance between the texture patches of two images (lightness units)."""
    projections = np.random.default_rng(1).normal(size=(49, directions))
    projections /= np.linalg.norm(projections, axis=0)
    sorted_a = np.sort(texture_patches(a) @ projections, axis=0)
    sorted_b = np.sort(texture_patches(b) @ projections, axis=0)
    return float(np.abs(sorted_a - sorted_b).mean())


def run(content: np.ndarray, **options) -> tuple[np.ndarray, float]:
    request = build_style_request(SETTINGS, content=content, **options)
    started = time.perf_counter()
    result = list(ClassicStyle("", SETTINGS).run(request, threading.Event()))[-1]
    assert isinstance(result, Result)
    return result.output, time.perf_counter() - started


def quality() -> None:
    rows: dict[str, list[tuple[float, float, float]]] = {}
    for style_name in STYLE_FILES:
        style = style_image(style_name)
        for name in CONTENTS:
            content = photo(name)
            outputs = {
                "patch synthesis": run(content, style=style, seed=0)[0],
                "patch, keep colours": run(content, style=style, seed=0, keep_colours=True)[0],
                "patch, strength 0.6": run(content, style=style, seed=0, strength=0.6)[0],
                "baseline: colour transfer": np.rint(
                    colour_transfer(content / 255.0, style / 255.0) * 255
                ).astype(np.uint8),
                "baseline: 50/50 blend": cv2.addWeighted(
                    content, 0.5, cv2.resize(style, content.shape[1::-1]), 0.5, 0
                ),
                "content as it is": content,
            }
            for method, out in outputs.items():
                scores = (
                    content_ssim(out, content),
                    colour_distance(out, style),
                    texture_distance(out, style),
                )
                rows.setdefault(method, []).append(scores)
    print(f"\nQuality: {len(CONTENTS)} photos x {len(STYLE_FILES)} styles at 512 px (mean)")
    print(f"{'method':28s} {'content SSIM':>12s} {'colour dist':>12s} {'texture dist':>13s}")
    for method, values in rows.items():
        ssim, colour, texture = np.mean(values, axis=0)
        print(f"{method:28s} {ssim:12.3f} {colour:12.3f} {texture:13.3f}")
    content = photo("astronaut")
    print("\nQuick looks on astronaut (no style image): content SSIM, texture change vs the photo")
    for look in LOOKS:
        out, _ = run(content, look=look)
        ssim, texture = content_ssim(out, content), texture_distance(out, content)
        print(f"  {look:12s} SSIM {ssim:.3f}  texture dist {texture:.3f}")


def speed() -> dict[tuple[str, int], float]:
    style = style_image(STYLE_FILES[0])
    timings: dict[tuple[str, int], float] = {}
    for side in (512, 2048):
        content = photo("astronaut", side)
        run(content, look="oil")  # warm-up
        timings[("patch synthesis (work 512)", side)] = min(
            run(content, style=style, seed=0)[1] for _ in range(2)
        )
        if side == 2048:
            timings[("patch synthesis (work 1024)", side)] = run(
                content, style=style, seed=0, work_side=1024
            )[1]
        for look in LOOKS:
            timings[(look, side)] = min(run(content, look=look)[1] for _ in range(3))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-sd", action="store_true", help="skip the Stable Diffusion peer")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    cv2.setNumThreads(2)
    quality()
    timings = speed()
    sd_total = None if args.no_sd else sd15_img2img_seconds(photo("astronaut"))
    print("\nSpeed (seconds; ratio: SD 1.5 img2img at 512 / this method, same run)")
    for (method, side), seconds in timings.items():
        ratio = f"{sd_total / seconds:8.0f}x" if sd_total else ""
        print(f"  {method:28s} {side:5d}px {seconds:8.2f} s {ratio}")


if __name__ == "__main__":
    main()
