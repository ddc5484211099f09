"""The embedded recogniser (Whisper base, faster-whisper int8) on speech made here: the
studio's own English and Mandarin voices and espeak-ng, scored by word/character error rate;
recordings in every format the tab takes; and the inputs it must refuse or answer plainly."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest
import soundfile as sf

from bench.recognise import cer, wer
from genai_studio.audio_files import wav_bytes
from genai_studio.backends.base import Progress, Result
from genai_studio.backends.listen import hub_faster_whisper, media
from genai_studio.backends.listen.backend import NOTHING_HEARD, SILENT
from genai_studio.backends.listen.request import build_request
from genai_studio.backends.listen.transcript import Segment
from genai_studio.backends.registry import create
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput
from tests.backends.listen_helpers import (
    ENGLISH,
    ESPEAK_ENGLISH,
    MANDARIN,
    espeak_wav,
    ffmpeg,
    spoken_wav,
    studio_voice,
)

SETTINGS = Settings()


@pytest.fixture(scope="module")
def whisper():
    backend = create("whisper", SETTINGS)
    backend.load("cpu")
    yield backend
    backend.unload()


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("listen")
    return {
        "english": spoken_wav(folder / "english.wav", "hibari", ENGLISH),
        "mandarin": spoken_wav(folder / "mandarin.wav", "zh-fastspeech2", MANDARIN),
        "espeak": espeak_wav(folder / "espeak.wav", ESPEAK_ENGLISH),
        "folder": folder,
    }


def transcribe(backend, path, cancel=None, **options):
    request = build_request(SETTINGS, media_path=path, **options)
    items = list(backend.run(request, cancel or threading.Event()))
    assert isinstance(items[-1], Result)
    return items, items[-1]


def test_english_from_the_studio_voice_streams_each_segment_then_the_transcript(whisper, recordings):
    items, result = transcribe(whisper, recordings["english"], word_timestamps=True)
    streamed = [item.partial for item in items[:-1] if isinstance(item, Progress) and item.partial]
    transcript = result.output
    assert streamed and list(transcript.segments) == streamed  # every segment came before the end
    assert transcript.language == "en" and result.params["detected_language"] == "en"
    assert wer(ENGLISH, transcript.text) <= 0.1, transcript.text
    seconds = sf.info(recordings["english"]).duration
    words = [word for segment in transcript.segments for word in segment.words]
    assert len(words) >= 15 and words[0].text.strip() == "The"
    assert all(a.start <= b.start for a, b in itertools.pairwise(words))
    assert 0 <= words[0].start < 1.0 and seconds - 1.5 < words[-1].end <= seconds + 0.1


def test_mandarin_from_the_neural_voice_in_simplified_characters(whisper, recordings):
    _, result = transcribe(whisper, recordings["mandarin"])
    text = result.output.text
    assert result.output.language == "zh"
    assert cer(MANDARIN, text) <= 0.15, text
    assert "們" not in text and "氣" not in text  # simplified, as written in the mainland


def test_english_from_espeak(whisper, recordings):
    _, result = transcribe(whisper, recordings["espeak"], language="en")
    assert wer(ESPEAK_ENGLISH, result.output.text) <= 0.2, result.output.text


def test_mandarin_translated_to_english(whisper, recordings):
    _, result = transcribe(whisper, recordings["mandarin"], translate=True)
    text = result.output.text
    assert result.output.task == "translate" and result.output.language == "zh"
    assert {"weather", "park"} <= set(text.lower().replace(",", " ").replace(".", " ").split()), text


def test_stop_ends_between_segments_and_keeps_what_was_heard(whisper, recordings):
    cancel = threading.Event()
    request = build_request(SETTINGS, media_path=recordings["english"])
    heard = []
    for item in whisper.run(request, cancel):
        if isinstance(item, Progress) and isinstance(item.partial, Segment):
            heard.append(item.partial)
            cancel.set()
        result = item
    assert isinstance(result, Result) and result.params["stopped"] is True
    assert list(result.output.segments) == heard[:1]


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("speech.mp3", ["-codec:a", "libmp3lame"]),
        ("speech.m4a", ["-codec:a", "aac"]),
        ("speech.ogg", ["-codec:a", "libvorbis"]),
        ("speech.opus", ["-codec:a", "libopus"]),
        ("speech.flac", []),
        ("speech.webm", ["-codec:a", "libopus"]),
    ],
)
def test_every_audio_format_decodes_to_the_same_sound(recordings, name, options):
    source = recordings["english"]
    path = recordings["folder"] / name
    ffmpeg("-i", str(source), *options, str(path))
    found = media.probe(path)
    expected = sf.info(source).duration
    assert found.seconds == pytest.approx(expected, abs=0.1) and not found.video
    audio = np.concatenate(list(media.decode(path, max_seconds=60)))
    assert audio.size / media.SAMPLE_RATE == pytest.approx(expected, abs=0.1)
    assert 0.05 < np.abs(audio).max() <= 1.0


def test_the_sound_of_a_video_is_transcribed(whisper, recordings):
    video = recordings["folder"] / "clip.mp4"
    ffmpeg(
        *("-f", "lavfi", "-i", "color=c=navy:s=160x120:r=10", "-i", str(recordings["espeak"])),
        *("-shortest", "-codec:v", "libx264", "-codec:a", "aac", str(video)),
    )
    assert media.probe(video).video
    _, result = transcribe(whisper, video, language="en")
    assert wer(ESPEAK_ENGLISH, result.output.text) <= 0.2, result.output.text


def test_silence_gives_an_empty_transcript_said_plainly(whisper, recordings):
    path = recordings["folder"] / "silence.wav"
    path.write_bytes(wav_bytes(16_000, np.zeros(16_000 * 5, np.float32)))
    _, result = transcribe(whisper, path)
    assert result.output.segments == () and result.output.text == ""
    assert result.info == SILENT and result.params["seconds"] == pytest.approx(5.0)
    assert NOTHING_HEARD != SILENT


def _image(path):
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=red:s=64x64", "-frames:v", "1", "-f", "image2", "-c:v", "png", str(path)
    )


def _silent_video(path):
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=64x64:r=5", "-t", "2", "-f", "mp4", str(path))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b""), "is empty"),
        (lambda p: p.write_bytes(b"\xff\xfb\x90\x00" + bytes(range(256)) * 40), "damaged or is not audio"),
        (lambda p: p.write_text("A text file, not a recording.\n" * 50), "damaged or is not audio"),
        (_image, r"not audio or video \(it reads as png"),
        (_silent_video, "video without a sound track"),
    ],
    ids=["empty", "corrupt", "text", "image", "silent-video"],
)
def test_files_that_are_not_recordings_are_refused_with_a_reason(tmp_path, make, message):
    path = tmp_path / "upload.mp3"
    make(path)
    with pytest.raises(InvalidInput, match=message):
        build_request(SETTINGS, media_path=path)


def test_no_file_at_all_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="give an audio or video file"):
        build_request(SETTINGS, media_path=None)
    with pytest.raises(InvalidInput, match="was not received"):
        build_request(SETTINGS, media_path=tmp_path / "gone.wav")


def test_a_recording_over_the_operators_limit_is_refused(recordings):
    short_limit = Settings(max_listen_minutes=0.05)  # 3 seconds
    with pytest.raises(InvalidInput, match=r"is 0\.1 minutes long; .* at most 0\.05 minutes"):
        build_request(short_limit, media_path=recordings["english"])


def test_a_recording_whose_length_is_unknown_is_stopped_at_the_limit(recordings):
    with pytest.raises(InvalidInput, match=r"longer than 0\.05 minutes"):
        list(media.decode(recordings["english"], max_seconds=3))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("language", "klingon", "not one Whisper knows"),
        ("translate", "maybe", "Translate must be true or false"),
        ("temperature", 3, "Temperature must be between 0 and 1"),
        ("prompt", "x" * 5000, "Prompt is too long"),
    ],
)
def test_bad_options_are_refused_before_any_work(recordings, field, value, message):
    with pytest.raises(InvalidInput, match=message):
        build_request(SETTINGS, media_path=recordings["espeak"], **{field: value})


@pytest.mark.parametrize(("given", "code"), [("zh-CN", "zh"), ("Chinese", "zh"), ("EN", "en"), ("", "auto")])
def test_languages_by_code_or_name(recordings, given, code):
    assert build_request(SETTINGS, media_path=recordings["espeak"], language=given).language == code


def test_a_long_recording_is_heard_window_by_window_like_one_call(whisper, recordings, monkeypatch):
    """Windows of 8 s (3 s of tail) cut a 15 s recording; the transcript matches hearing it whole."""
    rate, first = studio_voice("hibari", ENGLISH)
    gap = np.zeros(rate // 2, np.float32)
    audio = np.concatenate([first, gap, first, gap])
    path = recordings["folder"] / "long.wav"
    path.write_bytes(wav_bytes(rate, audio))
    _, whole = transcribe(whisper, path, language="en")
    monkeypatch.setattr(hub_faster_whisper, "WINDOW_S", 8.0)
    monkeypatch.setattr(hub_faster_whisper, "TAIL_S", 3.0)
    _, windowed = transcribe(whisper, path, language="en")
    starts = [segment.start for segment in windowed.output.segments]
    assert starts == sorted(starts) and windowed.output.segments[-1].end <= audio.size / rate + 0.1
    assert wer(f"{ENGLISH} {ENGLISH}", windowed.output.text) <= 0.1, windowed.output.text
    assert wer(whole.output.text, windowed.output.text) <= 0.1
