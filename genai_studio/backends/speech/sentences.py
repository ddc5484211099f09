"""Split text into the sentences a speech model says one at a time.

Sentences end at English end punctuation followed by a space (not after a title such as
"Dr." or an initial, nor before a lowercase word), at Chinese end punctuation (no space
needed), and at line breaks. A sentence too long for a model is cut at clause punctuation,
then at spaces, then anywhere, so no single chunk delays the stream for long.
"""

from __future__ import annotations

import re
import unicodedata

MAX_SENTENCE_CHARS = 300

_CLOSERS = re.escape("\"'”’)]）」』》】")
_LATIN_END = re.compile(rf"[.!?…]+[{_CLOSERS}]*\s+(?=\S)")
_CJK_END = re.compile(rf"[。！？；!?]+[{_CLOSERS}]*\s*|……[{_CLOSERS}]*\s*")
_CLAUSE = re.compile(r"(?<=[,;:，、；：—])\s*")
_TITLES = frozenset(  # words whose period ends no sentence
    "mr mrs ms dr prof st sr jr vs etc e.g i.e no fig mt col gen lt sgt capt rev hon inc ltd co "  # noqa: SIM905
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)


def is_speakable(text: str) -> bool:
    """True when the text holds at least one letter or digit (not only punctuation or emoji)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def _latin_boundary(text: str, end: int, next_char: str) -> bool:
    """False for "Dr. Smith", "J. K. Rowling" and "e.g. this": a period that ends no sentence."""
    if next_char.islower():
        return False
    if text[end] != ".":
        return True
    word = text[text.rfind(" ", 0, end) + 1 : end].lstrip("(\"“'‘").lower()
    return not (word in _TITLES or (len(word) == 1 and word.isalpha()))


def _split_paragraph(text: str) -> list[str]:
    cuts = {match.end() for match in _CJK_END.finditer(text)}
    for match in _LATIN_END.finditer(text):
        if _latin_boundary(text, match.start(), text[match.end()]):
            cuts.add(match.end())
    pieces, start = [], 0
    for cut in sorted(cuts):
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return [piece.strip() for piece in pieces if piece.strip()]


def _shorten(sentence: str, limit: int) -> list[str]:
    """Cut an overlong sentence at clauses, then spaces, then every `limit` characters."""
    if len(sentence) <= limit:
        return [sentence]
    for pattern in (_CLAUSE, re.compile(r"(?<=\s)")):
        parts = [part for part in pattern.split(sentence) if part.strip()]
        if len(parts) > 1:
            out: list[str] = []
            current = ""
            for part in parts:
                if current and len(current) + len(part) > limit:
                    out.append(current.strip())
                    current = ""
                current += part
            out.append(current.strip())
            return [piece for chunk in out for piece in _shorten(chunk, limit)]
    return [sentence[i : i + limit] for i in range(0, len(sentence), limit)]


def split_sentences(text: str, max_chars: int = MAX_SENTENCE_CHARS) -> list[str]:
    """The sentences of `text` in order; pieces with nothing to say (only punctuation) are dropped."""
    sentences = []
    for paragraph in text.splitlines():
        for sentence in _split_paragraph(paragraph.strip()):
            sentences.extend(piece for piece in _shorten(sentence, max_chars) if is_speakable(piece))
    return sentences


def clauses(sentence: str, max_chars: int) -> list[str]:
    """`sentence` cut at clause punctuation (then spaces) into pieces of at most `max_chars`
    (one subtitle cue each); a short sentence is one piece."""
    return [piece for piece in _shorten(sentence.strip(), max_chars) if piece] or [sentence.strip()]
