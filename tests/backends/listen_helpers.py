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


def studio_voices(spec: str, texts: list[str]) -> list[tuple[int, np.ndarray]]:
    """Each text spoken by one of the studio's embedded voices: (rate, samples) each."""
    backend = create(spec, Settings())
    backend.load("cpu")
    voice, language = VOICES[spec]
    options = {"voices": backend.voices(), "languages": backend.languages()}
    spoken = []
    try:
        for text in texts:
            request = build_request(text=text, voice=voice, language=language, **options)
            items = list(backend.run(request, threading.Event()))
            spoken.append(next(item for item in reversed(items) if isinstance(item, Result)).output)
    finally:
        backend.unload()
    return spoken


def studio_voice(spec: str, text: str) -> tuple[int, np.ndarray]:
    return studio_voices(spec, [text])[0]


def spoken_wav(path: Path, spec: str, text: str) -> Path:
    rate, audio = studio_voice(spec, text)
    path.write_bytes(wav_bytes(rate, audio))
    return path


def espeak_wav(path: Path, text: str) -> Path:
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
    return path


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)
