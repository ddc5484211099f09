"""16-bit WAV files in memory, optionally carrying what made them as RIFF INFO tags.

The download and the History copy say which text, voice and model they hold, so a file
found later on disk still explains itself.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import soundfile as sf

TITLE_CHARS = 80


@dataclass(frozen=True)
class SpeechTags:
    text: str
    voice: str
    model: str


def wav_bytes(sample_rate: int, audio: np.ndarray, tags: SpeechTags | None = None) -> bytes:
    """Mono float samples in [-1, 1] as a 16-bit PCM WAV; `tags` go to INAM/ICMT/IART/ISFT."""
    buffer = io.BytesIO()
    with sf.SoundFile(buffer, "w", samplerate=sample_rate, channels=1, format="WAV", subtype="PCM_16") as f:
        if tags is not None:
            first_line = tags.text.strip().splitlines()[0] if tags.text.strip() else ""
            f.title = first_line[:TITLE_CHARS]
            f.comment = tags.text
            f.artist = tags.voice
            f.software = f"GenAI Studio, {tags.model}"
        f.write(np.clip(np.asarray(audio, np.float32).reshape(-1), -1.0, 1.0))
    return buffer.getvalue()


def read_tags(data: bytes) -> dict[str, str]:
    """The INFO tags of a WAV made by `wav_bytes` (for tests and the History tab)."""
    with sf.SoundFile(io.BytesIO(data)) as f:
        return f.copy_metadata()
