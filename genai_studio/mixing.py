"""Voice over music: side-chain ducking, fades, joins and sample-rate changes, on numpy arrays.

Ducking works as a broadcast desk's side-chain does: the narration's short-term RMS is the
key; while it is above a gate the music is pulled down by `depth_db`, falling in `attack_s`
and coming back up in `release_s` once the voice has paused for `hold_s` (so the gaps
between words do not make the music pump). The key looks ahead a little, so the music is
already down when the first syllable starts. Everything is mono (1-D) or (samples, channels)
float32 in [-1, 1].
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

FRAME_S = 0.01  # the key's RMS is measured in 10 ms frames
GATE_DB = -30.0  # a frame is speech when its RMS is within this of the voice's loud frames
LOUD_PERCENTILE = 95  # "the voice's loud frames": this percentile of frame levels
SILENT_RMS = 1e-5  # frames below this are silence whatever the voice's level
BLOCK_S = 5.0  # work on this much audio at a time, checking Stop in between


class Cancelled(Exception):
    """Stop was pressed while a mix was being made; nothing was written."""


@dataclass(frozen=True)
class Ducking:
    depth_db: float = 15.0  # music this much lower while someone speaks
    attack_s: float = 0.08  # how fast it goes down
    release_s: float = 0.45  # how fast it comes back up
    hold_s: float = 0.25  # a pause shorter than this keeps the music down
    lookahead_s: float = 0.08  # down this much before the voice starts


def mono(audio: np.ndarray) -> np.ndarray:
    array = np.asarray(audio, np.float32)
    return array if array.ndim == 1 else array.mean(axis=1, dtype=np.float32)


def stereo(audio: np.ndarray) -> np.ndarray:
    array = np.asarray(audio, np.float32)
    if array.ndim == 1:
        return np.stack([array, array], axis=1)
    if array.shape[1] == 2:
        return array
    return np.repeat(mono(array)[:, None], 2, axis=1)


def resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    """`audio` at `target` Hz (polyphase filter, scipy); unchanged when the rates agree."""
    if rate == target or not len(audio):
        return np.asarray(audio, np.float32)
    from scipy.signal import resample_poly

    common = math.gcd(rate, target)
    return resample_poly(audio, target // common, rate // common, axis=0).astype(np.float32)


def frame_rms(audio: np.ndarray, rate: int, frame_s: float = FRAME_S) -> np.ndarray:
    """RMS of each whole `frame_s` frame of mono `audio` (the last partial frame included)."""
    size = max(1, round(rate * frame_s))
    signal = mono(audio).astype(np.float64)
    padded = np.pad(signal, (0, -len(signal) % size))
    return np.sqrt((padded.reshape(-1, size) ** 2).mean(axis=1))


def speech_frames(voice: np.ndarray, rate: int) -> np.ndarray:
    """Which 10 ms frames of `voice` hold speech: within GATE_DB of its loud frames."""
    rms = frame_rms(voice, rate)
    audible = rms[rms > SILENT_RMS]
    if not audible.size:
        return np.zeros(rms.shape, bool)
    loud = np.percentile(audible, LOUD_PERCENTILE)
    return rms > max(loud * 10 ** (GATE_DB / 20), SILENT_RMS)


def widen(active: np.ndarray, before: int, after: int) -> np.ndarray:
    """Each active frame also marks `before` frames earlier and `after` frames later."""
    if not active.any():
        return active
    counts = np.concatenate([[0], np.cumsum(active)])
    index = np.arange(len(active))
    low = np.clip(index - after, 0, len(active))
    high = np.clip(index + before + 1, 0, len(active))
    return counts[high] - counts[low] > 0


def duck_gain_db(speech: np.ndarray, ducking: Ducking, frame_s: float = FRAME_S) -> np.ndarray:
    """The music's gain in dB per frame: 0 in pauses, -depth while the key (widened by hold and
    lookahead) is on, moving between them with one-pole attack and release."""
    key = widen(speech, round(ducking.lookahead_s / frame_s), round(ducking.hold_s / frame_s))
    target = np.where(key, -ducking.depth_db, 0.0)
    down = 1 - math.exp(-frame_s / max(ducking.attack_s, frame_s))
    up = 1 - math.exp(-frame_s / max(ducking.release_s, frame_s))
    gain = np.empty(len(target))
    level = 0.0
    for index, wanted in enumerate(target.tolist()):
        level += (wanted - level) * (down if wanted < level else up)
        gain[index] = level
    return gain


def per_sample(frame_values: np.ndarray, samples: int, rate: int, frame_s: float = FRAME_S) -> np.ndarray:
    """Frame values (at frame centres) interpolated to every sample."""
    centres = (np.arange(len(frame_values)) + 0.5) * frame_s * rate
    return np.interp(np.arange(samples), centres, frame_values).astype(np.float32)


def fade(samples: int, rate: int, fade_in_s: float, fade_out_s: float) -> np.ndarray:
    """A gain curve: raised-cosine fade in over the first seconds, fade out over the last."""
    gain = np.ones(samples, np.float32)
    for seconds, at_start in ((fade_in_s, True), (fade_out_s, False)):
        length = min(samples, round(seconds * rate))
        if length:
            ramp = (0.5 - 0.5 * np.cos(np.linspace(0, math.pi, length))).astype(np.float32)
            if at_start:
                gain[:length] *= ramp
            else:
                gain[samples - length :] *= ramp[::-1]
    return gain


def join(pieces: list[np.ndarray], rate: int, crossfade_s: float) -> np.ndarray:
    """Pieces one after another, each overlapping the last by an equal-power crossfade."""
    out = np.asarray(pieces[0], np.float32)
    for piece in pieces[1:]:
        piece = np.asarray(piece, np.float32)
        overlap = min(round(crossfade_s * rate), len(out), len(piece))
        if not overlap:
            out = np.concatenate([out, piece])
            continue
        angle = np.linspace(0, math.pi / 2, overlap, dtype=np.float32)
        shape = (-1,) + (1,) * (out.ndim - 1)
        mixed = out[-overlap:] * np.cos(angle).reshape(shape) + piece[:overlap] * np.sin(angle).reshape(shape)
        out = np.concatenate([out[:-overlap], mixed, piece[overlap:]])
    return out


def fit(audio: np.ndarray, samples: int, rate: int, crossfade_s: float) -> np.ndarray:
    """`audio` cut to `samples`, or looped (with crossfades) until it is that long."""
    if len(audio) >= samples:
        return np.asarray(audio[:samples], np.float32)
    usable = len(audio) - round(crossfade_s * rate)
    copies = 1 + math.ceil((samples - len(audio)) / max(usable, 1))
    return join([audio] * copies, rate, crossfade_s)[:samples]


@dataclass(frozen=True)
class MixLayout:
    """Where the voice sits in the mix and how the music starts and ends."""

    lead_in_s: float = 3.0  # music alone before the voice
    lead_out_s: float = 4.0  # music alone after it
    fade_in_s: float = 1.0
    fade_out_s: float = 3.0
    music_gap_db: float = -6.0  # the music's loudness in pauses, against the voice's


def mix(
    voice: np.ndarray,
    music: np.ndarray,
    rate: int,
    voice_lufs: float,
    music_lufs: float,
    layout: MixLayout = MixLayout(),
    ducking: Ducking = Ducking(),
    cancel: threading.Event | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(stereo mix, the music's gain in dB per 10 ms frame) of `voice` (mono) over `music`
    (stereo, at least as long as the mix), both at `rate`. The music is first set
    `music_gap_db` under the voice by loudness, then ducked and faded. Raises Cancelled as
    soon as `cancel` is set (checked every BLOCK_S of audio)."""
    cancel = cancel or threading.Event()
    lead_in = round(layout.lead_in_s * rate)
    total = lead_in + len(voice) + round(layout.lead_out_s * rate)
    placed = np.zeros(total, np.float32)
    placed[lead_in : lead_in + len(voice)] = voice
    level = 10 ** ((voice_lufs + layout.music_gap_db - music_lufs) / 20) if math.isfinite(music_lufs) else 1.0
    gain_db = duck_gain_db(speech_frames(placed, rate), ducking)
    envelope = per_sample(10 ** (gain_db / 20), total, rate) * fade(
        total, rate, layout.fade_in_s, layout.fade_out_s
    )
    out = np.empty((total, 2), np.float32)
    block = round(BLOCK_S * rate)
    for start in range(0, total, block):
        if cancel.is_set():
            raise Cancelled
        end = min(start + block, total)
        bed = music[start:end] * (envelope[start:end, None] * np.float32(level))
        out[start:end] = bed + placed[start:end, None]
    return out, gain_db
