"""Super-resolution benchmark: quality against the classical resamplers and speed, in one run.

Quality: 288x288 centre crops of scikit-image photos (their own camera detail, not resized),
downscaled x2, x3 and x4 with an antialiased bicubic filter (the usual SR protocol), then
enlarged back by bicubic, Lanczos, the studio's ESRGAN-thick port, and the small UpscalerJS
networks (esrgan-slim / esrgan-medium, run from their published graph by bench/tfjs_graph.py,
to decide whether one earns a place as a fast preview). PSNR and SSIM against the original
(a border of `scale` pixels left out); "detail" is the mean gradient magnitude as a share of
the original's (1.0 keeps the photo's texture; resamplers blur, so they score lower).

Speed: 512x512 -> 2048x2048 (x4) through the studio's backend (tiles with overlap), against
PIL's bicubic resize and one un-tiled pass of the same network, all measured in this run.

    .venv/bin/python bench/upscale.py                 # everything (slow on 2 shared cores)
    .venv/bin/python bench/upscale.py --side 256      # speed at 256 -> 1024 instead
    .venv/bin/python bench/upscale.py --no-small      # without esrgan-slim / esrgan-medium
    .venv/bin/python bench/upscale.py --threads 1     # one torch thread (faster on busy shared cores)
Images for a look go to --out (default /tmp/upscale-bench), the tiled x4 result among them.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tarfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image
from skimage import data
from skimage.metrics import structural_similarity

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tfjs_graph import TfjsGraph

from genai_studio.backends import registry
from genai_studio.backends.base import Result
from genai_studio.backends.image.upscale_request import UpscaleRequest
from genai_studio.backends.image.upscale_weights import Package, fetch_tarball
from genai_studio.config import Settings

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
SIDE = 288  # divisible by 2, 3 and 4
SCALES = (2, 3, 4)
SMALL = (  # RDN networks, pixel values 0-255 in and out
    Package(
        "@upscalerjs/esrgan-slim",
        "1.0.0",
        "sha512-DXtwn5SE71+pZKluN/hGeLaZv6ZylyFQYSvMqU08kKCEA5Y9Q1cIIk4EvPTPZw8VqGi2C6F02c8OjhtId4BK2w==",
    ),
    Package(
        "@upscalerjs/esrgan-medium",
        "1.0.0",
        "sha512-Z8JnR87sgetPABKevasXST3FdnXhaoTu9zpXnu3KLaHYpYStVt0FD1VZS9c6jhSGMBC0H929gN9RbWl+MeisKA==",
    ),
)


def ground_truth(name: str) -> np.ndarray:
    image = getattr(data, name)()
    height, width = image.shape[:2]
    top, left = (height - SIDE) // 2, (width - SIDE) // 2
    return np.ascontiguousarray(image[top : top + SIDE, left : left + SIDE, :3])


def resample(image: np.ndarray, size: int, method: Image.Resampling) -> np.ndarray:
    return np.asarray(Image.fromarray(image).resize((size, size), method))


def gradient_energy(image: np.ndarray) -> float:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)).mean())


def scores(result: np.ndarray, truth: np.ndarray, border: int) -> tuple[float, float, float]:
    a, b = result[border:-border, border:-border], truth[border:-border, border:-border]
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    psnr = 10 * np.log10(255**2 / mse)
    ssim = structural_similarity(a, b, channel_axis=2, data_range=255)
    return psnr, ssim, gradient_energy(a) / gradient_energy(b)


def graph_enlarger(graph: TfjsGraph):
    def enlarge(image: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(image.astype(np.float32)).permute(2, 0, 1)[None]
        return graph(x)[0].clamp(0, 255).round().to(torch.uint8).permute(1, 2, 0).numpy()

    return enlarge


def small_networks(cache_dir: Path) -> dict[str, dict[int, Callable[[np.ndarray], np.ndarray]]]:
    """esrgan-slim / esrgan-medium enlargers per scale, each checked against its own sample."""
    networks = {}
    for package in SMALL:
        short = package.name.split("/")[1]
        with tarfile.open(fetch_tarball(package, cache_dir / "npm"), "r:gz") as archive:
            fixture = np.asarray(Image.open(archive.extractfile("package/assets/fixture.png")).convert("RGB"))
            networks[short] = {}
            for scale in SCALES:
                enlarge = graph_enlarger(TfjsGraph(archive, f"package/models/x{scale}"))
                sample = archive.extractfile(f"package/assets/samples/{scale}x/result.png")
                expected = np.asarray(Image.open(sample).convert("RGB"))
                diff = np.abs(enlarge(fixture).astype(int) - expected).max()
                print(f"  {short} x{scale}: max difference from the package's own sample {diff}")
                networks[short][scale] = enlarge
    return networks


def quality(backend, small: dict, out: Path) -> None:
    methods = {
        "bicubic": lambda lr, s: resample(lr, SIDE, Image.Resampling.BICUBIC),
        "lanczos": lambda lr, s: resample(lr, SIDE, Image.Resampling.LANCZOS),
        "esrgan-thick (studio)": lambda lr, s: backend.enlarge(lr, s),
        **{name: (lambda lr, s, n=nets: n[s](lr)) for name, nets in small.items()},
    }
    print(
        f"\nQuality: {len(PHOTOS)} photos, {SIDE}x{SIDE} crops, mean over photos (per photo PSNR in brackets)"
    )
    print("| scale | method | PSNR dB | SSIM | detail | seconds |\n|---|---|---|---|---|---|")
    for scale in SCALES:
        truths = {name: ground_truth(name) for name in PHOTOS}
        lows = {
            name: resample(truth, SIDE // scale, Image.Resampling.BICUBIC) for name, truth in truths.items()
        }
        for method, enlarge in methods.items():
            rows, seconds = [], 0.0
            for name in PHOTOS:
                started = time.perf_counter()
                result = enlarge(lows[name], scale)
                seconds += time.perf_counter() - started
                rows.append(scores(result, truths[name], scale))
                Image.fromarray(result).save(out / f"{name}-x{scale}-{method.split()[0]}.png")
            psnr, ssim, detail = np.mean(rows, axis=0)
            each = ", ".join(f"{r[0]:.2f}" for r in rows)
            print(
                f"| x{scale} | {method} | {psnr:.2f} ({each}) | {ssim:.3f} | {detail:.2f} | {seconds:.2f} |"
            )
    for name in PHOTOS:
        Image.fromarray(ground_truth(name)).save(out / f"{name}-original.png")


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def speed(backend, small: dict, side: int, untiled: bool, out: Path) -> None:
    rng = np.random.default_rng(0)
    photo = resample(data.astronaut(), side, Image.Resampling.LANCZOS)
    photo = np.clip(photo.astype(int) + rng.integers(-2, 3, photo.shape), 0, 255).astype(np.uint8)
    print(f"\nSpeed: {side}x{side} -> {side * 4}x{side * 4} (x4), torch threads {torch.get_num_threads()}")
    bicubic, _ = timed(lambda: resample(photo, side * 4, Image.Resampling.BICUBIC))
    print(f"  PIL bicubic: {bicubic:.3f} s")
    for name, nets in small.items():
        seconds, _ = timed(lambda n=nets: n[4](photo))
        print(f"  {name} (one pass): {seconds:.2f} s = {seconds / bicubic:.0f}x bicubic")

    def tiled() -> np.ndarray:
        items = list(backend.run(UpscaleRequest(photo, scale=4), threading.Event()))
        assert isinstance(items[-1], Result)
        return items[-1].output

    seconds, result = timed(tiled)
    Image.fromarray(result).save(out / f"tiled-{side}-x4.png")  # to look at the tiles' borders
    tiles = f"{backend.tile} px tiles, {backend.margin} px margin"
    print(f"  esrgan-thick, studio backend ({tiles}): {seconds:.1f} s = {seconds / bicubic:.0f}x bicubic")
    if untiled:
        whole, single = timed(lambda: backend.enlarge(photo, 4))
        same = np.abs(single.astype(int) - result).max()
        print(
            f"  esrgan-thick, one un-tiled pass: {whole:.1f} s; "
            f"tiled/un-tiled = {seconds / whole:.2f} (max difference {same})"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", type=int, default=512)
    parser.add_argument("--no-small", action="store_true")
    parser.add_argument("--no-untiled", action="store_true")
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own choice)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/upscale-bench"))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    logging.basicConfig(level=logging.WARNING)
    args.out.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    backend = registry.create("esrgan", settings)
    backend.load("cpu")
    small = {} if args.no_small else small_networks(settings.cache_dir)
    if not args.no_quality:
        quality(backend, small, args.out)
    speed(backend, small, args.side, untiled=not args.no_untiled, out=args.out)


if __name__ == "__main__":
    main()
