"""Clip benchmark: flicker of a clip through Colorize and Style, steadied against each frame
processed alone, and the time a frame takes.

The clip is a still scene (a photo, grey, with fresh camera noise in every frame, 10 frames a
second, 320 px wide, with a tone); flicker is the mean absolute change between consecutive
output frames in grey levels (on a still scene, all of it is flicker). Both runs go through
`process_clip` on the embedded models; only the steadying differs.

    .venv/bin/python bench/clip.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genai_studio.backends.image.colorize_request import build_colorize_request
from genai_studio.backends.image.style_request import build_style_request
from genai_studio.backends.manager import ModelManager
from genai_studio.config import Settings
from genai_studio.pipelines import clip

REFERENCES = Path(__file__).resolve().parents[1] / "assets" / "images" / "reference"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    settings = Settings()
    manager = ModelManager(settings)
    with tempfile.TemporaryDirectory(prefix="bench-clip-") as tmp:
        folder = Path(tmp)
        source = folder / "still.mp4"
        photo, tone = str(REFERENCES / "chelsea.jpg"), f"sine=frequency=440:duration={args.seconds}"
        grey = "format=gray,noise=alls=12:allf=t,fps=10,scale=320:-2,format=yuv420p"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-loop", "1", "-i", photo, "-f", "lavfi", "-i", tone, "-vf", grey,
             "-t", str(args.seconds), "-c:v", "libx264", "-c:a", "aac", str(source)],
            check=True,
        )  # fmt: skip
        info = clip.probe(source, 60)
        frames = clip.read_frames(source, info)
        first = next(frames)
        frames.close()
        reference, style = REFERENCES / "coffee.jpg", REFERENCES / "styles" / "swirling-strokes.jpg"
        colorize = build_colorize_request(settings, image=first, method="reference", reference=reference)
        tools = [
            ("colorize (reference)", "classic-colorize", "image", colorize),
            (
                "style (neural, style image)",
                "neural-style",
                "content",
                build_style_request(settings, content=first, style=style),
            ),
        ]
        print(f"{info.frames} frames of {info.width}x{info.height}, a still scene with camera noise")
        print("| tool | flicker, each frame alone | flicker, steadied | change | s a frame (steadied) |")
        print("|---|---|---|---|---|")
        for name, spec, field, job in tools:
            found = {}
            for steady in (0.0, clip.STEADY):
                started = time.perf_counter()
                work = clip.process_clip(
                    manager,
                    spec,
                    lambda frame, job=job, field=field: dataclasses.replace(job, **{field: frame}),
                    source,
                    info,
                    folder,
                    threading.Event(),
                    steady,
                )
                done = list(work)[-1]
                found[steady] = (done.params["flicker"], (time.perf_counter() - started) / info.frames)
            alone, steadied = found[0.0][0], found[clip.STEADY][0]
            print(
                f"| {name} | {alone:.2f} | {steadied:.2f} | {100 * (steadied / alone - 1):+.0f} % "
                f"| {found[clip.STEADY][1]:.2f} s |"
            )


if __name__ == "__main__":
    main()
