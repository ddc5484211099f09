"""The Text tab through gradio_client against the launched studio (real model, real server)."""

from __future__ import annotations

import time

import pytest
from gradio_client.exceptions import AppError

from genai_studio.history import History
from genai_studio.owners import Owner

ENDPOINT = "/generate_text"
OUT_OF_BOUNDS = "less than minimum|greater than maximum|must be between"


def ask(
    prompt="Write a two-line poem about rain.",
    mode="write",
    system="",
    model="smollm2",
    tokens=40,
    temperature=0.7,
    top_p=0.95,
    seed=3,
    conversation=None,
    repetition_penalty=1.1,
):
    return [
        prompt,
        mode,
        system,
        model,
        tokens,
        temperature,
        top_p,
        seed,
        conversation or [],
        repetition_penalty,
    ]


def reply_text(conversation) -> str:
    content = conversation[-1]["content"]
    return content if isinstance(content, str) else "".join(part["text"] for part in content)


def newest_history(client) -> dict:
    return client.predict("all", 1, api_name="/list_history")["entries"][0]


def test_reply_streams_in_several_updates_and_lands_in_history(studio):
    story = "Tell a long story about a lighthouse keeper and a storm."
    job = studio.client.submit(*ask(story, tokens=120, temperature=0.0), api_name=ENDPOINT)
    partials = [reply_text(update) for update in job]
    final = reply_text(job.outputs()[-1])
    growing = [p for p in partials if p]
    assert len(set(growing)) >= 5, "the reply should arrive token by token"
    assert all(final.startswith(p.rstrip()[:10]) for p in growing[:3])
    row = newest_history(studio.client)
    assert row["task"] == "text" and row["model"] == "smollm2"
    assert final.startswith(row["summary"][:40])


def test_conversation_continues_and_clears(studio):
    first = studio.client.predict(*ask("Invent a name for a red cat.", tokens=16), api_name=ENDPOINT)
    second = studio.client.predict(
        *ask("Now give it a surname.", tokens=16, conversation=first), api_name=ENDPOINT
    )
    assert [m["role"] for m in second] == ["user", "assistant", "user", "assistant"]
    assert studio.client.predict(api_name="/clear_conversation") == []


def test_stop_ends_generation_and_keeps_what_was_made(studio):
    client = studio.new_client()
    job = client.submit(
        *ask("Tell a very long story about a dragon.", tokens=400, seed=11), api_name=ENDPOINT
    )
    seen = 0
    deadline = time.monotonic() + 60
    while seen < 3 and time.monotonic() < deadline:
        seen = len(job.outputs())
        time.sleep(0.02)
    job.cancel()
    stopped_at = time.monotonic()
    while not job.done() and time.monotonic() - stopped_at < 10:
        time.sleep(0.05)
    assert job.done()
    history = History(studio.settings.history_dir)
    deadline = time.monotonic() + 10  # the stopped job saves its partial reply as it closes
    local = Owner.local()
    while (entry := history.entries(local)[0]).params.get("seed") != 11 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert entry.params["stopped"] is True and entry.params["seed"] == 11
    assert 0 < len(entry.file("output.txt").read_text()) < 1200  # far from 400 tokens
    # the next request is served at once: Stop freed the worker
    started = time.monotonic()
    client.predict(*ask(tokens=4), api_name=ENDPOINT)
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"prompt": ""}, "Prompt is empty"),
        ({"prompt": " \n\t "}, "Prompt is empty"),
        ({"prompt": "x" * 100_000}, "too long"),
        # sliders: Gradio checks their bounds itself, before our own check
        ({"tokens": 0}, OUT_OF_BOUNDS),
        ({"tokens": 10**9}, OUT_OF_BOUNDS),
        ({"temperature": -1}, OUT_OF_BOUNDS),
        ({"temperature": 99}, OUT_OF_BOUNDS),
        ({"top_p": 0}, OUT_OF_BOUNDS),
        ({"seed": -5}, "Seed must be between"),
        ({"repetition_penalty": 0.5}, OUT_OF_BOUNDS),
        ({"seed": 10**12}, "Seed must be between"),
        # dropdowns and radios: Gradio refuses values outside their choices
        ({"mode": "shout"}, "not in the list of choices"),
        ({"model": "gguf:/etc/passwd"}, "not in the list of choices"),
    ],
)
def test_bad_input_gets_a_clear_message_and_the_server_keeps_serving(studio, changes, message):
    with pytest.raises(AppError, match=message):
        studio.client.predict(*ask(**changes), api_name=ENDPOINT)
    assert reply_text(studio.client.predict(*ask(tokens=3), api_name=ENDPOINT)).strip()


def test_control_characters_are_cleaned_not_fatal(studio):
    result = studio.client.predict(*ask("Say\x00 hi\x1b[2J to a\x07 friend.", tokens=6), api_name=ENDPOINT)
    assert reply_text(result).strip()
