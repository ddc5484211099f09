"""Long-form narration: a chapter spoken sentence by sentence into one WAV, one MP3 and subtitles.

Memory does not grow with the length of the text: each sentence's audio goes straight to a
raw WAV on disk and through a loudness meter, and one pass over that file at the end (or at
Stop) applies the gain to -16 LUFS and writes the final WAV and MP3 together. A stopped
narration keeps its raw audio and cues, so it continues later from the next sentence and
ends exactly as if it had been made in one go. Works with every speech backend.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from genai_studio.audio_files import (
    SPOKEN_WORD_LUFS,
    LoudnessMeter,
    Mp3Encoder,
    SpeechTags,
    gain_to,
    limit_gain,
    open_wav,
)
from genai_studio.backends.base import Progress, Result
from genai_studio.backends.manager import ModelManager
from genai_studio.backends.speech.request import SpeechRequest
from genai_studio.backends.speech.roles import Cast
from genai_studio.backends.speech.sentences import split_sentences
from genai_studio.errors import InvalidInput, ModelUnavailable
from genai_studio.subtitles import (
    Cue,
    CueTimeline,
    cues_from_json,
    cues_to_json,
    to_srt,
    to_webvtt,
    voiced_range,
)

PARAGRAPH_PAUSE_S = 0.6
BLOCK_FRAMES = 1 << 16  # the final pass reads the raw audio in blocks of this many samples
WAV, MP3, SRT, VTT = "narration.wav", "narration.mp3", "narration.srt", "narration.vtt"
RAW, CUES = "narration-raw.wav", "narration-cues.json"  # kept by a stopped narration to continue it
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Script:
    """The sentences of a text in reading order, which of them open a new paragraph, and with
    voices per role, the voice of each."""

    sentences: tuple[str, ...]
    paragraph_starts: frozenset[int]
    voices: tuple[str, ...] = ()


def _blocks(text: str, cast: Cast | None) -> list[str]:
    """Paragraphs: a line starting with a character's `NAME:` always opens one of its own."""
    blocks = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.split("\n")
    if cast is None or not cast.characters:
        return blocks
    out: list[str] = []
    for block in blocks:
        current: list[str] = []
        for line in block.split("\n"):
            if cast.starts_line(line) and current:
                out.append("\n".join(current))
                current = []
            current.append(line)
        out.append("\n".join(current))
    return out


def script(text: str, cast: Cast | None = None) -> Script:
    """Paragraphs are separated by blank lines and the lines inside one are joined (hard-wrapped
    books); text with no blank line has one paragraph per line. With a cast, each sentence
    also gets its role's voice (see roles.Cast.parts)."""
    sentences: list[str] = []
    voices: list[str] = []
    starts: set[int] = set()
    for block in _blocks(text, cast):
        joined = " ".join(block.split())
        parts = cast.parts(joined) if cast is not None and cast.characters else [(joined, "")]
        found = [(sentence, voice) for part, voice in parts for sentence in split_sentences(part)]
        if found and sentences:
            starts.add(len(sentences))
        sentences.extend(sentence for sentence, _ in found)
        voices.extend(voice for _, voice in found)
    return Script(tuple(sentences), frozenset(starts), tuple(voices) if cast and cast.characters else ())


@dataclass(frozen=True)
class Resume:
    """What a stopped narration made: its raw audio, its cues, and the sentence to go on from."""

    raw: Path
    cues: tuple[Cue, ...]
    next_sentence: int

    @classmethod
    def from_files(cls, raw: Path, cues: Path, next_sentence: int) -> Resume:
        return cls(raw, tuple(cues_from_json(cues.read_text())), next_sentence)


@dataclass(frozen=True)
class NarrationProgress:
    done: int  # sentences spoken so far, a continued narration's earlier ones included
    total: int
    seconds_left: float | None  # estimated from this run's pace; None until two sentences are done
    sentence: str


@dataclass(frozen=True)
class Narration:
    """The finished or stopped narration: its files (in the work folder) and parameters."""

    files: dict[str, Path]
    params: dict[str, Any]
    cues: tuple[Cue, ...] = ()  # the subtitles' cues, for a caller that places the voice in a mix

    @property
    def stopped(self) -> bool:
        return bool(self.params["stopped"])


class _Recording:
    """The raw audio file, its loudness meter and its subtitle clock, written as speech comes."""

    def __init__(self, path: Path, rate: int, resume: Resume | None) -> None:
        self.path, self.rate = path, rate
        self.wav = open_wav(path, rate)
        self.meter = LoudnessMeter(rate)
        self.frames = 0
        if resume is not None:
            for block in sf.blocks(resume.raw, blocksize=BLOCK_FRAMES, dtype="float32"):
                self._write(block)
        self.timeline = CueTimeline(rate, self.frames / rate, resume.cues if resume else ())

    def _write(self, audio: np.ndarray) -> None:
        self.wav.write(audio)
        self.meter.add(audio)
        self.frames += len(audio)

    def speech(self, sentence: str, rate: int, audio: np.ndarray) -> None:
        if rate != self.rate:
            raise ModelUnavailable(f"The voice changed its sample rate mid-way ({self.rate} -> {rate} Hz).")
        if audio.size:
            self._write(audio)
            self.timeline.speech(sentence, audio.size, voiced_range(audio))

    def pause(self, seconds: float) -> None:
        silence = np.zeros(round(seconds * self.rate), np.float32)
        self._write(silence)
        self.timeline.silence(silence.size)


class _Pace:
    """Time left, from the pace since the first sentence (loading the model comes before it)."""

    def __init__(self, chars: int) -> None:
        self.chars_left = chars
        self.since: tuple[float, int] | None = None  # (time, characters left) after the first sentence

    def spoke(self, chars: int) -> float | None:
        self.chars_left -= chars
        now = time.monotonic()
        if self.since is None:
            self.since = (now, self.chars_left)
            return None
        then, chars_then = self.since
        return (now - then) / (chars_then - self.chars_left) * self.chars_left


def _finish(recording: _Recording, workdir: Path, tags: SpeechTags, stopped: bool) -> dict[str, Any]:
    """Close the raw file; write the loudness-normalised WAV and MP3 in one pass, and subtitles."""
    recording.wav.close()
    measured = recording.meter.integrated()
    gain = gain_to(measured, SPOKEN_WORD_LUFS)
    with (
        open_wav(workdir / WAV, recording.rate, tags=tags) as wav,
        Mp3Encoder(workdir / MP3, recording.rate) as mp3,
    ):
        for block in sf.blocks(recording.path, blocksize=BLOCK_FRAMES, dtype="float32"):
            louder = limit_gain(block, gain)
            wav.write(louder)
            mp3.write(louder)
    cues = recording.timeline.cues
    (workdir / SRT).write_text(to_srt(cues), encoding="utf-8")
    (workdir / VTT).write_text(to_webvtt(cues), encoding="utf-8")
    names = [WAV, MP3, SRT, VTT]
    if stopped:
        (workdir / CUES).write_text(cues_to_json(cues), encoding="utf-8")
        names += [RAW, CUES]
    return {"files": {name: workdir / name for name in names}, "measured_lufs": round(measured, 2)}


def narrate(
    manager: ModelManager,
    spec: str,
    request: SpeechRequest,
    workdir: Path,
    cancel: threading.Event,
    resume: Resume | None = None,
) -> Iterator[NarrationProgress | Narration]:
    """Speak `request.text` on model `spec` into files in `workdir`, yielding progress after each
    sentence and one Narration last, also when `cancel` is set (then it can be continued)."""
    plan = script(request.text, request.cast)
    total = len(plan.sentences)
    start = resume.next_sentence if resume else 0
    if not 0 <= start < total:
        raise InvalidInput(f"There is no sentence {start + 1} to continue from: the text has {total}.")
    run = dataclasses.replace(
        request, sentences=plan.sentences[start:], voices=plan.voices[start:], keep_audio=False
    )
    recording: _Recording | None = None
    done, params = start, {}
    pace = _Pace(sum(map(len, run.sentences)))
    for item in manager.run(spec, run, cancel):
        if isinstance(item, Result):
            params = item.params
        elif isinstance(item, Progress) and item.partial is not None:
            rate, audio = item.partial
            sentence = plan.sentences[done]
            recording = recording or _Recording(workdir / RAW, rate, resume)
            if done in plan.paragraph_starts and recording.frames:
                recording.pause(PARAGRAPH_PAUSE_S)
            recording.speech(sentence, rate, audio)
            done += 1
            yield NarrationProgress(done, total, pace.spoke(len(sentence)), sentence)
    stopped = done < total
    finished = {"files": {}, "measured_lufs": None}
    if recording is not None:
        tags = SpeechTags(text=request.text, voice=request.voice, model=str(params.get("model", spec)))
        finished = _finish(recording, workdir, tags, stopped)
    seconds = round(recording.frames / recording.rate, 3) if recording else 0.0
    yield Narration(
        files=finished["files"],
        cues=tuple(recording.timeline.cues) if recording else (),
        params={
            **request.params(),
            "model": params.get("model", spec),
            "sample_rate": recording.rate if recording else None,
            "seconds": seconds,
            "sentences": total,
            "next_sentence": done,
            "stopped": stopped,
            "measured_lufs": finished["measured_lufs"],
            "target_lufs": SPOKEN_WORD_LUFS,
            "paragraph_pause_s": PARAGRAPH_PAUSE_S,
        },
    )
