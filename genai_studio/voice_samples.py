"""A short sample of a voice, to hear it before choosing it: made once on first use, cached.

One sentence in the voice's own language, spoken through the shared ModelManager (the same
queue as any job) and kept as a WAV in the cache folder, named by the model and a hash of
the voice (a stock voice or a mix: a mix of public voices tells nothing about who made it).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from genai_studio.backends.base import Result
from genai_studio.backends.manager import ModelManager
from genai_studio.backends.speech.request import request_for

FOLDER = "voice-samples"
TEXTS = {  # language family -> what a sample says
    "en": "Hello! This is how I sound. I can read your stories, news and notes aloud.",
    "zh": "你好！这就是我的声音。我可以为你朗读故事、新闻和笔记。",
    "es": "¡Hola! Así suena mi voz. Puedo leer tus historias en voz alta.",
    "fr": "Bonjour ! Voici ma voix. Je peux lire vos histoires à voix haute.",
    "it": "Ciao! Questa è la mia voce. Posso leggere le tue storie ad alta voce.",
    "pt": "Olá! Esta é a minha voz. Posso ler as suas histórias em voz alta.",
    "hi": "नमस्ते! यह मेरी आवाज़ है। मैं आपकी कहानियाँ पढ़ सकती हूँ।",
}


def _family(language: str) -> str:
    code = language.split("-")[0]
    return {"cmn": "zh"}.get(code, code)


def sample_path(cache_dir: Path, spec: str, voice: str) -> Path:
    digest = hashlib.sha256(f"{spec}\n{voice}".encode()).hexdigest()[:24]
    return Path(cache_dir) / FOLDER / f"{digest}.wav"


def sample(manager: ModelManager, cache_dir: Path, spec: str, voice: object) -> tuple[int, np.ndarray]:
    """(rate, samples) of `voice` on model `spec` saying a short sentence; raises InvalidInput
    for a voice the model does not have."""
    backend = manager.available_backend(spec)
    languages = backend.languages()
    native = backend.voice_language(voice) if isinstance(voice, str) else None
    language = native or next(iter(languages))
    text = TEXTS.get(_family(language), TEXTS["en"])
    request = request_for(backend, text=text, voice=voice, language=language, speed=1.0)
    path = sample_path(cache_dir, spec, request.voice)
    if path.is_file():
        audio, rate = sf.read(path, dtype="float32")
        return rate, audio
    (result,) = [item for item in manager.run(spec, request) if isinstance(item, Result)]
    rate, audio = result.output
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".wav", delete=False) as out:
        sf.write(out, audio, rate, format="WAV", subtype="PCM_16")
    Path(out.name).replace(path)
    return rate, audio
