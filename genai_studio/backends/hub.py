"""Telling a Hugging Face hub that cannot be reached from any other failed load.

transformers, diffusers and huggingface_hub each word it their own way and wrap it in
OSError, ValueError or our own ModelUnavailable; underneath there is always a
huggingface_hub `LocalEntryNotFoundError` (not in the cache, and no hub) or an offline-mode
refusal somewhere in the exception's chain. The user gets one plain sentence instead.
"""

from __future__ import annotations

from genai_studio.backends.base import ModelSpec

_UNREACHABLE = {"LocalEntryNotFoundError", "OfflineModeIsEnabled"}  # huggingface_hub.errors
_OFFLINE_WORDS = ("outgoing traffic has been disabled", "offline mode is enabled")


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and every exception it was raised from or while handling (even `from None`)."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def unreachable(exc: BaseException) -> bool:
    """True if a load failed because the hub could not be reached (no network, offline mode)."""
    return any(type(link).__name__ in _UNREACHABLE for link in _chain(exc))


def unreachable_message(spec: str, exc: BaseException) -> str:
    """What to tell the user when `spec` could not be fetched from the hub."""
    ids = " and ".join(part.strip() for part in ModelSpec.parse(spec).ref.split("|") if part.strip())
    offline = any(word in str(link).lower() for link in _chain(exc) for word in _OFFLINE_WORDS)
    if offline:
        why, remedy = "downloads are turned off by HF_HUB_OFFLINE", "Allow them on a machine with internet"
    else:
        why, remedy = "no connection?", "Connect this machine to the internet"
    return (
        f"Could not download {ids or spec} from the Hugging Face hub ({why}). {remedy}, or download "
        "the model once where there is a connection (it stays in the Hugging Face cache), or pick "
        "an embedded model."
    )
