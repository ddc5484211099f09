"""Long-form narration through gradio_client against the launched studio, real hibari."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
import srt
from gradio_client.exceptions import AppError

from genai_studio.history import History
from genai_studio.narration import script
from genai_studio.owners import Owner

PARAGRAPH = " ".join(f"The keeper counted wave number {i} from the top of the tower." for i in range(5))
CHAPTER = "\n\n".join(f"Part {p}. {PARAGRAPH}" for p in range(4))  # 24 sentences, ~1.5 min of speech
ARGS = ("hibari", "heart", "en-us", 1.0)


def wait_for_progress(job, count=1, seconds=60):
    deadline = time.monotonic() + seconds
    while sum("Sentence" in str(out[2]) for out in job.outputs()) < count:
        assert time.monotonic() < deadline and not job.done(), job.outputs()[-1:]
        time.sleep(0.02)


def entry_of(studio, entry_id):
    entry = History(studio.settings.history_dir).get(Owner.local(), entry_id)
    assert entry is not None and entry.task == "narration"
    return entry


def test_stop_then_continue_gives_the_whole_chapter(studio):
    client = studio.new_client()  # its own session: Stop stops only this session's narration
    job = client.submit(CHAPTER, *ARGS, api_name="/narrate")
    wait_for_progress(job)
    assert "Stopping" in client.predict(api_name="/stop_narration")
    _, files, status, entry_id = job.result(timeout=60)
    stopped = entry_of(studio, entry_id)
    total = len(script(CHAPTER).sentences)
    spoken = stopped.params["next_sentence"]
    assert stopped.params["stopped"] and 0 < spoken < total and stopped.params["sentences"] == total
    assert f"Stopped after sentence {spoken} of {total}" in status and entry_id in status
    assert {"narration-raw.wav", "narration-cues.json"} <= set(stopped.files)
    assert [Path(f).name for f in files] == [
        "narration.wav",
        "narration.mp3",
        "narration.srt",
        "narration.vtt",
    ]

    job = client.submit(entry_id, api_name="/continue_narration")
    wav_path, files, status, done_id = job.result(timeout=240)
    assert status.startswith(f"Done: {total} sentences")
    assert job.outputs()[0][2].startswith(f"Sentence {spoken + 1} of {total}")
    done = entry_of(studio, done_id)
    assert done.params["continued_from"] == entry_id and not done.params["stopped"]
    cues = list(srt.parse(Path(files[2]).read_text()))
    assert [c.content.replace("\n", " ") for c in cues] == list(script(CHAPTER).sentences)
    audio, rate = sf.read(wav_path, dtype="float64")
    assert cues[-1].end.total_seconds() <= audio.size / rate < cues[-1].end.total_seconds() + 1.0
    assert abs(pyloudnorm.Meter(rate).integrated_loudness(audio) + 16.0) < 1.0
    prefix, _ = sf.read(stopped.file("narration-raw.wav"), dtype="float32")
    assert prefix.size < audio.size and np.abs(prefix).max() > 0.01
    # a continued narration is not offered again
    listed = client.predict(api_name="/stopped_narrations")
    assert entry_id not in str(listed)


def test_a_client_that_goes_away_leaves_a_narration_to_continue(studio):
    client = studio.new_client()
    job = client.submit(CHAPTER, *ARGS, api_name="/narrate")
    wait_for_progress(job, count=2)
    job.cancel()
    history = History(studio.settings.history_dir)
    deadline = time.monotonic() + 30  # saved in the background once the client is gone
    while time.monotonic() < deadline:
        found = [
            e for e in history.entries(Owner.local(), 20) if e.task == "narration" and e.params.get("stopped")
        ]
        if found and time.time() - found[0].created < 30:
            break
        time.sleep(0.1)
    entry = found[0]
    assert 2 <= entry.params["next_sentence"] < entry.params["sentences"]
    assert entry.params["text"] == CHAPTER and "narration-cues.json" in entry.files


BAD = [
    (("", *ARGS), "Text is empty"),
    (("?! … 😀", *ARGS), "only punctuation"),
    (("word " * 40_000, *ARGS), "200,000"),
    (("Hi.", "hibari", "nobody", "en-us", 1.0), "no voice 'nobody'"),
]


def test_bad_narrations_give_clear_messages_and_the_server_keeps_serving(studio):
    for args, message in BAD:
        with pytest.raises(AppError, match=message):
            studio.client.predict(*args, api_name="/narrate")
    assert "Done: 1 sentences" in studio.client.predict("Still here.", *ARGS, api_name="/narrate")[2]


@pytest.mark.parametrize("entry_id", ["", "../../etc/passwd", "20250101-000000-000000-narration-deadbeef"])
def test_continuing_something_that_is_not_a_stopped_narration_is_refused(studio, entry_id):
    with pytest.raises(AppError, match="Pick a stopped narration"):
        studio.client.predict(entry_id, api_name="/continue_narration")
