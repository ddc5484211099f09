"""Prompt understanding: free text (English or Chinese) to a typed MusicPlan.

Every field records where it came from (the prompt's words, a control, or a default), so
the UI can show the user what was understood and they can correct it. Values the prompt
asks for outside the limits are clamped with a note rather than refused: a prompt is a
wish, not a form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from genai_studio.backends.music.styles import STYLES, Style

MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 5.0, 120.0, 30.0
MIN_BPM, MAX_BPM = 40, 240
DEFAULT_GENRE = "pop"

NOTE_NAMES = {"major": ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")}
NOTE_NAMES["minor"] = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")
KEYS = tuple(f"{NOTE_NAMES[m][t]} {m}" for m in ("major", "minor") for t in range(12))

GENRE_WORDS: dict[str, tuple[str, ...]] = {
    "pop": ("pop", "ballad", "流行"),
    "rock": ("rock", "metal", "punk", "grunge", "摇滚", "金属"),
    "jazz": ("jazz", "jazzy", "swing", "bebop", "爵士"),
    "blues": ("blues", "bluesy", "蓝调", "布鲁斯"),
    "folk": ("folk", "country", "acoustic", "celtic", "民谣", "乡村"),
    "classical": ("classical", "baroque", "sonata", "symphony", "chamber", "古典", "巴洛克"),
    "electronic": ("electronic", "edm", "house", "techno", "trance", "dance", "synthwave", "电子", "舞曲"),
    "ambient": ("ambient", "drone", "meditation", "new age", "氛围", "冥想"),
    "hiphop": ("hip hop", "hip-hop", "hiphop", "rap", "trap", "boom bap", "嘻哈", "说唱"),
    "lofi": ("lofi", "lo-fi", "chillhop", "study beats", "低保真"),
    "bossa": ("bossa", "bossa nova", "latin", "samba", "波萨"),
    "waltz": ("waltz", "华尔兹", "圆舞曲"),
    "cinematic": (
        "cinematic",
        "orchestral",
        "film",
        "movie",
        "soundtrack",
        "trailer",
        "电影",
        "史诗",
        "管弦",
    ),
}


@dataclass(frozen=True)
class Mood:
    mode: str | None  # the mode it suggests, if any
    tempo_factor: float
    velocity: float  # loudness scale
    words: tuple[str, ...]


MOODS: dict[str, Mood] = {
    "happy": Mood(
        "major",
        1.1,
        1.0,
        ("happy", "joyful", "cheerful", "bright", "sunny", "uplifting", "快乐", "欢快", "开心"),
    ),
    "sad": Mood(
        "minor",
        0.85,
        0.85,
        ("sad", "melancholy", "melancholic", "sorrowful", "gloomy", "lonely", "悲伤", "忧伤", "伤感"),
    ),
    "calm": Mood(
        None,
        0.85,
        0.75,
        (
            "calm",
            "relaxing",
            "relaxed",
            "peaceful",
            "serene",
            "gentle",
            "soft",
            "chill",
            "平静",
            "放松",
            "安静",
        ),
    ),
    "energetic": Mood(
        None,
        1.15,
        1.1,
        ("energetic", "driving", "powerful", "intense", "exciting", "aggressive", "激昂", "动感", "热烈"),
    ),
    "dark": Mood("minor", 0.95, 0.95, ("dark", "ominous", "sinister", "eerie", "scary", "黑暗", "恐怖")),
    "romantic": Mood("major", 0.9, 0.85, ("romantic", "tender", "love", "loving", "浪漫", "温柔")),
    "mysterious": Mood("minor", 0.9, 0.8, ("mysterious", "mystery", "suspense", "神秘", "悬疑")),
    "epic": Mood("minor", 1.0, 1.1, ("epic", "heroic", "triumphant", "majestic", "grand", "壮丽", "宏大")),
    "playful": Mood("major", 1.1, 0.95, ("playful", "whimsical", "fun", "funny", "quirky", "俏皮", "有趣")),
}

TEMPO_WORDS: dict[str, int] = {
    "very slow": 55, "slow": 72, "slowly": 72, "laid back": 85, "moderate": 100, "medium": 100,
    "upbeat": 124, "fast": 140, "quick": 140, "very fast": 170, "largo": 50, "adagio": 70,
    "andante": 90, "moderato": 108, "allegro": 132, "vivace": 150, "presto": 170,
    "慢": 72, "慢速": 72, "中速": 100, "快": 140, "快速": 140,
}  # fmt: skip

INSTRUMENTS: dict[str, int] = {
    "piano": 0, "grand piano": 0, "electric piano": 4, "rhodes": 4, "harpsichord": 6, "music box": 10,
    "vibraphone": 11, "marimba": 12, "xylophone": 13, "organ": 16, "church organ": 19, "accordion": 21,
    "harmonica": 22, "nylon guitar": 24, "classical guitar": 24, "guitar": 25, "acoustic guitar": 25,
    "electric guitar": 27, "distorted guitar": 30, "violin": 40, "fiddle": 40, "viola": 41, "cello": 42,
    "harp": 46, "strings": 48, "string": 48, "choir": 52, "voices": 52, "trumpet": 56, "trombone": 57,
    "tuba": 58, "horn": 60, "french horn": 60, "brass": 61, "sax": 65, "saxophone": 65, "alto sax": 65,
    "tenor sax": 66, "oboe": 68, "bassoon": 70, "clarinet": 71, "flute": 73, "recorder": 74,
    "pan flute": 75, "whistle": 78, "synth": 80, "lead synth": 80, "synth lead": 80, "pad": 89,
    "synth pad": 89, "sitar": 104, "banjo": 105, "koto": 107, "kalimba": 108, "bagpipe": 109,
    "steel drums": 114, "钢琴": 0, "电钢琴": 4, "风琴": 16, "吉他": 25, "电吉他": 27, "小提琴": 40,
    "大提琴": 42, "竖琴": 46, "弦乐": 48, "合唱": 52, "小号": 56, "圆号": 60, "萨克斯": 65,
    "单簧管": 71, "长笛": 73, "笛子": 73, "合成器": 80, "二胡": 110, "古筝": 107, "琵琶": 105,
}  # fmt: skip
BASSES: dict[str, int] = {
    "upright bass": 32, "double bass": 32, "acoustic bass": 32, "contrabass": 32, "bass guitar": 33,
    "electric bass": 33, "bass": 33, "slap bass": 36, "synth bass": 38, "贝斯": 33, "低音提琴": 32,
}  # fmt: skip
NO_DRUMS = ("no drums", "without drums", "drumless", "no percussion", "without percussion", "不要鼓", "无鼓")
DRUMS = ("drums", "drum", "beat", "beats", "percussion", "鼓")

_ACCIDENTAL = {"#": 1, "♯": 1, "sharp": 1, "b": -1, "♭": -1, "flat": -1, "": 0}
_PITCH_CLASS = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
_MODE = {
    "major": "major",
    "maj": "major",
    "minor": "minor",
    "min": "minor",
    "m": "minor",
    "大调": "major",
    "小调": "minor",
}
_ACC = r"(#|♯|♭|\s?sharp|\s?flat|b(?![a-z]))?"
_KEY_PATTERNS = (
    # "D minor", "F# major", "Bb min", "E flat major", "C大调"
    re.compile(rf"(?<![a-z])([a-g]){_ACC}\s*(major|minor|maj|min|大调|小调)(?![a-z])", re.I),
    # "Am", "C#m", "Ebm" (capital letter, so "am" the word is not A minor)
    re.compile(r"(?<![A-Za-z])([A-G])(#|♯|b|♭)?(m)(?![a-z])"),
    # "in D", "key of Bb" (capital letter: "in a" is an article)
    re.compile(rf"(?:\bin|\bkey of|\bkey)\s+([A-G]){_ACC}(?![a-z])"),
)
_BPM = re.compile(r"(\d+(?:\.\d+)?)\s*(?:bpm|beats per minute|beats a minute|拍每分|拍/分)", re.I)
_CLOCK = re.compile(r"\b(\d{1,3}):([0-5]\d)\b")
_LENGTH = re.compile(
    r"(\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h|秒钟?|分钟|小时)(?![a-z])", re.I
)
_UNIT_SECONDS = {"s": 1, "sec": 1, "second": 1, "秒": 1, "min": 60, "minute": 60, "分钟": 60, "h": 3600}
_UNIT_SECONDS |= {"hr": 3600, "hour": 3600, "小时": 3600}


@dataclass(frozen=True)
class MusicPlan:
    """What will be composed, and for each choice where it came from."""

    genre: str = DEFAULT_GENRE
    mood: str = "neutral"
    tempo: int = STYLES[DEFAULT_GENRE].tempo
    tonic: int = 0  # semitones above C
    mode: str = "major"
    seconds: float = DEFAULT_SECONDS
    melody_program: int = STYLES[DEFAULT_GENRE].melody_program
    chords_program: int = STYLES[DEFAULT_GENRE].chords_program
    bass_program: int = STYLES[DEFAULT_GENRE].bass_program
    drums: bool = True
    sources: dict[str, str] = field(default_factory=dict)  # field -> where it came from
    notes: tuple[str, ...] = ()  # what was adjusted or not understood

    @property
    def key(self) -> str:
        return f"{NOTE_NAMES[self.mode][self.tonic]} {self.mode}"

    @property
    def style(self) -> Style:
        return STYLES[self.genre]

    def params(self) -> dict[str, object]:
        """The plan as plain values, for history and file metadata."""
        return {
            "genre": self.genre,
            "mood": self.mood,
            "tempo": self.tempo,
            "key": self.key,
            "seconds": self.seconds,
            "melody_program": self.melody_program,
            "chords_program": self.chords_program,
            "bass_program": self.bass_program,
            "drums": self.drums,
        }

    def description(self) -> str:
        """A one-line English description (MusicGen's text prompt is built from it)."""
        mood = "" if self.mood == "neutral" else f"{self.mood} "
        drums = "" if self.drums else ", no drums"
        return f"{mood}{self.genre} music in {self.key}, {self.tempo} bpm{drums}"

    def summary(self) -> str:
        """Markdown for the "what I understood" panel."""
        from pretty_midi import program_to_instrument_name as name  # 0.15 s: only when shown

        rows = [
            ("Genre", self.genre, "genre"),
            ("Mood", self.mood, "mood"),
            ("Tempo", f"{self.tempo} bpm", "tempo"),
            ("Key", self.key, "key"),
            ("Length", f"{self.seconds:g} s", "seconds"),
            (
                "Instruments",
                f"melody {name(self.melody_program)}, chords {name(self.chords_program)}, "
                f"bass {name(self.bass_program)}, drums {'on' if self.drums else 'off'}",
                "instruments",
            ),
        ]
        lines = [
            f"- **{label}**: {value} _({self.sources.get(key, 'default')})_" for label, value, key in rows
        ]
        lines += [f"- ⚠ {note}" for note in self.notes]
        return "\n".join(lines)


def _find_words(text: str, words: tuple[str, ...]) -> list[tuple[int, str]]:
    """(position, word) of each whole-word occurrence; Chinese words match anywhere."""
    found = []
    for word in words:
        pattern = rf"(?<![a-z]){re.escape(word)}(?![a-z])" if word.isascii() else re.escape(word)
        found += [(m.start(), word) for m in re.finditer(pattern, text)]
    return sorted(found)


def _first_match(text: str, table: dict[str, tuple[str, ...]]) -> tuple[str, str] | None:
    hits = [(pos, name, word) for name, words in table.items() for pos, word in _find_words(text, words)]
    if not hits:
        return None
    _, name, word = min(hits)
    return name, word


def _instrument_hits(text: str, table: dict[str, int]) -> list[tuple[int, str]]:
    """Instrument names in order of appearance, longest name winning ("electric guitar")."""
    hits = sorted(
        ((pos, -len(word), word) for pos, word in _find_words(text, tuple(table))), key=lambda h: (h[0], h[1])
    )
    taken_until = -1
    found = []
    for pos, negative_length, word in hits:
        if pos >= taken_until:
            found.append((pos, word))
            taken_until = pos - negative_length
    return found


def _parse_key(text: str) -> tuple[int, str | None, str] | None:
    """(tonic, mode or None, matched text) of the first key named in `text`."""
    for pattern in _KEY_PATTERNS:
        match = pattern.search(text)
        if match:
            letter, accidental = match.group(1), (match.group(2) or "").strip().lower()
            mode = (
                _MODE.get((match.group(3) or "").lower())
                if match.lastindex and match.lastindex >= 3
                else None
            )
            tonic = (_PITCH_CLASS[letter.lower()] + _ACCIDENTAL[accidental]) % 12
            return tonic, mode, match.group(0).strip()
    return None


def _seconds(text: str) -> tuple[float, str] | None:
    clock = _CLOCK.search(text)
    if clock:
        return int(clock.group(1)) * 60 + int(clock.group(2)), clock.group(0)
    match = _LENGTH.search(text)
    if not match:
        return None
    unit = match.group(2).lower().rstrip("s") or "s"
    unit = {"secs": "sec", "mins": "min", "hrs": "hr", "秒钟": "秒"}.get(unit, unit)
    return float(match.group(1)) * _UNIT_SECONDS[unit], match.group(0)


def understand(prompt: str, genre: str | None = None, mood: str | None = None) -> MusicPlan:
    """Read genre, mood, tempo, key, length and instruments from a prompt; defaults for the rest.

    A `genre` or `mood` chosen with a control replaces the prompt's, and the defaults that
    follow from them (tempo, key, instruments) follow the chosen ones.
    """
    text = prompt.lower()
    sources: dict[str, str] = {}
    notes: list[str] = []

    genre_hit = _first_match(text, GENRE_WORDS)
    mood_hit = _first_match(text, {name: mood.words for name, mood in MOODS.items()})
    if genre:
        sources["genre"] = "your setting"
    else:
        genre = genre_hit[0] if genre_hit else DEFAULT_GENRE
        sources["genre"] = f'from "{genre_hit[1]}"' if genre_hit else "default"
    if mood:
        sources["mood"] = "your setting"
    else:
        mood = mood_hit[0] if mood_hit else "neutral"
        sources["mood"] = f'from "{mood_hit[1]}"' if mood_hit else "default"
    style = STYLES[genre]

    tempo_factor = MOODS[mood].tempo_factor if mood in MOODS else 1.0
    tempo = round(style.tempo * tempo_factor)
    sources["tempo"] = f"{genre} default" + (f", {mood}" if tempo_factor != 1.0 else "")
    word_hit = _find_words(text, tuple(TEMPO_WORDS))
    if word_hit:
        word = max((w for _, w in word_hit), key=len)  # "very slow" over "slow"
        tempo, sources["tempo"] = TEMPO_WORDS[word], f'from "{word}"'
    bpm = _BPM.search(text)
    if bpm:
        asked = float(bpm.group(1))
        tempo, sources["tempo"] = round(min(max(asked, MIN_BPM), MAX_BPM)), f'from "{bpm.group(0)}"'
        if not MIN_BPM <= asked <= MAX_BPM:
            notes.append(f"{asked:g} bpm is outside {MIN_BPM}-{MAX_BPM} bpm: using {tempo} bpm.")

    tonic, mode = style.tonic, style.mode
    sources["key"] = f"{genre} default"
    if mood in MOODS and MOODS[mood].mode:
        mode, sources["key"] = MOODS[mood].mode, f"{genre} default, {mood}"
    mode_word = _find_words(text, ("major", "minor", "大调", "小调"))
    if mode_word:
        mode, sources["key"] = _MODE[mode_word[0][1]], f'from "{mode_word[0][1]}"'
    key_hit = _parse_key(prompt)
    if key_hit:
        tonic, mode = key_hit[0], key_hit[1] or mode
        sources["key"] = f'from "{key_hit[2]}"'

    seconds, sources["seconds"] = DEFAULT_SECONDS, "default"
    length = _seconds(text)
    if length:
        asked, said = length
        seconds, sources["seconds"] = min(max(asked, MIN_SECONDS), MAX_SECONDS), f'from "{said}"'
        if asked != seconds:
            notes.append(
                f'"{said}" is outside {MIN_SECONDS:g}-{MAX_SECONDS:g} s: making {seconds:g} s '
                "(longer pieces: generate several and join them)."
                if asked > MAX_SECONDS
                else f'"{said}" is shorter than {MIN_SECONDS:g} s: making {seconds:g} s.'
            )

    melody, chords, bass = style.melody_program, style.chords_program, style.bass_program
    named = _instrument_hits(text, INSTRUMENTS)
    bass_named = _instrument_hits(text, BASSES)
    # "bass" inside "bass guitar" or "double bass" belongs to the bass table, not the melody's
    bass_spans = {pos for pos, _ in bass_named}
    named = [(pos, word) for pos, word in named if pos not in bass_spans]
    said = []
    if named:
        melody = INSTRUMENTS[named[0][1]]
        said.append(named[0][1])
    if len(named) > 1:
        chords = INSTRUMENTS[named[1][1]]
        said.append(named[1][1])
    if bass_named:
        bass = BASSES[bass_named[0][1]]
        said.append(bass_named[0][1])
    drums = bool(style.drums)
    if _find_words(text, NO_DRUMS):
        drums = False
        said.append("no drums")
    elif _find_words(text, DRUMS) and not drums:
        drums = True
        said.append("drums")
    sources["instruments"] = ("from " + ", ".join(f'"{w}"' for w in said)) if said else f"{genre} default"

    if not prompt.strip():
        notes.append("The prompt is empty: using defaults. Describe the music or pick settings below.")
    elif not (
        genre_hit or mood_hit or word_hit or bpm or key_hit or mode_word or length or named or bass_named
    ):
        notes.append(
            "I did not recognise a genre, mood, tempo, key, length or instrument in the prompt, "
            "so I used defaults. Try e.g. “calm jazz in F major, 90 bpm, 20 seconds, saxophone”."
        )
    return MusicPlan(
        genre=genre,
        mood=mood,
        tempo=tempo,
        tonic=tonic,
        mode=mode,
        seconds=seconds,
        melody_program=melody,
        chords_program=chords,
        bass_program=bass,
        drums=drums,
        sources=sources,
        notes=tuple(notes),
    )


def override(plan: MusicPlan, **values: object) -> MusicPlan:
    """Apply explicit, already validated choices of tempo, tonic, mode or seconds."""
    sources = dict(plan.sources)
    changes = {name: value for name, value in values.items() if value is not None}
    for name in changes:
        sources["key" if name in ("tonic", "mode") else name] = "your setting"
    return replace(plan, sources=sources, **changes)
