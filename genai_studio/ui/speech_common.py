"""What the Speech tab's two modes (speak, narrate) share: checking a request for a model."""

from __future__ import annotations

from genai_studio.backends.speech.request import MAX_TEXT_CHARS, SpeechRequest, build_request
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
    return build_request(
        text=text,
        voice=voice,
        language=language,
        speed=speed,
        voices=backend.voices(),
        languages=backend.languages(),
        max_chars=max_chars,
    )
