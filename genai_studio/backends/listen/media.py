"""Recordings as the recogniser hears them: checked by ffprobe, decoded by ffmpeg as a stream.

ffmpeg (LGPL/GPL) runs as a separate program, as for MP3 (audio_files). `probe` reads a file's
container and streams before anything is queued, so a file the studio cannot use is refused
with a message saying why. `decode` turns the first audio track of any file ffmpeg reads
(WAV, MP3, M4A, OGG, FLAC, MP4, WebM...) into 16 kHz mono float32 blocks as ffmpeg makes them:
a recording of an hour never sits in memory at once.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_studio.errors import InvalidInput, ModelUnavailable

log = logging.getLogger(__name__)

FFMPEG, FFPROBE = "ffmpeg", "ffprobe"
SAMPLE_RATE = 16_000  # what Whisper hears
PROBE_TIMEOUT_S = 30
BLOCK_S = 1.0
# Containers the studio transcribes (ffprobe's format names): audio files, and video files
# whose sound track is transcribed. Anything else (an image, a document) is refused by name.
CONTAINERS = frozenset(
    {"wav", "w64", "mp3", "flac", "ogg", "aac", "aiff", "caf", "amr", "opus", "asf",
     "mov", "mp4", "m4a", "3gp", "3g2", "matroska", "webm", "avi", "mpeg", "mpegts", "flv"}
)  # fmt: skip
FORMATS_NAMED = "WAV, MP3, M4A, OGG, FLAC, MP4 or WebM"
_TAIL = 300  # characters of ffmpeg's complaint quoted to the user


@dataclass(frozen=True)
class Media:
    """A file checked by `probe`: its length (None when the container does not say, as in a
    browser's WebM recording), its container and whether it also holds pictures."""

    path: Path
    seconds: float | None
    container: str
    video: bool


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ModelUnavailable(f"Transcription needs {name} (Debian package ffmpeg), which is not installed.")
    return found


def _seconds(value: object) -> float | None:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 else None


def probe(path: object, *, field: str = "The file") -> Media:
    """What `path` holds, or InvalidInput saying why it cannot be transcribed: no file, an
    empty or damaged one, a format that is not audio or video, a video without sound."""
    if not isinstance(path, str | Path) or not str(path):
        raise InvalidInput(f"{field}: give an audio or video file ({FORMATS_NAMED}), or record one.")
    file = Path(path)
    if not file.is_file():
        raise InvalidInput(f"{field} was not received: upload it again.")
    if file.stat().st_size == 0:
        raise InvalidInput(f"{field} is empty (0 bytes): there is nothing to transcribe.")
    command = [
        _tool(FFPROBE), "-v", "error", "-print_format", "json",
        "-show_entries", "format=format_name,duration:stream=codec_type,duration", "-i", str(file),
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, timeout=PROBE_TIMEOUT_S, check=False)
        found = json.loads(done.stdout or b"{}")
    except subprocess.TimeoutExpired:
        raise InvalidInput(f"{field} could not be read: reading it took too long.") from None
    except ValueError:
        found = {}
    container = str(found.get("format", {}).get("format_name", ""))
    if done.returncode != 0 or not container:
        said = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["ffprobe cannot read it"]
        raise InvalidInput(
            f"{field} is damaged or is not audio or video ({said[0][-_TAIL:]}). Use {FORMATS_NAMED}."
        )
    if not CONTAINERS & set(container.split(",")):
        kind = container.split(",")[0]
        raise InvalidInput(f"{field} is not audio or video (it reads as {kind}). Use {FORMATS_NAMED}.")
    streams = [s for s in found.get("streams", []) if isinstance(s, dict)]
    kinds = [s.get("codec_type") for s in streams]
    if "audio" not in kinds:
        if "video" in kinds:
            raise InvalidInput(f"{field} is a video without a sound track: there is nothing to transcribe.")
        raise InvalidInput(f"{field} holds no audio: there is nothing to transcribe.")
    seconds = _seconds(found["format"].get("duration"))
    if seconds is None:
        seconds = max((s for s in map(_seconds, (s.get("duration") for s in streams)) if s), default=None)
    return Media(file, seconds, container, "video" in kinds)


def decode(path: Path, *, max_seconds: float, block_s: float = BLOCK_S) -> Iterator[np.ndarray]:
    """The first audio track of `path` as 16 kHz mono float32 blocks of `block_s` seconds (the
    last one shorter), as ffmpeg decodes them. Raises InvalidInput once the audio passes
    `max_seconds` (for files whose length the container did not tell), or when ffmpeg
    cannot decode any of it. Closing the generator stops ffmpeg."""
    command = [
        _tool(FFMPEG), "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(path),
        "-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:1",
    ]  # fmt: skip
    block_bytes = round(SAMPLE_RATE * block_s) * 4
    limit = max_seconds * SAMPLE_RATE
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty ffmpeg never blocks on it
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None
        decoded = 0
        try:
            while data := process.stdout.read(block_bytes):
                block = np.frombuffer(data[: len(data) // 4 * 4], np.float32)
                decoded += block.size
                if decoded > limit + SAMPLE_RATE:  # a second of grace for rounding in the container
                    raise InvalidInput(
                        f"The recording is longer than {max_seconds / 60:g} minutes, the most this studio "
                        "transcribes: cut it into parts."
                    )
                yield block
            code = process.wait()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
        if code != 0:
            errors.seek(0)
            detail = errors.read().decode(errors="replace").strip().splitlines()[-1:] or [f"exit code {code}"]
            if not decoded:
                raise InvalidInput(f"The recording could not be decoded: {detail[0][-_TAIL:]}.")
            log.warning("ffmpeg stopped early after %.1f s of audio: %s", decoded / SAMPLE_RATE, detail[0])
