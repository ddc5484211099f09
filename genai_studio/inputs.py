"""Validation of user input: every value from a user is checked before it reaches a model.

Failures raise `InvalidInput` with a message that tells the user what to change; the UI
turns it into a visible error and the server keeps serving.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from genai_studio.errors import InvalidInput

# C0/C1 control characters except tab and newline; they confuse tokenizers and terminals.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Lone UTF-16 surrogates: JSON can carry them (an escaped \ud800) but no UTF-8 file,
# tokenizer or page can, so they would fail far from where they came in.
_SURROGATE = re.compile("[\ud800-\udfff]")


def scrub(value: Any) -> Any:
    """`value` with lone surrogates dropped from every string in it (lists, tuples and dicts
    are walked; anything else is returned as it is)."""
    if isinstance(value, str):
        return _SURROGATE.sub("", value)
    if isinstance(value, list | tuple):
        return type(value)(scrub(item) for item in value)
    if isinstance(value, dict):
        return {scrub(key): scrub(item) for key, item in value.items()}
    return value


def clean_text(value: object, *, field: str, max_chars: int, allow_empty: bool = False) -> str:
    """Return `value` as normalised text or raise InvalidInput.

    Control characters and lone surrogates are dropped (\\r\\n becomes \\n), Unicode is
    NFC-normalised, and the result must be non-blank (unless `allow_empty`) and at most
    `max_chars` long.
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text.")
    if len(value) > max_chars * 4:  # refuse before doing any work on absurd input
        raise InvalidInput(f"{field} is too long: {len(value):,} characters (limit {max_chars:,}).")
    text = unicodedata.normalize("NFC", scrub(value).replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    if len(text) > max_chars:
        raise InvalidInput(f"{field} is too long: {len(text):,} characters (limit {max_chars:,}).")
    if not allow_empty and not text.strip():
        raise InvalidInput(f"{field} is empty: please write something.")
    return text


def shown(value: object, limit: int = 40) -> str:
    """`repr(value)` cut to `limit` characters, for messages that quote what a user sent."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(number: float) -> str:
    """A limit as people write it: 2,147,483,647 and 0.5, not 2.14748e+09."""
    return f"{int(number):,}" if float(number).is_integer() else f"{number:g}"


def bounded_number(value: object, *, field: str, low: float, high: float) -> float:
    """Return `value` as a finite float within [low, high] or raise InvalidInput."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a number, got {shown(value)}.") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise InvalidInput(f"{field} must be between {_plain(low)} and {_plain(high)}, got {shown(value)}.")
    return number


def bounded_int(value: object, *, field: str, low: int, high: int) -> int:
    """Return `value` as an int within [low, high] or raise InvalidInput (no silent rounding)."""
    number = bounded_number(value, field=field, low=low, high=high)
    if number != int(number):
        raise InvalidInput(f"{field} must be a whole number, got {shown(value)}.")
    return int(number)


def choice(value: object, *, field: str, options: tuple[str, ...] | list[str]) -> str:
    """Return `value` if it is one of `options`, else raise InvalidInput listing them."""
    if value not in options:
        listed = ", ".join(options)
        raise InvalidInput(f"{field} must be one of: {listed}; got {shown(value)}.")
    return str(value)
