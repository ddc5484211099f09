"""Loudness, the soft limiter and MP3 on real hibari speech, measured by pyloudnorm itself."""

from __future__ import annotations

import io

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from genai_studio.audio_files import (
    LIMIT_KNEE,
    LoudnessMeter,
    Mp3Encoder,
    loudness,
    mp3_bytes,
    normalize_loudness,
    wav_bytes,
)


@pytest.fixture(scope="module")
def speech() -> tuple[np.ndarray, int]:
    from hibari import Hibari

    model = Hibari(voice="heart", threads=1)
    text = "The keeper climbed the stairs at dusk. Tonight the sea was calm, and the lamp turned slowly."
    return np.concatenate(list(model.stream(text))).astype(np.float32), 24_000


def reference(audio: np.ndarray, rate: int) -> float:
    return pyloudnorm.Meter(rate).integrated_loudness(np.asarray(audio, np.float64))


def test_the_block_by_block_meter_agrees_with_pyloudnorm(speech):
    audio, rate = speech
    meter = LoudnessMeter(rate)
    for start in range(0, audio.size, 3_001):  # odd block size: hops straddle the blocks
        meter.add(audio[start : start + 3_001])
    assert meter.integrated() == pytest.approx(reference(audio, rate), abs=0.05)
    stereo = np.stack([audio, 0.3 * audio], axis=1)
    assert loudness(stereo, rate) == pytest.approx(reference(stereo, rate), abs=0.05)


@pytest.mark.parametrize("scale", [0.05, 1.0, 2.5])  # quiet, as made, and loud enough to clip
def test_normalised_speech_is_at_the_target_and_never_clips(speech, scale):
    audio, rate = speech
    louder = np.clip(audio * scale, -1, 1)
    for target in (-16.0, -23.0):
        out = normalize_loudness(louder, rate, target)
        assert abs(reference(out, rate) - target) < 1.0
        assert np.abs(out).max() < 1.0
        assert out.dtype == np.float32 and out.shape == louder.shape


def test_the_limiter_bends_only_peaks(speech):
    audio, rate = speech
    out = normalize_loudness(audio * 3, rate, -10.0)  # far past what the peaks allow
    assert np.abs(out).max() < 1.0
    quiet = np.abs(audio * 3) < 0.2
    assert np.corrcoef(out[quiet], audio[quiet])[0, 1] > 0.999  # the body of the speech is only scaled
    assert np.abs(out).max() > LIMIT_KNEE


def test_silence_and_too_short_audio_come_back_unchanged():
    assert not normalize_loudness(np.zeros(24_000, np.float32), 24_000).any()
    blip = np.full(2_000, 0.01, np.float32)  # 0.08 s: shorter than one measuring block
    assert np.array_equal(normalize_loudness(blip, 24_000), blip)
    assert loudness(blip, 24_000) == -np.inf


def decoded(data: bytes) -> tuple[np.ndarray, int]:
    audio, rate = sf.read(io.BytesIO(data), dtype="float32")
    return audio, rate


def test_mp3_of_speech_decodes_to_the_same_length_and_level(speech, tmp_path):
    audio, rate = speech
    data = mp3_bytes(audio, rate)
    assert data[:3] == b"ID3" or data[0] == 0xFF
    back, back_rate = decoded(data)
    assert back_rate == rate
    assert abs(back.size - audio.size) / rate < 0.1  # the encoder's padding only
    assert abs(reference(back, rate) - reference(audio, rate)) < 0.5

    path = tmp_path / "streamed.mp3"
    with Mp3Encoder(path, rate) as encoder:
        for start in range(0, audio.size, 4_800):
            encoder.write(audio[start : start + 4_800])
    streamed, _ = decoded(path.read_bytes())
    assert abs(streamed.size - back.size) < rate * 0.05


def test_stereo_wav_keeps_its_channels_and_clips_overs():
    stereo = np.stack([np.full(100, 2.0), np.full(100, -0.5)], axis=1).astype(np.float32)
    back, _ = decoded(wav_bytes(8_000, stereo))
    assert back.shape == (100, 2)
    assert back[:, 0].max() == pytest.approx(1.0, abs=1e-3) and back[:, 1].mean() == pytest.approx(-0.5, 1e-3)
