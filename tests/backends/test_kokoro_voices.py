"""Kokoro's voice catalogue and voice mixes ("af_bella(2)+am_adam(1)"): parsing and bad input."""

from __future__ import annotations

import pytest

from genai_studio.backends.speech.kokoro_voices import (
    VOICE_IDS,
    catalogue,
    language_of_voice,
    languages,
    mix_of_rows,
    parse_mix,
)
from genai_studio.errors import InvalidInput


def test_every_english_and_mandarin_voice_is_offered_and_named_by_language_accent_and_gender():
    voices = catalogue()
    by_language = {}
    for voice in voices:
        by_language.setdefault(language_of_voice(voice).code, []).append(voice)
    assert {code: len(found) for code, found in by_language.items()} == {
        "en-us": 20, "en-gb": 8, "zh": 8, "es": 3, "fr-fr": 1, "it": 2, "pt-br": 3, "hi": 4,
    }  # fmt: skip
    assert next(iter(voices)) == "af_heart"
    assert voices["bm_george"] == "George · English (UK) · man"
    assert voices["zf_xiaobei"] == "Xiaobei · Chinese (Mandarin) · woman"
    assert "beta" in voices["ef_dora"] and "beta" not in voices["af_bella"]
    assert list(languages())[:3] == ["en-us", "en-gb", "zh"]


def test_a_mix_is_normalised_and_written_back_canonically():
    mix = parse_mix("af_bella(2)+am_adam(1)")
    assert mix.parts == (("af_bella", pytest.approx(2 / 3)), ("am_adam", pytest.approx(1 / 3)))
    assert mix.spec == "af_bella(0.6667)+am_adam(0.3333)"
    again = parse_mix(mix.spec).parts
    assert [v for v, _ in again] == ["af_bella", "am_adam"] and [w for _, w in again] == pytest.approx(
        [2 / 3, 1 / 3], rel=1e-3
    )
    assert parse_mix(" af_heart + bf_emma ").spec == "af_heart(0.5)+bf_emma(0.5)"  # a missing weight is 1
    assert parse_mix("af_heart").spec == "af_heart" and parse_mix("af_heart(3)").spec == "af_heart"
    assert parse_mix("af_heart(1)+af_heart(1)").spec == "af_heart"  # the same voice twice adds up
    assert parse_mix("af_heart+bm_george").language.code == "en-us"  # both accents: the first's


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        (42, "empty"),
        ("af_bella+", "empty part"),
        ("af_bella(0)+am_adam(1)", "positive"),
        ("af_bella(-1)+am_adam(1)", "positive"),
        ("af_bella(nan)", "positive"),
        ("af_bella(inf)", "positive"),
        ("af_bella(two)", "must be a number"),
        ("af_bella(1e9)", "at most 100"),
        ("not a choice", "no Kokoro voice 'not a choice'"),
        ("af_bella(2)+not a choice", "not a voice with an optional weight"),
        ("af_nobody", "no Kokoro voice 'af_nobody'"),
        ("jf_alpha", "no Kokoro voice"),
        ("af_bella+zf_xiaobei", "one language"),
        ("af_bella+ef_dora", "one language"),
        ("af_bella+af_heart+af_sky+af_nova", "at most 3"),
        ("af_bella(" + "1" * 300 + ")", "too long"),
    ],
)
def test_bad_mixes_are_refused_with_a_message_saying_what_to_change(spec, message):
    with pytest.raises(InvalidInput, match=message):
        parse_mix(spec)


def test_the_mixers_rows_skip_empty_voices_and_refuse_zero_weights():
    assert mix_of_rows([("af_heart", 1), ("bf_emma", 3), (None, 1)]).spec == "af_heart(0.25)+bf_emma(0.75)"
    assert mix_of_rows([("af_heart", 2.0), ("", 0), (None, 0)]).spec == "af_heart"
    with pytest.raises(InvalidInput, match="empty"):
        mix_of_rows([(None, 1), ("", 1)])
    with pytest.raises(InvalidInput, match="positive"):
        mix_of_rows([("af_heart", 1), ("bf_emma", 0)])
    with pytest.raises(InvalidInput, match="must be a number"):
        mix_of_rows([("af_heart", "lots")])


def test_the_catalogue_holds_no_japanese_voice():
    assert not [voice for voice in VOICE_IDS if voice[0] == "j"]


def test_auto_language_keeps_a_kokoro_voice_of_the_texts_language_else_picks_one():
    from genai_studio.backends.speech import auto_language
    from genai_studio.backends.speech.embedded_kokoro import Kokoro
    from genai_studio.config import Settings

    kokoro = Kokoro("", Settings())  # not loaded: routing only asks for voices and languages
    options = auto_language.options_of(lambda spec: kokoro)
    specs = ("kokoro",)
    route = auto_language.resolve
    assert route("Good morning.", "kokoro", "bf_emma", specs, options) == ("kokoro", "bf_emma", "en-gb")
    assert route("今天天气很好。", "kokoro", "bf_emma", specs, options) == ("kokoro", "zf_xiaobei", "zh")
    mix = "af_heart(0.5)+bm_george(0.5)"
    assert route("Hello.", "kokoro", mix, ("kokoro",), options) == ("kokoro", mix, "en-us")
    with pytest.raises(InvalidInput, match="no Kokoro voice 'not a choice'"):
        route("Hello.", "kokoro", "not a choice", ("kokoro",), options)
    with pytest.raises(InvalidInput, match="one language"):
        route("Hello.", "kokoro", "af_heart+zf_xiaobei", ("kokoro",), options)
