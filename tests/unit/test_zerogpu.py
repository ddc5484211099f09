"""GPU durations estimated from requests, and which models ask ZeroGPU for a GPU.

The `spaces` package runs here in its no-op mode (there is no ZeroGPU off a Space): its GPU
decorator returns the function as it is. Where a test needs to see that a GPU was asked
for, it replaces `spaces.GPU` with a recorder and says so.
"""

from __future__ import annotations

import math

import pytest
import spaces

from genai_studio.backends.registry import uses_gpu
from genai_studio.ui import zerogpu
from genai_studio.ui.zerogpu import MAX_SECONDS, MIN_SECONDS, bounded, gpu_handler

ESTIMATES = [zerogpu.text_seconds, zerogpu.speech_seconds, zerogpu.music_seconds, zerogpu.diffusion_seconds]
HOSTILE = [None, "", "lots", float("nan"), float("inf"), -5, 10**400, [], {"a": 1}]


def test_durations_are_whole_seconds_within_bounds():
    assert bounded(0) == MIN_SECONDS and bounded(-3) == MIN_SECONDS
    assert bounded(10.2) == 11 and bounded(1e9) == MAX_SECONDS
    assert bounded(float("nan")) == MAX_SECONDS and bounded(float("inf")) == MAX_SECONDS


@pytest.mark.parametrize(
    ("estimate", "small", "large"),
    [
        (zerogpu.text_seconds, {"max_new_tokens": 16}, {"max_new_tokens": 2048}),
        (zerogpu.speech_seconds, {"text": "Hello there."}, {"text": "A long sentence to say. " * 40}),
        (zerogpu.music_seconds, {"seconds": 5}, {"seconds": 30}),
        (zerogpu.diffusion_seconds, {"steps": 4}, {"steps": 100}),
        (zerogpu.diffusion_seconds, {"steps": 30, "width": 512, "height": 512}, {"steps": 30, "width": 1536}),
        (zerogpu.diffusion_seconds, {"steps": 50, "strength": 0.2}, {"steps": 50, "strength": 1.0}),
    ],
)
def test_a_larger_request_reserves_longer(estimate, small, large):
    assert MIN_SECONDS <= bounded(estimate(small)) < bounded(estimate(large)) <= MAX_SECONDS


def test_music_length_0_is_read_from_the_prompt_as_the_composer_reads_it():
    assert zerogpu.music_seconds({"seconds": 0, "prompt": "calm jazz, 10 seconds"}) == zerogpu.music_seconds(
        {"seconds": 10}
    )
    assert zerogpu.music_seconds({"seconds": 0, "prompt": "calm jazz"}) == zerogpu.music_seconds(
        {"seconds": 30}
    )
    assert zerogpu.music_seconds({"seconds": 120}) == zerogpu.music_seconds(
        {"seconds": 30}
    )  # MusicGen's most


@pytest.mark.parametrize("estimate", ESTIMATES)
@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_hostile_arguments_still_give_a_duration(estimate, value):
    names = ["max_new_tokens", "text", "prompt", "seconds", "steps", "strength", "width"]
    arguments = dict.fromkeys(names, value)
    seconds = estimate(arguments)
    assert math.isfinite(seconds) and MIN_SECONDS <= bounded(seconds) <= MAX_SECONDS


@pytest.mark.parametrize(
    ("spec", "gpu"),
    [
        ("smollm2", False),
        ("hibari", False),
        ("composer", False),
        ("classic-inpaint", False),
        ("openai:http://127.0.0.1:8000/v1#m", False),  # remote: another server's GPU
        ("transformers:Qwen/Qwen2.5-1.5B-Instruct", True),
        ("musicgen:facebook/musicgen-small", True),
        ("sd-txt2img:stable-diffusion-v1-5/stable-diffusion-v1-5", True),
        ("no-such-backend:x", False),
        ("", False),
    ],
)
def test_only_hub_models_ask_for_a_gpu(spec, gpu):
    assert uses_gpu(spec) is gpu


def _handler():
    def generate(prompt: str, model: str, max_new_tokens: float = 64):
        yield f"{model}: {prompt}"
        yield "done"

    return generate


def test_in_no_op_mode_every_model_streams_as_before():
    handler = gpu_handler(zerogpu.text_seconds)(_handler())
    assert list(handler("hi", "smollm2")) == ["smollm2: hi", "done"]
    assert list(handler("hi", model="transformers:a/b")) == ["transformers:a/b: hi", "done"]
    assert handler.__name__ == "generate" and handler.gpu_duration("hi", "smollm2", 2048) == 108


def test_only_hub_models_enter_the_gpu_function(monkeypatch):
    entered: list[int] = []

    def recording_gpu(task, duration):  # stands in for ZeroGPU's spaces.GPU (simulated)
        def on_gpu(*args, **kwargs):
            entered.append(duration(*args, **kwargs))
            yield from task(*args, **kwargs)

        return on_gpu

    monkeypatch.setattr(spaces, "GPU", recording_gpu)
    handler = gpu_handler(zerogpu.text_seconds)(_handler())
    assert list(handler("hi", "smollm2", 2048)) == ["smollm2: hi", "done"]
    assert entered == []  # the embedded model ran without a GPU
    list(handler("hi", "transformers:a/b", 2048))
    list(handler("hi", model="musicgen:facebook/musicgen-small", max_new_tokens=16))
    assert entered == [108, MIN_SECONDS]
    list(handler("hi", None))  # hostile model values run as they are: the handler refuses them
    assert len(entered) == 2


def test_only_streaming_handlers_are_accepted():
    with pytest.raises(TypeError, match="generator"):
        gpu_handler(zerogpu.text_seconds)(lambda prompt: prompt)
