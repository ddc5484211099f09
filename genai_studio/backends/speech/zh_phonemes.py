"""Chinese text to the symbol ids the Baker FastSpeech2 model reads.

pypinyin (MIT) gives each character its pinyin with tone (5 = neutral), choosing between
readings of polyphonic characters from its phrase data (银行 hang2, 行走 xing2). Each
syllable becomes an initial and a toned final of the Baker symbol set (the table comes
with the model, in baker_mapper.json), with "#0" between characters and "sil" around
the clause, as the model was trained (TensorFlowTTS's Baker processor, Apache-2.0).
Acronyms and single letters are spelled with the names Mandarin speakers give them (GPS:
ji4 pi1 ai4 si5); English words (Python, hello world) are told apart so that the voice can
hand them to an English voice.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

# Letter names as Mandarin speakers say them, in pinyin.
LETTERS = {
    "a": "ei1", "b": "bi4", "c": "xi1", "d": "di4", "e": "yi4", "f": "ai4 fu5", "g": "ji4",
    "h": "ai4 qi1", "i": "ai4", "j": "jie4", "k": "kai4", "l": "ai4 le5", "m": "ai4 mu5",
    "n": "en1", "o": "ou1", "p": "pi1", "q": "qiu1", "r": "a4 er5", "s": "ai4 si5", "t": "ti4",
    "u": "you1", "v": "wei1", "w": "da2 bu5 liu5", "x": "ai4 ke4 si5", "y": "wai4", "z": "zei4",
}  # fmt: skip
_HAN = re.compile(r"[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_TOKEN = re.compile(r"[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[A-Za-z]+")
_LATIN_RUN = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*(?:[ \t]+[A-Za-z]+(?:['’][A-Za-z]+)*)*")
_SYLLABLE_FIXES = {"n": "en", "ng": "en", "m": "mu", "hm": "hen", "hng": "heng"}  # 嗯 呣 噷 哼


@functools.cache
def _pinyin():
    """pypinyin with neutral tones written 5, the way the Baker labels write them."""
    from pypinyin.contrib.neutral_tone import NeutralToneWith5Mixin
    from pypinyin.converter import DefaultConverter
    from pypinyin.core import Pinyin

    class Converter(NeutralToneWith5Mixin, DefaultConverter):
        pass

    return Pinyin(Converter())


def _is_word(run: str) -> bool:
    """An English word or phrase, not an acronym to spell: some word of 2+ letters in lowercase."""
    return any(len(word) > 1 and not word.isupper() for word in run.split())


def split_english(text: str) -> list[tuple[bool, str]]:
    """(is English, piece) in order: 我用Python写GPS程序 -> 我用 | Python | 写GPS程序."""
    pieces: list[tuple[bool, str]] = []
    start = 0
    for match in _LATIN_RUN.finditer(text):
        if _is_word(match.group(0)):
            pieces += [(False, text[start : match.start()]), (True, match.group(0))]
            start = match.end()
    pieces.append((False, text[start:]))
    return [(english, piece) for english, piece in pieces if piece.strip()]


def syllables(text: str) -> list[str]:
    """Toned pinyin syllables of the Chinese characters and Latin letters in `text`, in order.

    Characters pypinyin has no reading for, digits and punctuation are skipped: numbers
    must be read out first (zh_numbers.normalize).
    """
    from pypinyin import Style

    out: list[str] = []
    for token in _TOKEN.findall(text):
        if _HAN.fullmatch(token):
            readings = _pinyin().lazy_pinyin(token, style=Style.TONE3, errors="ignore")
            out.extend(reading for reading in readings if reading[-1:].isdigit())
        else:
            out.extend(syllable for letter in token.lower() for syllable in LETTERS[letter].split())
    return out


@dataclass(frozen=True)
class BakerSymbols:
    """The model's symbol table: symbol -> id, and pinyin -> (initial, final)."""

    ids: dict[str, int]
    parts: dict[str, tuple[str, str]]

    @classmethod
    def load(cls, mapper: Path) -> BakerSymbols:
        data = json.loads(mapper.read_text(encoding="utf-8"))
        parts = {pinyin: (initial, final) for pinyin, (initial, final) in data["pinyin_dict"].items()}
        return cls(ids=dict(data["symbol_to_id"]), parts=parts)

    def phones(self, syllable: str) -> list[str]:
        """Initial and toned final: zhong1 -> [zh, ong1]; erhua huar1 -> [h, ua1, er5]; unknown -> []."""
        base, tone = syllable[:-1], syllable[-1]
        base = _SYLLABLE_FIXES.get(base, base)
        if base in self.parts:
            initial, final = self.parts[base]
            return [initial, final + tone]
        if base.endswith("r") and base[:-1] in self.parts:
            initial, final = self.parts[base[:-1]]
            return [initial, final + tone, "er5"]
        return []

    def encode(self, pinyin: list[str]) -> list[int]:
        """Ids of one clause: sil, the syllables joined by #0, sil, eos ([] if nothing to say)."""
        phones: list[str] = []
        for syllable in pinyin:
            found = self.phones(syllable)
            if found:
                phones += (["#0"] if phones else []) + found
        if not phones:
            return []
        return [self.ids[symbol] for symbol in ["sil", *phones, "sil", "eos"]]
