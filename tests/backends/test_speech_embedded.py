"""The embedded voices as shipped: hibari (neural English) and espeak-ng (Mandarin and more)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from genai_studio.backends.base import Progress, Result
from genai_studio.backends.manager import ModelManager
from genai_studio.backends.speech.embedded_espeak import ESpeak
from genai_studio.backends.speech.embedded_hibari import Hibari
from genai_studio.backends.speech.request import build_request
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput

ENGLISH = "The quick brown fox jumps over the lazy dog. She sells sea shells by the shore. Is it raining?"
MANDARIN = "你好，世界。今天天气很好！我们去公园散步吧。"


@pytest.fixture(scope="module")
def hibari() -> Hibari:
    backend = Hibari("", Settings())
    backend.load("cpu")
    yield backend
    backend.unload()


@pytest.fixture(scope="module")
def espeak() -> ESpeak:
    backend = ESpeak("", Settings())
    assert backend.available().ready
    backend.load("cpu")
    return backend


def speak(backend, text, language="en-us", voice=None, speed=1.0, cancel=None):
    request = build_request(
        text=text,
        voice=voice or next(iter(backend.voices())),
        language=language,
        speed=speed,
        voices=backend.voices(),
        languages=backend.languages(),
    )
    items = list(backend.run(request, cancel or threading.Event()))
    return request, [i.partial for i in items if isinstance(i, Progress)], items[-1]


def assert_speech(result: Result, sample_rate: int, low_s: float, high_s: float) -> np.ndarray:
    rate, audio = result.output
    assert rate == sample_rate
    assert audio.dtype == np.float32 and audio.ndim == 1
    seconds = audio.size / rate
    assert low_s <= seconds <= high_s, seconds
    assert np.sqrt(np.mean(audio**2)) > 0.01, "silent"
    assert np.abs(audio).max() <= 1.0
    return audio


def test_hibari_speaks_english_one_chunk_per_sentence(hibari):
    request, chunks, result = speak(hibari, ENGLISH)
    assert len(chunks) == len(request.sentences) == 3
    audio = assert_speech(result, 24_000, 18 / 4.5, 18 / 1.2)  # 18 words at 1.2-4.5 words per second
    assert all(rate == 24_000 for rate, _ in chunks)
    assert np.array_equal(np.concatenate([chunk for _, chunk in chunks]), audio)
    assert result.params["voice"] == "heart" and result.params["seconds"] == round(audio.size / 24_000, 3)


def test_hibari_speed_changes_duration(hibari):
    slow = speak(hibari, "Speaking slowly takes longer than speaking fast.", speed=0.6)[2].output[1]
    fast = speak(hibari, "Speaking slowly takes longer than speaking fast.", speed=1.8)[2].output[1]
    assert slow.size > 2 * fast.size


def test_hibari_offers_only_voices_it_has_offline(hibari):
    assert "heart" in hibari.voices()
    assert list(hibari.languages()) == ["en-us"]


def test_hibari_says_clearly_when_it_cannot_pronounce_text(hibari):
    with pytest.raises(InvalidInput, match="could not pronounce"):
        speak(hibari, "你好世界")


def test_stop_ends_synthesis_between_sentences(hibari):
    cancel = threading.Event()
    request = build_request(
        text=ENGLISH, voice="heart", language="en-us", voices=hibari.voices(), languages=hibari.languages()
    )
    items = []
    for item in hibari.run(request, cancel):
        items.append(item)
        cancel.set()
    assert [type(i) for i in items] == [Progress, Result]
    assert items[-1].params["stopped"] is True
    assert items[-1].output[1].size == items[0].partial[1].size


def test_espeak_speaks_mandarin(espeak):
    for language in ("cmn", "zh"):
        request, chunks, result = speak(espeak, MANDARIN, language=language)
        assert len(chunks) == len(request.sentences) == 3
        assert_speech(result, 22_050, 20 / 8, 20 / 1.5)  # 20 syllables at 1.5-8 per second


def test_espeak_languages_voices_and_speed(espeak):
    languages = espeak.languages()
    assert next(iter(languages)) == "en-us" and len(languages) > 100
    assert {"cmn", "zh", "fr", "de", "ja"} <= set(languages)
    assert "default" in espeak.voices() and len(espeak.voices()) > 10
    variant = next(v for v in espeak.voices() if v != "default")
    french = "Bonjour tout le monde. Comment allez-vous?"
    normal = speak(espeak, french, language="fr")[2]
    assert_speech(normal, 22_050, 1.0, 6.0)
    fast = speak(espeak, french, language="fr", voice=variant, speed=2.0)
    assert fast[2].output[1].size < 0.75 * normal.output[1].size


def test_the_studio_path_streams_through_the_manager(tmp_path):
    manager = ModelManager(Settings(output_dir=tmp_path))
    backend = manager.backend_for("espeak")
    request = build_request(
        text="One. Two. Three.",
        voice="default",
        language="en-us",
        voices=backend.voices(),
        languages=backend.languages(),
    )
    items = list(manager.run("espeak", request))
    assert [type(i) for i in items] == [Progress, Progress, Progress, Result]
    assert manager.resident() == ["espeak"]


class CountingESpeak(ESpeak):
    """espeak-ng that counts the sentences it was asked to speak."""

    spoken = 0

    def synthesize(self, sentence, request):
        CountingESpeak.spoken += 1
        return super().synthesize(sentence, request)


def test_closing_the_stream_stops_between_sentences(tmp_path):
    """What Gradio's Stop does: close the generator; the worker stops before the next sentence."""
    manager = ModelManager(Settings(output_dir=tmp_path), factory=lambda _, s: CountingESpeak("", s))
    backend = manager.backend_for("espeak")
    text = " ".join(f"Sentence number {n}." for n in range(200))  # about 2 s of work
    request = build_request(
        text=text, voice="default", language="en-us", voices=backend.voices(), languages=backend.languages()
    )
    stream = manager.run("espeak", request)
    assert isinstance(next(stream), Progress)
    stream.close()
    manager.load("espeak")  # waits for the job's lock: the worker has finished
    assert CountingESpeak.spoken < 100
