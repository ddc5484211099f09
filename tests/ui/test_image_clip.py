"""Clips through the Colorize and Style sub-tabs with gradio_client against the launched studio:
the result keeps the clip's length and sound and is saved to History; bad clips get a message."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from genai_studio.history import History
from genai_studio.owners import Owner
from tests.pipelines.test_clip_pipeline import REFERENCES, still_clip


def streams(path: str) -> dict[str, float]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,duration", "-of", "json", path],
        capture_output=True,
        check=True,
    ).stdout
    return {s["codec_type"]: float(s["duration"]) for s in json.loads(out)["streams"]}


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return still_clip(tmp_path_factory.mktemp("clip-ui") / "still.mp4", seconds=1.0, fps=5)


def played(video) -> str:
    return video["video"] if isinstance(video, dict) else video


@pytest.mark.parametrize(
    ("endpoint", "settings", "task"),
    [
        (
            "/colorize_clip",
            (None, "reference", handle_file(str(REFERENCES / "coffee.jpg")), "classic-colorize", 3),
            "colorize",
        ),
        (
            "/stylize_clip",
            (
                handle_file(str(REFERENCES / "styles" / "swirling-strokes.jpg")),
                "style-image",
                "neural-style",
                1.0,
                False,
                None,
                0.5,
            ),
            "style",
        ),
    ],
)
def test_a_clip_keeps_its_length_and_sound_and_is_saved(studio, source, endpoint, settings, task):
    video, status = studio.client.predict(handle_file(str(source)), *settings, api_name=endpoint)
    assert status.startswith("Done: 5 frames") and "sound kept" in status, status
    kept = streams(played(video))
    assert abs(kept["video"] - 1.0) <= 0.1 and abs(kept["audio"] - 1.0) <= 0.15
    entry = next(e for e in History(studio.settings.history_dir).entries(Owner.local()) if e.task == task)
    assert {"clip.mp4", "poster.png"} <= set(entry.files) and entry.params["clip"]["frames"] == 5


def test_bad_clips_get_clear_messages(studio, source, tmp_path):
    long_clip = tmp_path / "long.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=gray:s=32x32:r=1:d=16", str(long_clip)],
        check=True,
    )
    reference = handle_file(str(REFERENCES / "coffee.jpg"))
    colorize = ("classic-colorize", 3)
    with pytest.raises(AppError, match="at most 15 s"):
        clip = handle_file(str(long_clip))
        studio.client.predict(clip, None, "reference", reference, *colorize, api_name="/colorize_clip")
    with pytest.raises(AppError, match="Give a video clip"):
        studio.client.predict(None, None, "reference", reference, *colorize, api_name="/colorize_clip")
    with pytest.raises(AppError, match="No colour hints"):  # hints asked for, none painted
        studio.client.predict(
            handle_file(str(source)), None, "hints", None, *colorize, api_name="/colorize_clip"
        )
