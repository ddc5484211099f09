"""Speech input checks, sentence splitting and WAV tags: pure functions, no model."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
import soundfile as sf

from genai_studio.audio_files import SpeechTags, read_tags, wav_bytes
from genai_studio.backends.speech.request import MAX_TEXT_CHARS, build_request
from genai_studio.backends.speech.sentences import split_sentences
from genai_studio.errors import InvalidInput

VOICES = {"heart": "Heart"}
LANGUAGES = {"en-us": "English (US)", "cmn": "Mandarin"}


def build(**overrides):
    values = dict(text="Hello there.", voice="heart", language="en-us", speed=1.0)
    values.update(overrides)
    return build_request(**values, voices=VOICES, languages=LANGUAGES)


def test_a_good_request_is_split_into_sentences():
    request = build(text="  Hello there. How are you?\nFine!  ", speed="1.5")
    assert request.text == "Hello there. How are you?\nFine!"
    assert request.sentences == ("Hello there.", "How are you?", "Fine!")
    assert request.speed == 1.5


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"text": ""}, "empty"),
        ({"text": "   \n "}, "empty"),
        ({"text": "?!... —"}, "only punctuation or emoji"),
        ({"text": "😀🎉 ✨!"}, "only punctuation or emoji"),
        ({"text": "a" * 100_000}, "too long: 100,000 characters (limit 5,000)"),
        ({"text": "a" * (MAX_TEXT_CHARS + 1)}, "limit 5,000"),
        ({"text": 42}, "must be text"),
        ({"voice": "nobody"}, "no voice 'nobody'. Pick one of: heart"),
        ({"language": "klingon"}, "no language 'klingon'. Pick one of: en-us, cmn"),
        ({"language": None}, "no language None"),
        ({"speed": 0}, "Speed must be between 0.5 and 2"),
        ({"speed": float("nan")}, "Speed must be between"),
        ({"speed": "fast"}, "Speed must be a number"),
    ],
)
def test_bad_inputs_say_what_to_change(overrides, message):
    with pytest.raises(InvalidInput, match=re.escape(message)):
        build(**overrides)


def test_the_limit_itself_is_accepted():
    assert build(text="a" * MAX_TEXT_CHARS).text == "a" * MAX_TEXT_CHARS


def test_long_option_lists_are_shortened_in_messages():
    many = {f"lang{i}": "" for i in range(40)}
    with pytest.raises(InvalidInput, match="and 28 more"):
        build_request(text="Hi.", voice="heart", language="xx", voices=VOICES, languages=many)


def test_english_sentences_keep_titles_initials_and_numbers_together():
    text = 'Dr. Smith met J. K. Rowling! Was it e.g. fun? "Yes." It cost 3.50 dollars... and more.'
    assert split_sentences(text) == [
        "Dr. Smith met J. K. Rowling!",
        "Was it e.g. fun?",
        '"Yes."',
        "It cost 3.50 dollars... and more.",
    ]


def test_chinese_sentences_split_without_spaces():
    text = "你好，世界。今天天气很好！你呢？他说：“走吧。”我很好……真的"
    expected = ["你好，世界。", "今天天气很好！", "你呢？", "他说：“走吧。”", "我很好……", "真的"]
    assert split_sentences(text) == expected


def test_mixed_text_lines_and_unspeakable_pieces():
    assert split_sentences("Mixed 中文。And English.\n\n!!! 😀\nLast line") == [
        "Mixed 中文。",
        "And English.",
        "Last line",
    ]


def test_overlong_sentences_are_cut_at_clauses_then_spaces_then_anywhere():
    clauses = split_sentences("one two, " * 40, max_chars=50)
    assert all(len(piece) <= 50 and piece.endswith(",") for piece in clauses[:-1])
    words = split_sentences("word " * 100, max_chars=50)
    assert all(len(piece) <= 50 for piece in words) and " ".join(words).split() == ["word"] * 100
    assert split_sentences("a" * 120, max_chars=50) == ["a" * 50, "a" * 50, "a" * 20]


def test_wav_carries_text_voice_and_model():
    audio = np.sin(np.linspace(0, 200, 4800)).astype(np.float32)
    data = wav_bytes(24_000, audio, SpeechTags(text="你好。\nSecond line.", voice="heart", model="hibari"))
    tags = read_tags(data)
    assert tags["title"] == "你好。"
    assert tags["comment"] == "你好。\nSecond line."
    assert tags["artist"] == "heart"
    assert tags["software"].startswith("GenAI Studio, hibari")
    samples, rate = sf.read(io.BytesIO(data), dtype="float32")
    assert rate == 24_000 and samples.shape == (4800,)
    assert np.abs(samples - audio).max() < 1e-3
