"""SRT and WebVTT from cue timelines, read back with real parsers (srt, webvtt-py)."""

from __future__ import annotations

import datetime
import html
import itertools

import numpy as np
import pytest
import srt
import webvtt

from genai_studio.subtitles import (
    MAX_CUE_CHARS,
    Cue,
    CueTimeline,
    cues_from_json,
    cues_to_json,
    sentence_cues,
    to_srt,
    to_webvtt,
    voiced_range,
)

RATE = 24_000


def seconds(stamp: str) -> float:
    hours, minutes, rest = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest.replace(",", "."))


def parsed_vtt(text: str) -> list[tuple[float, float, str]]:
    return [(seconds(c.start), seconds(c.end), c.text) for c in webvtt.from_string(text)]


def tone(seconds_of_voice: float, lead: float = 0.25, tail: float = 0.4) -> np.ndarray:
    """Silence, a tone, silence: a stand-in sentence whose voiced part is known exactly."""
    t = np.arange(int(seconds_of_voice * RATE)) / RATE
    voice = 0.5 * np.sin(2 * np.pi * 220 * t)
    return np.concatenate([np.zeros(int(lead * RATE)), voice, np.zeros(int(tail * RATE))]).astype(np.float32)


def test_cues_follow_the_voice_of_each_sentence_and_the_pauses():
    chunks = [tone(1.0), tone(2.0), tone(0.5)]
    cues = sentence_cues(["One.", "Two & <three>.", "Four."], chunks, RATE, pause_samples=RATE // 2)
    assert [c.text for c in cues] == ["One.", "Two & <three>.", "Four."]
    assert cues[0].start == pytest.approx(0.25) and cues[0].end == pytest.approx(1.25)
    assert cues[1].start == pytest.approx(1.65 + 0.5 + 0.25)  # first chunk, the pause, the lead
    assert cues[2].end == pytest.approx(1.65 + 0.5 + 2.65 + 0.5 + 0.75)


def test_srt_and_webvtt_parse_with_real_parsers_and_keep_times_and_text():
    cues = [Cue(0.25, 1.5, "Hello & <there>."), Cue(3661.001, 3662.5, "An hour --> later, 你好。")]
    parsed = list(srt.parse(to_srt(cues)))
    assert [p.index for p in parsed] == [1, 2]
    assert parsed[1].start == datetime.timedelta(hours=1, minutes=1, seconds=1, milliseconds=1)
    assert parsed[0].content == "Hello & <there>."
    vtt = parsed_vtt(to_webvtt(cues))
    assert vtt[0] == (0.25, 1.5, "Hello &amp; &lt;there&gt;.")  # escaped: < would start a tag
    assert html.unescape(vtt[0][2]) == "Hello & <there>."
    assert vtt[1][:2] == (3661.001, 3662.5) and "-->" not in vtt[1][2] and "你好" in vtt[1][2]


def test_a_long_sentence_becomes_one_cue_per_clause_in_order():
    sentence = (
        "The keeper climbed the long stairs at dusk, as he had done every evening for thirty years, "
        "and from the top he saw a small boat drifting without lights, far to the north of the bay."
    )
    timeline = CueTimeline(RATE, start=10.0)
    timeline.speech(sentence, 12 * RATE, voiced=(RATE, 11 * RATE))
    cues = timeline.cues
    assert len(cues) > 1 and all(len(c.text) <= MAX_CUE_CHARS for c in cues)
    assert " ".join(c.text for c in cues) == sentence
    assert cues[0].start == 11.0 and cues[-1].end == 21.0
    assert all(a.end <= b.start for a, b in itertools.pairwise(cues))
    assert all(len(line) <= 42 for line in to_srt(cues).splitlines())
    assert timeline.seconds == 22.0


def test_chinese_lines_are_cut_and_cues_survive_a_json_round_trip():
    sentence = "你好，欢迎来到创作工作室。今天我们一起写一个很长很长很长的故事。"
    cues = sentence_cues([sentence], [tone(3.0)], RATE)
    block = next(srt.parse(to_srt(cues))).content
    assert all(len(line) <= 20 for line in block.splitlines())
    assert cues_from_json(cues_to_json(cues)) == cues


def test_voiced_range_of_silence_and_of_speech():
    assert voiced_range(np.zeros(100)) == (0, 100)
    first, end = voiced_range(tone(1.0))
    assert abs(first - 0.25 * RATE) <= 1 and abs(end - 1.25 * RATE) <= 1
