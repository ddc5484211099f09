"""Genres as data: tempo, metre, chord progressions, patterns and instruments for each.

Progressions are Roman numerals over the tonic's major scale: case gives the quality,
`b` lowers the root, `7` adds a seventh (`maj7` a major one), `o` is diminished; two
chords in one bar are separated by a space. Drum patterns have one character per
sixteenth note: `X` accent, `x` normal, `o` soft, `.` silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# General MIDI drum keys
KICK, SIDE_STICK, SNARE, CLAP, CLOSED_HAT, OPEN_HAT, RIDE, CRASH = 36, 37, 38, 39, 42, 46, 51, 49
LOW_TOM, FLOOR_TOM, HIGH_TOM, SHAKER = 45, 41, 50, 70


@dataclass(frozen=True)
class Style:
    name: str
    tempo: int  # default beats per minute
    major: tuple[tuple[str, ...], ...]  # progressions, one string per bar
    minor: tuple[tuple[str, ...], ...]
    comp: str  # chord pattern, see compose.COMPS
    bass: str  # bass pattern, see compose.BASSES
    melody_program: int  # General MIDI program, 0-based
    chords_program: int
    bass_program: int
    drums: dict[int, str] = field(default_factory=dict)  # drum key -> sixteenth-note pattern
    beats_per_bar: int = 4
    swing: float = 0.0  # how late off-beat eighths are, in beats (1/6: triplet feel)
    melody_rate: float = 1.0  # 2: melody notes twice as long (slow, sustained styles)
    mode: str = "major"
    tonic: int = 0  # default key, semitones above C


STYLES: dict[str, Style] = {
    s.name: s
    for s in (
        Style(
            "pop",
            110,
            major=(
                ("I", "V", "vi", "IV"),
                ("vi", "IV", "I", "V"),
                ("I", "vi", "IV", "V"),
                ("IV", "I", "V", "vi"),
            ),
            minor=(("i", "bVI", "bIII", "bVII"), ("i", "iv", "bVI", "V"), ("i", "bVII", "bVI", "bVII")),
            comp="block",
            bass="root8",
            melody_program=0,
            chords_program=48,
            bass_program=33,
            drums={KICK: "X.......x.x.....", SNARE: "....X.......X...", CLOSED_HAT: "x.o.x.o.x.o.x.o."},
        ),
        Style(
            "rock",
            124,
            major=(("I", "IV", "V", "IV"), ("I", "bVII", "IV", "I"), ("I", "V", "IV", "V")),
            minor=(("i", "bVI", "bVII", "i"), ("i", "iv", "bVII", "V"), ("i", "bIII", "bVII", "iv")),
            comp="power",
            bass="root8",
            melody_program=29,
            chords_program=30,
            bass_program=34,
            drums={KICK: "X.....x.X.x.....", SNARE: "....X.......X...", CLOSED_HAT: "X.x.X.x.X.x.X.x."},
        ),
        Style(
            "jazz",
            132,
            major=(
                ("ii7", "V7", "Imaj7", "VI7"),
                ("Imaj7", "vi7", "ii7", "V7"),
                ("iii7", "VI7", "ii7 V7", "Imaj7"),
            ),
            minor=(("i7", "iv7", "V7", "i7"), ("i7", "bVI7", "ii7", "V7")),
            comp="charleston",
            bass="walking",
            melody_program=65,
            chords_program=0,
            bass_program=32,
            drums={RIDE: "X...x.o.X...x.o.", CLOSED_HAT: "....x.......x...", KICK: "o..............."},
            swing=1 / 6,
            tonic=5,
        ),
        Style(
            "blues",
            96,
            major=(("I7", "I7", "I7", "I7", "IV7", "IV7", "I7", "I7", "V7", "IV7", "I7", "V7"),),
            minor=(("i7", "i7", "i7", "i7", "iv7", "iv7", "i7", "i7", "bVI7", "V7", "i7", "V7"),),
            comp="block",
            bass="walking",
            melody_program=26,
            chords_program=0,
            bass_program=33,
            drums={KICK: "X.......X.......", SNARE: "....X.......X...", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
            swing=1 / 6,
            tonic=9,
        ),
        Style(
            "folk",
            100,
            major=(
                ("I", "IV", "I", "V"),
                ("I", "V", "IV", "I"),
                ("I", "vi", "IV", "V"),
                ("IV", "I", "V", "I"),
            ),
            minor=(("i", "bVII", "i", "V"), ("i", "iv", "i", "V"), ("i", "bIII", "bVII", "i")),
            comp="strum",
            bass="rootfifth",
            melody_program=40,
            chords_program=25,
            bass_program=32,
            drums={KICK: "X.......X.......", SHAKER: "x.o.x.o.x.o.x.o."},
            tonic=7,
        ),
        Style(
            "classical",
            90,
            major=(
                ("I", "IV", "V", "I"),
                ("I", "vi", "ii", "V"),
                ("I", "IV", "ii", "V"),
                ("vi", "ii", "V", "I"),
            ),
            minor=(("i", "iv", "V", "i"), ("i", "bVI", "iio", "V"), ("i", "iv", "bVII", "bIII")),
            comp="arpeggio",
            bass="sustain",
            melody_program=40,
            chords_program=0,
            bass_program=42,
            tonic=2,
        ),
        Style(
            "electronic",
            126,
            major=(("I", "V", "vi", "IV"), ("vi", "IV", "I", "V")),
            minor=(("i", "bVI", "bIII", "bVII"), ("i", "bVII", "bVI", "bVII"), ("i", "iv", "bVI", "bVII")),
            comp="stabs",
            bass="offbeat",
            melody_program=80,
            chords_program=90,
            bass_program=38,
            drums={
                KICK: "X...X...X...X...",
                CLAP: "....X.......X...",
                OPEN_HAT: "..x...x...x...x.",
                CLOSED_HAT: "x.o.x.o.x.o.x.o.",
            },
            mode="minor",
            tonic=9,
        ),
        Style(
            "ambient",
            70,
            major=(("Imaj7", "IV", "vi7", "IV"), ("I", "iii", "IV", "I")),
            minor=(("i", "bVI", "bIII", "bVII"), ("i7", "iv7", "i7", "bVI")),
            comp="pad",
            bass="sustain",
            melody_program=11,
            chords_program=89,
            bass_program=32,
            melody_rate=2.0,
            tonic=2,
        ),
        Style(
            "hiphop",
            90,
            major=(("Imaj7", "vi7", "ii7", "V7"), ("IVmaj7", "iii7", "vi7", "V7")),
            minor=(("i7", "iv7", "i7", "V7"), ("i7", "bVImaj7", "iv7", "V7")),
            comp="block",
            bass="root",
            melody_program=4,
            chords_program=4,
            bass_program=38,
            drums={KICK: "X.....x...X.....", SNARE: "....X.......X...", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
            swing=1 / 12,
            mode="minor",
        ),
        Style(
            "lofi",
            78,
            major=(("Imaj7", "vi7", "ii7", "V7"), ("IVmaj7", "iii7", "vi7", "V7")),
            minor=(("i7", "iv7", "bVII7", "bIIImaj7"), ("i7", "bVImaj7", "iv7", "V7")),
            comp="pad",
            bass="root",
            melody_program=11,
            chords_program=4,
            bass_program=33,
            drums={KICK: "X.........X.....", SNARE: "....x.......x...", CLOSED_HAT: "o.o.o.o.o.o.o.o."},
            swing=1 / 8,
            tonic=5,
        ),
        Style(
            "bossa",
            130,
            major=(("Imaj7", "ii7", "V7", "Imaj7"), ("Imaj7", "VI7", "ii7", "V7")),
            minor=(("i7", "iv7", "V7", "i7"), ("i7", "ii7", "V7", "i7")),
            comp="bossa",
            bass="rootfifth",
            melody_program=73,
            chords_program=24,
            bass_program=32,
            drums={SIDE_STICK: "x..x..x...x..x..", SHAKER: "xoxoxoxoxoxoxoxo", KICK: "X..x....X..x...."},
            tonic=2,
        ),
        Style(
            "waltz",
            150,
            major=(("I", "I", "V", "V"), ("I", "IV", "V", "I"), ("I", "vi", "ii", "V")),
            minor=(("i", "iv", "V", "i"), ("i", "i", "V", "V")),
            comp="waltz",
            bass="waltz",
            melody_program=40,
            chords_program=48,
            bass_program=32,
            drums={KICK: "x...........", CLOSED_HAT: "....o...o..."},
            beats_per_bar=3,
        ),
        Style(
            "cinematic",
            84,
            major=(("I", "V", "vi", "IV"), ("I", "bVI", "bVII", "I"), ("vi", "IV", "I", "V")),
            minor=(("i", "bVI", "bIII", "bVII"), ("i", "iv", "bVI", "V"), ("i", "bVI", "iv", "V")),
            comp="pad",
            bass="sustain",
            melody_program=60,
            chords_program=48,
            bass_program=43,
            drums={FLOOR_TOM: "X.....x.X.......", LOW_TOM: "..........x.x...", CRASH: "o..............."},
            melody_rate=2.0,
            mode="minor",
            tonic=2,
        ),
    )
}
