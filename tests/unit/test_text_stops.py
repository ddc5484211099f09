"""Stop sequences end generation in every text backend: checked in the shared stream."""

from __future__ import annotations

import threading

import pytest

from genai_studio.backends.base import Progress, Result
from genai_studio.backends.text.request import build_chat_request, stream_text
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput


def run(pieces: list[str], stop: object) -> tuple[list[str], Result]:
    request = build_chat_request(Settings(), messages=[("user", "hi")], stop=stop, max_new_tokens=50)
    items = list(stream_text(iter(pieces), threading.Event(), request))
    return [i.partial for i in items if isinstance(i, Progress)], items[-1]


def test_text_stops_before_a_sequence_split_across_pieces():
    shown, result = run(["one, tw", "o, th", "ree, four"], stop=["thr", "zzz"])
    assert result.output == "one, two, " == "".join(shown)
    assert result.params["finish_reason"] == "stop"
    assert all("th" not in piece for piece in shown)  # a possible start is held back, never shown


def test_text_that_only_looked_like_a_stop_is_let_through():
    _, result = run(["a <", "b> c <", "/end"], stop="</end>")
    assert result.output == "a <b> c </end" and result.params["completion_tokens"] == 3
    assert result.params["finish_reason"] == "stop"  # ended before max_new_tokens


@pytest.mark.parametrize("stop", [["a", "b", "c", "d", "e"], [""], [3], "x" * 201, {"s": 1}])
def test_bad_stop_sequences_are_refused(stop):
    with pytest.raises(InvalidInput, match=r"[Ss]top"):
        build_chat_request(Settings(), messages=[("user", "hi")], stop=stop)


@pytest.mark.parametrize(
    "messages",
    [[], [("user", "hi"), ("assistant", "yes")], [("tool", "x")], [("user", "")], [("user", 5)], "hi"],
)
def test_bad_conversations_are_refused(messages):
    with pytest.raises(InvalidInput):
        build_chat_request(Settings(), messages=messages)
