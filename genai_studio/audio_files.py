"""Audio as files: tagged WAV, MP3 through ffmpeg, and loudness normalisation to a target.

Everything here works on mono or (samples, channels) float32 in [-1, 1]. Long recordings
never need to be in memory at once: `LoudnessMeter` measures block by block, `limit_gain`
applies a gain block by block, `open_wav` writes as audio comes, and `Mp3Encoder` streams
blocks to ffmpeg (LGPL/GPL, so run as a separate program, samples on stdin).

Loudness is ITU-R BS.1770-4 integrated loudness (LUFS), with pyloudnorm's K-weighting
filters (MIT); -16 LUFS is the usual target for spoken word (podcasts, audiobooks).
"""

from __future__ import annotations

import functools
import io
import math
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf

from genai_studio.errors import ModelUnavailable

TITLE_CHARS = 80
SPOKEN_WORD_LUFS = -16.0
LIMIT_KNEE = 0.9  # gain pushes no sample past this smoothly; none ever reaches 1.0
FFMPEG = "ffmpeg"
FFMPEG_TIMEOUT_S = 600

_BLOCK_S = 0.4  # BS.1770 gating block, with 75 % overlap: a hop of 0.1 s
_HOPS_PER_BLOCK = 4
_ABSOLUTE_GATE = -70.0
_RELATIVE_GATE = -10.0


@dataclass(frozen=True)
class SpeechTags:
    text: str
    voice: str
    model: str


def _as_frames(audio: np.ndarray) -> np.ndarray:
    """float32 samples clipped to [-1, 1], mono as 1-D, several channels as (samples, channels)."""
    array = np.asarray(audio, np.float32)
    array = array.reshape(-1) if array.ndim < 2 or array.shape[1] == 1 else array
    return np.clip(array, -1.0, 1.0)


def _channels(audio: np.ndarray) -> int:
    return 1 if audio.ndim == 1 else audio.shape[1]


def open_wav(
    target: str | Path | BinaryIO, rate: int, channels: int = 1, tags: SpeechTags | None = None
) -> sf.SoundFile:
    """A 16-bit PCM WAV open for writing block by block; `tags` go to INAM/ICMT/IART/ISFT, so a
    file found later on disk still says which text, voice and model made it."""
    wav = sf.SoundFile(target, "w", samplerate=rate, channels=channels, format="WAV", subtype="PCM_16")
    if tags is not None:
        first_line = tags.text.strip().splitlines()[0] if tags.text.strip() else ""
        wav.title = first_line[:TITLE_CHARS]
        wav.comment = tags.text
        wav.artist = tags.voice
        wav.software = f"GenAI Studio, {tags.model}"
    return wav


def wav_bytes(sample_rate: int, audio: np.ndarray, tags: SpeechTags | None = None) -> bytes:
    """Float samples in [-1, 1] (mono, or samples x channels) as a 16-bit PCM WAV file."""
    frames = _as_frames(audio)
    buffer = io.BytesIO()
    with open_wav(buffer, sample_rate, _channels(frames), tags) as wav:
        wav.write(frames)
    return buffer.getvalue()


def read_tags(data: bytes) -> dict[str, str]:
    """The INFO tags of a WAV made by `wav_bytes` (for tests and the History tab)."""
    with sf.SoundFile(io.BytesIO(data)) as f:
        return f.copy_metadata()


# -- loudness ----------------------------------------------------------------------------


@functools.cache
def _k_weighting(rate: int) -> tuple[tuple[np.ndarray, np.ndarray, float], ...]:
    """(b, a, passband gain) of each BS.1770 K-weighting stage at `rate`, from pyloudnorm."""
    import pyloudnorm

    stages = pyloudnorm.Meter(rate)._filters.values()
    return tuple((np.asarray(s.b), np.asarray(s.a), float(s.passband_gain)) for s in stages)


class LoudnessMeter:
    """Integrated loudness fed block by block: memory is one number per 0.1 s of audio, so an
    hour-long narration is measured without holding it. Agrees with pyloudnorm's
    `Meter.integrated_loudness` on the whole signal (the tests check it)."""

    def __init__(self, rate: int) -> None:
        from scipy.signal import lfilter_zi

        self.rate = rate
        self._stages = _k_weighting(rate)
        self._state: list[np.ndarray] | None = None
        self._zi = [lfilter_zi(b, a) for b, a, _ in self._stages]
        self._hop = round(rate * _BLOCK_S / _HOPS_PER_BLOCK)
        self._pending = np.zeros((0, 0))
        self._hops: list[np.ndarray] = []  # per add: summed squares of each whole 0.1 s hop, per channel

    def add(self, audio: np.ndarray) -> None:
        from scipy.signal import lfilter

        frames = np.asarray(audio, np.float64)
        frames = frames.reshape(-1, 1) if frames.ndim == 1 else frames
        if not frames.size:
            return
        if self._state is None:  # filters start at rest, as pyloudnorm's do
            self._state = [np.zeros((len(zi), frames.shape[1])) for zi in self._zi]
            self._pending = np.zeros((0, frames.shape[1]))
        for index, (b, a, gain) in enumerate(self._stages):
            frames, self._state[index] = lfilter(b, a, frames, axis=0, zi=self._state[index])
            frames = frames * gain
        squares = np.concatenate([self._pending, frames**2])
        whole = len(squares) // self._hop * self._hop
        if whole:
            self._hops.append(squares[:whole].reshape(-1, self._hop, squares.shape[1]).sum(axis=1))
        self._pending = squares[whole:]

    def integrated(self) -> float:
        """LUFS of everything added; -inf when shorter than one 0.4 s block or silent."""
        hops = np.concatenate(self._hops) if self._hops else np.zeros((0, 1))
        if len(hops) < _HOPS_PER_BLOCK:
            return -math.inf
        windows = np.lib.stride_tricks.sliding_window_view(hops, _HOPS_PER_BLOCK, axis=0)
        power = windows.sum(axis=-1) / (self._hop * _HOPS_PER_BLOCK)  # (blocks, channels)
        with np.errstate(divide="ignore"):
            block_lufs = -0.691 + 10 * np.log10(power.sum(axis=1))
        loud = block_lufs >= _ABSOLUTE_GATE
        if not loud.any():
            return -math.inf
        relative = -0.691 + 10 * np.log10(power[loud].mean(axis=0).sum()) + _RELATIVE_GATE
        kept = loud & (block_lufs > relative)
        return float(-0.691 + 10 * np.log10(power[kept].mean(axis=0).sum()))


def loudness(audio: np.ndarray, rate: int) -> float:
    """Integrated loudness in LUFS of audio held in memory."""
    meter = LoudnessMeter(rate)
    meter.add(audio)
    return meter.integrated()


def gain_to(measured_lufs: float, target_lufs: float = SPOKEN_WORD_LUFS) -> float:
    """Linear gain that moves `measured_lufs` to the target; 1.0 for silence (nothing to lift)."""
    if not math.isfinite(measured_lufs):
        return 1.0
    return float(10 ** ((target_lufs - measured_lufs) / 20))


def limit_gain(audio: np.ndarray, gain: float) -> np.ndarray:
    """`audio * gain`, with the rare peaks above the knee bent smoothly below full scale (a soft
    limiter without memory, so it works block by block) instead of clipping."""
    louder = np.asarray(audio, np.float32) * np.float32(gain)
    over = np.abs(louder) > LIMIT_KNEE
    if over.any():
        room = 1.0 - LIMIT_KNEE
        bent = LIMIT_KNEE + room * np.tanh((np.abs(louder[over]) - LIMIT_KNEE) / room)
        louder[over] = np.sign(louder[over]) * bent * 0.999
    return louder


def normalize_loudness(audio: np.ndarray, rate: int, target_lufs: float = SPOKEN_WORD_LUFS) -> np.ndarray:
    """`audio` at `target_lufs` integrated loudness, peaks kept below full scale. Audio too short
    to measure (under 0.4 s) or silent comes back unchanged."""
    frames = _as_frames(audio)
    return limit_gain(frames, gain_to(loudness(frames, rate), target_lufs))


# -- MP3 ---------------------------------------------------------------------------------


def _mp3_command(rate: int, channels: int, bitrate: str) -> list[str]:
    if shutil.which(FFMPEG) is None:
        raise ModelUnavailable("MP3 needs ffmpeg (Debian package ffmpeg), which is not installed here.")
    return [
        FFMPEG, "-hide_banner", "-loglevel", "error", "-nostdin",
        "-f", "f32le", "-ar", str(rate), "-ac", str(channels), "-i", "pipe:0",
        "-codec:a", "libmp3lame", "-b:a", bitrate, "-f", "mp3", "pipe:1",
    ]  # fmt: skip


def _failed(stderr: bytes, code: int) -> ModelUnavailable:
    detail = stderr.decode(errors="replace").strip()[:200]
    return ModelUnavailable(f"ffmpeg could not make the MP3: {detail or f'exit code {code}'}")


def mp3_bytes(audio: np.ndarray, rate: int, bitrate: str = "128k") -> bytes:
    """Float samples as an MP3 file, encoded by ffmpeg's libmp3lame."""
    frames = _as_frames(audio)
    command = _mp3_command(rate, _channels(frames), bitrate)
    done = subprocess.run(command, input=frames.tobytes(), capture_output=True, timeout=FFMPEG_TIMEOUT_S)
    if done.returncode != 0 or not done.stdout:
        raise _failed(done.stderr, done.returncode)
    return done.stdout


class Mp3Encoder:
    """An MP3 file written block by block (ffmpeg reads samples on stdin, writes the file)."""

    def __init__(self, path: str | Path, rate: int, channels: int = 1, bitrate: str = "128k") -> None:
        self._out = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._process = subprocess.Popen(
            _mp3_command(rate, channels, bitrate),
            stdin=subprocess.PIPE,
            stdout=self._out,
            stderr=subprocess.PIPE,
        )

    def write(self, audio: np.ndarray) -> None:
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(_as_frames(audio).tobytes())
        except BrokenPipeError:  # ffmpeg stopped: close() says why
            self.close()

    def close(self) -> None:
        """Finish the file; raises ModelUnavailable if ffmpeg failed."""
        try:
            _, stderr = self._process.communicate(timeout=FFMPEG_TIMEOUT_S)
        finally:
            self._out.close()
        if self._process.returncode != 0:
            raise _failed(stderr, self._process.returncode)

    def __enter__(self) -> Mp3Encoder:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self._process.kill()
            self._process.wait()
            self._out.close()
