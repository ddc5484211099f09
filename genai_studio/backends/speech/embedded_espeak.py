"""espeak-ng from Debian: a formant voice for 100+ languages, Mandarin included.

espeak-ng is GPL-3.0, so the studio only ever runs it as a separate program (never linked
or imported). Text goes in on stdin, never as an argument, and a WAV comes back on stdout.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import shutil
import subprocess

import numpy as np
import soundfile as sf

from genai_studio.backends.base import READY, Availability
from genai_studio.backends.speech.backend import SpeechBackend
from genai_studio.backends.speech.request import SpeechRequest
from genai_studio.errors import ModelUnavailable

log = logging.getLogger(__name__)

PROGRAM = "espeak-ng"
DEFAULT_LANGUAGE = "en-us"
WORDS_PER_MINUTE = 175  # espeak-ng's own pace at speed 1.0
TIMEOUT_S = 60
ALIASES = {"zh": "cmn", "zh-cn": "cmn"}  # names users know -> espeak-ng's Mandarin voice
_LINE = re.compile(r"^\s*\d+\s+(\S+)\s+\S+\s+(\S+)\s+(\S+)(.*)$")
_ALSO = re.compile(r"\((\S+) (\d+)\)")  # "(fr 5)": also answers to "fr", at priority 5


def _list(kind: str) -> list[tuple[str, str, str, str]]:
    """(code, name, file, other languages) rows of `espeak-ng --voices[=variant]`, without mbrola."""
    argument = "--voices=variant" if kind == "variant" else "--voices"
    try:
        listing = subprocess.run(
            [PROGRAM, argument], capture_output=True, text=True, timeout=TIMEOUT_S, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not list espeak-ng voices: %s", exc)
        return []
    rows = [_LINE.match(line) for line in listing.splitlines()[1:]]
    return [m.groups() for m in rows if m and not m.group(3).startswith("mb/")]


def _by_name(options: dict[str, str]) -> dict[str, str]:
    """Sorted by display name (as users look for them); espeak-ng's names use _ for spaces."""
    shown = {key: name.replace("_", " ").strip() for key, name in options.items()}
    return dict(sorted(shown.items(), key=lambda item: (item[1].lower(), item[0])))


@functools.cache
def espeak_languages() -> dict[str, str]:
    """Language code -> name, en-us first; aliases such as "fr" and "zh" included."""
    rows = _list("language")
    languages = {code: name for code, name, _, _ in rows}
    also = [(int(rank), alias, code) for code, _, _, rest in rows for alias, rank in _ALSO.findall(rest)]
    for _, alias, code in sorted(also):  # best priority first: "fr" is French (France)
        languages.setdefault(alias, languages[code])
    if "cmn" in languages:
        languages.update({alias: languages["cmn"] for alias in ALIASES})
    languages = _by_name(languages)
    default = {DEFAULT_LANGUAGE: languages.pop(DEFAULT_LANGUAGE)} if DEFAULT_LANGUAGE in languages else {}
    return {**default, **languages}


@functools.cache
def espeak_voices() -> dict[str, str]:
    """Voice variant -> name, "default" (the language's own voice) first."""
    variants = {file.rpartition("/")[2]: name for _, name, file, _ in _list("variant")}
    return {"default": "Default", **_by_name(variants)}


class ESpeak(SpeechBackend):
    name = "espeak"
    licence = "GPL-3.0 (espeak-ng, run as a separate program)"
    embedded = True
    estimated_memory_mb = 20
    sample_rate = 22_050

    def cpu_threads(self) -> int:
        return 1  # espeak-ng is single-threaded

    @property
    def label(self) -> str:
        return "espeak-ng (embedded, 100+ languages)"

    def available(self) -> Availability:
        if shutil.which(PROGRAM) is None:
            return Availability(False, "espeak-ng is not installed (Debian package espeak-ng)")
        return READY

    def voices(self) -> dict[str, str]:
        return espeak_voices()

    def languages(self) -> dict[str, str]:
        return espeak_languages()

    def load(self, device: str) -> None:
        if not self.languages():
            raise ModelUnavailable("espeak-ng lists no languages: is its data installed?")

    def _voice_argument(self, request: SpeechRequest) -> str:
        language = ALIASES.get(request.language, request.language)
        return language if request.voice == "default" else f"{language}+{request.voice}"

    def synthesize(self, sentence: str, request: SpeechRequest) -> np.ndarray:
        command = [
            PROGRAM,
            "-v",
            self._voice_argument(request),
            "-s",
            str(round(WORDS_PER_MINUTE * request.speed)),
            "-b",
            "1",  # the text is UTF-8
            "--stdout",
            "--stdin",
        ]
        try:
            done = subprocess.run(command, input=sentence.encode(), capture_output=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            raise ModelUnavailable(f"espeak-ng took more than {TIMEOUT_S} s for one sentence.") from exc
        if done.returncode != 0 or not done.stdout:
            detail = done.stderr.decode(errors="replace").strip()[:200]
            raise ModelUnavailable(f"espeak-ng failed: {detail or f'exit code {done.returncode}'}")
        audio, rate = sf.read(io.BytesIO(done.stdout), dtype="float32")
        self.sample_rate = rate
        return audio

    def unload(self) -> None:
        """Nothing stays loaded: each sentence is its own espeak-ng process."""
