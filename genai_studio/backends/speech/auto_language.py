"""The Speech tab's automatic language: mostly Chinese text goes to a Chinese voice, the rest
to an English one, and the model the user picked is kept when it speaks that language.

A pure decision on the text and the configured models, made before the request is queued,
so routing costs nothing and each request still runs on exactly one model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from genai_studio.backends.speech.request import known

if TYPE_CHECKING:
    from genai_studio.backends.speech.backend import SpeechBackend

AUTO = "auto"
AUTO_NAME = "Auto: from the text (中文 → Mandarin voice, English → hibari)"
# Detected language -> the language ids that speak it, best first.
SPOKEN_AS = {"zh": ("cmn", "zh", "zh-cn"), "en": ("en-us", "en", "en-gb")}
_KNOWN = frozenset(code for codes in SPOKEN_AS.values() for code in codes)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")

# spec -> (voices, languages[, voice -> the language id it speaks natively or None, the
# model's own voice check]) of a model that can run here, or None. The last two are for models
# whose voices each speak one language and that take voices beyond those listed (Kokoro's mixes).
Native = Callable[[str], str | None]
Options = Callable[[str], tuple | None]


def _no_native(voice: str) -> str | None:
    return None


def options_of(backend_for: Callable[[str], SpeechBackend]) -> Options:
    """The Options of configured models (`backend_for` gives a spec's backend, not loaded): a
    model that cannot run here has none, so auto skips it."""

    def options(spec: str) -> tuple | None:
        backend = backend_for(spec)
        if not backend.available().ready:
            return None
        return backend.voices(), backend.languages(), backend.voice_language, backend.check_voice

    return options


def _unpacked(found: tuple) -> tuple[dict[str, str], dict[str, str], Native]:
    voices, languages, *native = found
    return voices, languages, native[0] if native else _no_native


def _check(found: tuple, voice: str) -> None:
    """Raise InvalidInput for a voice the model does not take, in the model's own words."""
    voices, _, *rest = found
    if len(rest) > 1:
        rest[1](voice, None)
    else:
        known(voice, field="Voice", options=voices)


def _voice_for(voice: str, voices: dict[str, str], native: Native, wanted: tuple[str, ...]) -> tuple | None:
    """(voice, its language) on a model for the wanted language: the given voice if the model
    has it and it speaks that language (or any), else the model's first voice that does."""
    own = native(voice)
    if (voice in voices or own is not None) and (own is None or own in wanted):
        return voice, own
    for other in voices:
        language = native(other)
        if language is None or language in wanted:
            return other, language
    return None


def detect(text: str) -> str:
    """The language of `text`: zh when Chinese characters are at least as many as Latin words.

    One character is one syllable and an English word about 1.5, so a Chinese sentence
    with a brand name (我用GPS找路) is Chinese and an English one quoting 北京 is English.
    """
    han = len(_HAN.findall(text))
    return "zh" if han and han >= len(_LATIN_WORD.findall(text)) else "en"


def resolve(text: str, model: str, voice: str, specs: Sequence[str], options: Options) -> tuple[str, ...]:
    """(model, voice, language) for `text` when the language is left on auto.

    The picked model is kept if it speaks the detected language, or if its languages say
    nothing known (Bark detects by itself, a VITS checkpoint has one language); otherwise
    the first configured model that speaks it is used, with the voice kept if it has it.
    A voice the picked model does not have is an error (InvalidInput), never replaced.
    Where each voice speaks one language (Kokoro), a voice of the wanted language is chosen
    and its own language kept (a British voice reads English the British way).
    """
    wanted = SPOKEN_AS[detect(text)]
    own = options(model)
    if own is not None:
        voices, languages, native = _unpacked(own)
        if voice not in voices and native(voice) is None:
            _check(own, voice)  # raises, saying what is wrong
        if not _KNOWN.intersection(languages):
            return model, voice, next(iter(languages))
    for spec in (model, *(spec for spec in specs if spec != model)):
        found = options(spec)
        if found is None:
            continue
        voices, languages, native = _unpacked(found)
        code = next((code for code in wanted if code in languages), None)
        chosen = _voice_for(voice, voices, native, wanted) if code is not None else None
        if chosen is not None:
            return spec, chosen[0], chosen[1] or code
    languages = own[1] if own is not None else {}
    return model, voice, next(iter(languages), AUTO)
