"""Subtitles (SRT and WebVTT) timed from the audio actually made, one cue per sentence.

A speech backend makes audio sentence by sentence, so each sentence's place in the
recording is known exactly from its sample count (plus any pause put between sentences).
`CueTimeline` keeps that running clock. A cue starts where the sentence's voice starts (its
leading silence skipped) and ends where it stops. A sentence too long to read as one
subtitle (more than two lines) is split at clauses, each clause timed by its share of the
sentence's letters.
"""

from __future__ import annotations

import json
import re
import textwrap
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from genai_studio.backends.speech.sentences import clauses

LINE_CHARS = 42  # the usual subtitle line: two of them per cue at most
CJK_LINE_CHARS = 20  # Chinese characters are twice as wide
MAX_CUE_CHARS = 2 * LINE_CHARS
SILENCE_DB = -40.0  # below the sentence's peak by this much counts as silence
MIN_CUE_S = 0.001
_WIDE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float
    text: str


def _speakable_chars(text: str) -> int:
    return sum(unicodedata.category(ch)[0] in "LN" for ch in text) or 1


def _lines(text: str) -> list[str]:
    """At most ~42 columns a line; text without spaces (Chinese) is cut every 20 characters."""
    text = " ".join(text.split())
    if " " not in text:
        return [text[i : i + CJK_LINE_CHARS] for i in range(0, len(text), CJK_LINE_CHARS)] or [""]
    return textwrap.wrap(text, LINE_CHARS, break_long_words=True) or [""]


def voiced_range(audio: np.ndarray) -> tuple[int, int]:
    """(first, end) sample offsets of the voice in one sentence's audio, its silence trimmed."""
    level = np.abs(np.asarray(audio, np.float32).reshape(-1))
    if not level.size or level.max() <= 0:
        return 0, level.size
    loud = np.flatnonzero(level >= level.max() * 10 ** (SILENCE_DB / 20))
    return int(loud[0]), int(loud[-1]) + 1


def spread(text: str, start: float, stop: float) -> list[Cue]:
    """The cues of `text` spoken from `start` to `stop` seconds: one, or one per clause of a
    text too long to read as one subtitle, each timed by its share of the letters."""
    parts = clauses(text, MAX_CUE_CHARS)
    weights = np.cumsum([0] + [_speakable_chars(part) for part in parts])
    bounds = start + (stop - start) * weights / weights[-1]
    return [
        Cue(round(begin, 3), round(max(finish, begin + MIN_CUE_S), 3), part)
        for part, begin, finish in zip(parts, bounds[:-1], bounds[1:], strict=True)
    ]


class CueTimeline:
    """The running clock of a recording made piece by piece: speech and pauses, in order."""

    def __init__(self, rate: int, start: float = 0.0, cues: Iterable[Cue] = ()) -> None:
        self.rate = rate
        self.seconds = start  # where the next piece begins
        self.cues: list[Cue] = list(cues)

    def speech(self, text: str, samples: int, voiced: tuple[int, int] | None = None) -> None:
        """One sentence spoken in `samples` samples; `voiced` is where its voice is within them."""
        first, end = voiced if voiced is not None else (0, samples)
        start = self.seconds + first / self.rate
        stop = self.seconds + max(end, first) / self.rate
        self.seconds += samples / self.rate
        self.cues += spread(text, start, stop)

    def silence(self, samples: int) -> None:
        self.seconds += samples / self.rate


def sentence_cues(
    sentences: Sequence[str], audio: Sequence[np.ndarray], rate: int, pause_samples: int = 0
) -> list[Cue]:
    """Cues for sentences spoken one after another, with `pause_samples` of silence between."""
    timeline = CueTimeline(rate)
    for index, (sentence, chunk) in enumerate(zip(sentences, audio, strict=True)):
        if index and pause_samples:
            timeline.silence(pause_samples)
        timeline.speech(sentence, len(chunk), voiced_range(chunk))
    return timeline.cues


def _stamp(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_srt(cues: Iterable[Cue], wrap: bool = True) -> str:
    """SubRip: numbered cues, `hh:mm:ss,mmm` times, a blank line after each; the text wrapped
    at ~42 columns, or (`wrap=False`) kept in the lines it has."""
    blocks = [
        f"{number}\n{_stamp(cue.start, ',')} --> {_stamp(cue.end, ',')}\n"
        + "\n".join(_lines(cue.text) if wrap else cue.text.splitlines())
        for number, cue in enumerate(cues, 1)
    ]
    return "".join(block + "\n\n" for block in blocks)


_SRT_TIME = re.compile(r"(\d+):(\d{2}):(\d{2})[,.](\d{3})")


def _seconds(stamp: str) -> float:
    hours, minutes, secs, millis = map(int, _SRT_TIME.fullmatch(stamp.strip()).groups())
    return hours * 3600 + minutes * 60 + secs + millis / 1000


def from_srt(text: str) -> list[Cue]:
    """The cues of a SubRip file (as `to_srt` writes them); a cue's lines are joined again
    (with a space, or none between Chinese characters). Malformed blocks are skipped."""
    cues = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = block.strip().split("\n")
        times = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if times is None:
            continue
        start, _, end = lines[times].partition("-->")
        try:
            begin, finish = _seconds(start), _seconds(end.split()[0] if end.split() else "")
        except (AttributeError, IndexError):
            continue
        body = ""
        for line in (line.strip() for line in lines[times + 1 :] if line.strip()):
            cjk = body and _WIDE.match(body[-1]) and _WIDE.match(line[0])
            body = body + line if cjk or not body else f"{body} {line}"
        if body:
            cues.append(Cue(begin, finish, body))
    return cues


def _vtt_text(text: str) -> str:
    """Cue text may not hold `-->`, and &, < and > are markup in WebVTT."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("--&gt;", "→")


def to_webvtt(cues: Iterable[Cue]) -> str:
    """WebVTT: a `WEBVTT` header, `hh:mm:ss.mmm` times, a blank line after each cue."""
    blocks = [
        f"{_stamp(cue.start, '.')} --> {_stamp(cue.end, '.')}\n" + "\n".join(_lines(_vtt_text(cue.text)))
        for cue in cues
    ]
    return "WEBVTT\n\n" + "".join(block + "\n\n" for block in blocks)


def cues_to_json(cues: Iterable[Cue]) -> str:
    """Cues as JSON, kept with a stopped narration so a continuation adds to them."""
    return json.dumps([[cue.start, cue.end, cue.text] for cue in cues], ensure_ascii=False)


def cues_from_json(data: str) -> list[Cue]:
    return [Cue(float(start), float(end), str(text)) for start, end, text in json.loads(data)]
