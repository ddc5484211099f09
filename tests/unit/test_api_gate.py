"""The /v1 bound on requests in flight: the one past the limit is refused with 429, and a
place is given back once (even when left twice)."""

import pytest

from genai_studio.api.jobs import Gate
from genai_studio.api.openai_errors import ApiError


def test_the_request_past_the_bound_gets_429_and_places_come_back():
    gate = Gate(2)
    first, second = gate.enter(), gate.enter()
    with pytest.raises(ApiError, match="2 requests are already waiting") as refused:
        gate.enter()
    assert refused.value.status == 429 and refused.value.body()["error"]["code"] == "queue_full"
    first.leave()
    first.leave()  # the stream's end and its background task both leave: counted once
    assert gate.in_flight == 1
    gate.enter()
    second.leave()
    assert gate.in_flight == 1
