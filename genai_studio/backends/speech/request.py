"""The speech request every speech backend takes, and the function that checks user values.

The text limit is documented for users: about five minutes of speech, which keeps one
request from holding the shared worker for long. Long-form narration (genai_studio.narration)
takes a chapter, since it writes audio to disk as it goes and can be stopped and continued.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from genai_studio.backends.speech.roles import Cast, voiced_sentences
from genai_studio.backends.speech.sentences import is_speakable, split_sentences
from genai_studio.errors import InvalidInput
from genai_studio.inputs import bounded_number, clean_text, shown

MAX_TEXT_CHARS = 5_000
MAX_NARRATION_CHARS = 100_000  # long-form narration: a chapter, written to disk as it is spoken
MIN_SPEED = 0.5
MAX_SPEED = 2.0


@dataclass(frozen=True)
class SpeechRequest:
    text: str
    sentences: tuple[str, ...]
    voice: str
    language: str
    speed: float = 1.0
    keep_audio: bool = True  # False: the Result holds no audio; the caller keeps each chunk
    early_parts: bool = False  # True: clauses come as EarlyPart progress before their sentence
    cast: Cast | None = None  # voices per role: then `voices` holds each sentence's voice
    voices: tuple[str, ...] = ()

    def params(self) -> dict[str, object]:
        params = {"text": self.text, "voice": self.voice, "language": self.language, "speed": self.speed}
        if self.cast is not None:
            params["roles"] = self.cast.params()
        return params

    def for_sentence(self, index: int) -> SpeechRequest:
        """The request as sentence `index` (0-based) is spoken: with its role's voice."""
        if not self.voices or self.voices[index] == self.voice:
            return self
        return replace(self, voice=self.voices[index])


VoiceCheck = Callable[[object, object], str]  # (voice, language) -> the voice, checked


def known(value: object, *, field: str, options: Mapping[str, str]) -> str:
    """`value` if it is a key of `options`, else a message naming a few that are."""
    if isinstance(value, str) and value in options:
        return value
    names = list(options)
    listed = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
    raise InvalidInput(f"This model has no {field.lower()} {shown(value)}. Pick one of: {listed}.")


def build_request(
    *,
    text: object,
    voice: object,
    language: object,
    speed: object = 1.0,
    voices: Mapping[str, str],
    languages: Mapping[str, str],
    max_chars: int = MAX_TEXT_CHARS,
    voice_check: VoiceCheck | None = None,
    cast: Cast | None = None,
) -> SpeechRequest:
    """Check every user value against the chosen model's voices and languages; raises InvalidInput.

    An unknown voice is an error, never replaced by another. `voice_check` is the model's own
    check where it takes more than its listed voices (Kokoro's mixes); a `cast` gives voices
    per role, each checked the same way, and each sentence the voice of its role."""
    cleaned = clean_text(text, field="Text", max_chars=max_chars).strip()
    if not is_speakable(cleaned):
        raise InvalidInput("The text has nothing to say: write some words, not only punctuation or emoji.")
    language = known(language, field="Language", options=languages)

    def checked(value: object) -> str:
        if voice_check is not None:
            return voice_check(value, language)
        return known(value, field="Voice", options=voices)

    voice = checked(voice)
    request = SpeechRequest(
        text=cleaned,
        sentences=tuple(split_sentences(cleaned)),
        voice=voice,
        language=language,
        speed=bounded_number(speed, field="Speed", low=MIN_SPEED, high=MAX_SPEED),
    )
    if cast is None or not cast.characters:
        return request
    cast = cast.with_voices((voice, *(checked(role.voice) for role in cast.characters)))
    sentences, each = voiced_sentences(cleaned, cast)
    return replace(request, cast=cast, sentences=sentences, voices=each)


class SpeaksVoices(Protocol):
    """What a speech backend says of itself: its voices and languages (id -> name)."""

    def voices(self) -> dict[str, str]: ...
    def languages(self) -> dict[str, str]: ...
    def check_voice(self, voice: object, language: object) -> str: ...


def request_for(
    backend: SpeaksVoices,
    *,
    text: object,
    voice: object,
    language: object,
    speed: object,
    max_chars: int = MAX_TEXT_CHARS,
    cast: Cast | None = None,
) -> SpeechRequest:
    """`build_request` against the voices and languages of the backend that will speak it."""
    return build_request(
        text=text,
        voice=voice,
        language=language,
        speed=speed,
        voices=backend.voices(),
        languages=backend.languages(),
        max_chars=max_chars,
        voice_check=backend.check_voice,
        cast=cast,
    )
