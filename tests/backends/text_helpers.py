"""Assertions shared by the text backend tests."""

from __future__ import annotations

import threading

from genai_studio.backends.base import Backend, Progress, Result
from genai_studio.backends.text.request import Message, TextRequest


def request(prompt: str = "Write one sentence about the sea.", **overrides) -> TextRequest:
    values = dict(max_new_tokens=24, temperature=0.0, top_p=1.0, seed=7)
    values.update(overrides)
    return TextRequest(messages=(Message("user", prompt),), **values)


def collect(backend: Backend, req: TextRequest) -> tuple[list[str], Result]:
    pieces: list[str] = []
    result = None
    for item in backend.run(req, threading.Event()):
        if isinstance(item, Progress):
            pieces.append(item.partial)
        else:
            result = item
    assert isinstance(result, Result)
    return pieces, result


def assert_streams_and_stops(backend: Backend) -> None:
    """Tokens come one by one; after Stop at most one more piece arrives."""
    pieces, result = collect(backend, request(max_new_tokens=20))
    assert len(pieces) >= 5, pieces
    assert "".join(pieces) == result.output
    assert result.params["stopped"] is False

    cancel = threading.Event()
    seen: list[str] = []
    final = None
    for item in backend.run(request(max_new_tokens=200, temperature=0.8), cancel):
        if isinstance(item, Progress):
            seen.append(item.partial)
            if len(seen) == 3:
                cancel.set()
        else:
            final = item
    assert final is not None and final.params["stopped"] is True
    assert len(seen) <= 4, f"{len(seen)} pieces after Stop"
