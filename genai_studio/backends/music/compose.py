"""Plan + seed -> a multi-track MIDI arrangement: chords, bass, drums and a sampled melody.

The form is an optional intro, sections in an A A B A cycle (each one progression long),
and a final bar on the tonic chord that rings to the end of the requested length. Everything
random comes from one generator seeded by the request, so a seed gives the same piece.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from itertools import cycle

import numpy as np
import pretty_midi

from genai_studio.backends.music import styles
from genai_studio.backends.music.melody import MelodyModel, Note, sample_phrase
from genai_studio.backends.music.plan import MOODS, NOTE_NAMES, MusicPlan

_ROMAN = {"i": 0, "ii": 2, "iii": 4, "iv": 5, "v": 7, "vi": 9, "vii": 11}
_CHORD = re.compile(r"(b|#)?(i{1,3}|iv|vi{0,2}|I{1,3}|IV|VI{0,2})(o|maj7|7)?")
_HIT = {"X": 112, "x": 90, "o": 60}
REUSE = 0.75  # chance that a repeated section label repeats its melody


@dataclass(frozen=True)
class Chord:
    root: int  # semitones above the tonic
    intervals: tuple[int, ...]
    symbol: str

    @property
    def tones(self) -> frozenset[int]:
        return frozenset((self.root + i) % 12 for i in self.intervals)


def parse_chord(symbol: str) -> Chord:
    """A Roman numeral over the tonic's major scale, e.g. "bVII", "ii7", "Imaj7", "iio"."""
    match = _CHORD.fullmatch(symbol)
    if not match:
        raise ValueError(f"bad chord symbol {symbol!r}")
    accidental, numeral, suffix = match.groups()
    root = (_ROMAN[numeral.lower()] + {"b": -1, "#": 1, None: 0}[accidental]) % 12
    triad = (0, 4, 7) if numeral.isupper() else (0, 3, 7)
    extra = {"o": (), "7": (10,), "maj7": (11,), None: ()}[suffix]
    if suffix == "o":
        triad = (0, 3, 6)
    return Chord(root, triad + extra, symbol)


@dataclass(frozen=True)
class Piece:
    midi: pretty_midi.PrettyMIDI
    chart: str  # chord names per bar, for the user

    def midi_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.midi.write(buffer)
        return buffer.getvalue()


class _Arranger:
    """Writes notes into the tracks; times in beats from the start, swing applied."""

    def __init__(self, plan: MusicPlan, rng: np.random.Generator) -> None:
        self.plan, self.style, self.rng = plan, plan.style, rng
        self.beat_s = 60.0 / plan.tempo
        self.loudness = MOODS[plan.mood].velocity if plan.mood in MOODS else 1.0
        self.midi = pretty_midi.PrettyMIDI(initial_tempo=float(plan.tempo))
        self.midi.time_signature_changes.append(pretty_midi.TimeSignature(self.style.beats_per_bar, 4, 0.0))
        key_number = plan.tonic + (12 if plan.mode == "minor" else 0)
        self.midi.key_signature_changes.append(pretty_midi.KeySignature(key_number, 0.0))
        self.tracks = {
            "melody": pretty_midi.Instrument(plan.melody_program, name="melody"),
            "chords": pretty_midi.Instrument(plan.chords_program, name="chords"),
            "bass": pretty_midi.Instrument(plan.bass_program, name="bass"),
        }
        if plan.drums and self.style.drums:
            self.tracks["drums"] = pretty_midi.Instrument(0, is_drum=True, name="drums")
        self.midi.instruments.extend(self.tracks.values())

    def time(self, beat: float) -> float:
        if self.style.swing and abs(beat % 1 - 0.5) < 1e-6:
            beat += self.style.swing
        return beat * self.beat_s

    def note(
        self, track: str, pitch: int, beat: float, beats: float, velocity: float, end: float | None = None
    ):
        velocity = velocity * self.loudness + self.rng.normal(0, 4)
        start = self.time(beat)
        stop = end if end is not None else max(start + 0.05, self.time(beat + beats) - 0.01)
        self.tracks[track].notes.append(
            pretty_midi.Note(int(np.clip(velocity, 20, 127)), int(pitch), start, stop)
        )

    def absolute(self, relative: int, low: int) -> int:
        """The MIDI note of `relative` semitones above the tonic, in the octave from `low`."""
        return low + (self.plan.tonic + relative - low) % 12


def _chord_spans(bar: str, beats_per_bar: int) -> list[tuple[float, float, Chord]]:
    symbols = bar.split()
    length = beats_per_bar / len(symbols)
    return [(i * length, length, parse_chord(s)) for i, s in enumerate(symbols)]


def _comp(arr: _Arranger, bar_beat: float, spans, final_end: float | None) -> None:
    style, per_bar = arr.style, arr.style.beats_per_bar

    def voiced(chord: Chord) -> list[int]:
        return sorted(arr.absolute(chord.root + i, 52) for i in chord.intervals)

    if final_end is not None or style.comp == "pad":
        for offset, length, chord in spans:
            for pitch in voiced(chord):
                arr.note("chords", pitch, bar_beat + offset, length, 68, end=final_end)
        return
    patterns = {
        "block": [(b, 0.9, 78 if b % 2 else 88) for b in range(per_bar)],
        "stabs": [(b + 0.5, 0.4, 80) for b in range(per_bar)],
        "waltz": [(1, 0.8, 72), (2, 0.8, 68)],
        "strum": [(0, 1, 84), (1, 0.5, 70), (1.5, 1, 76), (2.5, 0.5, 70), (3, 1, 80)],
        "bossa": [(0, 0.9, 80), (1.5, 0.9, 74), (2.5, 0.5, 70), (3.5, 0.5, 70)],
        "power": [(b / 2, 0.45, 92 if b % 2 == 0 else 80) for b in range(per_bar * 2)],
        "arpeggio": [(b / 2, 0.5, 70) for b in range(per_bar * 2)],
    }
    charleston = (
        [(0, 1.5, 84), (1.5, 0.5, 76)],
        [(0, 0.8, 84), (2.5, 1.0, 78)],
        [(1, 0.8, 80), (3, 0.8, 80)],
    )
    events = patterns.get(style.comp) or charleston[int(arr.rng.integers(len(charleston)))]
    for index, (beat, length, velocity) in enumerate(events):
        if beat >= per_bar:
            continue
        chord = next(c for o, n, c in reversed(spans) if beat >= o - 1e-6)
        notes = voiced(chord)
        if style.comp == "power":
            root = arr.absolute(chord.root, 40)
            notes = [root, root + 7, root + 12]
        elif style.comp == "arpeggio":
            notes = [notes[(0, 2, 1, 2)[index % 4] % len(notes)] + 12 * (index % 4 != 0)]
        for string, pitch in enumerate(notes):
            delay = string * 0.03 if style.comp == "strum" else 0.0
            arr.note("chords", pitch, bar_beat + beat + delay, length, velocity)


def _bass(arr: _Arranger, bar_beat: float, spans, next_root: int, final_end: float | None) -> None:
    style, per_bar = arr.style, arr.style.beats_per_bar
    if final_end is not None or style.bass == "sustain":
        for offset, length, chord in spans:
            arr.note("bass", arr.absolute(chord.root, 36), bar_beat + offset, length, 84, end=final_end)
        return
    chord = spans[0][2]
    if style.bass == "walking":
        third = chord.intervals[1]
        steps = [0, third, 7, None][:per_bar]
        for beat, step in enumerate(steps):
            current = next(c for o, n, c in reversed(spans) if beat >= o - 1e-6)
            if step is None:  # approach the next root from a semitone below
                pitch = arr.absolute(next_root, 36) - 1
            else:
                pitch = arr.absolute(current.root, 36) + (step if current is chord else 0)
            arr.note("bass", pitch, bar_beat + beat, 0.95, 88)
        return
    patterns = {
        "root": [(0, 1.5, 0), (2.5, 1.0, 0)] if per_bar == 4 else [(0, per_bar, 0)],
        "root8": [(b / 2, 0.45, 0) for b in range(per_bar * 2)],
        "offbeat": [(b + 0.5, 0.45, 0) for b in range(per_bar)],
        "rootfifth": [(0, 1.5, 0), (2, 1.5, 7)] if per_bar == 4 else [(0, 1, 0)],
        "waltz": [(0, 1, 0)],
    }
    for beat, length, step in patterns[style.bass]:
        current = next(c for o, n, c in reversed(spans) if beat >= o - 1e-6)
        arr.note(
            "bass",
            arr.absolute(current.root, 36) + step,
            bar_beat + beat,
            length,
            90 if beat % 1 == 0 else 78,
        )


def _drums(arr: _Arranger, bar_beat: float, section_start: bool, fill: bool, final: bool) -> None:
    if "drums" not in arr.tracks:
        return
    if final:
        arr.note("drums", styles.KICK, bar_beat, 1, 110)
        arr.note("drums", styles.CRASH, bar_beat, 2, 100)
        return
    per_bar = arr.style.beats_per_bar
    for key, pattern in arr.style.drums.items():
        for step, hit in enumerate(pattern[: per_bar * 4]):
            beat = step / 4
            if hit in _HIT and not (fill and beat >= per_bar - 1 and key != styles.KICK):
                arr.note("drums", key, bar_beat + beat, 0.25, _HIT[hit])
    if section_start:
        arr.note("drums", styles.CRASH, bar_beat, 2, 92)
    if fill:
        fill_key = styles.SNARE if styles.SNARE in arr.style.drums else styles.LOW_TOM
        for step in range(4):
            arr.note("drums", fill_key, bar_beat + per_bar - 1 + step / 4, 0.25, 70 + 10 * step)


Bar = tuple[str, str, int]  # (chords of the bar, section label, bar index within the section)


def _form(plan: MusicPlan, rng: np.random.Generator, n_bars: int) -> list[Bar]:
    """Intro (label ""), sections in an A A B A cycle, and a final tonic bar (label "end")."""
    progressions = plan.style.major if plan.mode == "major" else plan.style.minor
    order = rng.permutation(len(progressions))
    by_label = {"A": progressions[order[0]], "B": progressions[order[-1]]}
    intro = 0 if n_bars < 6 else (1 if n_bars < 12 else 2)
    bars: list[Bar] = [(by_label["A"][i % len(by_label["A"])], "", i) for i in range(intro)]
    labels = cycle("AABA")
    while len(bars) < n_bars - 1:
        label = next(labels)
        for i, bar in enumerate(by_label[label][: n_bars - 1 - len(bars)]):
            bars.append((bar, label, i))
    bars.append(("i" if plan.mode == "minor" else "I", "end", 0))
    return bars


def _melody(arr: _Arranger, bars: list[Bar], model: MelodyModel, melody_tonic: int) -> None:
    """One sampled phrase per section over its chords; a repeated section mostly repeats its tune."""
    plan, per_bar = arr.plan, arr.style.beats_per_bar
    melodies: dict[tuple[str, int], list[Note]] = {}
    start = 0
    while start < len(bars):
        label = bars[start][1]
        end = start + 1
        while end < len(bars) and bars[end][1] == label and bars[end][2] > 0:
            end += 1
        if label and label != "end":
            section = [_chord_spans(b[0], per_bar) for b in bars[start:end]]

            def chord_at(beat: float, section=section) -> frozenset[int]:
                spans = section[min(int(beat // per_bar), len(section) - 1)]
                return next(c for o, n, c in reversed(spans) if beat % per_bar >= o - 1e-6).tones

            key = (label, end - start)
            if key not in melodies or arr.rng.random() > REUSE:
                melodies[key] = sample_phrase(
                    model,
                    arr.rng,
                    mode=plan.mode,
                    beats=(end - start) * per_bar,
                    chord_at=chord_at,
                    strong=lambda b: b % per_bar == 0 or (per_bar == 4 and b % 4 == 2),
                    rate=arr.style.melody_rate,
                )
            for note in melodies[key]:
                if note.pitch is not None:
                    arr.note("melody", melody_tonic + note.pitch, start * per_bar + note.beat, note.beats, 96)
        start = end


def compose(plan: MusicPlan, seed: int, model: MelodyModel) -> Piece:
    """The whole arrangement of `plan` as MIDI; `seed` decides progressions, melody and feel."""
    arr = _Arranger(plan, np.random.default_rng(seed))
    per_bar = plan.style.beats_per_bar
    n_bars = max(1, round(plan.seconds / (per_bar * arr.beat_s)))
    bars = _form(plan, arr.rng, n_bars)
    melody_tonic = 60 + plan.tonic  # the model's pitches are semitones from here: contour kept
    _melody(arr, bars, model, melody_tonic)

    total_s = plan.seconds + 0.5  # the final chord rings past the end; the renderer fades it
    for index, (bar, label, position) in enumerate(bars):
        spans = _chord_spans(bar, per_bar)
        final = label == "end"
        next_bar = bars[index + 1][0] if index + 1 < len(bars) else bar
        final_end = total_s if final else None
        bar_beat = index * per_bar
        _comp(arr, bar_beat, spans, final_end)
        _bass(arr, bar_beat, spans, parse_chord(next_bar.split()[0]).root, final_end)
        last_of_section = (
            index + 1 < len(bars) and bars[index + 1][2] == 0 and bars[index + 1][1] not in ("", "end")
        )
        _drums(arr, bar_beat, section_start=position == 0 and label not in ("", "end") and index > 0,
               fill=last_of_section, final=final)  # fmt: skip
        if final:
            arr.note("melody", melody_tonic, bar_beat, per_bar, 90, end=total_s)
    return Piece(arr.midi, " | ".join(_chart_name(plan, b[0]) for b in bars))


def _chart_name(plan: MusicPlan, bar: str) -> str:
    """Chord names in the plan's key, e.g. "Am7" for vi7 in C."""
    names = []
    for symbol in bar.split():
        chord = parse_chord(symbol)
        root = NOTE_NAMES[plan.mode][(plan.tonic + chord.root) % 12]
        quality = "m" if chord.intervals[1] == 3 and 6 not in chord.intervals else ""
        quality = "dim" if 6 in chord.intervals else quality
        suffix = "maj7" if 11 in chord.intervals else ("7" if 10 in chord.intervals else "")
        names.append(root + quality + suffix)
    return " ".join(names)
