"""What a recogniser hears, and the files made of it: plain text, SRT, WebVTT and JSON.

A Transcript is its Segments in order (each with its times and, when asked for, its Words);
the text of a language written without spaces (Chinese, Japanese, Thai...) is joined without
them. The JSON is OpenAI's `verbose_json` shape (segments, and words when they were timed),
so the file a user downloads and what /v1 answers are the same thing. Subtitles are one cue
per segment; a segment too long for two lines is cut at word times where they are known,
else at clauses timed by their share of the letters (genai_studio.subtitles).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from genai_studio import subtitles
from genai_studio.subtitles import MAX_CUE_CHARS, Cue, spread

TXT, SRT, VTT, JSON = "transcript.txt", "transcript.srt", "transcript.vtt", "transcript.json"
NO_SPACES = frozenset({"zh", "yue", "ja", "th", "lo", "my", "km", "bo"})  # written without spaces


@dataclass(frozen=True)
class Word:
    start: float  # seconds from the start of the recording
    end: float
    text: str  # as Whisper spells it: with its leading space in English
    probability: float = 1.0


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 0.0
    temperature: float = 0.0

    def stamp(self) -> str:
        """`[01:02.3 → 01:05.0]`, as the Listen tab shows each segment."""
        return f"[{_clock(self.start)} → {_clock(self.end)}]"


@dataclass(frozen=True)
class Transcript:
    segments: tuple[Segment, ...]
    language: str  # the language spoken (detected or chosen), e.g. "en", "zh"
    duration: float  # seconds of audio heard
    task: str = "transcribe"  # or "translate" (to English)

    @property
    def written_in(self) -> str:
        return "en" if self.task == "translate" else self.language

    @property
    def text(self) -> str:
        return join([segment.text for segment in self.segments], self.written_in)


def join(texts: list[str], language: str) -> str:
    """Pieces of text as one: with spaces, or without for languages written without them."""
    pieces = [text.strip() for text in texts if text.strip()]
    return ("" if language in NO_SPACES else " ").join(pieces)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(max(seconds, 0.0), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{rest:04.1f}" if hours else f"{minutes:02d}:{rest:04.1f}"


def timed_lines(transcript: Transcript | tuple[Segment, ...] | list[Segment]) -> str:
    """One line per segment with its times, as the Listen tab streams them."""
    segments = transcript.segments if isinstance(transcript, Transcript) else transcript
    return "\n".join(f"{segment.stamp()} {segment.text.strip()}" for segment in segments)


def to_text(transcript: Transcript) -> str:
    """The TXT file: one segment a line."""
    lines = [segment.text.strip() for segment in transcript.segments if segment.text.strip()]
    return "".join(line + "\n" for line in lines)


def _word_cues(words: tuple[Word, ...], language: str) -> list[Cue]:
    """Consecutive words grouped into cues of at most two subtitle lines, timed by the words."""
    cues: list[Cue] = []
    group: list[Word] = []
    for word in (*words, None):
        text = "".join(w.text.strip() if language in NO_SPACES else w.text for w in group).strip()
        if word is None or (group and len(text) + len(word.text) > MAX_CUE_CHARS):
            if group:
                cues.append(Cue(round(group[0].start, 3), round(max(group[-1].end, group[0].start), 3), text))
            group = []
        if word is not None:
            group.append(word)
    return cues


def cues(transcript: Transcript) -> list[Cue]:
    """Subtitle cues: one per segment, or a long segment's pieces."""
    found: list[Cue] = []
    for segment in transcript.segments:
        text = segment.text.strip()
        if not text:
            continue
        if len(text) <= MAX_CUE_CHARS:
            found.append(Cue(round(segment.start, 3), round(max(segment.end, segment.start), 3), text))
        elif segment.words:
            found += _word_cues(segment.words, transcript.written_in)
        else:
            found += spread(text, segment.start, max(segment.end, segment.start))
    return found


def to_srt(transcript: Transcript) -> str:
    return subtitles.to_srt(cues(transcript))


def to_vtt(transcript: Transcript) -> str:
    return subtitles.to_webvtt(cues(transcript))


def verbose(transcript: Transcript, *, words: bool = True, segments: bool = True) -> dict[str, Any]:
    """OpenAI's `verbose_json`: task, language (its English name), duration, text, then the
    segments and the words (when they were timed) as asked."""
    from genai_studio.backends.listen.request import LANGUAGES

    body: dict[str, Any] = {
        "task": transcript.task,
        "language": LANGUAGES.get(transcript.language, transcript.language).lower(),
        "duration": round(transcript.duration, 3),
        "text": transcript.text,
    }
    if segments:
        body["segments"] = [
            {
                "id": index,
                "seek": round(segment.start * 100),
                "start": round(segment.start, 3),
                "end": round(segment.end, 3),
                "text": segment.text,
                "tokens": [],
                "temperature": segment.temperature,
                "avg_logprob": round(segment.avg_logprob, 4),
                "compression_ratio": round(segment.compression_ratio, 4),
                "no_speech_prob": round(segment.no_speech_prob, 4),
            }
            for index, segment in enumerate(transcript.segments)
        ]
    if words and any(segment.words for segment in transcript.segments):
        body["words"] = [
            {"word": word.text.strip(), "start": round(word.start, 3), "end": round(word.end, 3)}
            for segment in transcript.segments
            for word in segment.words
        ]
    return body


def to_json(transcript: Transcript) -> str:
    """The JSON file: `verbose` with segments and words."""
    return json.dumps(verbose(transcript), ensure_ascii=False, indent=1)


def files(transcript: Transcript) -> dict[str, bytes]:
    """Every file of a transcript, by the fixed names History keeps them under."""
    return {
        TXT: to_text(transcript).encode(),
        SRT: to_srt(transcript).encode(),
        VTT: to_vtt(transcript).encode(),
        JSON: to_json(transcript).encode(),
    }
