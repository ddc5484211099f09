"""The melody vocabulary shared by training and sampling: one token per (pitch, duration).

Pitch is the number of semitones above the tonic (or a rest), so one model serves every
key; the mode (major or minor) is the first token of each melody.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

PITCH_LOW, PITCH_HIGH = -12, 19  # semitones around the tonic; outside notes are folded in
PITCHES = tuple(range(PITCH_LOW, PITCH_HIGH + 1))
REST = len(PITCHES)  # pitch index of a rest
DURATIONS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)  # in beats (quarter notes)

NOTE_TOKENS = (len(PITCHES) + 1) * len(DURATIONS)
BOS = {"major": NOTE_TOKENS, "minor": NOTE_TOKENS + 1}
EOS = NOTE_TOKENS + 2
VOCAB = NOTE_TOKENS + 3


def duration_index(beats: float) -> int:
    """The nearest duration in log scale, so a dotted half is not mistaken for a whole."""
    beats = max(beats, 1e-3)
    return min(range(len(DURATIONS)), key=lambda i: abs(math.log2(DURATIONS[i] / beats)))


def pitch_index(semitones: int | None) -> int:
    if semitones is None:
        return REST
    while semitones < PITCH_LOW:
        semitones += 12
    while semitones > PITCH_HIGH:
        semitones -= 12
    return semitones - PITCH_LOW


def note_token(semitones: int | None, beats: float) -> int:
    return pitch_index(semitones) * len(DURATIONS) + duration_index(beats)


def split(token: int) -> tuple[int | None, float]:
    """(semitones above the tonic or None for a rest, beats) of a note token."""
    if not 0 <= token < NOTE_TOKENS:
        raise ValueError(f"{token} is not a note token")
    pitch, duration = divmod(token, len(DURATIONS))
    return (None if pitch == REST else PITCHES[pitch]), DURATIONS[duration]


def encode(mode: str, notes: Sequence[Sequence[float | None]]) -> list[int]:
    """BOS(mode), one token per [semitones or None, beats], EOS."""
    body = [note_token(None if p is None else int(p), float(d)) for p, d in notes]
    return [BOS[mode], *body, EOS]
