"""WAV to the audio formats API callers ask for: MP3 through ffmpeg, run as a separate program
(ffmpeg's MP3 encoder, LAME, is LGPL: it stays out of the studio's process)."""

from __future__ import annotations

import shutil
import subprocess

from genai_studio.errors import InvalidInput, ModelUnavailable

MEDIA_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg"}
FFMPEG_TIMEOUT_S = 120


def check_format(response_format: object) -> str:
    """`response_format` if it is one this studio makes; raises InvalidInput (before any work)."""
    if response_format not in MEDIA_TYPES:
        raise InvalidInput(
            f"response_format must be one of: {', '.join(MEDIA_TYPES)}; got {response_format!r}."
        )
    return str(response_format)


def encode(wav: bytes, response_format: str) -> tuple[bytes, str]:
    """(file bytes, media type) of a WAV in a checked `response_format`."""
    if check_format(response_format) == "wav":
        return wav, MEDIA_TYPES["wav"]
    return to_mp3(wav), MEDIA_TYPES["mp3"]


def to_mp3(wav: bytes) -> bytes:
    """A WAV as MP3 (VBR, ~190 kbit/s) by ffmpeg reading stdin and writing stdout."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise ModelUnavailable("MP3 needs ffmpeg, which is not installed here: ask for wav instead.")
    command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "wav", "-i", "pipe:0"]
    command += ["-codec:a", "libmp3lame", "-q:a", "2", "-f", "mp3", "pipe:1"]
    done = subprocess.run(command, input=wav, capture_output=True, timeout=FFMPEG_TIMEOUT_S, check=False)
    if done.returncode != 0 or not done.stdout:
        raise ModelUnavailable(f"ffmpeg could not make the MP3: {done.stderr.decode(errors='replace')[:200]}")
    return done.stdout
