"""Long-form narration with real espeak-ng (deterministic, so a continued narration can be
compared sample for sample with one made in one go), checked with real parsers and pyloudnorm."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
import srt
import webvtt

from genai_studio.audio_files import read_tags
from genai_studio.backends.manager import ModelManager
from genai_studio.backends.speech.request import MAX_NARRATION_CHARS, build_request
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput
from genai_studio.narration import (
    CUES,
    MP3,
    PARAGRAPH_PAUSE_S,
    RAW,
    SRT,
    VTT,
    WAV,
    Narration,
    NarrationProgress,
    Resume,
    narrate,
    script,
)

CHAPTER = (
    "The keeper climbed the stairs at dusk.\nTonight the sea was calm, and the lamp turned slowly.\n\n"
    "Far to the north, a small boat drifted without lights. He watched it for a long time.\n\n"
    "Nobody answered his first call. At last a tired voice said the engine had failed."
)


@pytest.fixture(scope="module")
def manager(tmp_path_factory) -> ModelManager:
    return ModelManager(Settings(output_dir=tmp_path_factory.mktemp("out")))


def request(manager, text=CHAPTER):
    backend = manager.available_backend("espeak")
    return build_request(
        text=text,
        voice="default",
        language="en-us",
        voices=backend.voices(),
        languages=backend.languages(),
        max_chars=MAX_NARRATION_CHARS,
    )


def run(manager, workdir: Path, resume=None, stop_after: int | None = None):
    workdir.mkdir()
    cancel = threading.Event()
    progress = []
    for item in narrate(manager, "espeak", request(manager), workdir, cancel, resume):
        if isinstance(item, NarrationProgress):
            progress.append(item)
            if stop_after is not None and item.done >= stop_after:
                cancel.set()
        else:
            assert isinstance(item, Narration)
            return progress, item
    raise AssertionError("no Narration at the end")


def test_paragraphs_join_wrapped_lines_and_lines_are_paragraphs_without_blank_lines():
    wrapped = script("One sentence\nwrapped here. Two.\n\nThree.")
    assert wrapped.sentences == ("One sentence wrapped here.", "Two.", "Three.")
    assert wrapped.paragraph_starts == {2}
    assert script("Aa.\nBb. Cc.\n?!\nDd.").paragraph_starts == {1, 3}


def test_a_chapter_becomes_one_normalised_wav_mp3_and_subtitles(manager, tmp_path):
    progress, done = run(manager, tmp_path / "one")
    plan = script(CHAPTER)
    assert [p.done for p in progress] == list(range(1, len(plan.sentences) + 1))
    assert progress[0].seconds_left is None and progress[-1].seconds_left == 0  # no guess before a pace
    assert all(p.total == len(plan.sentences) for p in progress)
    assert set(done.files) == {WAV, MP3, SRT, VTT} and not done.stopped

    audio, rate = sf.read(done.files[WAV], dtype="float64")
    assert abs(pyloudnorm.Meter(rate).integrated_loudness(audio) - (-16.0)) < 1.0
    assert np.abs(audio).max() < 1.0 and done.params["seconds"] == pytest.approx(audio.size / rate, abs=1e-3)
    assert read_tags(done.files[WAV].read_bytes())["comment"] == CHAPTER
    mp3, mp3_rate = sf.read(io.BytesIO(done.files[MP3].read_bytes()))
    assert mp3_rate == rate and abs(mp3.size - audio.size) / rate < 0.1

    cues = list(srt.parse(done.files[SRT].read_text()))
    assert [c.content.replace("\n", " ") for c in cues] == list(plan.sentences)
    starts = [c.start.total_seconds() for c in cues]
    ends = [c.end.total_seconds() for c in cues]
    assert starts == sorted(starts) and all(s < e for s, e in zip(starts, ends, strict=True))
    assert all(e <= b for e, b in zip(ends, starts[1:], strict=False)) and ends[-1] <= audio.size / rate
    vtt = list(webvtt.read_buffer(io.StringIO(done.files[VTT].read_text())))
    assert len(vtt) == len(cues) and vtt[0].text.replace("\n", " ") == plan.sentences[0]
    # paragraphs are apart by the pause (plus espeak's own silence); sentences in one are not
    gaps = [b - e for e, b in zip(ends, starts[1:], strict=False)]
    for index, gap in enumerate(gaps, 1):
        assert (gap >= PARAGRAPH_PAUSE_S) == (index in plan.paragraph_starts), (index, gap)


def test_a_stopped_narration_continues_to_exactly_the_one_made_in_one_go(manager, tmp_path):
    _, whole = run(manager, tmp_path / "whole")
    _, stopped = run(manager, tmp_path / "stopped", stop_after=2)
    next_sentence = stopped.params["next_sentence"]
    assert stopped.stopped and 2 <= next_sentence < stopped.params["sentences"]
    assert {RAW, CUES} <= set(stopped.files)
    assert len(list(srt.parse(stopped.files[SRT].read_text()))) == next_sentence  # what was spoken

    resume = Resume.from_files(stopped.files[RAW], stopped.files[CUES], next_sentence)
    progress, continued = run(manager, tmp_path / "continued", resume=resume)
    assert progress[0].done == next_sentence + 1 and not continued.stopped
    assert continued.files[SRT].read_text() == whole.files[SRT].read_text()
    one_go, _ = sf.read(whole.files[WAV], dtype="int16")
    resumed, _ = sf.read(continued.files[WAV], dtype="int16")
    assert np.array_equal(one_go, resumed)


def test_continuing_past_the_end_is_refused(manager, tmp_path):
    resume = Resume(tmp_path / "none.wav", (), next_sentence=99)
    with pytest.raises(InvalidInput, match="no sentence 100"):
        run(manager, tmp_path / "past", resume=resume)


def test_stopped_before_the_first_sentence_saves_nothing(manager, tmp_path):
    cancel = threading.Event()
    cancel.set()
    items = list(narrate(manager, "espeak", request(manager), tmp_path, cancel))
    assert len(items) == 1 and items[0].files == {} and items[0].stopped


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "empty"), ("?! … —", "only punctuation"), ("word " * 40_000, "200,000 characters")],
)
def test_bad_texts_are_refused_with_clear_messages(manager, text, message):
    with pytest.raises(InvalidInput, match=message):
        request(manager, text)
