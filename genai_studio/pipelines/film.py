"""Film: a mixed story (its audio, subtitle cues and script) as a short MP4 with pictures.

One picture per paragraph by default, each shown from the pause before its paragraph is
read to the pause after it, with a slow pan or zoom over it and cross-fades between; a title
card over the music's lead-in and an end card over its lead-out. Without pictures, each
paragraph gets a card with its first sentence over a colour or an image the user picks.
Subtitles are burned into the frames (outlined, two lines at most, inside safe margins) or
added as a soft mov_text track.

Frames are drawn here with OpenCV (one warpAffine a frame, see genai_studio.film_frames),
converted to YUV 4:2:0 and piped to ffmpeg (Debian's, a separate program), which encodes
H.264 and AAC into an MP4 that browsers and phones play. On 2 cores this is faster than
ffmpeg's own zoompan and xfade filters at the same smoothness (bench/film.py). Stop kills
ffmpeg at once and leaves no file behind.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import re
import shutil
import subprocess
import threading
import time
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import soundfile as sf

from genai_studio import film_frames as frames
from genai_studio import film_text as words
from genai_studio.backends.speech.sentences import split_sentences
from genai_studio.errors import InvalidInput, ModelUnavailable
from genai_studio.images import load_image, save_png
from genai_studio.inputs import choice, clean_text
from genai_studio.subtitles import Cue, to_srt

log = logging.getLogger(__name__)

ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}
RESOLUTIONS = (360, 480, 720, 1080)  # the frame's shorter side
SUBTITLES = ("burned", "soft", "none")
FPS = 25
MAX_PICTURES = 500
MIN_SHOT_S = 2.0  # a picture shows at least this long; more pictures than fit are left out
CROSSFADE_S = 0.8
TITLE_S = (1.5, 4.0)  # the title card's shortest and longest
END_S = (1.5, 4.0)
FADE_IN_S, FADE_OUT_S = 0.5, 0.8  # from black at the start, to black at the end
MIN_FILM_S, MAX_FILM_S = 1.0, 960.0
MAX_TITLE_CHARS = 120
# x264 preset and quality by resolution (bench/film.py): at 1080p "ultrafast" (~5 Mbit/s, about
# 0.75 CPU-seconds a film second, drawing included) keeps a render within the film's length on 2
# cores; "superfast" costs about 1.0 and "veryfast" 1.2. Smaller frames take "veryfast" (smaller files).
ENCODING = {1080: ("ultrafast", 23)}
DEFAULT_ENCODING = ("veryfast", 21)
FILM, POSTER, FILM_SRT = "film.mp4", "poster.png", "film.srt"
PROGRESS_EVERY_S = 0.5
FFMPEG = "ffmpeg"


# -- checking ----------------------------------------------------------------------------


def frame_size(aspect: str, resolution: int) -> tuple[int, int]:
    """(width, height), the shorter side `resolution`, both even (H.264 4:2:0 needs it)."""
    across, down = ASPECTS[aspect]
    long_side = 2 * math.ceil(resolution * max(across, down) / min(across, down) / 2)
    if across == down:
        return resolution, resolution
    return (long_side, resolution) if across > down else (resolution, long_side)


def parse_colour(value: object) -> tuple[int, int, int]:
    """A colour from a colour picker: "#rgb", "#rrggbb" or "rgb(a)(r, g, b[, a])"."""
    text = str(value or "").strip().lower()
    if m := re.fullmatch(r"#([0-9a-f]{3})", text):
        return tuple(int(ch * 2, 16) for ch in m.group(1))  # type: ignore[return-value]
    if m := re.fullmatch(r"#([0-9a-f]{6})([0-9a-f]{2})?", text):
        return tuple(int(m.group(1)[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    if m := re.fullmatch(r"rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*[\d.]+\s*)?\)", text):
        return tuple(min(255, round(float(v))) for v in m.groups())  # type: ignore[return-value]
    raise InvalidInput(f"Background colour: {str(value)[:30]!r} is not a colour (#rrggbb).")


def paragraphs_of(script: str) -> tuple[str, ...]:
    """Paragraphs as the narration reads them: separated by blank lines, or one per line when
    the script has no blank line (genai_studio.narration.script)."""
    blocks = re.split(r"\n\s*\n", script) if re.search(r"\n\s*\n", script) else script.split("\n")
    return tuple(" ".join(block.split()) for block in blocks if block.strip())


@dataclass(frozen=True)
class FilmPlan:
    """Every checked setting of one film."""

    audio: Path
    seconds: float
    cues: tuple[Cue, ...]
    paragraphs: tuple[str, ...]
    pictures: tuple[Path, ...]
    title: str
    end_text: str
    aspect: str = "16:9"
    resolution: int = 720
    subtitles: str = "burned"
    background: tuple[int, int, int] = (24, 28, 48)
    background_image: Path | None = None
    fps: int = FPS

    @property
    def size(self) -> tuple[int, int]:
        return frame_size(self.aspect, self.resolution)

    def params(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "end_text": self.end_text,
            "aspect": self.aspect,
            "resolution": self.resolution,
            "subtitles": self.subtitles,
            "background": "#{:02x}{:02x}{:02x}".format(*self.background),
            "background_image": self.background_image is not None,
            "pictures_given": len(self.pictures),
            "fps": self.fps,
        }


def _path(value: object) -> Path | None:
    """A file path from Gradio (a str, or a dict/FileData with a `path`), else None."""
    if isinstance(value, dict):
        value = value.get("path") or value.get("name")
    value = getattr(value, "path", value)
    return Path(value) if isinstance(value, str | Path) and str(value) else None


def audio_seconds(path: Path) -> float:
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, OSError, TypeError):
        raise InvalidInput("The story's audio cannot be read: mix the story again.") from None
    return info.frames / info.samplerate


def build_film_plan(
    *,
    audio: object,
    cues: Sequence[Cue],
    script: object,
    pictures: object = (),
    title: object = "",
    end_text: object = "",
    aspect: object = "16:9",
    resolution: object = 720,
    subtitles: object = "burned",
    background: object = "#181c30",
    background_image: object = None,
) -> FilmPlan:
    """Check every value before anything is drawn; raises InvalidInput saying what to change.
    Pictures are only counted here: each is read (and a bad one left out) as the film is made."""
    audio_path = _path(audio)
    if audio_path is None:
        raise InvalidInput("There is no story audio: mix the story first.")
    seconds = audio_seconds(audio_path)
    if not MIN_FILM_S <= seconds <= MAX_FILM_S:
        raise InvalidInput(
            f"The story is {seconds:.1f} s long: a film is {MIN_FILM_S:g} to {MAX_FILM_S:g} s."
        )
    text = clean_text(script, field="Script", max_chars=20_000, allow_empty=True)
    given = [] if pictures is None else list(pictures) if isinstance(pictures, list | tuple) else [pictures]
    if len(given) > MAX_PICTURES:
        raise InvalidInput(f"{len(given)} pictures: a film takes at most {MAX_PICTURES}.")
    paths = tuple(p for p in map(_path, given) if p is not None)
    aspect_value = choice(aspect, field="Format", options=tuple(ASPECTS))
    try:
        height = int(resolution)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        height = -1
    if height not in RESOLUTIONS:
        raise InvalidInput(f"Resolution: one of {', '.join(map(str, RESOLUTIONS))}.")
    mode = choice(subtitles, field="Subtitles", options=SUBTITLES)
    name = clean_text(title, field="Title", max_chars=MAX_TITLE_CHARS, allow_empty=True).strip()
    paragraphs = paragraphs_of(text)
    if not name:
        first = split_sentences(paragraphs[0])[0] if paragraphs else ""
        name = first if len(first) <= 60 else first[:57].rstrip() + "…"
    ending = clean_text(end_text, field="End card", max_chars=MAX_TITLE_CHARS, allow_empty=True).strip()
    if not ending:
        ending = "完" if words.mostly_cjk(text) else "The End"
    backdrop = _path(background_image)
    if backdrop is not None:
        load_image(backdrop, field="The background image", min_side=2)  # refused now if unreadable
    inside = tuple(
        Cue(max(0.0, c.start), min(seconds, c.end), c.text)
        for c in cues
        if c.start < seconds and c.text.strip()
    )
    return FilmPlan(
        audio=audio_path,
        seconds=seconds,
        cues=tuple(sorted(inside, key=lambda c: c.start)),
        paragraphs=paragraphs,
        pictures=paths,
        title=name,
        end_text=ending,
        aspect=aspect_value,
        resolution=height,
        subtitles=mode,
        background=parse_colour(background),
        background_image=backdrop,
    )


# -- timing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One shot of the film: the title, a picture, a paragraph's card, or the end."""

    kind: str  # title | picture | card | end
    start: float
    end: float
    picture: int = -1  # the index among the pictures used
    paragraph: int = -1

    @property
    def seconds(self) -> float:
        return self.end - self.start


def _letters(text: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKC", text).lower() if unicodedata.category(ch)[0] in "LN"
    )


def paragraph_of_cues(cues: Sequence[Cue], paragraphs: Sequence[str]) -> list[int]:
    """Which paragraph each cue reads: found by its letters in the script, in order; a cue not
    found (a narration that is not the script's) goes by its share of the script's letters."""
    if not paragraphs:
        return [0] * len(cues)
    texts = [_letters(p) for p in paragraphs]
    starts = np.cumsum([0] + [len(t) for t in texts]).tolist()
    whole = "".join(texts)
    total = max(1, len(whole))
    cue_letters = [_letters(c.text) for c in cues]
    spoken = np.cumsum([0] + [len(t) for t in cue_letters]).tolist()
    found, at = [], 0
    for index, letters in enumerate(cue_letters):
        pos = whole.find(letters, at) if letters else -1
        if pos < 0:
            pos = round(spoken[index] / max(1, spoken[-1]) * total)
        else:
            at = pos + len(letters)
        paragraph = min(len(paragraphs) - 1, bisect_right(starts, pos) - 1)
        found.append(max(paragraph, found[-1]) if found else paragraph)
    return found


def _units(seconds: float, cues: Sequence[Cue], paragraphs: Sequence[str], lo: float, hi: float):
    """(start, end, paragraph) spans tiling [lo, hi]: each paragraph from the middle of the pause
    before it to the middle of the pause after it."""
    if not paragraphs:
        return [(lo, hi, -1)]
    if not cues:  # no timing: by the paragraphs' share of letters
        weights = np.cumsum([0] + [max(1, len(_letters(p))) for p in paragraphs])
        bounds = lo + (hi - lo) * weights / weights[-1]
        return [(float(a), float(b), i) for i, (a, b) in enumerate(itertools.pairwise(bounds))]
    owner = paragraph_of_cues(cues, paragraphs)
    spans: dict[int, list[float]] = {}
    for cue, paragraph in zip(cues, owner, strict=True):
        span = spans.setdefault(paragraph, [cue.start, cue.end])
        span[1] = max(span[1], cue.end)
    order = sorted(spans)
    cuts = [lo]
    for before, after in itertools.pairwise(order):
        middle = (spans[before][1] + spans[after][0]) / 2
        cuts.append(min(hi, max(cuts[-1], middle)))
    cuts.append(hi)
    return [(cuts[i], cuts[i + 1], p) for i, p in enumerate(order) if cuts[i + 1] > cuts[i]]


def _group(units: list[tuple[float, float, int]], count: int) -> list[tuple[float, float, int]]:
    """`units` joined into `count` contiguous spans, each cut at the unit boundary nearest an
    equal share of the time."""
    lo, hi = units[0][0], units[-1][1]
    chosen, previous = [], 0
    for k in range(1, count):
        target = lo + (hi - lo) * k / count
        options = range(previous + 1, len(units) - (count - k) + 1)
        best = min(options, key=lambda j: abs(units[j][0] - target))
        chosen.append(best)
        previous = best
    edges = [0, *chosen, len(units)]
    return [(units[a][0], units[b - 1][1], units[a][2]) for a, b in itertools.pairwise(edges)]


def _spread(units: list[tuple[float, float, int]], count: int) -> list[tuple[float, float, int]]:
    """`count` (more than the units) spans: each unit's time split evenly among its share of
    the pictures (by length, at least one each), so a change still falls on each paragraph's start."""
    lengths = np.array([b - a for a, b, _ in units])
    share = np.maximum(1, np.floor(lengths / lengths.sum() * count)).astype(int)
    while share.sum() > count:
        share[np.argmax(np.where(share > 1, share, 0))] -= 1
    while share.sum() < count:
        share[np.argmax(lengths / share)] += 1
    spans = []
    for (a, b, paragraph), parts in zip(units, share, strict=True):
        bounds = np.linspace(a, b, parts + 1)
        spans += [(float(x), float(y), paragraph) for x, y in itertools.pairwise(bounds)]
    return spans


def capacity(seconds: float, cues: Sequence[Cue]) -> int:
    """How many pictures a film of this length takes at most (MIN_SHOT_S each)."""
    lo, hi = _bookends(seconds, cues)
    return max(1, int((hi - lo) // MIN_SHOT_S))


def _bookends(seconds: float, cues: Sequence[Cue]) -> tuple[float, float]:
    """Where the title card ends and the end card starts: over the music's lead-in and
    lead-out, within TITLE_S and END_S, and never more than a quarter of the film each."""
    first = cues[0].start if cues else 0.0
    last = max((c.end for c in cues), default=seconds)
    title_end = min(max(first, TITLE_S[0]), TITLE_S[1], seconds * 0.25)
    end_start = max(min(last + 0.3, seconds - END_S[0]), seconds - END_S[1], seconds * 0.75)
    return title_end, max(end_start, title_end + 0.1)


def timeline(seconds: float, cues: Sequence[Cue], paragraphs: Sequence[str], pictures: int) -> list[Segment]:
    """The film's shots in order, tiling [0, seconds]: the title, one picture (or, with none,
    one card) per paragraph (see `_group` and `_spread` for other counts), the end."""
    lo, hi = _bookends(seconds, cues)
    units = _units(seconds, cues, paragraphs, lo, hi)
    middle: list[Segment] = []
    if pictures <= 0:
        middle = [Segment("card", a, b, paragraph=p) for a, b, p in units]
    else:
        spans = _group(units, pictures) if pictures <= len(units) else _spread(units, pictures)
        middle = [Segment("picture", a, b, picture=i, paragraph=p) for i, (a, b, p) in enumerate(spans)]
    return [Segment("title", 0.0, lo), *middle, Segment("end", hi, seconds)]


# -- drawing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FilmProgress:
    frames_done: int
    frames: int
    message: str
    seconds_left: float | None = None


@dataclass(frozen=True)
class Film:
    files: dict[str, Path]
    params: dict[str, Any]
    notes: tuple[str, ...] = field(default_factory=tuple)


class Stopped(Exception):
    """Stop was pressed while the film was being made."""


def read_pictures(plan: FilmPlan, wanted: int, notes: list[str], cancel: threading.Event) -> Iterator[int]:
    """Indexes of the plan's pictures that decode, in order, at most `wanted` of them; a bad
    one is left out with a note. Yields as it goes, so 300 large photos show progress."""
    size = plan.size
    draft = (round(max(size) * frames.MAX_ZOOM),) * 2
    taken = 0
    for index, path in enumerate(plan.pictures):
        if taken >= wanted or cancel.is_set():
            return
        try:
            load_image(path, field=f"Picture {index + 1}", min_side=2, draft=draft)
        except InvalidInput as exc:
            notes.append(f"{exc} It was left out.")
            continue
        taken += 1
        yield index


class _Shots:
    """The shots being shown, made when first needed and dropped once passed (so a film of 300
    pictures holds two at a time)."""

    def __init__(self, plan: FilmPlan, segments: list[Segment], used: list[int]) -> None:
        self.plan, self.segments, self.used = plan, segments, used
        self.made: dict[int, frames.Shot] = {}
        self.size = plan.size
        self.backdrop = None
        if plan.background_image is not None:
            image = load_image(plan.background_image, field="The background image", min_side=2)
            self.backdrop = frames.picture_array(image, self.size)

    def picture(self, number: int) -> np.ndarray:
        path = self.plan.pictures[self.used[number]]
        draft = (round(max(self.size) * frames.MAX_ZOOM),) * 2
        image = load_image(path, field=f"Picture {self.used[number] + 1}", min_side=2, draft=draft)
        return frames.picture_array(image, self.size)

    def _blurred(self, number: int, text: str, index: int) -> frames.Shot:
        picture = self.picture(number)
        zoomed = (round(self.size[0] * 1.06), round(self.size[1] * 1.06))
        move = frames.Move((1.0, 1.04)) if index == 0 else frames.Move((1.04, 1.0))
        shot = frames.Shot(frames.blurred_fill(picture, zoomed, darken=0.5), move, self.size)
        shot.overlay = words.card_patch(text, *self.size)
        return shot

    def make(self, index: int) -> frames.Shot:
        segment, size = self.segments[index], self.size
        count = len(self.used)
        if segment.kind == "picture":
            return frames.picture_shot(self.picture(segment.picture), size, segment.picture)[0]
        if segment.kind in ("title", "end") and count:
            return self._blurred(0 if segment.kind == "title" else count - 1, self._text(segment), index)
        shot = frames.card_background(size, self.plan.background, self.backdrop, index)
        scale = 0.085 if segment.kind != "card" else 0.06
        shot.overlay = words.card_patch(self._text(segment), *size, scale=scale)
        return shot

    def _text(self, segment: Segment) -> str:
        if segment.kind == "title":
            return self.plan.title
        if segment.kind == "end":
            return self.plan.end_text
        paragraph = self.plan.paragraphs[segment.paragraph] if segment.paragraph >= 0 else self.plan.title
        sentences = split_sentences(paragraph)
        return sentences[0] if sentences else paragraph

    def get(self, index: int) -> frames.Shot:
        if index not in self.made:
            self.made[index] = self.make(index)
            for old in [i for i in self.made if i < index - 1]:
                del self.made[old]
        return self.made[index]


def _half_fades(segments: list[Segment]) -> list[float]:
    """Half the cross-fade at each boundary between segment i and i + 1."""
    return [min(CROSSFADE_S, 0.4 * a.seconds, 0.4 * b.seconds) / 2 for a, b in itertools.pairwise(segments)]


class FrameMaker:
    """The picture (no subtitles) at any time of the film."""

    def __init__(self, plan: FilmPlan, segments: list[Segment], used: list[int]) -> None:
        self.plan, self.segments = plan, segments
        self.shots = _Shots(plan, segments, used)
        self.halves = _half_fades(segments)
        self.starts = [s.start for s in segments]

    def _shot(self, index: int, t: float) -> np.ndarray:
        segment = self.segments[index]
        before = self.halves[index - 1] if index > 0 else 0.0
        after = self.halves[index] if index < len(self.halves) else 0.0
        first, last = segment.start - before, segment.end + after
        return self.shots.get(index).render((t - first) / max(1e-6, last - first))

    def at(self, t: float) -> np.ndarray:
        index = max(0, min(len(self.segments) - 1, bisect_right(self.starts, t) - 1))
        segment = self.segments[index]
        if index + 1 < len(self.segments) and t >= segment.end - self.halves[index]:
            half = self.halves[index]
            weight = (t - (segment.end - half)) / (2 * half)
            image = frames.blend(self._shot(index, t), self._shot(index + 1, t), weight)
        elif index > 0 and t < segment.start + self.halves[index - 1]:
            half = self.halves[index - 1]
            weight = (t - (segment.start - half)) / (2 * half)
            image = frames.blend(self._shot(index - 1, t), self._shot(index, t), weight)
        else:
            image = self._shot(index, t)
        fade = min(1.0, t / FADE_IN_S, (self.plan.seconds - t) / FADE_OUT_S)
        return image if fade >= 1.0 else cv2.convertScaleAbs(image, alpha=max(0.0, fade))


class Subtitles:
    """The burned subtitle at any time (cues fitted to two lines, each drawn once)."""

    def __init__(self, cues: Sequence[Cue], size: tuple[int, int]) -> None:
        self.style = words.SubtitleStyle(*size)
        self.pieces = words.subtitle_pieces(cues, self.style)
        self.starts = [piece[0].start for piece in self.pieces]
        self.drawn: tuple[int, words.Patch] | None = None

    def draw(self, image: np.ndarray, t: float) -> None:
        index = bisect_right(self.starts, t) - 1
        if index < 0 or t >= self.pieces[index][0].end:
            return
        if self.drawn is None or self.drawn[0] != index:
            _, size, lines = self.pieces[index]
            self.drawn = (index, words.subtitle_patch(lines, size, self.style))
        self.drawn[1].blend(image)


def soft_subtitles(cues: Sequence[Cue], size: tuple[int, int]) -> str:
    """SRT of the cues as they are fitted on screen (two lines at most each)."""
    pieces = words.subtitle_pieces(cues, words.SubtitleStyle(*size))
    return to_srt([Cue(cue.start, cue.end, "\n".join(lines)) for cue, _, lines in pieces], wrap=False)


def encoding(resolution: int) -> tuple[str, int]:
    """The x264 (preset, crf) for frames of this resolution."""
    return ENCODING.get(resolution, DEFAULT_ENCODING)


def ffmpeg_command(plan: FilmPlan, out: Path, subtitles: Path | None) -> list[str]:
    width, height = plan.size
    preset, crf = encoding(plan.resolution)
    command = [
        FFMPEG, "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}", "-r", str(plan.fps),
        "-i", "pipe:0", "-i", str(plan.audio),
    ]  # fmt: skip
    if subtitles is not None:
        command += ["-f", "srt", "-i", str(subtitles)]
    command += ["-map", "0:v", "-map", "1:a"] + (["-map", "2:s"] if subtitles is not None else [])
    command += [
        "-c:v", "libx264", "-preset", preset, "-crf", str(crf),
        "-pix_fmt", "yuv420p", "-profile:v", "high", "-g", str(plan.fps * 2),
        # OpenCV's RGB to I420 is BT.601 at video range: say so, or players guess BT.709 for HD
        "-colorspace", "smpte170m", "-color_primaries", "smpte170m", "-color_trc", "smpte170m",
        "-color_range", "tv",
        "-c:a", "aac", "-b:a", "160k",
    ]  # fmt: skip
    if subtitles is not None:
        language = "chi" if any(words.has_cjk(c.text) for c in plan.cues) else "eng"
        command += ["-c:s", "mov_text", "-metadata:s:s:0", f"language={language}"]
    return [*command, "-movflags", "+faststart", str(out)]


def _killer(process: subprocess.Popen, cancel: threading.Event, done: threading.Event) -> threading.Thread:
    """Kill ffmpeg the moment Stop is pressed, even while a frame is being written to it."""

    def watch() -> None:
        while not done.is_set():
            if cancel.wait(0.1):
                process.kill()
                return

    thread = threading.Thread(target=watch, name="film-stop", daemon=True)
    thread.start()
    return thread


def render_film(plan: FilmPlan, workdir: Path, cancel: threading.Event) -> Iterator[FilmProgress | Film]:
    """Progress while the film is drawn and encoded, then the Film (MP4, poster, subtitles as
    SRT); nothing more once stopped, and no file left but in `workdir` (the caller's)."""
    if shutil.which(FFMPEG) is None:
        raise ModelUnavailable("A film needs ffmpeg (Debian package ffmpeg), which is not installed here.")
    notes: list[str] = []
    if note := words.missing_font(plan.title + " ".join(plan.paragraphs)):
        notes.append(note)
    wanted = capacity(plan.seconds, plan.cues)
    used: list[int] = []
    for index in read_pictures(plan, wanted, notes, cancel):
        used.append(index)
        yield FilmProgress(0, 0, f"Reading pictures: {len(used)} of {min(wanted, len(plan.pictures))}")
    if cancel.is_set():
        return
    valid = len(plan.pictures) - sum("left out" in n for n in notes)
    if valid > len(used):
        notes.append(
            f"{valid} pictures for a {plan.seconds:.0f} s film: the first {len(used)} were used "
            f"(each shows for at least {MIN_SHOT_S:g} s)."
        )
    if plan.pictures and not used:
        notes.append("None of the pictures could be read: title cards are shown instead.")
    segments = timeline(plan.seconds, plan.cues, plan.paragraphs, len(used))
    total = max(1, round(plan.seconds * plan.fps))
    maker = FrameMaker(plan, segments, used)
    subtitles = Subtitles(plan.cues, plan.size) if plan.subtitles == "burned" else None
    srt_path = workdir / FILM_SRT
    srt_path.write_text(soft_subtitles(plan.cues, plan.size), encoding="utf-8")
    out, poster = workdir / FILM, workdir / POSTER
    first_picture = next((s for s in segments if s.kind == "picture"), segments[min(1, len(segments) - 1)])
    poster_frame = min(total - 1, round((first_picture.start + first_picture.end) / 2 * plan.fps))
    stderr_path = workdir / "ffmpeg.log"
    started = time.monotonic()
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(
            ffmpeg_command(plan, out, srt_path if plan.subtitles == "soft" else None),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    done = threading.Event()
    _killer(process, cancel, done)
    try:
        shown, last_report = -1, started
        for number in range(total):
            if cancel.is_set():
                raise Stopped
            t = number / plan.fps
            image = maker.at(t)
            if number == poster_frame:
                save_png(image, poster)
            if subtitles is not None:
                subtitles.draw(image, t)
            try:
                process.stdin.write(cv2.cvtColor(image, cv2.COLOR_RGB2YUV_I420).tobytes())
            except (BrokenPipeError, OSError):
                raise Stopped if cancel.is_set() else _failed(stderr_path) from None
            segment = bisect_right(maker.starts, t) - 1
            now = time.monotonic()
            if segment != shown or now - last_report >= PROGRESS_EVERY_S:
                shown, last_report = segment, now
                left = (now - started) / (number + 1) * (total - number - 1)
                kind = segments[segment].kind
                yield FilmProgress(
                    number + 1, total, f"Drawing shot {segment + 1} of {len(segments)} ({kind})", left
                )
        process.stdin.close()
        yield FilmProgress(total, total, "Finishing the MP4…", 0.0)
        while process.poll() is None:
            if cancel.wait(0.05):
                raise Stopped
        if process.returncode != 0:
            raise Stopped if cancel.is_set() else _failed(stderr_path)
    except Stopped:
        _clean(out, poster, srt_path)
        return
    except BaseException:
        _clean(out, poster, srt_path)
        raise
    finally:
        done.set()
        if process.poll() is None:
            process.kill()
        process.wait()
        stderr_path.unlink(missing_ok=True)
        if process.stdin and not process.stdin.closed:
            with contextlib.suppress(OSError):
                process.stdin.close()
    elapsed = time.monotonic() - started
    log.info("film: %d frames at %dx%d in %.1f s", total, *plan.size, elapsed)
    files = {FILM: out, POSTER: poster, FILM_SRT: srt_path}
    params = {
        **plan.params(),
        "seconds": round(plan.seconds, 3),
        "frames": total,
        "pictures_used": len(used),
        "shots": len(segments),
        "render_s": round(elapsed, 2),
        "notes": list(notes),
    }
    yield Film(files, params, tuple(notes))


def _failed(stderr_path: Path) -> ModelUnavailable:
    detail = stderr_path.read_text(errors="replace").strip()[-300:] if stderr_path.exists() else ""
    return ModelUnavailable(f"ffmpeg could not make the film: {detail or 'it stopped unexpectedly'}")


def _clean(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
