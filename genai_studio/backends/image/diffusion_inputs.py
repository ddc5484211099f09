"""The settings every diffusion request shares (prompt, negative prompt, steps, guidance,
seed), checked once with the same limits and messages for inpaint, colorize, style and
text to image."""

from __future__ import annotations

from typing import Any

from genai_studio.inputs import bounded_int, bounded_number, clean_text

MAX_SEED = 2**31 - 1
MAX_STEPS = 150
MAX_PROMPT_CHARS = 2000


def diffusion_fields(
    *,
    prompt: object,
    negative_prompt: object,
    steps: object,
    guidance: object,
    seed: object,
    prompt_required: bool = False,
) -> dict[str, Any]:
    """The checked values as request fields (seed -1 becomes None: random); raises InvalidInput.
    An empty prompt is allowed unless `prompt_required` (models that paint from it alone)."""
    seed_value = bounded_int(seed, field="Seed", low=-1, high=MAX_SEED)
    return {
        "prompt": clean_text(
            prompt, field="Prompt", max_chars=MAX_PROMPT_CHARS, allow_empty=not prompt_required
        ),
        "negative_prompt": clean_text(
            negative_prompt, field="Negative prompt", max_chars=MAX_PROMPT_CHARS, allow_empty=True
        ),
        "steps": bounded_int(steps, field="Steps", low=1, high=MAX_STEPS),
        "guidance": bounded_number(guidance, field="Guidance", low=0.0, high=30.0),
        "seed": None if seed_value < 0 else seed_value,
    }
