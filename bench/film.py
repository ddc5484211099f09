"""Film benchmark: render time of a 30-second story film at 720p and 1080p, against ffmpeg's
own zoompan + xfade filters drawing the same shots, and the sync of pictures to the sound.

- speed: a 30 s film of six paragraphs and six photos (the repository's sample photos, made
  2400 px wide with a little grain, as a camera's would be), subtitles burned in, through
  `render_film`; then the same six shots as one ffmpeg filter graph (zoompan over each
  picture, xfade between them, the same x264 preset and quality, no subtitles: less work than
  the studio does). Times and "x real time" (film seconds per second of rendering);
- sync: a film of flat-coloured pictures with a click in the sound at each planned picture
  change; the MP4 is decoded again and the moment each cross-fade is half done is compared
  with the click's onset in the decoded sound (both read from the file a player gets).

    .venv/bin/python bench/film.py [--seconds 30] [--sizes 720,1080] [--no-zoompan]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genai_studio.pipelines import film
from genai_studio.subtitles import Cue

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ["rocket.jpg", "coffee.jpg", "chelsea.jpg", "astronaut.jpg", "rocket.jpg", "coffee.jpg"]
RATE = 44_100
SENTENCE = "The keeper climbs the stairs as the lamp turns over the dark water."


def story(seconds: float, paragraphs: int) -> tuple[str, list[Cue]]:
    """A script of `paragraphs` paragraphs and cues spread over the film after a 3 s lead-in
    and before a 4 s lead-out, as a mixed story has them."""
    lo, hi = 3.0, seconds - 4.0
    step = (hi - lo) / paragraphs
    cues = []
    for p in range(paragraphs):
        a = lo + p * step
        cues += [Cue(a + 0.2, a + step / 2 - 0.1, SENTENCE), Cue(a + step / 2, a + step - 0.4, SENTENCE)]
    return "\n\n".join(f"{SENTENCE} {SENTENCE}" for _ in range(paragraphs)), cues


def photos(folder: Path) -> list[Path]:
    rng = np.random.default_rng(0)
    made = []
    for index, name in enumerate(PHOTOS):
        image = Image.open(ROOT / "assets/images/reference" / name).convert("RGB")
        image = image.resize((2400, round(2400 * image.height / image.width)), Image.Resampling.BICUBIC)
        grain = rng.normal(0, 2, (image.height, image.width, 1))
        array = np.clip(np.asarray(image, np.float32) + grain, 0, 255).astype(np.uint8)
        path = folder / f"photo-{index}.jpg"
        Image.fromarray(array).save(path, quality=90)
        made.append(path)
    return made


def tone(path: Path, seconds: float, clicks: list[float] = ()) -> Path:
    t = np.arange(round(seconds * RATE)) / RATE
    wave = 0.05 * np.sin(2 * np.pi * 220 * t)
    for at in clicks:
        start = round(at * RATE)
        wave[start : start + RATE // 50] += 0.8 * np.sin(
            2 * np.pi * 2000 * t[: RATE // 50][: len(wave) - start]
        )
    sf.write(path, np.stack([wave, wave], axis=1).astype(np.float32), RATE)
    return path


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (ffmpeg), user and system."""
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def render(plan: film.FilmPlan, folder: Path) -> tuple[float, float, film.Film]:
    """(wall seconds, CPU seconds, the film)."""
    started, cpu = time.perf_counter(), cpu_seconds()
    done = None
    for item in film.render_film(plan, folder, threading.Event()):
        done = item if isinstance(item, film.Film) else done
    return time.perf_counter() - started, cpu_seconds() - cpu, done


def zoompan(
    pictures: list[Path], segments: list[film.Segment], size: tuple[int, int], audio: Path, out: Path
) -> float:
    """The same picture shots with ffmpeg's filters alone: zoompan over each (on a 4x canvas,
    which it needs to move smoothly) and xfade between them."""
    fps, w, h = film.FPS, *size
    shots = [s for s in segments if s.kind == "picture"]
    half = film.CROSSFADE_S / 2
    inputs, chains = [], []
    for index, shot in enumerate(shots):
        frames = round((shot.seconds + 2 * half) * fps)
        inputs += ["-loop", "1", "-t", f"{shot.seconds + 2 * half:.3f}", "-i", str(pictures[index])]
        chains.append(
            f"[{index}:v]scale={w * 4}:{h * 4}:force_original_aspect_ratio=increase,crop={w * 4}:{h * 4},"
            f"zoompan=z='1+0.12*on/{frames}':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d={frames}:s={w}x{h}:fps={fps},"
            f"trim=duration={shot.seconds + 2 * half:.3f},setpts=PTS-STARTPTS[v{index}]"
        )
    label, offset = "v0", shots[0].seconds + half
    for index in range(1, len(shots)):
        chains.append(
            f"[{label}][v{index}]xfade=transition=fade:duration={2 * half}"
            f":offset={offset - half:.3f}[x{index}]"
        )
        label, offset = f"x{index}", offset + shots[index].seconds
    command = ["ffmpeg", "-v", "error", "-y", *inputs, "-i", str(audio), "-filter_complex", ";".join(chains)]
    preset, crf = film.encoding(min(w, h))
    command += ["-map", f"[{label}]", "-map", f"{len(shots)}:a", "-c:v", "libx264", "-preset", preset]
    command += ["-crf", str(crf), "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(out)]
    started, cpu = time.perf_counter(), cpu_seconds()
    subprocess.run(command, check=True)
    return time.perf_counter() - started, cpu_seconds() - cpu


def decoded_audio(path: Path) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(RATE), "-f", "f32le", "pipe:1"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.float32)


def decoded_means(path: Path, size: tuple[int, int]) -> np.ndarray:
    """The mean colour of the centre of every frame."""
    w, h = size
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
        capture_output=True,
        check=True,
    ).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)
    return frames[:, h // 3 : 2 * h // 3, w // 3 : 2 * w // 3].reshape(len(frames), -1, 3).mean(axis=1)


def sync(folder: Path, seconds: float) -> list[float]:
    """Picture change minus click, in ms, at each planned change (flat colours, 360p)."""
    script, cues = story(seconds, 6)
    colours = [(220, 40, 40), (40, 200, 60), (40, 60, 220)] * 2
    pictures = []
    for index, colour in enumerate(colours):
        pictures.append(folder / f"flat-{index}.png")
        Image.new("RGB", (800, 450), colour).save(pictures[-1])
    segments = film.timeline(seconds, cues, film.paragraphs_of(script), len(pictures))
    changes = [s.start for s in segments if s.kind == "picture"][1:]
    audio = tone(folder / "clicks.wav", seconds, changes)
    plan = film.build_film_plan(
        audio=audio, cues=cues, script=script, pictures=pictures, resolution=360, subtitles="none"
    )
    _, _, done = render(plan, folder)
    sound = decoded_audio(done.files[film.FILM])
    means = decoded_means(done.files[film.FILM], plan.size)
    offsets = []
    for index, change in enumerate(changes):
        window = sound[round((change - 0.3) * RATE) : round((change + 0.3) * RATE)]
        loud = np.flatnonzero(np.abs(window) > 0.4)
        heard = change - 0.3 + loud[0] / RATE
        a, b = np.array(colours[index]), np.array(colours[index + 1])
        first = round((change - 1) * film.FPS)
        share = [(m - a) @ (b - a) / ((b - a) @ (b - a)) for m in means[first : first + 2 * film.FPS]]
        k = next(i for i, s in enumerate(share) if s >= 0.5)
        # the frame where the fade passes half way, refined linearly between the two frames
        before = share[k - 1] if k else 0.0
        seen = (first + k - 1 + (0.5 - before) / max(1e-6, share[k] - before)) / film.FPS
        offsets.append(round(float(seen - heard) * 1000, 1))
    return offsets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--sizes", default="720,1080")
    parser.add_argument("--no-zoompan", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-film-") as tmp:
        folder = Path(tmp)
        script, cues = story(args.seconds, 6)
        pictures = photos(folder)
        audio = tone(folder / "story.wav", args.seconds)
        load = os.getloadavg()[0]
        print(f"film of {args.seconds:g} s, 6 photos, subtitles burned in, on 2 cores (load {load:.1f})")
        print("| resolution | studio: wall | x real time | CPU s / film s | zoompan: wall | CPU s / film s |")
        print("|---|---|---|---|---|---|")
        for size in map(int, args.sizes.split(",")):
            plan = film.build_film_plan(
                audio=audio,
                cues=cues,
                script=script,
                pictures=pictures,
                resolution=size,
                title="The lighthouse",
            )
            took, cpu, _ = render(plan, folder)
            line = f"| {size}p | {took:.1f} s | {args.seconds / took:.2f}x | {cpu / args.seconds:.2f} |"
            if args.no_zoompan:
                print(line + " | |")
                continue
            segments = film.timeline(plan.seconds, plan.cues, plan.paragraphs, len(pictures))
            wall, spent = zoompan(pictures, segments, plan.size, audio, folder / "zoompan.mp4")
            print(line + f" {wall:.1f} s | {spent / args.seconds:.2f} |", flush=True)
        offsets = sync(folder, args.seconds)
        print(f"audio-picture sync at {len(offsets)} picture changes (picture minus sound, ms): {offsets}")
        print(f"largest: {max(map(abs, offsets)):.1f} ms (one frame is {1000 / film.FPS:.0f} ms)")


if __name__ == "__main__":
    main()
