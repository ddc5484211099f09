"""A narration the studio did not make, timed by the recogniser: each sentence's subtitle runs
from when its first word is heard to when its last one ends.

The track is transcribed with word times (a job of the Listen task through the manager, so
Stop and the queue hold). With a script, its sentences are subtitled as the script writes
them: the script's letters are matched to the heard ones (difflib), so a misheard word moves
no cue; a sentence none of whose letters were heard is spread over the gap its neighbours
leave. Without a script, the transcript is the script.
"""

from __future__ import annotations

import difflib
import itertools
import threading
from pathlib import Path

import numpy as np

from genai_studio.audio_files import open_wav
from genai_studio.backends.base import Result
from genai_studio.backends.listen.request import build_request
from genai_studio.backends.listen.transcript import Transcript, cues
from genai_studio.backends.manager import ModelManager
from genai_studio.config import Settings
from genai_studio.mixing import FRAME_S
from genai_studio.narration import script
from genai_studio.subtitles import Cue, spread

HEARD_WAV = "heard-narration.wav"


def transcribe_track(
    manager: ModelManager,
    settings: Settings,
    audio: np.ndarray,
    rate: int,
    workdir: Path,
    cancel: threading.Event,
) -> Transcript | None:
    """The track's transcript with word times, by the first recogniser configured; None once
    stopped. `cancel` is the job's own event: the manager sets it when the job ends."""
    path = workdir / HEARD_WAV
    with open_wav(path, rate, 1 if audio.ndim == 1 else audio.shape[1]) as wav:
        wav.write(audio)
    request = build_request(settings, media_path=path, word_timestamps=True, name="narration track")
    results = [
        item for item in manager.run(settings.listen_models[0], request, cancel) if isinstance(item, Result)
    ]
    path.unlink(missing_ok=True)
    return results[-1].output if results and not results[-1].params.get("stopped") else None


def _letters(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def timed_cues(text: str, transcript: Transcript) -> tuple[Cue, ...]:
    """Cues of `text`'s sentences timed by when they are heard in `transcript`; without a text,
    the transcript's own cues."""
    sentences = script(text).sentences if text.strip() else ()
    if not sentences:
        return tuple(cues(transcript))
    heard: list[str] = []  # one letter at a time, with when its word is said
    times: list[tuple[float, float]] = []
    for segment in transcript.segments:
        for word in segment.words or (segment,):
            letters = _letters(getattr(word, "text", ""))
            heard.append(letters)
            times += [(word.start, word.end)] * len(letters)
    written = [_letters(sentence) for sentence in sentences]
    owner = [index for index, letters in enumerate(written) for _ in letters]
    matcher = difflib.SequenceMatcher(None, "".join(written), "".join(heard), autojunk=False)
    spans: list[list[float]] = [[] for _ in sentences]
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            start, end = times[block.b + offset]
            spans[owner[block.a + offset]] += [start, end]
    bounds: list[tuple[float, float] | None] = [(min(s), max(s)) if s else None for s in spans]
    index = 0
    while index < len(bounds):  # a run of sentences not heard shares the gap its neighbours leave
        if bounds[index] is not None:
            index += 1
            continue
        last = next((i for i in range(index, len(bounds)) if bounds[i] is not None), len(bounds))
        before = bounds[index - 1][1] if index else 0.0
        after = bounds[last][0] if last < len(bounds) else transcript.duration
        weights = np.cumsum([0] + [max(len(letters), 1) for letters in written[index:last]])
        edges = before + max(after - before, 0.0) * weights / weights[-1]
        bounds[index:last] = list(itertools.pairwise(edges))
        index = last
    return tuple(
        cue
        for sentence, (start, end) in zip(sentences, bounds, strict=True)
        for cue in spread(sentence, start, end)
    )


def onto_voice(found: tuple[Cue, ...], speech: np.ndarray) -> tuple[Cue, ...]:
    """Each cue starting at the first frame of voice within it: Whisper often puts a first
    word's start at the silence before it. `speech` marks the track's 10 ms frames of voice."""
    moved = []
    for cue in found:
        first, last = int(cue.start / FRAME_S), int(np.ceil(cue.end / FRAME_S))
        voiced = np.flatnonzero(speech[first:last])
        start = (first + voiced[0]) * FRAME_S if voiced.size else cue.start
        moved.append(Cue(round(max(cue.start, start), 3), cue.end, cue.text))
    return tuple(moved)
