"""Speech for the Listen tests, made here: by the studio's own voices and by espeak-ng."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import numpy as np

from genai_studio.audio_files import wav_bytes
from genai_studio.backends.base import Result
from genai_studio.backends.registry import create
from genai_studio.backends.speech.request import build_request
from genai_studio.config import Settings

ENGLISH = (
    "The lighthouse keeper climbed the stairs every evening. "
    "He lit the lamp and watched the ships sail past the rocks."
)
MANDARIN = "今天天气很好，我们一起去公园散步吧。人工智能正在改变世界。"
ESPEAK_ENGLISH = "Please call the doctor. Ask her to bring these things with her from the store."
VOICES = {"hibari": ("heart", "en-us"), "zh-fastspeech2": ("baker", "zh")}


def studio_voice(spec: str, text: str) -> tuple[int, np.ndarray]:
    """`text` spoken by one of the studio's embedded voices: (rate, samples)."""
    backend = create(spec, Settings())
    backend.load("cpu")
    try:
        voice, language = VOICES[spec]
        request = build_request(
            text=text, voice=voice, language=language, voices=backend.voices(), languages=backend.languages()
        )
        return [item for item in backend.run(request, threading.Event()) if isinstance(item, Result)][
            -1
        ].output
    finally:
        backend.unload()


def spoken_wav(path: Path, spec: str, text: str) -> Path:
    rate, audio = studio_voice(spec, text)
    path.write_bytes(wav_bytes(rate, audio))
    return path


def espeak_wav(path: Path, text: str) -> Path:
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
    return path


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)
