"""Word and character error rates, as the Listen tests and bench/listen.py score transcripts.

WER on English: words compared lowercased, punctuation dropped. CER on Chinese: characters
compared in simplified form with numbers read out and punctuation dropped (bench/speech_zh.py's
`spoken`), so 2026 and 二零二六 count as the same.
"""

from __future__ import annotations

import functools
import re

from bench.speech_zh import edit_distance, spoken

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def wer(reference: str, transcript: str) -> float:
    """Word error rate of `transcript` against `reference` (0 is perfect)."""
    expected = words(reference)
    return edit_distance(expected, words(transcript)) / max(len(expected), 1)


@functools.cache
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def cer(reference: str, transcript: str) -> float:
    """Character error rate of a Chinese `transcript` against `reference` (0 is perfect)."""
    expected = spoken(reference, _converter())
    return edit_distance(list(expected), list(spoken(transcript, _converter()))) / max(len(expected), 1)
