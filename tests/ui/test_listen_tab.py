"""The Listen tab through gradio_client against the launched studio: a recording made by the
studio's own voice is transcribed segment by segment, its subtitles parse with the real SRT
and WebVTT parsers and cover the audio, and it is saved to History under its owner."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf
import srt
import webvtt
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from bench.recognise import wer
from genai_studio.audio_files import wav_bytes
from genai_studio.backends.listen.backend import SILENT
from genai_studio.history import History
from genai_studio.owners import Owner
from tests.backends.listen_helpers import ENGLISH, spoken_wav, studio_voice

ENDPOINT = "/transcribe"
NAMES = ["transcript.txt", "transcript.srt", "transcript.vtt", "transcript.json"]


@pytest.fixture(scope="module")
def english(tmp_path_factory) -> Path:
    return spoken_wav(tmp_path_factory.mktemp("listen-ui") / "keeper.wav", "hibari", ENGLISH)


def test_a_recording_streams_segments_then_transcript_and_subtitles(studio, english):
    job = studio.client.submit(
        handle_file(str(english)), None, "whisper", "auto", False, True, "", api_name=ENDPOINT
    )
    segments, transcript, status, files = job.result(timeout=180)
    outputs = job.outputs()
    assert outputs[0][2] == "Listening…"
    assert any(out[2].startswith("Heard ") for out in outputs[1:-1])  # progress came before the end
    assert segments.startswith("[00:00.0 → ") and wer(ENGLISH, transcript) <= 0.1, transcript
    assert "language en" in status
    assert [Path(path).name for path in files] == NAMES

    seconds = sf.info(english).duration
    cues = list(srt.parse(Path(files[1]).read_text()))
    assert " ".join(cue.content for cue in cues).replace("\n", " ") == transcript
    assert (
        0 <= cues[0].start.total_seconds() < 1.0
        and seconds - 1.5 < cues[-1].end.total_seconds() <= seconds + 0.1
    )
    vtt = list(webvtt.read_buffer(io.StringIO(Path(files[2]).read_text())))
    assert [c.text for c in vtt] == [c.content for c in cues]
    body = json.loads(Path(files[3]).read_text())
    assert body["language"] == "english" and body["text"] == transcript
    assert body["words"][0]["word"] == "The" and body["words"][-1]["end"] <= seconds + 0.1
    assert Path(files[0]).read_text().strip()

    entry = next(
        e for e in History(studio.settings.history_dir).entries(Owner.local()) if e.task == "transcribe"
    )
    assert entry.params["source"] == "keeper.wav" and entry.params["model"] == "whisper"
    assert sorted(entry.files) == sorted(NAMES)
    assert entry.file("transcript.srt").read_text() == Path(files[1]).read_text()


def test_a_microphone_recording_is_used_when_no_file_is_given(studio, english):
    _, transcript, _, _ = studio.client.predict(
        None, handle_file(str(english)), "whisper", "en", False, False, "", api_name=ENDPOINT
    )
    assert wer(ENGLISH, transcript) <= 0.1


def test_silence_is_said_plainly(studio, tmp_path):
    quiet = tmp_path / "quiet.wav"
    quiet.write_bytes(wav_bytes(16_000, np.zeros(48_000, np.float32)))
    segments, transcript, status, files = studio.client.predict(
        handle_file(str(quiet)), None, "whisper", "auto", False, False, "", api_name=ENDPOINT
    )
    assert segments == transcript == "" and status == SILENT and len(files) == 4


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "is empty"), (b"%PDF-1.4 not a recording" * 30, "damaged or is not audio or video")],
)
def test_bad_files_get_a_clear_message(studio, tmp_path, content, message):
    path = tmp_path / "upload.mp3"
    path.write_bytes(content)
    with pytest.raises(AppError, match=message):
        studio.client.predict(
            handle_file(str(path)), None, "whisper", "auto", False, False, "", api_name=ENDPOINT
        )


def test_nothing_to_transcribe_and_unknown_models_are_refused(studio):
    with pytest.raises(AppError, match="give an audio or video file"):
        studio.client.predict(None, None, "whisper", "auto", False, False, "", api_name=ENDPOINT)
    with pytest.raises(AppError, match="not in the list of choices"):
        studio.client.predict(None, None, "/etc/passwd", "auto", False, False, "", api_name=ENDPOINT)


def test_dictation_adds_what_was_said_to_the_text_tab_prompt(studio, english, tmp_path):
    text, recording = studio.client.predict(handle_file(str(english)), "Write a poem:", api_name="/dictate")
    assert text.startswith("Write a poem: The lighthouse") and recording is None
    assert wer(ENGLISH, text.removeprefix("Write a poem:")) <= 0.1, text
    quiet = tmp_path / "quiet.wav"
    quiet.write_bytes(wav_bytes(16_000, np.zeros(16_000, np.float32)))
    with pytest.raises(AppError, match="silent"):
        studio.client.predict(handle_file(str(quiet)), "", api_name="/dictate")


def test_transcribe_and_dictate_are_mcp_tools(studio):
    tools = {
        tool["name"]: tool for tool in httpx.get(f"{studio.url}gradio_api/mcp/schema", timeout=10).json()
    }
    assert "audio or video file" in tools["transcribe"]["description"]
    assert "microphone" in tools["dictate"]["description"]


@pytest.mark.slow  # a minute of speech, so that Stop lands before the end
def test_stop_keeps_what_was_heard_in_history(studio, tmp_path):
    rate, said = studio_voice("hibari", ENGLISH)
    long = tmp_path / "long.wav"
    long.write_bytes(wav_bytes(rate, np.tile(np.concatenate([said, np.zeros(rate, np.float32)]), 8)))
    client = studio.new_client(httpx_kwargs={"timeout": 60})  # Stop waits for the window being heard
    job = client.submit(handle_file(str(long)), None, "whisper", "en", False, False, "", api_name=ENDPOINT)
    deadline = time.monotonic() + 240
    while not any(out[0].startswith("[00:00") for out in job.outputs()):
        assert time.monotonic() < deadline and not job.done(), job.outputs()[-1:]
        time.sleep(0.05)
    job.cancel()
    history = History(studio.settings.history_dir)
    while not any(e.params.get("stopped") for e in history.entries(Owner.local()) if e.task == "transcribe"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    entry = next(e for e in history.entries(Owner.local()) if e.params.get("stopped"))
    kept = entry.file("transcript.txt").read_text()
    assert kept.startswith("The lighthouse keeper") and entry.params["language"] == "en"
    assert len(kept) < 8 * len(ENGLISH)  # stopped before the end
    manager = studio.demo.studio.manager
    while manager.busy():  # the job itself ends too, at the next segment
        assert time.monotonic() < deadline
        time.sleep(0.1)
