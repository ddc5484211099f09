"""The Speech tab through gradio_client against the launched studio."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from gradio_client.exceptions import AppError

from genai_studio.backends.speech.wav import read_tags
from genai_studio.history import History
from genai_studio.owners import Owner

ENDPOINT = "/generate_speech"


def test_speech_streams_one_chunk_per_sentence_then_a_tagged_wav(studio):
    text = "Hello from the studio. This is the second sentence. And a third one!"
    job = studio.client.submit(text, "hibari", "heart", "en-us", 1.0, api_name=ENDPOINT)
    _, wav_path, status = job.result(timeout=120)
    outputs = job.outputs()
    assert [out[2] for out in outputs[:-1]] == ["Sentence 1 of 3", "Sentence 2 of 3", "Sentence 3 of 3"]
    assert all(out[0] for out in outputs[:-1])  # each sentence streamed audio
    assert "3 sentences" in status

    audio, rate = sf.read(wav_path, dtype="float32")
    assert rate == 24_000 and 2.0 < audio.size / rate < 12.0 and abs(audio).max() > 0.05
    tags = read_tags(Path(wav_path).read_bytes())
    assert tags["comment"] == text and tags["artist"] == "heart" and "hibari" in tags["software"]

    entry = next(e for e in History(studio.settings.history_dir).entries(Owner.local()) if e.task == "speech")
    assert entry.params["text"] == text and entry.params["model"] == "hibari"
    assert read_tags(entry.file("speech.wav").read_bytes())["comment"] == text


def test_mandarin_through_espeak(studio):
    _, wav_path, _ = studio.client.predict(
        "你好，世界。今天天气很好！", "espeak", "default", "cmn", 1.2, api_name=ENDPOINT
    )
    audio, rate = sf.read(wav_path, dtype="float32")
    assert rate == 22_050 and 1.0 < audio.size / rate < 10.0


def test_switching_model_offers_its_voices_and_languages(studio):
    voice, language = studio.client.predict("espeak", "heart", "cmn", api_name="/speech_options")
    assert voice["value"] == "default" and language["value"] == "cmn"  # cmn kept: espeak speaks it
    assert len(language["choices"]) > 100
    voice, language = studio.client.predict("hibari", "m3", "cmn", api_name="/speech_options")
    assert voice["value"] == "heart" and language["value"] == "en-us"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", "hibari", "heart", "en-us", 1.0), "Text is empty"),
        (("?! 😀 …", "hibari", "heart", "en-us", 1.0), "only punctuation or emoji"),
        (("a" * 100_000, "hibari", "heart", "en-us", 1.0), "too long"),
        (("Hi.", "hibari", "heart", "klingon", 1.0), "no language 'klingon'"),
        (("Hi.", "hibari", "nobody", "en-us", 1.0), "no voice 'nobody'"),
        (("Hi.", "hibari", "heart", "en-us", 9.0), "greater than maximum value 2.0"),  # Gradio checks first
        (("Hi.", "vits:/etc", "default", "model", 1.0), "not in the list of choices"),  # no server paths
    ],
)
def test_bad_inputs_give_clear_messages_and_the_server_keeps_serving(studio, args, message):
    with pytest.raises(AppError, match=message):
        studio.client.predict(*args, api_name=ENDPOINT)
    _, wav_path, _ = studio.client.predict(
        "Still here.", "espeak", "default", "en-us", 1.0, api_name=ENDPOINT
    )
    assert Path(wav_path).stat().st_size > 1000
