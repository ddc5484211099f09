"""The music request every music backend takes, its validation, and the output they return.

Explicit choices (genre, mood, tempo, key, length) override what the prompt says; "auto"
(or 0 for numbers) means "as the prompt says, else a default". A seed of -1 is replaced
by a random one here, so the history always records the seed that made the piece.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np

from genai_studio.audio_files import wav_bytes
from genai_studio.backends.music.plan import (
    KEYS,
    MAX_BPM,
    MAX_SECONDS,
    MIN_BPM,
    MIN_SECONDS,
    MOODS,
    MusicPlan,
    override,
    understand,
)
from genai_studio.backends.music.styles import STYLES
from genai_studio.config import Settings
from genai_studio.inputs import bounded_int, bounded_number, choice, clean_text

AUTO = "auto"
GENRES = (AUTO, *STYLES)
MOOD_CHOICES = (AUTO, *MOODS)
KEY_CHOICES = (AUTO, *KEYS)
MAX_SEED = 2**31 - 1
MAX_PROMPT_CHARS = 1000


@dataclass(frozen=True)
class MusicRequest:
    prompt: str
    plan: MusicPlan
    seed: int

    def params(self) -> dict[str, object]:
        return {"prompt": self.prompt, **self.plan.params(), "seed": self.seed}

    def choices(self) -> dict[str, object]:
        """The explicit choices that make this piece again (for History's "use again")."""
        return {
            "prompt": self.prompt,
            "genre": self.plan.genre,
            "mood": self.plan.mood if self.plan.mood in MOODS else AUTO,
            "tempo": self.plan.tempo,
            "key": self.plan.key,
            "seconds": self.plan.seconds,
            "seed": self.seed,
        }

    def text(self) -> str:
        """A text prompt for text-to-music models: the user's words plus the settings."""
        return (
            f"{self.prompt.strip()}. {self.plan.description()}"
            if self.prompt.strip()
            else self.plan.description()
        )


@dataclass
class MusicOutput:
    sample_rate: int
    audio: np.ndarray  # float32, (samples, channels)
    midi: bytes | None = None  # the score, when the backend composes one
    chart: str = ""  # chord chart, when known

    @property
    def seconds(self) -> float:
        return len(self.audio) / self.sample_rate

    def wav_bytes(self) -> bytes:
        return wav_bytes(self.sample_rate, self.audio)


def make_plan(
    settings: Settings,
    *,
    prompt: object,
    genre: object = AUTO,
    mood: object = AUTO,
    tempo: object = 0,
    key: object = AUTO,
    seconds: object = 0,
) -> tuple[str, MusicPlan]:
    """(cleaned prompt, plan) or InvalidInput saying which setting to change."""
    text = clean_text(
        prompt, field="Prompt", max_chars=min(MAX_PROMPT_CHARS, settings.max_prompt_chars), allow_empty=True
    )
    genre = choice(genre or AUTO, field="Genre", options=GENRES)
    mood = choice(mood or AUTO, field="Mood", options=MOOD_CHOICES)
    key = choice(key or AUTO, field="Key", options=KEY_CHOICES)
    tempo_value = bounded_number(tempo or 0, field="Tempo (bpm, 0: from the prompt)", low=0, high=MAX_BPM)
    if 0 < tempo_value < MIN_BPM:
        bounded_number(tempo_value, field="Tempo (bpm)", low=MIN_BPM, high=MAX_BPM)  # raises, with the range
    seconds_value = bounded_number(
        seconds or 0, field="Length (s, 0: from the prompt)", low=0, high=MAX_SECONDS
    )
    if 0 < seconds_value < MIN_SECONDS:
        bounded_number(seconds_value, field="Length (s)", low=MIN_SECONDS, high=MAX_SECONDS)
    plan = understand(text, genre=None if genre == AUTO else genre, mood=None if mood == AUTO else mood)
    tonic = mode = None
    if key != AUTO:
        tonic, mode = KEYS.index(key) % 12, key.split()[1]
    plan = override(
        plan,
        tempo=round(tempo_value) if tempo_value else None,
        seconds=seconds_value or None,
        tonic=tonic,
        mode=mode,
    )
    return text, plan


def build_request(settings: Settings, *, seed: object = -1, **choices: object) -> MusicRequest:
    """A validated request (see make_plan for the choices); seed -1 picks a random seed."""
    text, plan = make_plan(settings, **choices)
    seed_value = bounded_int(seed if seed is not None else -1, field="Seed", low=-1, high=MAX_SEED)
    if seed_value < 0:
        seed_value = secrets.randbelow(MAX_SEED)
    return MusicRequest(text, plan, seed_value)
