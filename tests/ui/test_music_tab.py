"""The Music tab through gradio_client against the launched studio."""

from __future__ import annotations

import pretty_midi
import pytest
import soundfile as sf
from gradio_client.exceptions import AppError

from genai_studio.history import History
from genai_studio.owners import Owner

ENDPOINT = "/generate_music"


def test_music_streams_then_gives_wav_and_midi_and_saves_history(studio):
    prompt = "calm jazz in F major, 100 bpm, 8 seconds, saxophone"
    job = studio.client.submit(prompt, "composer", "auto", "auto", 0, "auto", 0, 7, api_name=ENDPOINT)
    _, _, wav_path, midi_path, status = job.result(timeout=120)
    understood = job.outputs()[0][1]  # shown first, before any audio
    streamed = [out for out in job.outputs() if out[0]]
    assert len(streamed) >= 4  # about one chunk per second reached the client before the end
    assert "F major" in understood and "100 bpm" in understood
    assert "seed 7" in status and "Chords:" in status

    audio, rate = sf.read(wav_path, dtype="float32")
    assert rate == 44_100 and abs(len(audio) / rate - 8) < 0.4
    midi = pretty_midi.PrettyMIDI(midi_path)
    assert {i.name for i in midi.instruments} >= {"melody", "chords", "bass"}

    entry = next(e for e in History(studio.settings.history_dir).entries(Owner.local()) if e.task == "music")
    assert entry.params["prompt"] == prompt and entry.params["seed"] == 7 and entry.params["key"] == "F major"
    assert set(entry.files) == {"music.wav", "music.mid"}


def test_understanding_is_shown_before_generating(studio):
    summary = studio.client.predict("sad piano waltz in D minor, 40 s", "auto", "auto", 0, "auto", 0,
                                    api_name="/understand_music")  # fmt: skip
    assert "waltz" in summary and "D minor" in summary and "40 s" in summary and "sad" in summary
    summary = studio.client.predict("blorp", "auto", "auto", 0, "auto", 0, api_name="/understand_music")
    assert "did not recognise" in summary
    summary = studio.client.predict("rock", "waltz", "happy", 90, "E major", 12, api_name="/understand_music")
    assert "waltz" in summary and "90 bpm" in summary and "E major" in summary and "your setting" in summary


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("pop", "composer", "auto", "auto", 0, "auto", 3, -1), "Length"),
        (("pop", "composer", "auto", "auto", 10, "auto", 0, -1), "Tempo"),
        (
            ("pop", "composer", "auto", "auto", 999, "auto", 0, -1),
            "greater than maximum",
        ),  # Gradio checks first
        (("pop", "composer", "auto", "auto", 0, "H major", 0, -1), "not in the list of choices"),
        (("pop", "musicgen:/etc", "auto", "auto", 0, "auto", 0, -1), "not in the list of choices"),
        (("x" * 5000, "composer", "auto", "auto", 0, "auto", 0, -1), "too long"),
    ],
)
def test_bad_inputs_give_clear_messages_and_the_server_keeps_serving(studio, args, message):
    with pytest.raises(AppError, match=message):
        studio.client.predict(*args, api_name=ENDPOINT)
    _, _, wav_path, _, _ = studio.client.predict(
        "", "composer", "auto", "auto", 0, "auto", 5, 1, api_name=ENDPOINT
    )
    assert sf.info(wav_path).duration == pytest.approx(5, abs=0.1)
