"""The text request every text backend takes, the writing modes, and shared streaming.

Modes live here, not in the UI, so the API and a CLI get the same presets.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass

from genai_studio.backends.base import Progress, Result
from genai_studio.config import Settings
from genai_studio.inputs import bounded_int, bounded_number, choice, clean_text


@dataclass(frozen=True)
class Mode:
    system_prompt: str
    template: str  # how the user's text is framed; {text} is replaced


MODES: dict[str, Mode] = {
    "write": Mode(
        "You are a creative writing assistant. Write vivid, original prose that follows the "
        "user's request closely.",
        "{text}",
    ),
    "continue": Mode(
        "You are a creative writing assistant. Continue the user's text in the same voice, "
        "tense and style. Output only the continuation.",
        "Continue this text:\n\n{text}",
    ),
    "rewrite": Mode(
        "You are an editor. Rewrite the user's text to be clearer and more engaging while "
        "keeping its meaning. Output only the rewritten text.",
        "Rewrite this text:\n\n{text}",
    ),
    "brainstorm": Mode(
        "You are a brainstorming partner. Answer with a short numbered list of distinct, concrete ideas.",
        "Brainstorm ideas for: {text}",
    ),
}
MODE_NAMES = tuple(MODES)


@dataclass(frozen=True)
class Message:
    role: str  # system | user | assistant
    content: str


@dataclass(frozen=True)
class TextRequest:
    messages: tuple[Message, ...]
    max_new_tokens: int = 256
    temperature: float = 0.7
    top_p: float = 0.95
    seed: int = 0
    repetition_penalty: float = 1.1  # small models loop without it

    def chat(self) -> list[dict[str, str]]:
        """The messages as OpenAI-style dicts, which llama.cpp, transformers and servers take."""
        return [asdict(m) for m in self.messages]

    def params(self) -> dict[str, object]:
        return {
            "max_new_tokens": self.max_new_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "seed": self.seed,
            "repetition_penalty": self.repetition_penalty,
        }


MAX_SEED = 2**31 - 1


def build_request(
    settings: Settings,
    *,
    prompt: object,
    mode: object = "write",
    system_prompt: object = None,
    history: Sequence[tuple[str, str]] = (),
    max_new_tokens: object = 256,
    temperature: object = 0.7,
    top_p: object = 0.95,
    seed: object = -1,
    repetition_penalty: object = 1.1,
) -> TextRequest:
    """Check every user value and frame the prompt by its mode; raises InvalidInput.

    `history` holds earlier (user, assistant) turns of this session, already framed.
    `seed` below 0 picks a random seed, recorded in the request so a result can be repeated.
    """
    mode = choice(mode, field="Mode", options=MODE_NAMES)
    text = clean_text(prompt, field="Prompt", max_chars=settings.max_prompt_chars)
    system = clean_text(
        MODES[mode].system_prompt if system_prompt is None else system_prompt,
        field="System prompt",
        max_chars=4000,
        allow_empty=True,
    )
    messages = [Message("system", system)] if system.strip() else []
    for user, assistant in history:
        messages += [Message("user", user), Message("assistant", assistant)]
    messages.append(Message("user", MODES[mode].template.format(text=text)))
    seed_value = bounded_int(seed, field="Seed", low=-1, high=MAX_SEED)
    return TextRequest(
        messages=tuple(messages),
        max_new_tokens=bounded_int(
            max_new_tokens, field="Max new tokens", low=1, high=settings.max_new_tokens
        ),
        temperature=bounded_number(temperature, field="Temperature", low=0.0, high=2.0),
        top_p=bounded_number(top_p, field="Top-p", low=0.01, high=1.0),
        seed=random.randint(0, MAX_SEED) if seed_value < 0 else seed_value,
        repetition_penalty=bounded_number(repetition_penalty, field="Repetition penalty", low=1.0, high=2.0),
    )


def stream_text(
    pieces: Iterable[str], cancel: threading.Event, request: TextRequest, **info: object
) -> Iterator[Progress | Result[str]]:
    """Yield each text piece as Progress, stop when `cancel` is set, finish with the text."""
    made: list[str] = []
    try:
        for piece in pieces:
            if cancel.is_set():
                break
            if piece:
                made.append(piece)
                yield Progress(partial=piece)
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()  # stops the model's own loop now, not at garbage collection
    yield Result("".join(made), params={**request.params(), **info, "stopped": cancel.is_set()})
