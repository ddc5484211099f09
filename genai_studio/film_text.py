"""Words drawn on a film's frames: the fonts, subtitles wrapped to two lines that fit the
frame's safe width, and the text of title and end cards.

Latin text is set in DejaVu Sans Bold, text with Chinese characters in WenQuanYi Micro Hei
(Debian's fonts-dejavu-core and fonts-wqy-microhei, both in packages.txt; fontconfig is asked
where they are). Text is drawn once per cue into an RGBA patch, white with a dark outline and a
soft shadow, and blended onto each frame where the cue shows: a subtitle costs a few
milliseconds a frame at 1080p.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from genai_studio.subtitles import Cue

LATIN_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "DejaVu Sans:bold",
)
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Droid Sans Fallback",
)
MAX_LINES = 2  # a subtitle is at most two lines
MIN_SCALE = 0.82  # a long cue may be set this much smaller before it is split in two
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
# no line starts with these (Chinese punctuation that belongs to the character before it)
_NO_LINE_START = set("，。！？；：、）》」』”’,.!?;:)")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def mostly_cjk(text: str) -> bool:
    """Whether Chinese characters outnumber the words in other scripts (the end card's language)."""
    return len(_CJK.findall(text)) > len(re.findall(r"[^\W\d_]+", _CJK.sub(" ", text)))


def _fc_match(pattern: str) -> str | None:
    if not shutil.which("fc-match"):
        return None
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return found or None


@functools.lru_cache(maxsize=4)
def font_file(cjk: bool) -> str | None:
    """The font file for Chinese (`cjk`) or other text; None when none is installed."""
    for candidate in CJK_FONTS if cjk else LATIN_FONTS:
        if candidate.startswith("/"):
            if Path(candidate).is_file():
                return candidate
            continue
        found = _fc_match(candidate)
        if found and Path(found).is_file() and (not cjk or Path(found).stem.lower() != "dejavusans"):
            return found
    return None


def missing_font(text: str) -> str | None:
    """A note for the user when `text` needs a font that is not installed, else None."""
    if has_cjk(text) and font_file(True) is None:
        return "No Chinese font is installed (Debian: fonts-wqy-microhei): Chinese text shows as boxes."
    return None


@functools.lru_cache(maxsize=16)
def font(size: int, cjk: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = font_file(cjk) or font_file(not cjk)
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size)


def font_for(text: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return font(size, has_cjk(text))


def _tokens(text: str) -> list[str]:
    """Pieces a line may break between: words (with their space) for Latin text, single
    characters for Chinese (punctuation kept with the character before it)."""
    tokens: list[str] = []
    for part in re.findall(r"\S+\s*", text):
        if not has_cjk(part):
            tokens.append(part)
            continue
        for ch in re.findall(r"[\u2e80-\u9fff\uf900-\ufaff]|[^\u2e80-\u9fff\uf900-\ufaff]+", part):
            if tokens and (ch[0] in _NO_LINE_START or unicodedata.category(ch[0]).startswith("P")):
                tokens[-1] += ch
            else:
                tokens.append(ch)
    return tokens


def wrap(text: str, face: ImageFont.ImageFont, width: float) -> list[str]:
    """`text` in lines no wider than `width` pixels (a single over-long word is cut)."""
    lines: list[str] = []
    line = ""
    for token in _tokens(" ".join(text.split())):
        if face.getlength((line + token).rstrip()) <= width or not line:
            line += token
        else:
            lines.append(line.rstrip())
            line = token
        while face.getlength(line.rstrip()) > width and len(line) > 1:  # one word wider than a line
            cut = len(line) - 1
            while cut > 1 and face.getlength(line[:cut]) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


@dataclass(frozen=True)
class SubtitleStyle:
    """Where and how big subtitles are on a frame of `width` x `height`."""

    width: int
    height: int

    @property
    def portrait(self) -> bool:
        return self.height > self.width

    @property
    def size(self) -> int:
        """Readable from a phone held at arm's length: ~5 % of the frame's shorter side."""
        return max(12, round(min(self.width, self.height) * (0.055 if self.portrait else 0.05)))

    @property
    def safe_width(self) -> int:
        return round(self.width * (0.84 if self.portrait else 0.86))

    @property
    def bottom(self) -> int:
        """The gap under the last line: phone apps draw their own buttons low on a tall frame."""
        return round(self.height * (0.14 if self.portrait else 0.075))


def _fits(text: str, style: SubtitleStyle, size: int) -> list[str]:
    return wrap(text, font_for(text, size), style.safe_width)


def split_cue(cue: Cue, style: SubtitleStyle) -> list[tuple[Cue, int, list[str]]]:
    """A cue as one or more (cue, font size, lines) of at most two lines each: set a little
    smaller if that fits it on two lines, else cut at line ends and timed by letters."""
    for size in (style.size, round(style.size * MIN_SCALE)):
        lines = _fits(cue.text, style, size)
        if len(lines) <= MAX_LINES:
            return [(cue, size, lines)]
    size = style.size
    lines = _fits(cue.text, style, size)
    groups = [lines[i : i + MAX_LINES] for i in range(0, len(lines), MAX_LINES)]
    weights = np.cumsum([0] + [max(1, sum(len(line) for line in group)) for group in groups])
    bounds = cue.start + (cue.end - cue.start) * weights / weights[-1]
    joiner = "" if has_cjk(cue.text) else " "
    return [
        (Cue(round(float(a), 3), round(float(b), 3), joiner.join(group)), size, group)
        for group, a, b in zip(groups, bounds[:-1], bounds[1:], strict=True)
    ]


def subtitle_pieces(
    cues: list[Cue] | tuple[Cue, ...], style: SubtitleStyle
) -> list[tuple[Cue, int, list[str]]]:
    """Every cue fitted to the frame (see `split_cue`), in time order."""
    pieces = [piece for cue in sorted(cues, key=lambda c: c.start) for piece in split_cue(cue, style)]
    return [piece for piece in pieces if piece[0].text.strip()]


@dataclass(frozen=True)
class Patch:
    """Text drawn as RGB and alpha (0-255), to be blended at (x, y) of a frame."""

    x: int
    y: int
    rgb: np.ndarray  # (h, w, 3) uint8
    alpha: np.ndarray  # (h, w, 1) uint16

    def blend(self, frame: np.ndarray) -> None:
        """Draw onto `frame` (H, W, 3 uint8) in place, clipped to it."""
        h, w = self.alpha.shape[:2]
        x0, y0 = max(0, self.x), max(0, self.y)
        x1, y1 = min(frame.shape[1], self.x + w), min(frame.shape[0], self.y + h)
        if x0 >= x1 or y0 >= y1:
            return
        a = self.alpha[y0 - self.y : y1 - self.y, x0 - self.x : x1 - self.x]
        rgb = self.rgb[y0 - self.y : y1 - self.y, x0 - self.x : x1 - self.x]
        region = frame[y0:y1, x0:x1]
        region[:] = ((region * (255 - a) + rgb * a + 127) // 255).astype(np.uint8)


def draw_lines(
    lines: list[str],
    size: int,
    *,
    fill: tuple[int, int, int] = (255, 255, 255),
    outline: tuple[int, int, int] = (0, 0, 0),
    shadow: bool = True,
    spacing: float = 0.22,
) -> tuple[np.ndarray, np.ndarray]:
    """Centred lines as (rgb uint8, alpha uint16 (h, w, 1)), outlined, with a soft shadow."""
    face = font_for("".join(lines), size)
    stroke = max(2, round(size * 0.09))
    pad = stroke * 3
    widths = [face.getlength(line) for line in lines]
    ascent, descent = face.getmetrics() if hasattr(face, "getmetrics") else (size, size // 4)
    step = round((ascent + descent) * (1 + spacing))
    width = round(max(widths, default=0)) + 2 * pad
    height = step * (len(lines) - 1) + ascent + descent + 2 * pad
    text = Image.new("RGBA", (width, height), (*outline, 0))
    draw = ImageDraw.Draw(text)
    for index, line in enumerate(lines):
        x = pad + (width - 2 * pad - widths[index]) / 2
        draw.text(
            (x, pad + index * step),
            line,
            font=face,
            fill=(*fill, 255),
            stroke_width=stroke,
            stroke_fill=(*outline, 255),
        )
    if shadow:
        alpha = text.getchannel("A").filter(ImageFilter.GaussianBlur(stroke * 1.5))
        shade = Image.new("RGBA", text.size, (0, 0, 0, 0))
        shade.putalpha(alpha.point(lambda v: v * 0.55))
        text = Image.alpha_composite(shade, text)
    array = np.asarray(text)
    return np.ascontiguousarray(array[:, :, :3]), array[:, :, 3:].astype(np.uint16)


def subtitle_patch(lines: list[str], size: int, style: SubtitleStyle) -> Patch:
    """Subtitle lines placed bottom-centre inside the safe margins."""
    rgb, alpha = draw_lines(lines, size)
    h, w = alpha.shape[:2]
    pad = max(2, round(size * 0.09)) * 3
    return Patch((style.width - w) // 2, style.height - style.bottom - h + pad, rgb, alpha)


def card_patch(text: str, width: int, height: int, scale: float = 0.085, max_lines: int = 4) -> Patch:
    """Large centred words for a title, end or paragraph card (shortened past `max_lines`)."""
    size = max(14, round(min(width, height) * scale))
    face = font_for(text, size)
    lines = wrap(text, face, width * 0.8)
    while len(lines) > max_lines and size > 14:
        size = round(size * 0.9)
        face = font_for(text, size)
        lines = wrap(text, face, width * 0.8)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1].rstrip(" .,，。") + "…"]
    rgb, alpha = draw_lines(lines, size)
    h, w = alpha.shape[:2]
    return Patch((width - w) // 2, (height - h) // 2, rgb, alpha)
