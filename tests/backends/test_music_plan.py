"""Prompt understanding and request validation: hostile and odd prompts get defaults or clear messages."""

from __future__ import annotations

import pytest

from genai_studio.backends.music.plan import MAX_SECONDS, MIN_SECONDS, understand
from genai_studio.backends.music.request import build_request, make_plan
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput

SETTINGS = Settings()


def test_reads_every_field_of_a_rich_prompt():
    plan = understand("calm jazz in Eb major, 90 bpm, 20 seconds, saxophone and piano with upright bass")
    assert (plan.genre, plan.mood, plan.tempo, plan.key, plan.seconds) == ("jazz", "calm", 90, "Eb major", 20)
    assert (plan.melody_program, plan.chords_program, plan.bass_program) == (65, 0, 32)
    assert plan.sources["tempo"] == 'from "90 bpm"'
    assert "Eb major" in plan.summary() and not plan.notes


@pytest.mark.parametrize(
    ("prompt", "key"),
    [
        ("sad song in A minor", "A minor"),
        ("Am ballad", "A minor"),
        ("waltz in F# major", "F# major"),
        ("something in B flat", "Bb major"),
        ("悲伤的钢琴曲，C小调", "C minor"),
        ("a happy tune", "C major"),  # "a" is an article, not the key of A
    ],
)
def test_keys(prompt, key):
    assert understand(prompt).key == key


@pytest.mark.parametrize(
    ("prompt", "seconds"), [("20 s of rock", 20), ("2 minutes", 120), ("1:30 of folk", 90), ("30秒", 30)]
)
def test_lengths(prompt, seconds):
    assert understand(prompt).seconds == seconds


def test_tempo_words_and_mood_defaults():
    assert understand("slow folk").tempo == 72
    assert understand("very slow ambient").tempo == 55
    assert understand("sad pop").mode == "minor"
    assert understand("sad pop").tempo < understand("pop").tempo


def test_empty_and_nonsense_prompts_use_defaults_and_say_so():
    for prompt in ("", "   ", "qwzx blorp 12345", "🎵🎵🎵"):
        plan = understand(prompt)
        assert plan.genre == "pop" and plan.seconds == 30 and plan.tempo > 0
        assert plan.notes, prompt


@pytest.mark.parametrize(
    ("prompt", "field", "value"),
    [
        ("rock for 10 hours", "seconds", MAX_SECONDS),
        ("rock for 0 s", "seconds", MIN_SECONDS),
        ("jazz at 900 bpm", "tempo", 240),
        ("jazz at 3 bpm", "tempo", 40),
        ("99999999999999999999 bpm", "tempo", 240),
    ],
)
def test_out_of_range_prompt_values_are_clamped_with_a_note(prompt, field, value):
    plan = understand(prompt)
    assert getattr(plan, field) == value
    assert plan.notes


def test_controls_override_the_prompt():
    _, plan = make_plan(
        SETTINGS,
        prompt="sad jazz in D minor 90 bpm 20 s",
        genre="rock",
        mood="happy",
        tempo=150,
        key="E major",
        seconds=12,
    )
    assert (plan.genre, plan.mood, plan.tempo, plan.key, plan.seconds) == (
        "rock",
        "happy",
        150,
        "E major",
        12,
    )
    assert plan.melody_program == 29  # rock's lead, since the prompt named no instrument
    assert plan.sources["genre"] == plan.sources["tempo"] == "your setting"


def test_genre_control_brings_its_defaults():
    _, plan = make_plan(SETTINGS, prompt="", genre="waltz")
    assert plan.tempo == 150 and plan.style.beats_per_bar == 3


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ({"tempo": 500}, "Tempo"),
        ({"tempo": 10}, "Tempo"),
        ({"tempo": "fast"}, "Tempo"),
        ({"seconds": 3}, "Length"),
        ({"seconds": 36000}, "Length"),
        ({"seconds": float("nan")}, "Length"),
        ({"key": "H major"}, "Key"),
        ({"genre": "polka"}, "Genre"),
        ({"mood": "angry'; DROP TABLE"}, "Mood"),
        ({"seed": -5}, "Seed"),
        ({"seed": 2.5}, "Seed"),
        ({"prompt": 123}, "Prompt"),
        ({"prompt": "x" * 5000}, "Prompt"),
    ],
)
def test_bad_controls_say_what_to_change(choices, message):
    kwargs = {"prompt": "pop", **choices}
    with pytest.raises(InvalidInput, match=message):
        build_request(SETTINGS, **kwargs)


def test_random_seed_is_recorded():
    request = build_request(SETTINGS, prompt="pop", seed=-1)
    assert 0 <= request.seed < 2**31
    assert request.params()["seed"] == request.seed
    assert build_request(SETTINGS, prompt="pop", seed=7).seed == 7


def test_text_for_text_to_music_models():
    request = build_request(SETTINGS, prompt="lofi beats", seed=1)
    assert request.text().startswith("lofi beats. ") and "bpm" in request.text()
    assert "bpm" in build_request(SETTINGS, prompt="", seed=1).text()
