"""/v1/audio/transcriptions and /translations driven by the official `openai` client against a
launched studio, on speech made here by the studio's own voices; and the `openai-transcribe`
remote backend reading that same studio."""

from __future__ import annotations

import io
import itertools
import threading

import numpy as np
import openai
import pytest
import srt
import webvtt

from bench.recognise import cer, wer
from genai_studio.audio_files import wav_bytes
from genai_studio.backends.base import Result
from genai_studio.backends.listen.request import build_request
from genai_studio.backends.registry import create
from genai_studio.config import Settings
from genai_studio.owners import Owner
from tests.backends.listen_helpers import ENGLISH, MANDARIN, spoken_wav
from tests.conftest import free_port, running_studio

ALICE_KEY = "sk-alice-0123456789"
BOB_KEY = "sk-bob-0123456789"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    settings = Settings(
        port=free_port(),
        output_dir=tmp_path_factory.mktemp("listen-api"),
        max_upload_mb=2,
        api_keys=f"alice:{ALICE_KEY},bob:{BOB_KEY}",
    )
    with running_studio(settings) as launched:
        yield launched


@pytest.fixture(scope="module")
def client(studio):
    return openai.OpenAI(base_url=f"{studio.url}v1", api_key=ALICE_KEY, max_retries=0, timeout=120)


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    folder = tmp_path_factory.mktemp("listen-api-speech")
    return {
        "english": spoken_wav(folder / "keeper.wav", "hibari", ENGLISH),
        "mandarin": spoken_wav(folder / "weather.wav", "zh-fastspeech2", MANDARIN),
    }


def test_transcription_as_json_for_a_client_asking_for_whisper_1(client, speech, studio):
    with speech["english"].open("rb") as file:
        answer = client.audio.transcriptions.create(model="whisper-1", file=file)
    assert wer(ENGLISH, answer.text) <= 0.1, answer.text
    mine = studio.demo.studio.history.entries(Owner.for_user("alice"))
    assert mine[0].task == "transcribe" and mine[0].params["source"] == "keeper.wav"
    assert mine[0].params["door"] == "openai" and mine[0].model == "whisper"
    assert not studio.demo.studio.history.entries(Owner.for_user("bob"))  # another key's owner sees none


def test_verbose_json_with_segment_and_word_times(client, speech):
    with speech["english"].open("rb") as file:
        answer = client.audio.transcriptions.create(
            model="whisper",
            file=file,
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
            language="en",
        )
    assert answer.language == "english" and 6 < answer.duration < 8
    assert (
        answer.segments
        and answer.segments[0].start < 1.0
        and answer.segments[-1].end <= answer.duration + 0.1
    )
    assert [w.word for w in answer.words[:3]] == ["The", "lighthouse", "keeper"]
    assert all(a.start <= b.start for a, b in itertools.pairwise(answer.words))


@pytest.mark.parametrize("kind", ["srt", pytest.param("vtt", marks=pytest.mark.slow)])
def test_subtitles(client, speech, kind):
    with speech["english"].open("rb") as file:
        answer = client.audio.transcriptions.create(model="whisper", file=file, response_format=kind)
    assert isinstance(answer, str)
    if kind == "srt":
        texts = [cue.content for cue in srt.parse(answer)]
    else:
        texts = [cue.text for cue in webvtt.read_buffer(io.StringIO(answer))]
    text = " ".join(texts)
    assert wer(ENGLISH, text) <= 0.1, text


def test_mandarin_translated_to_english(client, speech):
    with speech["mandarin"].open("rb") as file:
        english = client.audio.translations.create(model="whisper-1", file=file)
    assert "weather" in english.text.lower(), english.text


@pytest.mark.slow  # the backend tests hear Mandarin; this is the same through /v1
def test_mandarin_in_simplified_characters(client, speech):
    with speech["mandarin"].open("rb") as file:
        heard = client.audio.transcriptions.create(model="whisper", file=file, language="zh")
    assert cer(MANDARIN, heard.text) <= 0.15, heard.text


def test_silence_is_an_empty_transcript(client):
    answer = client.audio.transcriptions.create(
        model="whisper", file=("quiet.wav", wav_bytes(16_000, np.zeros(32_000, np.float32)))
    )
    assert answer.text == ""


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"file": ("notes.mp3", b"just some text, not a recording" * 20)}, openai.BadRequestError, "damaged"),
        ({"file": ("empty.wav", b"")}, openai.BadRequestError, "is empty"),
        ({"model": "gpt-4o-transcribe"}, openai.NotFoundError, "does not exist"),
        ({"response_format": "docx"}, openai.BadRequestError, "response_format must be one of"),
        ({"timestamp_granularities": ["word"]}, openai.BadRequestError, "need response_format verbose_json"),
        ({"language": "klingon"}, openai.BadRequestError, "not one Whisper knows"),
        ({"file": ("big.wav", b"RIFF" + bytes(3 * 2**20))}, openai.APIStatusError, "too large"),
    ],
)
def test_bad_requests_get_clear_errors(client, speech, options, error, message):
    arguments = {"model": "whisper", "file": ("keeper.wav", speech["english"].read_bytes()), **options}
    with pytest.raises(error, match=message):
        client.audio.transcriptions.create(**arguments)


def test_a_key_is_needed(studio, speech):
    stranger = openai.OpenAI(base_url=f"{studio.url}v1", api_key="sk-nobody-000000", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        stranger.audio.transcriptions.create(model="whisper", file=("a.wav", speech["english"].read_bytes()))


def test_the_remote_backend_reads_a_studio(studio, speech):
    settings = Settings(remote_api_key=BOB_KEY)
    backend = create(f"openai-transcribe:{studio.url}v1", settings)
    backend.load("cpu")
    assert backend.server.model_name == "whisper"  # the studio's first recogniser
    request = build_request(settings, media_path=speech["english"], word_timestamps=True)
    items = list(backend.run(request, threading.Event()))
    result = items[-1]
    assert isinstance(result, Result) and wer(ENGLISH, result.output.text) <= 0.1
    assert result.output.language == "en" and result.output.segments[0].words
