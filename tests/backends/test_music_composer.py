"""The embedded composer end to end, through its real loading path (shipped melody model,
Debian's SoundFont): length, key and tempo as asked, seeds, streaming, Stop, MIDI."""

from __future__ import annotations

import io
import threading

import numpy as np
import pretty_midi
import pytest

from genai_studio.backends.base import Progress, Result
from genai_studio.backends.music.analysis import estimate_key, estimate_tempo
from genai_studio.backends.music.embedded_composer import Composer
from genai_studio.backends.music.plan import NOTE_NAMES
from genai_studio.backends.music.request import MusicOutput, build_request
from genai_studio.config import Settings

SETTINGS = Settings()


@pytest.fixture(scope="module")
def composer():
    backend = Composer("", SETTINGS)
    assert backend.available().ready, backend.available().reason
    backend.load("cpu")
    yield backend
    backend.unload()


def make(composer, prompt: str, seed: int = 1, cancel_after: int | None = None, **choices):
    request = build_request(SETTINGS, prompt=prompt, seed=seed, **choices)
    cancel = threading.Event()
    chunks, result = [], None
    for item in composer.run(request, cancel):
        if isinstance(item, Result):
            result = item
        elif isinstance(item, Progress) and item.partial is not None:
            chunks.append(item.partial)
            if cancel_after is not None and len(chunks) >= cancel_after:
                cancel.set()
    return request, chunks, result


@pytest.mark.parametrize("seconds", [5, 12.5, 47])
def test_length_as_asked_and_streamed_in_chunks(composer, seconds):
    request, chunks, result = make(composer, f"folk tune, {seconds} seconds")
    output: MusicOutput = result.output
    assert abs(output.seconds - seconds) <= 0.05 * seconds
    assert len(chunks) == int(np.ceil(seconds))  # one-second chunks
    sample_rate, first = chunks[0]
    assert sample_rate == output.sample_rate and first.dtype == np.float32 and first.shape[1] == 2
    assert np.array_equal(np.concatenate([c for _, c in chunks]), output.audio)
    assert 0.05 < np.abs(output.audio).max() < 1.0  # audible, not clipped
    assert result.params["seed"] == request.seed and result.params["seconds"] == seconds


@pytest.mark.parametrize(
    "prompt",
    ["happy pop in C major, 20 s", "sad piano ballad in A minor, 20 s", "jazz in Eb major, 20 s",
     "dark electronic in F# minor, 20 s", "folk in G major, 20 s"],
)  # fmt: skip
def test_key_heard_in_the_audio_matches_the_prompt(composer, prompt):
    request, _, result = make(composer, prompt)
    tonic, mode = estimate_key(result.output.audio, result.output.sample_rate)
    assert f"{NOTE_NAMES[mode][tonic]} {mode}" == request.plan.key


@pytest.mark.parametrize(
    ("prompt", "bpm"),
    [("pop, 120 bpm, 20 s", 120), ("rock, 140 bpm, 20 s", 140), ("electronic, 128 bpm, 20 s", 128),
     ("hip hop, 96 bpm, 20 s", 96)],
)  # fmt: skip
def test_tempo_heard_in_the_audio_matches_the_prompt(composer, prompt, bpm):
    _, _, result = make(composer, prompt)
    heard = estimate_tempo(result.output.audio, result.output.sample_rate)
    assert abs(heard - bpm) <= 0.10 * bpm, heard


def test_same_seed_same_music_other_seed_other_music(composer):
    _, _, a = make(composer, "jazz, 10 s", seed=42)
    _, _, b = make(composer, "jazz, 10 s", seed=42)
    _, _, c = make(composer, "jazz, 10 s", seed=43)
    assert np.array_equal(a.output.audio, b.output.audio) and a.output.midi == b.output.midi
    assert a.output.midi != c.output.midi
    assert not np.allclose(a.output.audio, c.output.audio)


def test_midi_has_the_arrangement_and_the_melody_stays_in_key(composer):
    request, _, result = make(composer, "bossa nova in D major with flute, 20 s")
    midi = pretty_midi.PrettyMIDI(io.BytesIO(result.output.midi))
    names = {i.name: i for i in midi.instruments}
    assert set(names) == {"melody", "chords", "bass", "drums"}
    assert names["melody"].program == 73 and names["drums"].is_drum
    scale = {(2 + step) % 12 for step in (0, 2, 4, 5, 7, 9, 11)}
    assert {n.pitch % 12 for n in names["melody"].notes} <= scale
    assert midi.get_end_time() <= request.plan.seconds + 1
    assert "D" in result.info


def test_every_genre_renders(composer):
    from genai_studio.backends.music.styles import STYLES

    for genre in STYLES:
        _, _, result = make(composer, "", genre=genre, seconds=6)
        assert abs(result.output.seconds - 6) < 0.3, genre


def test_stop_returns_what_was_made(composer):
    _, chunks, result = make(composer, "pop, 30 s", cancel_after=2)
    assert result.params["stopped"] is True
    assert len(chunks) == 2 and result.output.seconds == pytest.approx(2.0)


def test_wav_download_bytes(composer):
    import soundfile

    _, _, result = make(composer, "ambient, 5 s")
    audio, rate = soundfile.read(io.BytesIO(result.output.wav_bytes()))
    assert rate == result.output.sample_rate and len(audio) == len(result.output.audio)


def test_history_choices_make_the_same_piece_again(composer):
    request, _, first = make(composer, "sad bossa nova in E minor with flute, 9 s", seed=11)
    again = build_request(SETTINGS, **request.choices())
    assert again.plan.params() == request.plan.params()
    choices = request.choices()
    _, _, second = make(composer, choices.pop("prompt"), **choices)
    assert second.output.midi == first.output.midi
