"""What the tabs that speak (Speech's two modes, Story) share: checking a request for a model,
and the voice and language pickers."""

from __future__ import annotations

from collections import Counter
from typing import Any

import gradio as gr

from genai_studio.backends.speech import auto_language
from genai_studio.backends.speech.request import MAX_TEXT_CHARS, SpeechRequest, request_for
from genai_studio.inputs import choice
from genai_studio.ui.common import StudioContext


def checked_request(
    ctx: StudioContext,
    specs: tuple[str, ...],
    model: object,
    *,
    text: object,
    voice: object,
    language: object,
    speed: object,
    max_chars: int = MAX_TEXT_CHARS,
) -> SpeechRequest:
    """The request for `model`, which must be offered and able to run here; every value is
    checked against that model's voices and languages (InvalidInput otherwise)."""
    spec = choice(model, field="Model", options=specs)
    backend = ctx.manager.available_backend(spec)
    return request_for(backend, text=text, voice=voice, language=language, speed=speed, max_chars=max_chars)


def voice_options(ctx: StudioContext, spec: str) -> tuple[dict[str, str], dict[str, str]]:
    """A model's voices, and its languages after "auto" (the default: see auto_language)."""
    backend = ctx.manager.backend_for(spec)
    return backend.voices(), {auto_language.AUTO: auto_language.AUTO_NAME, **backend.languages()}


def labelled_choices(options: dict[str, str]) -> list[tuple[str, str]]:
    """(label, id) pairs; a name several ids share (French for fr and fr-fr) gets its id added."""
    names = Counter(options.values())
    return [(f"{name} · {key}" if names[name] > 1 else name, key) for key, name in options.items()]


def voice_dropdown(options: dict[str, str], current: Any) -> gr.Dropdown:
    """Choices for a model; the current value stays if the model has it (History reuse)."""
    default = next(iter(options), None)
    return gr.Dropdown(choices=labelled_choices(options), value=current if current in options else default)
