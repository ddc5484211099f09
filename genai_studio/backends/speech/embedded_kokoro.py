"""The embedded Kokoro-82M v1.0 voices: 49 neural voices in English (US, UK), Mandarin and,
through espeak-ng's phonemes, five more languages (beta). Apache-2.0 weights and voices.

hibari (Kokoro distilled to 6 MB) stays the fast default; this is the full 82M-parameter
model in int8 on onnxruntime, higher quality and 30-50x slower (RTF about 0.4 on 2 idle
cores). A voice is a table of style vectors, one per phoneme count; a mix of voices
("af_bella(2)+am_adam(1)", see kokoro_voices) is the weighted mean of their tables.

Streaming stays sentence by sentence. For a listener waiting on the first sound (a request
with `early_parts`), a long first sentence starts with its first clause (or its first few
words when that clause is long), as the Mandarin voice starts with its first clause, so the
first audio comes after about two seconds of speech are made (about a second), not the whole
sentence; the rest of that sentence follows as one piece.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from genai_studio.backends.base import READY, Availability
from genai_studio.backends.speech import kokoro_assets, kokoro_phonemes
from genai_studio.backends.speech.backend import SpeechBackend
from genai_studio.backends.speech.kokoro_voices import (
    BY_CODE,
    Mix,
    catalogue,
    languages,
    parse_mix,
)
from genai_studio.backends.speech.request import SpeechRequest
from genai_studio.errors import InvalidInput, ModelUnavailable

log = logging.getLogger(__name__)

THREADS = 2
MAX_TOKENS = 500  # phonemes in one model call (the voices have styles for 1..510)
# A first sentence longer than EARLY_PHONEMES starts with a head of about HEAD_PHONEMES (about
# two seconds of speech, made in under one on two idle cores): its first clause when that ends
# between MIN_CLAUSE_PHONEMES and MAX_HEAD_PHONEMES, else the words up to about HEAD_PHONEMES.
EARLY_PHONEMES = 60
HEAD_PHONEMES = 32
MIN_CLAUSE_PHONEMES = 12
MAX_HEAD_PHONEMES = 48
_CLAUSE_CUT = re.compile(r"(?<=[,;:—…])\s+")
_SPACE = re.compile(r"\s+")
_REQUIRED = (("onnxruntime", "onnxruntime"), ("hibari", "hibari-tts"))
_MANDARIN = (("misaki", "misaki"), ("jieba", "jieba"), ("cn2an", "cn2an"))


def chunks(phonemes: str, limit: int = MAX_TOKENS) -> list[str]:
    """The phoneme string in pieces of at most `limit`, cut at clause punctuation, then spaces."""
    if len(phonemes) <= limit:
        return [phonemes] if phonemes.strip() else []
    out, current = [], ""
    for pattern in (_CLAUSE_CUT, re.compile(r"\s+")):
        parts = pattern.split(phonemes)
        if len(parts) > 1:
            break
    for part in parts:
        if current and len(current) + 1 + len(part) > limit:
            out.append(current)
            current = ""
        current = f"{current} {part}" if current else part
    out.append(current)
    return [chunk[i : i + limit] for chunk in out for i in range(0, len(chunk), limit)]


def first_clause(phonemes: str) -> tuple[str, str]:
    """(a head to say first, the rest) of a long phoneme string; ("", all) if it is short."""
    if len(phonemes) <= EARLY_PHONEMES:
        return "", phonemes
    for match in _CLAUSE_CUT.finditer(phonemes):
        if MIN_CLAUSE_PHONEMES <= match.start() <= MAX_HEAD_PHONEMES:
            return phonemes[: match.start()], phonemes[match.end() :]
    spaces = [m for m in _SPACE.finditer(phonemes) if MIN_CLAUSE_PHONEMES <= m.start() <= MAX_HEAD_PHONEMES]
    if not spaces:
        return "", phonemes
    cut = min(spaces, key=lambda m: abs(m.start() - HEAD_PHONEMES))
    return phonemes[: cut.start()], phonemes[cut.end() :]


class Kokoro(SpeechBackend):
    name = "kokoro"
    title = "Kokoro-82M"
    licence = (
        "Apache-2.0 (Kokoro-82M v1.0 weights and voices; misaki Apache-2.0); beta languages use "
        "espeak-ng (GPL-3.0) as a separate program"
    )
    embedded = True
    estimated_memory_mb = 600
    sample_rate = 24_000
    mixes = True

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self._session = None
        self._vocab: dict[str, int] = {}
        self._styles: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    @property
    def label(self) -> str:
        return "Kokoro-82M (embedded neural, 49 voices: higher quality, slower than hibari)"

    def available(self) -> Availability:
        for module, package in _REQUIRED:
            if importlib.util.find_spec(module) is None:
                return Availability(False, f"the {package} package is not installed")
        if not kokoro_assets.is_ready(self.settings.cache_dir):
            return Availability(False, f"its model and voices are not prepared: {kokoro_assets.SETUP_HINT}")
        return READY

    def voices(self) -> dict[str, str]:
        return catalogue()

    def languages(self) -> dict[str, str]:
        return languages()

    # -- voices and mixes -------------------------------------------------------------------
    def check_voice(self, voice: object, language: object) -> str:
        """A voice id or a mix, in its canonical form; its language must be the request's
        (English voices speak either accent). Raises InvalidInput otherwise."""
        mix = parse_mix(voice)
        wanted = BY_CODE.get(language) if isinstance(language, str) else None
        if wanted is not None and wanted.family != mix.language.family:
            raise InvalidInput(
                f"The voice {mix.spec} speaks {mix.language.name}, not {wanted.name}: pick a "
                f"{wanted.name} voice, or the language {mix.language.code} (or auto)."
            )
        if mix.language.code == "zh" and any(importlib.util.find_spec(m) is None for m, _ in _MANDARIN):
            raise ModelUnavailable(
                "Kokoro's Mandarin voices need misaki, jieba and cn2an: run scripts/setup.sh."
            )
        return mix.spec

    def voice_language(self, voice: str) -> str | None:
        """The language id a voice or mix speaks natively, or None if it is not one."""
        try:
            return parse_mix(voice).language.code
        except InvalidInput:
            return None

    def _style_table(self, voice: str) -> np.ndarray:
        if voice not in self._styles:
            self._styles[voice] = kokoro_assets.load_voice(self.settings.cache_dir, voice)
        return self._styles[voice]

    def style(self, mix: Mix, tokens: int) -> np.ndarray:
        """The (1, 256) style for `tokens` phonemes: the weighted mean of the mix's voices."""
        row = min(max(tokens, 1), kokoro_assets.VOICE_SHAPE[0]) - 1
        blended = sum(weight * self._style_table(voice)[row] for voice, weight in mix.parts)
        return np.asarray(blended, np.float32).reshape(1, -1)

    # -- the model --------------------------------------------------------------------------
    def load(self, device: str) -> None:
        import onnxruntime as ort
        from hibari.tts import ASSETS

        folder = kokoro_assets.verified(self.settings.cache_dir)
        options = ort.SessionOptions()
        options.intra_op_num_threads = THREADS
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(folder / kokoro_assets.MODEL), options, providers=["CPUExecutionProvider"]
        )
        self._vocab = json.loads((Path(ASSETS) / "vocab.json").read_text(encoding="utf-8"))
        self.speak(kokoro_phonemes.phonemize("Warm up.", "en-us"), parse_mix("af_heart"))
        # the other front ends' dictionaries load now, not during a user's first sentence
        kokoro_phonemes.phonemize("Warm up.", "en-gb")
        if all(importlib.util.find_spec(module) is not None for module, _ in _MANDARIN):
            kokoro_phonemes.phonemize("预热。", "zh")
        log.info("Kokoro-82M ready (%d onnxruntime threads)", THREADS)

    def speak(self, phonemes: str, mix: Mix, speed: float = 1.0) -> np.ndarray:
        """One model call per chunk of `phonemes`, joined."""
        if self._session is None:
            raise RuntimeError("speak() before load()")
        parts = []
        for chunk in chunks(phonemes):
            tokens = [self._vocab[c] for c in chunk if c in self._vocab]
            if not tokens:
                continue
            with self._lock:  # one call at a time: two threads each, on a 2-core machine
                audio = self._session.run(
                    None,
                    {
                        "tokens": np.array([[0, *tokens, 0]], np.int64),
                        "style": self.style(mix, len(tokens)),
                        "speed": np.array([speed], np.float32),
                    },
                )[0]
            parts.append(np.asarray(audio, np.float32).reshape(-1))
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def synthesize_parts(self, sentence: str, request: SpeechRequest) -> Iterator[np.ndarray]:
        """The sentence, or for the first sentence of a streamed request its first clause
        and then the rest, each as soon as it is made."""
        mix = parse_mix(request.voice)
        phonemes = kokoro_phonemes.phonemize(sentence, request.language)
        head = ""
        if request.early_parts and request.sentences and sentence == request.sentences[0]:
            head, phonemes = first_clause(phonemes)
        if head:
            yield self.speak(head, mix, request.speed)
        yield self.speak(phonemes, mix, request.speed)

    def synthesize(self, sentence: str, request: SpeechRequest) -> np.ndarray:
        parts = list(self.synthesize_parts(sentence, request))
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def unload(self) -> None:
        self._session = None
        self._styles.clear()
