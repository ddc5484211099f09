"""Voices per role: a narrator and up to three characters, each line of dialogue spoken by its
role's voice.

A line of a script is a character's when it starts with the character's name and a colon
(`MIRA: Run!`, `米拉：快跑！`): the whole line, name left out, in that voice. Elsewhere quoted
text (“…”, "…", 「…」) is a character's: the one named in the rest of the paragraph nearest
the quote (`"Run!" said Mira.`), else the last character who spoke in the paragraph, else the
first character. Everything else is the narrator's. Names match whole words, in any case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from genai_studio.backends.speech.sentences import split_sentences
from genai_studio.errors import InvalidInput
from genai_studio.inputs import shown

MAX_CHARACTERS = 3
MAX_NAME_CHARS = 40
_QUOTE = re.compile(r"“[^”]*”|\"[^\"]*\"|「[^」]*」|『[^』]*』")
_NAME = re.compile(r"^[^\W\d_][\w .'’-]*$")


@dataclass(frozen=True)
class Role:
    name: str
    voice: str


@dataclass(frozen=True)
class Cast:
    """The narrator's voice and the characters'; picklable (it travels inside a request)."""

    narrator: str
    characters: tuple[Role, ...] = ()

    def voices(self) -> tuple[str, ...]:
        return (self.narrator, *(role.voice for role in self.characters))

    def params(self) -> dict[str, object]:
        return {"narrator": self.narrator, "characters": {role.name: role.voice for role in self.characters}}

    def with_voices(self, voices: tuple[str, ...]) -> Cast:
        """The same roles with these voices (narrator first), e.g. once checked and canonical."""
        narrator, *others = voices
        roles = tuple(Role(role.name, voice) for role, voice in zip(self.characters, others, strict=True))
        return Cast(narrator, roles)

    def _prefix(self) -> re.Pattern[str] | None:
        if not self.characters:
            return None
        names = "|".join(re.escape(role.name) for role in self.characters)
        return re.compile(rf"^\s*({names})\s*[:：]\s*", re.IGNORECASE)

    def _role(self, name: str) -> Role:
        return next(role for role in self.characters if role.name.lower() == name.lower())

    def _named_near(self, paragraph: str, start: int, end: int) -> Role | None:
        """The character named outside quotes nearest the quote at [start, end)."""
        outside = _QUOTE.sub(lambda m: " " * len(m.group(0)), paragraph)
        best: tuple[int, Role] | None = None
        for role in self.characters:
            word = rf"(?<!\w){re.escape(role.name)}(?!\w)" if role.name.isascii() else re.escape(role.name)
            for match in re.finditer(word, outside, re.IGNORECASE):
                distance = match.start() - end if match.start() >= end else start - match.end()
                if best is None or distance < best[0]:
                    best = (distance, role)
        return best[1] if best else None

    def parts(self, paragraph: str) -> list[tuple[str, str]]:
        """(text, voice) pieces of one paragraph, in order."""
        prefix = self._prefix()
        if prefix is None:
            return [(paragraph, self.narrator)] if paragraph.strip() else []
        found = prefix.match(paragraph)
        if found:
            return [(paragraph[found.end() :], self._role(found.group(1)).voice)]
        pieces: list[tuple[str, str]] = []
        last: Role | None = None
        start = 0
        for quote in _QUOTE.finditer(paragraph):
            speaker = self._named_near(paragraph, quote.start(), quote.end()) or last or self.characters[0]
            last = speaker
            pieces += [(paragraph[start : quote.start()], self.narrator), (quote.group(0), speaker.voice)]
            start = quote.end()
        pieces.append((paragraph[start:], self.narrator))
        return [(text.strip(), voice) for text, voice in pieces if re.search(r"\w", text)]

    def starts_line(self, line: str) -> bool:
        """True for a `NAME:` line (it opens a paragraph of its own)."""
        prefix = self._prefix()
        return bool(prefix and prefix.match(line))


def build_cast(narrator: object, characters: list[tuple[object, object]] | tuple = ()) -> Cast:
    """The cast from the narrator's voice and (name, voice) pairs; pairs with no name are left
    out (empty rows of the form). Raises InvalidInput for a bad name, a name given twice, a
    name without a voice, or more than three characters. Voices are checked by the model."""
    roles: list[Role] = []
    for name, voice in characters:
        name = name.strip() if isinstance(name, str) else name
        if not name and not voice:
            continue
        if not isinstance(name, str) or not name:
            raise InvalidInput(f"A character's voice {shown(voice)} has no name: give the character a name.")
        if len(name) > MAX_NAME_CHARS or not _NAME.match(name):
            raise InvalidInput(
                f"The character name {shown(name)} must be a name (letters, spaces, - or '), "
                f"at most {MAX_NAME_CHARS} characters."
            )
        if not isinstance(voice, str) or not voice.strip():
            raise InvalidInput(f"Pick a voice for {name}.")
        if any(role.name.lower() == name.lower() for role in roles):
            raise InvalidInput(f"The character {name} is named twice: give each character one row.")
        roles.append(Role(name, voice.strip()))
    if len(roles) > MAX_CHARACTERS:
        raise InvalidInput(
            f"At most {MAX_CHARACTERS} characters have voices of their own; {len(roles)} were given."
        )
    return Cast(str(narrator) if narrator is not None else "", tuple(roles))


def voiced_sentences(text: str, cast: Cast) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(sentences, the voice of each) of `text`, one paragraph a line, as split_sentences cuts."""
    sentences: list[str] = []
    voices: list[str] = []
    for line in text.splitlines():
        for part, voice in cast.parts(" ".join(line.split())):
            found = split_sentences(part)
            sentences += found
            voices += [voice] * len(found)
    return tuple(sentences), tuple(voices)
