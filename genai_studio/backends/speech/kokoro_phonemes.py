"""Text to Kokoro's phonemes, by language.

- English (US and UK): hibari's G2P (a port of misaki's English G2P without spaCy or espeak;
  its vocabulary is Kokoro's), with the British lexicon for en-gb.
- Mandarin: misaki's `zh.ZHG2P()`, the front end Kokoro v1.0 was trained with (pinyin by
  jieba and pypinyin, then IPA with tone arrows). Numbers, dates and amounts are first read out
  by the studio's own zh_numbers; English words inside Chinese text go to the English G2P and
  acronyms are spelled with Mandarin letter names (as the FastSpeech2 voice does).
- Spanish, French, Italian, Brazilian Portuguese, Hindi (beta): `espeak-ng --ipa`, run as a
  separate program (GPL-3.0, never linked), with misaki's espeak mapping to Kokoro's symbols.
  Punctuation is kept by phonemizing the text between punctuation marks one piece per line.
"""

from __future__ import annotations

import functools
import logging
import re
import subprocess
import threading

from genai_studio.backends.speech.kokoro_voices import BY_CODE
from genai_studio.backends.speech.zh_numbers import normalize
from genai_studio.backends.speech.zh_phonemes import LETTERS, split_english
from genai_studio.errors import ModelUnavailable

ESPEAK = "espeak-ng"
ESPEAK_TIMEOUT_S = 30
ESPEAK_VOICES = {"es": "es", "fr-fr": "fr-fr", "it": "it", "pt-br": "pt-br", "hi": "hi"}
# misaki's EspeakG2P (v1.0): espeak's tied diphthongs and affricates -> Kokoro's one-letter symbols
_ESPEAK_TO_KOKORO = sorted(
    {
        "a^ɪ": "I",
        "a^ʊ": "W",
        "d^z": "ʣ",
        "d^ʒ": "ʤ",
        "e^ɪ": "A",
        "o^ʊ": "O",
        "ə^ʊ": "Q",
        "s^s": "S",
        "t^s": "ʦ",
        "t^ʃ": "ʧ",
        "ɔ^ɪ": "Y",
    }.items()
)
_PUNCTUATION = re.compile(r"(\s*[,.;:!?¿¡—…«»“”\"()।]+\s*)")
_LETTER_RUN = re.compile(r"[A-Za-z]+")
_lock = threading.Lock()  # jieba and the G2P caches are built once, not by two threads at a time


@functools.cache
def _english(british: bool):
    from hibari.g2p import G2P

    return G2P(british=british)


@functools.cache
def _mandarin():
    import jieba
    from misaki.zh import ZHG2P

    jieba.setLogLevel(logging.WARNING)  # not a line per process about building its dictionary
    return ZHG2P()


def english(text: str, british: bool = False) -> str:
    with _lock:
        return _english(british)(text)


def _spelled(letters: str) -> str:
    """An acronym (GPS) as the IPA of its Mandarin letter names."""
    from misaki.zh import ZHG2P

    syllables = [syllable for letter in letters.lower() for syllable in LETTERS[letter].split()]
    return "".join(ZHG2P.py2ipa(syllable) for syllable in syllables)


def mandarin(text: str) -> str:
    """Chinese text (with numbers, English words and acronyms) as Kokoro's phonemes."""
    pieces = []
    with _lock:
        g2p = _mandarin()
        for is_english, piece in split_english(normalize(text)):
            if is_english:
                pieces.append(_english(False)(piece))
                continue
            start = 0
            for match in _LETTER_RUN.finditer(piece):
                pieces.append(
                    g2p(piece[start : match.start()])[0] if piece[start : match.start()].strip() else ""
                )
                pieces.append(_spelled(match.group(0)))
                start = match.end()
            if piece[start:].strip():
                pieces.append(g2p(piece[start:])[0])
    return " ".join(piece.strip() for piece in pieces if piece and piece.strip())


def _espeak_lines(lines: list[str], voice: str) -> list[str]:
    """One line of IPA per line of text (espeak-ng reads stdin line by line)."""
    command = [ESPEAK, "-q", "--ipa", "--tie=^", "-b", "1", "-v", voice, "--stdin"]
    try:
        done = subprocess.run(
            command, input="\n".join(lines).encode() + b"\n", capture_output=True, timeout=ESPEAK_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelUnavailable(f"espeak-ng could not give phonemes: {exc}") from exc
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip()[:200]
        raise ModelUnavailable(f"espeak-ng failed: {detail or f'exit code {done.returncode}'}")
    return [line.strip() for line in done.stdout.decode(errors="replace").splitlines() if line.strip()]


def _to_kokoro(ipa: str) -> str:
    for old, new in _ESPEAK_TO_KOKORO:
        ipa = ipa.replace(old, new)
    return ipa.replace("^", "").replace("-", "")


def espeak(text: str, language: str) -> str:
    """`text` in a beta language through espeak-ng, punctuation kept for Kokoro's pauses."""
    voice = ESPEAK_VOICES[language]
    pieces = _PUNCTUATION.split(text)
    words = [piece.strip() for piece in pieces[::2]]
    spoken = [piece for piece in words if re.search(r"\w", piece)]
    if not spoken:
        return ""
    lines = _espeak_lines(spoken, voice)
    if len(lines) != len(spoken):  # espeak-ng split a piece itself: one process per piece
        lines = [" ".join(_espeak_lines([piece], voice)) for piece in spoken]
    ipa = iter(lines)
    out = []
    for index, piece in enumerate(pieces):
        if index % 2:
            out.append(piece.strip().replace("¿", "").replace("¡", "").replace("«", "“").replace("»", "”"))
            out.append(" ")
        elif re.search(r"\w", piece):
            out.append(_to_kokoro(next(ipa)))
    return re.sub(r"\s+", " ", "".join(out)).strip()


def phonemize(text: str, language: str) -> str:
    """Kokoro phonemes of `text` in a language id of kokoro_voices.LANGUAGES."""
    if language not in BY_CODE:
        raise ValueError(f"no Kokoro language {language!r}")
    if language in ("en-us", "en-gb"):
        return english(text, british=language == "en-gb")
    if language == "zh":
        return mandarin(text)
    return espeak(text, language)
