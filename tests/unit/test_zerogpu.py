"""GPU durations estimated from requests, and which jobs ask ZeroGPU for a GPU.

The `spaces` package runs here in its no-op mode (there is no ZeroGPU off a Space): its GPU
decorator returns the function as it is. Where a test needs to see that a GPU was asked for
and for how long, it replaces the decorated function with a recorder (ZeroGPU simulated)
and says so.
"""

from __future__ import annotations

import typing
from pathlib import Path

import numpy as np
import pytest
import spaces.config

from genai_studio.backends.image.colorize_request import ColorizeRequest
from genai_studio.backends.image.hub_diffusers_txt2img import TextToImageRequest
from genai_studio.backends.image.inpaint_request import InpaintRequest
from genai_studio.backends.image.style_request import StyleRequest
from genai_studio.backends.image.upscale_request import UpscaleRequest
from genai_studio.backends.listen.request import TranscribeRequest
from genai_studio.backends.music.plan import understand
from genai_studio.backends.music.request import MusicRequest
from genai_studio.backends.registry import BACKENDS, backend_class, uses_gpu
from genai_studio.backends.speech.request import SpeechRequest
from genai_studio.backends.text.request import Message, TextRequest
from genai_studio.ui import zerogpu
from genai_studio.ui.zerogpu import ESTIMATES, MAX_SECONDS, MIN_SECONDS, UNKNOWN_S, bounded, gpu_seconds

ZERO_GPU_DEFAULT_S = 60  # what ZeroGPU reserves for a function that names no duration
PHOTO = np.zeros((64, 48, 3), np.uint8)
HOLE = np.ones((64, 48), bool)


def text(tokens: int) -> TextRequest:
    return TextRequest(messages=(Message("user", "Write a poem."),), max_new_tokens=tokens)


def speech(words: str) -> SpeechRequest:
    return SpeechRequest(text=words, sentences=(words,), voice="v", language="en")


def music(prompt: str) -> MusicRequest:
    return MusicRequest(prompt=prompt, plan=understand(prompt), seed=1)


# (smallest, usual, largest) request of each kind a hub backend takes
REQUESTS = {
    TextRequest: (text(1), text(256), text(2048)),
    SpeechRequest: (speech("Hi."), speech("A short sentence to say. " * 4), speech("A long text. " * 380)),
    MusicRequest: (music("jazz, 5 seconds"), music("calm jazz"), music("epic orchestra, 2 minutes")),
    InpaintRequest: tuple(InpaintRequest(image=PHOTO, mask=HOLE, steps=s) for s in (1, 25, 150)),
    ColorizeRequest: tuple(ColorizeRequest(image=PHOTO, steps=s) for s in (1, 20, 150)),
    StyleRequest: tuple(StyleRequest(content=PHOTO, steps=s) for s in (1, 20, 150)),
    TextToImageRequest: (
        TextToImageRequest("a fox", width=256, height=256, steps=1),
        TextToImageRequest("a fox"),
        TextToImageRequest("a fox", width=2048, height=2048, steps=150),
    ),
    UpscaleRequest: (
        UpscaleRequest(image=PHOTO, scale=2, steps=1),
        UpscaleRequest(image=np.zeros((256, 256, 3), np.uint8)),
        UpscaleRequest(image=np.zeros((1200, 1600, 3), np.uint8), steps=75),
    ),
    TranscribeRequest: (
        TranscribeRequest(Path("a.wav"), seconds=5.0),
        TranscribeRequest(Path("a.wav"), seconds=600.0),
        TranscribeRequest(Path("a.webm"), seconds=None, max_seconds=7200.0),
    ),
}


def request_type(backend: type) -> type:
    """The request type a backend class takes: the argument of its Backend[...] base."""
    for klass in backend.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            args = [arg for arg in typing.get_args(base) if isinstance(arg, type)]
            if args:
                return args[0]
    raise AssertionError(f"{backend.__name__} names no request type")


def test_no_op_mode_is_what_runs_here():
    assert spaces.config.Config.zero_gpu is False
    assert zerogpu._on_gpu is zerogpu._run_on_gpu  # spaces.GPU returned the function itself


def test_durations_are_whole_seconds_within_bounds():
    assert bounded(0) == MIN_SECONDS and bounded(-3) == MIN_SECONDS
    assert bounded(10.2) == 11 and bounded(1e9) == MAX_SECONDS
    assert bounded(float("nan")) == MAX_SECONDS and bounded(float("inf")) == MAX_SECONDS
    assert gpu_seconds(object()) == UNKNOWN_S


def test_every_gpu_backend_takes_a_request_with_an_estimate():
    gpu_backends = [name for name in BACKENDS if uses_gpu(f"{name}:x")]
    assert len(gpu_backends) >= 7
    for name in gpu_backends:
        assert request_type(backend_class(name)) in ESTIMATES, name
    assert set(ESTIMATES) == set(REQUESTS)  # and each kind is measured below


@pytest.mark.parametrize("kind", list(REQUESTS), ids=lambda kind: kind.__name__)
def test_a_larger_request_reserves_longer_within_bounds(kind):
    smallest, usual, largest = (gpu_seconds(request) for request in REQUESTS[kind])
    assert MIN_SECONDS <= smallest <= usual <= ZERO_GPU_DEFAULT_S
    assert smallest < largest <= MAX_SECONDS and usual <= largest


def test_estimates_follow_what_the_request_asks():
    assert gpu_seconds(text(2048)) == 108 and gpu_seconds(text(256)) == 18
    assert gpu_seconds(music("jazz, 20 seconds")) == 35  # the length read from the prompt
    assert gpu_seconds(music("jazz, 2 minutes")) == gpu_seconds(music("jazz, 30 seconds"))  # MusicGen's most
    half = StyleRequest(content=PHOTO, steps=100, strength=0.5)
    assert gpu_seconds(half) == gpu_seconds(StyleRequest(content=PHOTO, steps=50))


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
