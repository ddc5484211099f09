"""The Speech tab through gradio_client against the launched studio."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import soundfile as sf
import srt
import webvtt
from gradio_client.exceptions import AppError

from genai_studio.audio_files import read_tags
from genai_studio.history import History
from genai_studio.owners import Owner

ENDPOINT = "/generate_speech"


def test_speech_streams_one_chunk_per_sentence_then_a_tagged_wav(studio):
    text = "Hello from the studio. This is the second sentence. And a third one!"
    job = studio.client.submit(text, "hibari", "heart", "en-us", 1.0, api_name=ENDPOINT)
    _, wav_path, status, srt_path, vtt_path = job.result(timeout=120)
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
    assert_subtitles_cover(
        wav_path, srt_path, vtt_path, ["Hello from the studio.", "This is the second sentence."]
    )
    assert entry.file("speech.srt").read_text() == Path(srt_path).read_text()
    assert entry.file("speech.vtt").read_text() == Path(vtt_path).read_text()


def assert_subtitles_cover(wav_path, srt_path, vtt_path, first_sentences):
    """One cue per sentence, in order, within the audio, parsed by real SRT and WebVTT parsers."""
    seconds = sf.info(wav_path).duration
    cues = list(srt.parse(Path(srt_path).read_text()))
    assert [c.content for c in cues[: len(first_sentences)]] == first_sentences
    starts = [c.start.total_seconds() for c in cues]
    ends = [c.end.total_seconds() for c in cues]
    assert starts == sorted(starts) and all(a < b for a, b in zip(starts, ends, strict=True))
    assert 0 < starts[0] < 0.5 and seconds - 1.0 < ends[-1] <= seconds  # only the voice's own silence
    vtt = list(webvtt.read_buffer(io.StringIO(Path(vtt_path).read_text())))
    assert [c.text for c in vtt] == [c.content for c in cues]


def test_mandarin_through_espeak(studio):
    _, wav_path, _, srt_path, vtt_path = studio.client.predict(
        "你好，世界。今天天气很好！", "espeak", "default", "cmn", 1.2, api_name=ENDPOINT
    )
    audio, rate = sf.read(wav_path, dtype="float32")
    assert rate == 22_050 and 1.0 < audio.size / rate < 10.0
    assert_subtitles_cover(wav_path, srt_path, vtt_path, ["你好，世界。", "今天天气很好！"])


def test_switching_model_offers_its_voices_and_languages(studio):
    voice, language = studio.client.predict("espeak", "heart", "cmn", api_name="/speech_options")
    assert voice["value"] == "default" and language["value"] == "cmn"  # cmn kept: espeak speaks it
    assert len(language["choices"]) > 100
    voice, language = studio.client.predict("hibari", "m3", "cmn", api_name="/speech_options")
    assert voice["value"] == "heart" and language["value"] == "auto"  # cmn is not hibari's: the default
    assert [choice[1] for choice in language["choices"]] == ["auto", "en-us"]


def test_mandarin_through_the_neural_voice_with_numbers_read_out(studio):
    text = "会议定于2026年12月2日下午3:15开始。门票12.5元！"
    _, wav_path, status, *_subtitles = studio.client.predict(
        text, "zh-fastspeech2", "baker", "zh", 1.0, api_name=ENDPOINT
    )
    audio, rate = sf.read(wav_path, dtype="float32")
    assert rate == 24_000 and 4.0 < audio.size / rate < 15.0 and abs(audio).max() > 0.05
    assert "2 sentences" in status
    assert "non-commercial" in read_tags(Path(wav_path).read_bytes())["software"]


def test_the_neural_mandarin_voice_streams_each_clause_as_soon_as_it_is_made(studio):
    text = "春天来了，河边的柳树发出了嫩绿的新芽。图书馆周末开放到晚上九点。"
    job = studio.client.submit(text, "zh-fastspeech2", "baker", "zh", 1.0, api_name=ENDPOINT)
    _, wav_path, _, srt_path, vtt_path = job.result(timeout=120)
    streamed = [out for out in job.outputs()[:-1] if out[0]]  # two clauses, then one (backend tests
    # check that the clauses add up to their sentence)
    assert [out[2] for out in streamed] == ["Sentence 1 of 2", "Sentence 1 of 2", "Sentence 2 of 2"]
    assert_subtitles_cover(wav_path, srt_path, vtt_path, ["春天来了，河边的柳树发出了嫩绿的新芽。"])


@pytest.mark.parametrize(
    ("text", "picked", "spoken_by", "language"),
    [
        ("今天天气很好，我们去公园散步吧。", "hibari", "zh-fastspeech2", "zh"),
        ("The weather is lovely today.", "zh-fastspeech2", "hibari", "en-us"),
        ("今天天气很好。", "espeak", "espeak", "cmn"),  # the picked model speaks it: kept
    ],
)
def test_auto_language_routes_by_the_text(studio, text, picked, spoken_by, language):
    voice = {"hibari": "heart", "zh-fastspeech2": "baker", "espeak": "default"}[picked]
    _, wav_path, *_rest = studio.client.predict(text, picked, voice, "auto", 1.0, api_name=ENDPOINT)
    history = History(studio.settings.history_dir)
    entry = next(e for e in history.entries(Owner.local()) if e.params["text"] == text)
    assert entry.params["model"] == spoken_by and entry.params["language"] == language
    assert Path(wav_path).stat().st_size > 10_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", "hibari", "heart", "en-us", 1.0), "Text is empty"),
        (("?! 😀 …", "hibari", "heart", "en-us", 1.0), "only punctuation or emoji"),
        (("a" * 100_000, "hibari", "heart", "en-us", 1.0), "too long"),
        (("Hi.", "hibari", "heart", "klingon", 1.0), "no language 'klingon'"),
        (("Hi.", "hibari", "nobody", "en-us", 1.0), "no voice 'nobody'"),
        (("，。！？", "zh-fastspeech2", "baker", "auto", 1.0), "only punctuation"),
        (("好" * 200_000, "zh-fastspeech2", "baker", "auto", 1.0), "too long"),
        (("你好。", "zh-fastspeech2", "nobody", "zh", 1.0), "no voice 'nobody'"),
        (("Hi.", "hibari", "heart", "en-us", 9.0), "greater than maximum value 2.0"),  # Gradio checks first
        (("Hi.", "vits:/etc", "default", "model", 1.0), "not in the list of choices"),  # no server paths
    ],
)
def test_bad_inputs_give_clear_messages_and_the_server_keeps_serving(studio, args, message):
    with pytest.raises(AppError, match=message):
        studio.client.predict(*args, api_name=ENDPOINT)
    wav_path = studio.client.predict("Still here.", "espeak", "default", "en-us", 1.0, api_name=ENDPOINT)[1]
    assert Path(wav_path).stat().st_size > 1000
