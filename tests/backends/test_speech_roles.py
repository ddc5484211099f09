"""Voices per role: which voice says each piece of a script (NAME: lines, quotes, narration)."""

from __future__ import annotations

import pytest

from genai_studio.backends.speech.request import build_request
from genai_studio.backends.speech.roles import Cast, Role, build_cast, voiced_sentences
from genai_studio.errors import InvalidInput
from genai_studio.narration import script

CAST = Cast("narrator", (Role("Mira", "mira-voice"), Role("Tom", "tom-voice")))


def test_a_name_and_colon_gives_the_whole_line_to_the_character():
    assert CAST.parts("MIRA: Run, now!") == [("Run, now!", "mira-voice")]
    assert CAST.parts("tom : Wait.") == [("Wait.", "tom-voice")]
    assert CAST.parts("Note: this is narration.") == [("Note: this is narration.", "narrator")]


def test_quotes_go_to_the_character_named_nearest_them_the_rest_to_the_narrator():
    parts = CAST.parts('"Run!" said Mira. Tom looked up. "Why?" he asked.')
    assert parts == [
        ('"Run!"', "mira-voice"),
        ("said Mira. Tom looked up.", "narrator"),
        ('"Why?"', "tom-voice"),
        ("he asked.", "narrator"),
    ]
    assert CAST.parts("Tom smiled. “Fine,” he said.") == [
        ("Tom smiled.", "narrator"),
        ("“Fine,”", "tom-voice"),
        ("he said.", "narrator"),
    ]


def test_unattributed_quotes_go_to_the_last_speaker_else_the_first_character():
    assert CAST.parts('"Hello," came a voice.')[0] == ('"Hello,"', "mira-voice")
    assert CAST.parts('Tom said, "Hi." Then: "Bye."') == [
        ("Tom said,", "narrator"),
        ('"Hi."', "tom-voice"),
        ("Then:", "narrator"),
        ('"Bye."', "tom-voice"),
    ]


def test_chinese_names_and_quotes():
    cast = Cast("n", (Role("米拉", "m"),))
    assert cast.parts("米拉：快跑！") == [("快跑！", "m")]
    assert cast.parts("米拉说：“快跑！”然后走了。") == [
        ("米拉说：", "n"),
        ("“快跑！”", "m"),
        ("然后走了。", "n"),
    ]


def test_without_characters_everything_is_the_narrators():
    assert Cast("n").parts('"Run!" said Mira.') == [('"Run!" said Mira.', "n")]


def test_sentences_carry_their_voices_in_a_request_and_in_a_narration_script():
    text = 'The storm came.\nMira: Close the door!\n"Now?" asked Tom. The wind rose.'
    sentences, voices = voiced_sentences(text, CAST)
    assert list(zip(sentences, voices, strict=True)) == [
        ("The storm came.", "narrator"),
        ("Close the door!", "mira-voice"),
        ('"Now?"', "tom-voice"),
        ("asked Tom.", "narrator"),
        ("The wind rose.", "narrator"),
    ]
    voices_known = {"narrator": "N", "mira-voice": "M", "tom-voice": "T"}
    request = build_request(
        text=text,
        voice="narrator",
        language="en",
        voices=voices_known,
        languages={"en": "English"},
        cast=CAST,
    )
    assert request.sentences == sentences and request.voices == voices
    assert [request.for_sentence(i).voice for i in range(len(sentences))] == list(voices)
    assert request.params()["roles"] == {
        "narrator": "narrator",
        "characters": {"Mira": "mira-voice", "Tom": "tom-voice"},
    }
    hard_wrapped = "The storm came.\n\nIt was late and\nMira: Close the door!\nsaid nobody."
    plan = script(hard_wrapped, CAST)
    assert plan.sentences[1:] == ("It was late and", "Close the door!", "said nobody.")
    assert plan.voices == ("narrator", "narrator", "mira-voice", "mira-voice")  # the line is Mira's
    assert plan.paragraph_starts == {1, 2}


def test_a_role_voice_the_model_does_not_have_is_refused():
    with pytest.raises(InvalidInput, match="no voice 'tom-voice'"):
        build_request(
            text="Tom: Hi.", voice="narrator", language="en", voices={"narrator": "N", "mira-voice": "M"},
            languages={"en": "English"}, cast=CAST,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("", "af_bella")], "has no name"),
        ([("Mira", "")], "Pick a voice for Mira"),
        ([("Mira", "a"), ("mira", "b")], "named twice"),
        ([("<script>", "a")], "must be a name"),
        ([("x" * 41, "a")], "must be a name"),
        ([("A", "a"), ("B", "b"), ("C", "c"), ("D", "d")], "At most 3"),
    ],
)
def test_bad_casts_are_refused(pairs, message):
    with pytest.raises(InvalidInput, match=message):
        build_cast("narrator", pairs)


def test_empty_rows_are_left_out():
    assert build_cast("n", [("", ""), (None, None), ("Mira", "m")]).characters == (Role("Mira", "m"),)
