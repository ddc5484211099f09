"""The Speech tab's automatic language: mostly Chinese text goes to a Chinese voice, the rest
to an English one, and the model the user picked is kept when it speaks that language.

A pure decision on the text and the configured models, made before the request is queued,
so routing costs nothing and each request still runs on exactly one model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from genai_studio.backends.speech.backend import SpeechBackend

AUTO = "auto"
AUTO_NAME = "Auto: from the text (中文 → Mandarin voice, English → hibari)"
# Detected language -> the language ids that speak it, best first.
SPOKEN_AS = {"zh": ("cmn", "zh", "zh-cn"), "en": ("en-us", "en", "en-gb")}
_KNOWN = frozenset(code for codes in SPOKEN_AS.values() for code in codes)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")

# spec -> (voices, languages) of a model that can run here, or None.
Options = Callable[[str], tuple[dict[str, str], dict[str, str]] | None]


def options_of(backend_for: Callable[[str], SpeechBackend]) -> Options:
    """The Options of configured models (`backend_for` gives a spec's backend, not loaded): a
    model that cannot run here has none, so auto skips it."""

    def options(spec: str) -> tuple[dict[str, str], dict[str, str]] | None:
        backend = backend_for(spec)
        return (backend.voices(), backend.languages()) if backend.available().ready else None

    return options


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
    """
    wanted = SPOKEN_AS[detect(text)]
    own = options(model)
    if own is not None and not _KNOWN.intersection(own[1]):
        return model, voice, next(iter(own[1]))
    for spec in (model, *(spec for spec in specs if spec != model)):
        found = options(spec)
        if found is None:
            continue
        voices, languages = found
        code = next((code for code in wanted if code in languages), None)
        if code is not None:
            return spec, voice if voice in voices else next(iter(voices)), code
    languages = own[1] if own is not None else {}
    return model, voice, next(iter(languages), AUTO)
