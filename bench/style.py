"""Style-transfer benchmark: content kept, style taken, full size, and speed, measured in one run.

Content kept: SSIM of the lightness of result and content photo (1 = same structure), and SSIM
of their edges (gradient magnitudes of the lightness smoothed by a Gaussian of 1.5 px: where
the outlines are, whatever their texture).
Style taken: Hellinger distance between the colour histograms of result and style image
(0 = same colours); a texture distance: the sliced Wasserstein distance between random
7x7 lightness patches (each minus its mean) of result and style, 64 random projections
(0 = same texture statistics; as in Heitz et al. 2021 for texture synthesis); and a Gram
distance in the spirit of Gatys et al. with an ImageNet-free feature set: Lab colour plus
rectified Gaussian-derivative responses of the lightness (2 directions, 3 scales), the
relative Frobenius distance of their Gram matrices (0 = same feature correlations).
Baselines: the content with the style's colours (colour transfer, the first stage of patch
synthesis), a plain 50/50 blend of content and style, and the content as it is.

Full size (the learned network works at 384 px): a 2048x2048 photo by each way of reaching full
size (style_fullsize.py): the working-size result enlarged (bicubic), enlarged plus the photo's
detail, feathered tiles alone, and tiles fused under the enlarged look (the default). Measured:
sharpness (mean lightness step between neighbouring pixels), seams (the mean step across the
tile edges over the mean step anywhere: 1 = no seam), the look kept (colour and Gram distance
of the result, shrunk to the working size, to the working-size result), and time.

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
from scipy.ndimage import gaussian_filter
from skimage import data
from skimage.metrics import structural_similarity

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sd_reference import sd15_img2img_seconds  # noqa: E402

from genai_studio.backends.base import Backend, Result  # noqa: E402
from genai_studio.backends.image import lab  # noqa: E402
from genai_studio.backends.image import style_fullsize as fullsize  # noqa: E402
from genai_studio.backends.image.embedded_neural_style import NeuralStyle  # noqa: E402
from genai_studio.backends.image.embedded_style import ClassicStyle  # noqa: E402
from genai_studio.backends.image.style_networks import CONTENT_SIDE, to_float, to_uint8  # noqa: E402
from genai_studio.backends.image.style_patch import colour_transfer  # noqa: E402
from genai_studio.backends.image.style_request import build_style_request  # noqa: E402
from genai_studio.config import Settings  # noqa: E402

CONTENTS = ("astronaut", "chelsea", "coffee")
STYLES = ROOT / "assets" / "images" / "reference" / "styles"
STYLE_FILES = ("swirling-strokes.jpg", "stained-glass.jpg")
LOOKS = ("oil", "pencil", "watercolour", "cartoon")
SETTINGS = Settings()
CLASSIC = ClassicStyle("", SETTINGS)
NEURAL = NeuralStyle("", SETTINGS)
FIXED = ("fixed-04", "fixed-08", "fixed-19")


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


def edge_ssim(result: np.ndarray, content: np.ndarray) -> float:
    def edges(rgb: np.ndarray) -> np.ndarray:
        return np.hypot(*np.gradient(gaussian_filter(lab.lightness(rgb), 1.5)))

    a, b = edges(result), edges(content)
    return float(structural_similarity(a, b, data_range=float(max(a.max(), b.max()))))


def gram(rgb: np.ndarray) -> np.ndarray:
    """Gram matrix of Lab colour and rectified lightness derivatives at 3 scales (ImageNet-free)."""
    colour = lab.to_lab(rgb)
    maps = [colour[:, :, 0] / 100.0, colour[:, :, 1] / 100.0, colour[:, :, 2] / 100.0]
    for sigma in (1.0, 2.0, 4.0):
        for axis in (0, 1):
            response = gaussian_filter(colour[:, :, 0] / 100.0, sigma, order=[int(axis == 0), int(axis == 1)])
            maps += [np.maximum(response, 0) * sigma, np.maximum(-response, 0) * sigma]
    features = np.stack(maps, axis=-1).reshape(-1, len(maps))
    return features.T @ features / len(features)


def gram_distance(a: np.ndarray, b: np.ndarray) -> float:
    target = gram(b)
    return float(np.linalg.norm(gram(a) - target) / np.linalg.norm(target))


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


def run(content: np.ndarray, backend: Backend = CLASSIC, **options) -> tuple[np.ndarray, float]:
    request = build_style_request(SETTINGS, content=content, **options)
    started = time.perf_counter()
    result = list(backend.run(request, threading.Event()))[-1]
    assert isinstance(result, Result)
    return result.output, time.perf_counter() - started


def quality() -> None:
    rows: dict[str, list[tuple[float, float, float]]] = {}
    for style_name in STYLE_FILES:
        style = style_image(style_name)
        for name in CONTENTS:
            content = photo(name)
            outputs = {
                "neural (default)": run(content, NEURAL, style=style)[0],
                "neural, keep colours": run(content, NEURAL, style=style, keep_colours=True)[0],
                "neural, strength 0.6": run(content, NEURAL, style=style, strength=0.6)[0],
                "neural, strength 0": run(content, NEURAL, style=style, strength=0.0)[0],
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
                    edge_ssim(out, content),
                    colour_distance(out, style),
                    texture_distance(out, style),
                    gram_distance(out, style),
                )
                rows.setdefault(method, []).append(scores)
    print(f"\nQuality: {len(CONTENTS)} photos x {len(STYLE_FILES)} styles at 512 px (mean)")
    print(
        f"{'method':28s} {'content SSIM':>12s} {'edge SSIM':>10s} {'colour dist':>12s} "
        f"{'texture dist':>13s} {'Gram dist':>10s}"
    )
    for method, values in rows.items():
        ssim, edges, colour, texture, gram_ = np.mean(values, axis=0)
        print(f"{method:28s} {ssim:12.3f} {edges:10.3f} {colour:12.3f} {texture:13.3f} {gram_:10.3f}")
    content = photo("astronaut")
    print("\nQuick looks and fixed styles on astronaut (no style image): content kept, change vs the photo")
    for look in (*LOOKS, *FIXED):
        out, _ = run(content, NEURAL, look=look)
        ssim, edges, texture = (
            content_ssim(out, content),
            edge_ssim(out, content),
            texture_distance(out, content),
        )
        print(f"  {look:12s} SSIM {ssim:.3f}  edge SSIM {edges:.3f}  texture dist {texture:.3f}")


def step_ratio(image: np.ndarray, positions: list[int]) -> float:
    """Mean lightness step across the given columns and rows over the mean step anywhere."""
    lightness = lab.lightness(image)
    across_x = np.abs(np.diff(lightness, axis=1)).mean(axis=0)
    across_y = np.abs(np.diff(lightness, axis=0)).mean(axis=1)
    at = np.concatenate([across_x[[p - 1 for p in positions]], across_y[[p - 1 for p in positions]]])
    return float(at.mean() / np.concatenate([across_x, across_y]).mean())


def tiles_alone(content: np.ndarray, style: np.ndarray) -> tuple[np.ndarray, float]:
    """Feathered tiles at the photo's size with nothing else: what tiling by itself gives."""
    vector = NEURAL.style_vector(build_style_request(SETTINGS, content=content, style=style))
    started = time.perf_counter()
    steps = fullsize.tiled(
        to_float(content),
        CONTENT_SIDE,
        lambda tile: NEURAL.networks.transform(tile, vector),
        threading.Event(),
    )
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return to_uint8(done.value), time.perf_counter() - started


def full_size(side: int = 2048) -> None:
    """The ways from the 384-px network to a side x side result, on two photos."""
    style = style_image(STYLE_FILES[0])
    step = CONTENT_SIDE - fullsize.OVERLAP
    starts = fullsize.origins(side + 2 * fullsize.OVERLAP, CONTENT_SIDE, step)
    ends = [start + CONTENT_SIDE for start in starts[:-1]]
    edges = sorted({edge - fullsize.OVERLAP for edge in (*starts[1:], *ends)})
    rows: dict[str, list[tuple[float, ...]]] = {}
    for name in ("astronaut", "coffee"):
        content = cv2.resize(photo(name, side), (side, side), interpolation=cv2.INTER_CUBIC)
        preview, preview_seconds = run(content, NEURAL, style=style, full_size=False)
        started = time.perf_counter()
        enlarged = cv2.resize(preview, (side, side), interpolation=cv2.INTER_CUBIC)
        outputs = {
            "enlarged (bicubic)": (enlarged, preview_seconds + time.perf_counter() - started),
            "enlarged + photo detail": run(content, NEURAL, style=style, full_size_method="detail"),
            "feathered tiles alone": tiles_alone(content, style),
            "tiles fused (default)": run(content, NEURAL, style=style),
        }
        for method, (out, seconds) in outputs.items():
            shrunk = cv2.resize(out, preview.shape[1::-1], interpolation=cv2.INTER_AREA)
            sharp = float(np.abs(np.diff(lab.lightness(out), axis=1)).mean())
            look = (colour_distance(shrunk, preview), gram_distance(shrunk, preview))
            rows.setdefault(method, []).append((sharp, step_ratio(out, edges), *look, seconds))
    print(f"\nFull size: astronaut and coffee at {side}x{side} (mean), style {STYLE_FILES[0]}")
    print(
        f"{'method':26s} {'sharpness':>10s} {'seams':>6s} {'look: colour':>13s} {'Gram':>6s} {'time s':>7s}"
    )
    for method, values in rows.items():
        sharp, seams, colour, gram_, seconds = np.mean(values, axis=0)
        print(f"{method:26s} {sharp:10.2f} {seams:6.3f} {colour:13.3f} {gram_:6.3f} {seconds:7.1f}")


def speed() -> dict[tuple[str, int], float]:
    style = style_image(STYLE_FILES[0])
    timings: dict[tuple[str, int], float] = {}
    for side in (512, 2048):
        content = photo("astronaut", side)
        run(content, look="oil")  # warm-up
        run(content, NEURAL, style=style, full_size=False)
        timings[("neural, tiles (default)", side)] = run(content, NEURAL, style=style)[1]
        detail = run(content, NEURAL, style=style, full_size_method="detail")
        timings[("neural, photo detail", side)] = detail[1]
        mixed = run(content, NEURAL, style=style, style2=style, strength=0.5)
        timings[("neural, 2 styles, strength .5", side)] = mixed[1]
        timings[(f"neural {FIXED[1]}", side)] = run(content, NEURAL, look=FIXED[1])[1]
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
    NEURAL.load("cpu")
    quality()
    full_size()
    timings = speed()
    sd_total = None if args.no_sd else sd15_img2img_seconds(photo("astronaut"))
    print("\nSpeed (seconds; ratio: SD 1.5 img2img at 512 / this method, same run)")
    for (method, side), seconds in timings.items():
        ratio = f"{sd_total / seconds:8.0f}x" if sd_total else ""
        print(f"  {method:28s} {side:5d}px {seconds:8.2f} s {ratio}")


if __name__ == "__main__":
    main()
