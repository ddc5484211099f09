"""A clip through an image tool on the embedded models: its length and sound kept, and the
steadying measured on a still scene with camera noise (each frame alone flickers)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from genai_studio.backends.image.colorize_request import build_colorize_request
from genai_studio.backends.manager import ModelManager
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput
from genai_studio.pipelines import clip

REFERENCES = Path(__file__).resolve().parents[2] / "assets" / "images" / "reference"


def still_clip(path: Path, seconds: float = 1.0, fps: int = 8, sound: bool = True) -> Path:
    """A grey still photo with fresh noise in every frame (a camera on a tripod), and a tone."""
    command = ["ffmpeg", "-v", "error", "-y", "-loop", "1", "-i", str(REFERENCES / "chelsea.jpg")]
    command += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"] if sound else []
    command += ["-vf", f"format=gray,noise=alls=12:allf=t,fps={fps},scale=160:-2,format=yuv420p"]
    command += ["-t", str(seconds), "-c:v", "libx264", "-c:a", "aac", str(path)]
    subprocess.run(command, check=True)
    return path


def streams(path: Path) -> dict[str, float]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,duration", "-of", "json", str(path)],
        capture_output=True,
        check=True,
    ).stdout
    return {s["codec_type"]: float(s["duration"]) for s in json.loads(out)["streams"]}


@pytest.fixture(scope="module")
def manager():
    return ModelManager(Settings())


def test_a_colorized_clip_keeps_its_length_and_sound_and_flickers_less(manager, tmp_path):
    source = still_clip(tmp_path / "still.mp4")
    info = clip.probe(source, 15)
    assert (info.fps, info.audio, info.frames) == (8.0, True, 8)
    settings = Settings()
    first = next(clip.read_frames(source, info))
    job = build_colorize_request(
        settings, image=first, method="reference", reference=REFERENCES / "coffee.jpg"
    )
    made = {}
    for steady in (0.0, clip.STEADY):
        workdir = tmp_path / f"steady-{steady}"
        workdir.mkdir()
        items = list(
            clip.process_clip(
                manager,
                "classic-colorize",
                lambda frame: dataclasses.replace(job, image=frame),
                source,
                info,
                workdir,
                threading.Event(),
                steady,
            )
        )
        done = items[-1]
        assert isinstance(done, clip.Clip) and done.params["frames"] == 8
        assert [i.done for i in items[:-1]] == list(range(1, 9))  # progress per frame
        kept = streams(done.files[clip.CLIP])
        assert abs(kept["video"] - 1.0) <= 0.1 and abs(kept["audio"] - 1.0) <= 0.1
        made[steady] = done.params["flicker"]
    assert made[clip.STEADY] < 0.7 * made[0.0], made


def test_stop_keeps_no_clip(manager, tmp_path):
    source = still_clip(tmp_path / "still.mp4", sound=False)
    info = clip.probe(source, 15)
    first = next(clip.read_frames(source, info))
    job = build_colorize_request(
        Settings(), image=first, method="reference", reference=REFERENCES / "coffee.jpg"
    )
    cancel = threading.Event()
    work = clip.process_clip(
        manager,
        "classic-colorize",
        lambda f: dataclasses.replace(job, image=f),
        source,
        info,
        tmp_path,
        cancel,
    )
    for item in work:
        if item.done == 2:
            cancel.set()
    assert not (tmp_path / clip.CLIP).exists() and not (tmp_path / clip.POSTER).exists()


def test_long_clips_and_other_files_are_refused_with_a_message(tmp_path):
    long_clip = tmp_path / "long.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=gray:s=32x32:r=1:d=16", str(long_clip)],
        check=True,
    )
    with pytest.raises(InvalidInput, match=r"16\.0 s long: at most 15 s"):
        clip.probe(long_clip, 15)
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    with pytest.raises(InvalidInput, match="not a video"):
        clip.probe(text, 15)


def moving_square(path: Path, frames: int = 8) -> Path:
    """A bright square gliding right over a still, textured grey ground, 8 frames a second."""
    rng = np.random.default_rng(0)
    ground = np.clip(100 + rng.normal(0, 12, (120, 160)), 0, 255)
    ground = cv2.GaussianBlur(ground, (0, 0), 1.5)
    video = []
    for index in range(frames):
        frame = ground.copy()
        x = 20 + 6 * index
        frame[45:85, x : x + 40] = 215 + ground[45:85, x : x + 40] * 0.1
        video.append(np.repeat(frame[..., None], 3, axis=2).astype(np.uint8))
    command = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "160x120"]
    command += ["-r", "8", "-i", "pipe:0", "-c:v", "libx264", "-crf", "10", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(command, input=np.stack(video).tobytes(), check=True)
    return path


def test_hints_painted_on_the_first_frame_follow_the_picture(manager, tmp_path):
    source = moving_square(tmp_path / "square.mp4")
    info = clip.probe(source, 15)
    first = next(clip.read_frames(source, info))
    colours = np.zeros((120, 160, 3), np.uint8)
    painted = np.zeros((120, 160), bool)
    colours[60:70, 35:45], painted[60:70, 35:45] = (220, 30, 30), True  # red, in the square
    colours[10:20, 10:150], painted[10:20, 10:150] = (128, 128, 128), True  # grey above it
    job = dataclasses.replace(
        build_colorize_request(
            Settings(), image=first, method="reference", reference=REFERENCES / "coffee.jpg"
        ),
        method="hints",
        hint_rgb=colours,
        hint_mask=painted,
    )
    redness = {}
    for name, carry in (("carried", clip.HintCarrier(colours, painted)), ("still", None)):

        def request_for(frame, carry=carry):
            rgb, mask = carry(frame) if carry else (colours, painted)
            return dataclasses.replace(job, image=frame, hint_rgb=rgb, hint_mask=mask)

        workdir = tmp_path / name
        workdir.mkdir()
        done = list(
            clip.process_clip(
                manager, "classic-colorize", request_for, source, info, workdir, threading.Event(), 0
            )
        )[-1]
        last = list(clip.read_frames(done.files[clip.CLIP], clip.probe(done.files[clip.CLIP], 15)))[-1]
        square = last[50:80, 67:97].astype(int)  # where the square is at the end
        redness[name] = float((square[..., 0] - square[..., 2]).mean())
    assert redness["carried"] > 40 and redness["carried"] > redness["still"] + 20, redness
