"""Kokoro-82M v1.0's voices by language, accent and gender, and voice mixes.

A voice id is Kokoro's own (`af_bella`: a = US English, f = female). A mix blends two or more
voices' style vectors by weight, written as Kokoro-FastAPI writes it:

    af_bella(2)+am_adam(1)    two thirds af_bella, one third am_adam
    af_heart+bf_emma          equal parts (a missing weight is 1)

Weights are positive numbers, normalised to sum 1; every voice of a mix speaks the same
language (English voices of both accents mix; the accent is the first voice's). Pure
functions of the text: nothing here reads the voice files, so the picker costs nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from genai_studio.errors import InvalidInput
from genai_studio.inputs import shown

MAX_MIX_VOICES = 3
MAX_WEIGHT = 100.0
MAX_SPEC_CHARS = 200


@dataclass(frozen=True)
class Language:
    code: str  # the studio's language id
    name: str
    family: str  # voices of one family mix (en-us with en-gb)
    beta: bool = False  # phonemes from espeak-ng, not Kokoro's own G2P


LANGUAGES = {
    "a": Language("en-us", "English (US)", "en"),
    "b": Language("en-gb", "English (UK)", "en"),
    "z": Language("zh", "Chinese (Mandarin)", "zh"),
    "e": Language("es", "Spanish · beta", "es", beta=True),
    "f": Language("fr-fr", "French · beta", "fr", beta=True),
    "i": Language("it", "Italian · beta", "it", beta=True),
    "p": Language("pt-br", "Portuguese (Brazil) · beta", "pt", beta=True),
    "h": Language("hi", "Hindi · beta", "hi", beta=True),
}
BY_CODE = {language.code: language for language in LANGUAGES.values()}
GENDERS = {"f": "woman", "m": "man"}
# the 54 v1.0 voices less the five Japanese ones (Japanese needs a G2P not installed here)
_LISTED = """
af_heart af_bella af_nicole af_aoede af_kore af_sarah af_nova af_alloy af_sky af_jessica af_river
am_fenrir am_michael am_puck am_echo am_eric am_liam am_onyx am_adam am_santa
bf_emma bf_isabella bf_alice bf_lily bm_george bm_fable bm_lewis bm_daniel
zf_xiaobei zf_xiaoni zf_xiaoxiao zf_xiaoyi zm_yunjian zm_yunxi zm_yunxia zm_yunyang
ef_dora em_alex em_santa ff_siwis if_sara im_nicola pf_dora pm_alex pm_santa hf_alpha hf_beta hm_omega hm_psi
"""  # US English, UK English, Mandarin, then the languages phonemized by espeak-ng
VOICE_IDS = tuple(_LISTED.split())
DEFAULT_VOICE = "af_heart"


def language_of_voice(voice: str) -> Language:
    return LANGUAGES[voice[0]]


def voice_name(voice: str) -> str:
    """ "Bella · English (US) · woman": the picker's label for a voice id."""
    language = language_of_voice(voice)
    return f"{voice[3:].title()} · {language.name} · {GENDERS[voice[1]]}"


def catalogue() -> dict[str, str]:
    """Voice id -> label, af_heart first (the default), then by language as listed above."""
    return {voice: voice_name(voice) for voice in VOICE_IDS}


def languages() -> dict[str, str]:
    return {language.code: language.name for language in LANGUAGES.values()}


@dataclass(frozen=True)
class Mix:
    """Voices and their weights (summing to 1), and the language they speak."""

    parts: tuple[tuple[str, float], ...]

    @property
    def language(self) -> Language:
        return language_of_voice(self.parts[0][0])

    @property
    def spec(self) -> str:
        """The canonical text: `af_bella` alone, else `af_bella(0.667)+am_adam(0.333)`."""
        if len(self.parts) == 1:
            return self.parts[0][0]
        return "+".join(f"{voice}({weight:.4g})" for voice, weight in self.parts)


_PART = re.compile(r"^\s*([a-z]{2}_[a-z]+)\s*(?:\(\s*([^()]*?)\s*\))?\s*$")


def _weight(text: str, voice: str) -> float:
    try:
        weight = float(text)
    except ValueError:
        raise InvalidInput(f"The weight of {voice} in the mix must be a number, not {shown(text)}.") from None
    if not math.isfinite(weight) or weight <= 0:
        raise InvalidInput(
            f"The weight of {voice} in the mix must be a positive number (more than 0), not {shown(text)}."
        )
    if weight > MAX_WEIGHT:
        raise InvalidInput(
            f"The weight of {voice} is at most {MAX_WEIGHT:g}: weights only count relative to each other."
        )
    return weight


def parse_mix(spec: object, known: tuple[str, ...] = VOICE_IDS) -> Mix:
    """A voice id or a mix such as "af_bella(2)+am_adam(1)", checked; raises InvalidInput
    saying what is wrong (empty, unknown voice, a weight that is not positive, languages)."""
    if not isinstance(spec, str) or not spec.strip():
        raise InvalidInput(
            "The voice mix is empty: write a voice, or voices joined by +, e.g. af_bella(2)+am_adam(1)."
        )
    if len(spec) > MAX_SPEC_CHARS:
        raise InvalidInput(f"The voice mix is too long: at most {MAX_SPEC_CHARS} characters.")
    weights: dict[str, float] = {}
    for piece in spec.split("+"):
        if not piece.strip():
            raise InvalidInput(
                f"The voice mix {shown(spec)} has an empty part: write voice(weight)+voice(weight)."
            )
        match = _PART.match(piece)
        if match is None and not re.search(r"[+()]", spec):
            raise InvalidInput(
                f"There is no Kokoro voice {shown(spec.strip())}. Pick one (af_heart, bf_emma, zf_xiaobei…) "
                "or write a mix such as af_bella(2)+am_adam(1)."
            )
        if match is None:
            raise InvalidInput(
                f"{shown(piece.strip())} is not a voice with an optional weight: "
                "write it as af_bella or af_bella(2)."
            )
        voice, weight = match.group(1), match.group(2)
        if voice not in known:
            listed = ", ".join(known[:8])
            raise InvalidInput(f"There is no Kokoro voice {shown(voice)}. Voices include: {listed}…")
        weights[voice] = weights.get(voice, 0.0) + (_weight(weight, voice) if weight is not None else 1.0)
    if len(weights) > MAX_MIX_VOICES:
        raise InvalidInput(f"A mix blends at most {MAX_MIX_VOICES} voices; this one has {len(weights)}.")
    families = {language_of_voice(voice).family for voice in weights}
    if len(families) > 1:
        spoken = ", ".join(f"{voice} ({language_of_voice(voice).name})" for voice in weights)
        raise InvalidInput(
            f"A mix's voices must speak one language: {spoken} do not. Mix voices of one language."
        )
    total = sum(weights.values())
    return Mix(tuple((voice, weight / total) for voice, weight in weights.items()))


def mix_of_rows(rows: list[tuple[object, object]] | tuple) -> Mix:
    """The mix of the mixer's (voice, weight) rows; rows without a voice are left out. A
    chosen voice with a weight of 0 or less is an error, not silently dropped."""
    parts = []
    for voice, weight in rows:
        if voice in (None, ""):
            continue
        try:
            number = float(weight)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InvalidInput(
                f"The weight of {shown(voice)} must be a number, not {shown(weight)}."
            ) from None
        parts.append(f"{voice}({_weight(repr(number), str(voice)):g})")
    if not parts:
        raise InvalidInput("The mix is empty: pick at least one voice (two or three to blend them).")
    return parse_mix("+".join(parts))
