"""Validation of user input: every value from a user is checked before it reaches a model.

Failures raise `InvalidInput` with a message that tells the user what to change; the UI
turns it into a visible error and the server keeps serving.
"""

from __future__ import annotations

import math
import re
import unicodedata

from genai_studio.errors import InvalidInput

# C0/C1 control characters except tab and newline; they confuse tokenizers and terminals.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(value: object, *, field: str, max_chars: int, allow_empty: bool = False) -> str:
    """Return `value` as normalised text or raise InvalidInput.

    Control characters are dropped (\\r\\n becomes \\n), Unicode is NFC-normalised, and the
    result must be non-blank (unless `allow_empty`) and at most `max_chars` long.
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text.")
    if len(value) > max_chars * 4:  # refuse before doing any work on absurd input
        raise InvalidInput(f"{field} is too long: {len(value):,} characters (limit {max_chars:,}).")
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    if len(text) > max_chars:
        raise InvalidInput(f"{field} is too long: {len(text):,} characters (limit {max_chars:,}).")
    if not allow_empty and not text.strip():
        raise InvalidInput(f"{field} is empty: please write something.")
    return text


def bounded_number(value: object, *, field: str, low: float, high: float) -> float:
    """Return `value` as a finite float within [low, high] or raise InvalidInput."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a number, got {value!r}.") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise InvalidInput(f"{field} must be between {low:g} and {high:g}, got {value!r}.")
    return number


def bounded_int(value: object, *, field: str, low: int, high: int) -> int:
    """Return `value` as an int within [low, high] or raise InvalidInput (no silent rounding)."""
    number = bounded_number(value, field=field, low=low, high=high)
    if number != int(number):
        raise InvalidInput(f"{field} must be a whole number, got {value!r}.")
    return int(number)


def choice(value: object, *, field: str, options: tuple[str, ...] | list[str]) -> str:
    """Return `value` if it is one of `options`, else raise InvalidInput listing them."""
    if value not in options:
        listed = ", ".join(options)
        raise InvalidInput(f"{field} must be one of: {listed}; got {value!r}.")
    return str(value)
