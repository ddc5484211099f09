"""The text request every text backend takes, the writing modes, and shared streaming.

Modes live here, not in the UI, so the API and a CLI get the same presets.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass

from genai_studio.backends.base import Progress, Result
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput
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
    stop: tuple[str, ...] = ()  # generation ends before the first of these; they are not output

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
            "stop": list(self.stop),
        }


MAX_SEED = 2**31 - 1
MAX_STOPS = 4  # as the OpenAI API
MAX_STOP_CHARS = 200
ROLES = ("system", "user", "assistant")
MAX_MESSAGES = 200


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
    return _checked(
        settings,
        messages,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        top_p=top_p,
        seed=seed,
        repetition_penalty=repetition_penalty,
    )


def build_chat_request(
    settings: Settings,
    *,
    messages: object,
    max_new_tokens: object = 256,
    temperature: object = 0.7,
    top_p: object = 0.95,
    seed: object = -1,
    repetition_penalty: object = 1.1,
    stop: object = None,
) -> TextRequest:
    """A request from a whole conversation as API callers send it: (role, text) pairs, roles
    system, user or assistant, the last one from the user. Same checks as `build_request`;
    the prompt limit holds for the conversation's text as a whole. Raises InvalidInput."""
    if not isinstance(messages, (list, tuple)) or not messages:
        raise InvalidInput("Messages must be a non-empty list of (role, content) messages.")
    if len(messages) > MAX_MESSAGES:
        raise InvalidInput(f"Too many messages: {len(messages)} (limit {MAX_MESSAGES}).")
    checked: list[Message] = []
    budget = settings.max_prompt_chars
    for index, pair in enumerate(messages):
        role, content = pair if isinstance(pair, (list, tuple)) and len(pair) == 2 else (None, None)
        role = choice(role, field=f"Message {index + 1}'s role", options=ROLES)
        text = clean_text(
            content, field=f"Message {index + 1}", max_chars=max(budget, 0), allow_empty=role != "user"
        )
        budget -= len(text)
        checked.append(Message(role, text))
    if budget < 0:
        raise InvalidInput(
            f"The conversation is too long: more than {settings.max_prompt_chars:,} characters in all."
        )
    if checked[-1].role != "user":
        raise InvalidInput("The last message must come from the user.")
    return _checked(
        settings,
        checked,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        top_p=top_p,
        seed=seed,
        repetition_penalty=repetition_penalty,
        stop=stop,
    )


def _stops(value: object) -> tuple[str, ...]:
    """Stop sequences: none, one string or a list of up to MAX_STOPS non-empty strings."""
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, (list, tuple)) or len(values) > MAX_STOPS:
        raise InvalidInput(f"Stop must be a text or a list of at most {MAX_STOPS} texts.")
    if not all(isinstance(v, str) and 0 < len(v) <= MAX_STOP_CHARS for v in values):
        raise InvalidInput(f"Each stop sequence must be text of 1 to {MAX_STOP_CHARS} characters.")
    return tuple(dict.fromkeys(values))


def _checked(
    settings: Settings,
    messages: list[Message],
    *,
    max_new_tokens: object,
    temperature: object,
    top_p: object,
    seed: object,
    repetition_penalty: object,
    stop: object = None,
) -> TextRequest:
    """The request with every sampling value checked; a seed below 0 becomes a random one."""
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
        stop=_stops(stop),
    )


def stream_text(
    pieces: Iterable[str],
    cancel: threading.Event,
    request: TextRequest,
    count_tokens: Callable[[str], int] | None = None,
    **info: object,
) -> Iterator[Progress | Result[str]]:
    """Yield each text piece as Progress, stop when `cancel` is set or a stop sequence comes
    (text that could begin one is held back until it cannot), finish with the text.

    `count_tokens` (text -> tokens, from the model's tokenizer) lets the Result say how many
    tokens were made (`completion_tokens`); without it each piece counts as one token.
    """
    made: list[str] = []
    held = ""  # text that may be the start of a stop sequence
    pieces_seen = 0
    stopped_by_sequence = False
    longest = max((len(s) for s in request.stop), default=0)
    try:
        for piece in pieces:
            if cancel.is_set():
                break
            if not piece:
                continue
            pieces_seen += 1
            held += piece
            found = [i for i in (held.find(s) for s in request.stop) if i >= 0]
            if found:
                held, stopped_by_sequence = held[: min(found)], True
            keep = 0 if stopped_by_sequence else _stop_prefix_length(held, request.stop, longest)
            ready, held = held[: len(held) - keep], held[len(held) - keep :]
            if ready:
                made.append(ready)
                yield Progress(partial=ready)
            if stopped_by_sequence:
                break
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()  # stops the model's own loop now, not at garbage collection
    if held and not cancel.is_set():
        made.append(held)
        yield Progress(partial=held)
    text = "".join(made)
    tokens = count_tokens(text) if count_tokens is not None and text else pieces_seen
    params = {**request.params(), **info, "stopped": cancel.is_set(), "completion_tokens": tokens}
    params["finish_reason"] = "stop" if stopped_by_sequence or tokens < request.max_new_tokens else "length"
    yield Result(text, params=params)


def _stop_prefix_length(text: str, stops: Sequence[str], longest: int) -> int:
    """Length of the longest end of `text` that begins some stop sequence (0 if none)."""
    for length in range(min(longest - 1, len(text)), 0, -1):
        tail = text[-length:]
        if any(stop.startswith(tail) for stop in stops):
            return length
    return 0
