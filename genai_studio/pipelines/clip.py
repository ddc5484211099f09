"""Clip: a short video through an image tool (Colorize, Style), frame by frame, its sound kept.

Each frame is one ordinary job of the tool's task through the ModelManager (the request made
for the first frame, its picture replaced), so Stop, the queue and model residency hold as
for a photo. Processing each frame alone flickers: a colour transfer or a style network
answers a slightly different frame slightly differently. Each result is therefore steadied
against the previous one: the previous result is carried to this frame by optical flow (DIS,
OpenCV) and blended in where the flow explains the input (the two inputs agree once warped),
so still areas keep their colours and strokes and moving ones follow the picture.

ffmpeg (Debian's, a separate program) decodes the clip and encodes the result (H.264, and
AAC from the clip's own sound) into an MP4 of the same length.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from genai_studio.backends.base import Result
from genai_studio.backends.manager import ModelManager
from genai_studio.errors import InvalidInput, ModelUnavailable
from genai_studio.pipelines.story import job_event

log = logging.getLogger(__name__)

FFMPEG, FFPROBE = "ffmpeg", "ffprobe"
MAX_SIDE = 640  # frames are processed at most this large (the longer side): a clip's time is bounded
MAX_FPS = 25.0
STEADY = 0.7  # the share of the carried previous result where the flow explains the frame
TRUST_DIFF = 12.0  # a warped input this far (mean grey levels) from the frame is not trusted
CLIP, POSTER = "clip.mp4", "poster.png"


@dataclass(frozen=True)
class ClipInfo:
    seconds: float
    fps: float
    width: int  # the size frames are processed at
    height: int
    audio: bool

    @property
    def frames(self) -> int:
        return max(1, round(self.seconds * self.fps))


def _fraction(text: str) -> float:
    top, _, bottom = str(text).partition("/")
    try:
        return float(top) / float(bottom or 1)
    except (ValueError, ZeroDivisionError):
        return 0.0


def probe(path: object, max_seconds: float) -> ClipInfo:
    """The clip's length, frame rate, working size and whether it has sound; raises
    InvalidInput for what is not a video ffmpeg reads, or one longer than `max_seconds`."""
    if not isinstance(path, str | Path) or not str(path):
        raise InvalidInput("Give a video clip (MP4, WebM or MOV).")
    if shutil.which(FFPROBE) is None:
        raise ModelUnavailable("Clips need ffmpeg (Debian package ffmpeg), which is not installed here.")
    done = subprocess.run(
        [FFPROBE, "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        timeout=60,
    )
    try:
        info = json.loads(done.stdout or b"{}")
    except ValueError:
        info = {}
    video = next((s for s in info.get("streams", []) if s.get("codec_type") == "video"), None)
    if done.returncode != 0 or video is None or not video.get("width"):
        raise InvalidInput("The clip is not a video the studio can read (MP4, WebM or MOV).")
    seconds = float(info.get("format", {}).get("duration") or video.get("duration") or 0)
    if not 0 < seconds <= max_seconds:
        raise InvalidInput(f"The clip is {seconds:.1f} s long: at most {max_seconds:g} s here.")
    fps = min(
        MAX_FPS,
        _fraction(video.get("avg_frame_rate", "")) or _fraction(video.get("r_frame_rate", "")) or MAX_FPS,
    )
    width, height = int(video["width"]), int(video["height"])
    scale = min(1.0, MAX_SIDE / max(width, height))
    size = (max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2))
    audio = any(s.get("codec_type") == "audio" for s in info.get("streams", []))
    return ClipInfo(seconds, fps, *size, audio)


def read_frames(path: Path, info: ClipInfo) -> Iterator[np.ndarray]:
    """The clip's frames as RGB arrays at the working size and frame rate."""
    command = [
        FFMPEG, "-v", "error", "-i", str(path), "-t", f"{info.seconds:.3f}",
        "-vf", f"fps={info.fps:g},scale={info.width}:{info.height}",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
    ]  # fmt: skip
    size = info.width * info.height * 3
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process:
        try:
            while chunk := process.stdout.read(size):
                if len(chunk) < size:
                    return
                yield np.frombuffer(chunk, np.uint8).reshape(info.height, info.width, 3)
        finally:
            process.kill()


class Steadier:
    """Carries each result to the next frame by optical flow and blends it in (see the module)."""

    def __init__(self, weight: float = STEADY) -> None:
        self.weight = weight
        self.flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
        self.previous: tuple[np.ndarray, np.ndarray] | None = None  # (grey input, result)

    def __call__(self, frame: np.ndarray, result: np.ndarray) -> np.ndarray:
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        if self.previous is None or self.weight <= 0:
            self.previous = (grey, result)
            return result
        before, made = self.previous
        map_x, map_y = _back_maps(grey, before, self.flow)
        carried = cv2.remap(made, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        seen = cv2.remap(before, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        error = cv2.GaussianBlur(cv2.absdiff(seen, grey).astype(np.float32), (0, 0), 2)
        trust = (self.weight * np.clip(1 - error / TRUST_DIFF, 0, 1))[..., None]
        steadied = (carried * trust + result * (1 - trust)).astype(np.uint8)
        self.previous = (grey, steadied)
        return steadied


def _back_maps(grey: np.ndarray, before: np.ndarray, flow: Any) -> tuple[np.ndarray, np.ndarray]:
    """Where each pixel of `grey` was in `before` (maps for cv2.remap)."""
    motion = flow.calc(grey, before, None)
    h, w = grey.shape
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return xs + motion[..., 0], ys + motion[..., 1]


class HintCarrier:
    """Colour hints painted on a clip's first frame, carried to each next frame by optical flow
    (each frame looks up where its pixels were), so a painted jumper keeps its colour as it moves."""

    def __init__(self, colours: np.ndarray, painted: np.ndarray) -> None:
        self.colours, self.painted = colours, painted.astype(np.uint8)
        self.flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        self.before: np.ndarray | None = None

    def __call__(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(colours, painted) for `frame`, the next frame of the clip."""
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        if self.before is not None:
            map_x, map_y = _back_maps(grey, self.before, self.flow)
            self.colours = cv2.remap(
                self.colours, map_x, map_y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT
            )
            self.painted = cv2.remap(
                self.painted, map_x, map_y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT
            )
        self.before = grey
        return self.colours, self.painted.astype(bool)


@dataclass(frozen=True)
class ClipProgress:
    done: int
    frames: int
    seconds_left: float | None


@dataclass(frozen=True)
class Clip:
    files: dict[str, Path]
    params: dict[str, Any]


def _as_rgb(output: Any, size: tuple[int, int]) -> np.ndarray:
    array = np.asarray(output.convert("RGB") if hasattr(output, "convert") else output)[..., :3]
    if (array.shape[1], array.shape[0]) != size:
        array = cv2.resize(array, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(array.astype(np.uint8))


def process_clip(
    manager: ModelManager,
    spec: str,
    request_for: Callable[[np.ndarray], Any],
    path: Path,
    info: ClipInfo,
    workdir: Path,
    cancel: threading.Event,
    steady: float = STEADY,
) -> Iterator[ClipProgress | Clip]:
    """Progress per frame with the time left, then the Clip (MP4 with the clip's sound, and its
    first frame as a poster); nothing more once stopped, and no file kept."""
    out, poster = workdir / CLIP, workdir / POSTER
    command = [
        FFMPEG, "-v", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{info.width}x{info.height}", "-r", f"{info.fps:g}",
        "-i", "pipe:0", "-i", str(path), "-map", "0:v", "-map", "1:a?",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "160k", "-movflags", "+faststart", str(out),
    ]  # fmt: skip
    encoder = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    steadier, changes, previous = Steadier(steady), [], None
    started, done = time.monotonic(), 0
    try:
        for frame in read_frames(path, info):
            result = None
            with job_event(cancel) as job:
                for item in manager.run(spec, request_for(frame), job):
                    if isinstance(item, Result):
                        result = _as_rgb(item.output, (info.width, info.height))
            if cancel.is_set() or result is None:
                return
            made = steadier(frame, result)
            if previous is None:
                cv2.imwrite(str(poster), cv2.cvtColor(made, cv2.COLOR_RGB2BGR))
            else:
                changes.append(float(np.abs(made.astype(np.int16) - previous.astype(np.int16)).mean()))
            previous = made
            encoder.stdin.write(made.tobytes())
            done += 1
            left = (time.monotonic() - started) / done * max(0, info.frames - done)
            yield ClipProgress(done, info.frames, left)
        encoder.stdin.close()
        if encoder.wait(timeout=300) != 0:
            detail = encoder.stderr.read().decode(errors="replace")[-300:]
            raise ModelUnavailable(f"ffmpeg could not make the clip: {detail or 'it stopped'}")
    finally:
        if encoder.poll() is None:
            encoder.kill()
            encoder.wait()
        if cancel.is_set() or not done or encoder.returncode != 0:
            out.unlink(missing_ok=True)
            poster.unlink(missing_ok=True)
    params = {
        "frames": done,
        "fps": round(info.fps, 3),
        "size": f"{info.width}x{info.height}",
        "sound": info.audio,
        "steady": steady,
        "flicker": round(float(np.mean(changes)), 3) if changes else 0.0,
        "seconds": round(time.monotonic() - started, 2),
    }
    yield Clip({CLIP: out, POSTER: poster}, params)
