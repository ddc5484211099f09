"""Transcripts as files: subtitles that the real SRT and WebVTT parsers read, long segments cut
at word times, Chinese without spaces, and OpenAI's verbose_json shape."""

from __future__ import annotations

import io
import itertools
import json

import srt
import webvtt

from genai_studio.backends.listen.transcript import (
    Segment,
    Transcript,
    Word,
    cues,
    files,
    timed_lines,
    to_srt,
    to_vtt,
    verbose,
)
from genai_studio.subtitles import MAX_CUE_CHARS

LONG = (
    " The keeper climbed the stairs, lit the lamp and watched the ships sail past the rocks "
    "until the morning came back over the grey and quiet sea."
)


def worded(text: str, start: float, seconds_per_word: float = 0.4) -> Segment:
    pieces = text.split(" ")[1:]
    words = tuple(
        Word(
            round(start + i * seconds_per_word, 3), round(start + (i + 1) * seconds_per_word, 3), " " + piece
        )
        for i, piece in enumerate(pieces)
    )
    return Segment(start, words[-1].end, text, words)


def test_a_long_segment_is_cut_at_word_times_into_readable_cues():
    transcript = Transcript((Segment(0.0, 1.5, " Hello there."), worded(LONG, 2.0)), "en", 14.0)
    found = cues(transcript)
    assert found[0].text == "Hello there." and len(found) >= 3
    assert all(len(cue.text) <= MAX_CUE_CHARS for cue in found)
    assert " ".join(cue.text for cue in found[1:]) == LONG.strip()
    assert found[1].start == 2.0 and found[-1].end == transcript.segments[1].end
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))
    parsed = list(srt.parse(to_srt(transcript)))
    assert [c.content.replace("\n", " ") for c in parsed] == [c.text for c in found]
    assert parsed[1].start.total_seconds() == 2.0
    vtt = list(webvtt.read_buffer(io.StringIO(to_vtt(transcript))))
    assert [c.text.replace("\n", " ") for c in vtt] == [c.text for c in found]


def test_a_long_segment_without_word_times_is_cut_at_clauses():
    transcript = Transcript((Segment(1.0, 12.0, LONG),), "en", 12.0)
    found = cues(transcript)
    assert len(found) >= 2 and found[0].start == 1.0 and found[-1].end == 12.0
    assert all(len(cue.text) <= MAX_CUE_CHARS for cue in found)


def test_chinese_is_joined_without_spaces_and_translation_with_them():
    heard = (Segment(0.0, 2.0, "今天天气很好，"), Segment(2.0, 4.0, "我们去公园吧。"))
    assert Transcript(heard, "zh", 4.0).text == "今天天气很好，我们去公园吧。"
    english = (Segment(0.0, 2.0, " The weather is good."), Segment(2.0, 4.0, " Let's go."))
    assert Transcript(english, "zh", 4.0, task="translate").text == "The weather is good. Let's go."
    assert timed_lines(heard) == "[00:00.0 → 00:02.0] 今天天气很好，\n[00:02.0 → 00:04.0] 我们去公园吧。"


def test_verbose_json_is_openais_shape_and_the_json_file_has_both_granularities():
    transcript = Transcript((worded(" Hello there friend.", 0.5),), "en", 3.0)
    body = verbose(transcript, words=False)
    assert body["language"] == "english" and body["text"] == "Hello there friend." and "words" not in body
    assert body["segments"][0]["start"] == 0.5 and body["segments"][0]["text"] == " Hello there friend."
    saved = json.loads(files(transcript)["transcript.json"])
    assert [w["word"] for w in saved["words"]] == ["Hello", "there", "friend."]
    assert files(transcript)["transcript.txt"] == b"Hello there friend.\n"


def test_an_empty_transcript_makes_empty_but_valid_files():
    made = files(Transcript((), "en", 5.0))
    assert made["transcript.txt"] == b"" and made["transcript.srt"] == b""
    assert made["transcript.vtt"].startswith(b"WEBVTT") and json.loads(made["transcript.json"])["text"] == ""
    assert list(webvtt.read_buffer(io.StringIO(made["transcript.vtt"].decode()))) == []
