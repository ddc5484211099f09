"""Ducking, fades, joins and loops of genai_studio.mixing on signals whose answer is known."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from genai_studio import mixing

RATE = 8_000


def tone(seconds: float, level: float = 0.3, freq: float = 220.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def bursts(pattern: list[tuple[float, bool]]) -> np.ndarray:
    """A "voice": tone where True, silence where False, for the given seconds each."""
    return np.concatenate([tone(s) if on else np.zeros(round(s * RATE), np.float32) for s, on in pattern])


def test_speech_frames_follow_the_voice_and_ignore_its_quiet_tail():
    voice = bursts([(1.0, False), (2.0, True), (1.0, False)])
    voice[-RATE // 2 :] += 1e-4  # a noise floor far under the voice
    frames = mixing.speech_frames(voice, RATE)
    assert frames.size == 400
    assert not frames[:100].any() and frames[101:299].all() and not frames[301:].any()


def test_the_music_ducks_by_its_depth_while_speaking_and_comes_back_in_pauses():
    ducking = mixing.Ducking(depth_db=15, attack_s=0.05, release_s=0.3, hold_s=0.2, lookahead_s=0.1)
    speech = np.zeros(600, bool)
    speech[100:300] = True  # speaks from 1 s to 3 s, then a 3 s pause
    gain = mixing.duck_gain_db(speech, ducking)
    assert gain[:85].max() > -0.5  # before the lookahead: up
    assert gain[95] < 0  # already going down just before the voice (lookahead)
    assert -15.01 < gain[150:300].max() < -14.5  # down by the depth while speaking
    assert gain[300:318].max() < -14.5  # the hold keeps it down through a short gap
    assert gain[420:].min() > -1.0  # back up in the pause after the release
    falls = np.diff(gain[80:130]).min()
    rises = np.diff(gain[318:420]).max()
    assert abs(falls) > 3 * rises  # attack faster than release


def test_a_short_gap_between_words_does_not_make_the_music_pump():
    speech = np.zeros(500, bool)
    speech[100:200] = speech[215:400] = True  # a 150 ms gap: under the hold
    gain = mixing.duck_gain_db(speech, mixing.Ducking(depth_db=12))
    assert gain[150:400].max() < -11.5


def test_fades_start_and_end_silent_and_leave_the_middle_alone():
    curve = mixing.fade(10 * RATE, RATE, 1.0, 2.0)
    assert curve[0] == 0 and curve[-1] == 0
    assert np.all(np.diff(curve[:RATE]) >= 0) and np.all(np.diff(curve[-2 * RATE :]) <= 0)
    assert np.all(curve[RATE : 8 * RATE] == 1)


def test_join_overlaps_by_the_crossfade_and_keeps_the_level():
    a, b = np.full((3 * RATE, 2), 0.5, np.float32), np.full((2 * RATE, 2), 0.5, np.float32)
    joined = mixing.join([a, b], RATE, 1.0)
    assert joined.shape == (4 * RATE, 2)
    overlap = joined[2 * RATE : 3 * RATE]
    # equal power: the sum of two equal signals peaks at sqrt(2) mid-way, never dips below
    assert overlap.min() >= 0.5 - 1e-6 and overlap.max() <= 0.5 * np.sqrt(2) + 1e-6


def test_fit_cuts_a_long_track_and_loops_a_short_one():
    music = tone(3.0)
    assert len(mixing.fit(music, 2 * RATE, RATE, 0.5)) == 2 * RATE
    looped = mixing.fit(music, 10 * RATE, RATE, 0.5)
    assert len(looped) == 10 * RATE and np.abs(looped[-RATE:]).max() > 0.2  # music to the end


def test_resample_keeps_the_duration_and_the_pitch():
    audio = tone(1.0, freq=440)
    faster = mixing.resample(audio, RATE, 44_100)
    assert len(faster) == 44_100
    spectrum = np.abs(np.fft.rfft(faster))
    assert abs(np.argmax(spectrum) * 44_100 / len(faster) - 440) < 2


def test_mix_places_the_voice_after_the_lead_in_and_ducks_the_bed_under_it():
    layout = mixing.MixLayout(lead_in_s=2.0, lead_out_s=2.0, fade_in_s=0.5, fade_out_s=0.5, music_gap_db=-6)
    voice = bursts([(2.0, True), (1.5, False), (2.0, True)])
    music = np.repeat(tone(10.0, 0.2, 330)[:, None], 2, axis=1)
    out, gain_db = mixing.mix(voice, music, RATE, -20.0, -25.0, layout, mixing.Ducking(depth_db=15))
    assert out.shape == (round(9.5 * RATE), 2)
    np.testing.assert_allclose(out[2 * RATE : 4 * RATE, 0] - out[2 * RATE : 4 * RATE, 1], 0, atol=1e-6)
    assert gain_db[250:350].max() < -14  # under the first burst
    assert gain_db[100:180].min() > -0.5  # the lead-in after its fade
    with pytest.raises(mixing.Cancelled):
        stop = threading.Event()
        stop.set()
        mixing.mix(voice, music, RATE, -20.0, -25.0, layout, cancel=stop)
