"""WAV to the audio formats API callers ask for (MP3 made by audio_files, through ffmpeg run as
a separate program)."""

from __future__ import annotations

import io

import soundfile

from genai_studio.audio_files import mp3_bytes
from genai_studio.errors import InvalidInput

MEDIA_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg"}
MP3_BITRATE = "192k"


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
    """A WAV as MP3 (~190 kbit/s), by the studio's one MP3 encoder (audio_files.mp3_bytes)."""
    audio, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    return mp3_bytes(audio, rate, bitrate=MP3_BITRATE)
