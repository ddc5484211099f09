"""ZeroGPU: a heavy handler asks for a GPU, for as long as its request needs, when it runs a
hub model, and only then.

On a ZeroGPU Space, `spaces.GPU` reserves a GPU for each call for the seconds that its
duration function estimates from the call's arguments, and runs the handler in a forked
worker that holds the GPU. A short estimate is scheduled sooner and costs the visitor less of
their daily GPU quota; one too short is cut off, so the estimates below lean long. Off
ZeroGPU `spaces.GPU` returns the function untouched: nothing changes on a laptop, a CPU
Space or a dedicated GPU.

Embedded and remote models never ask for a GPU: they run on the CPU in the main process,
at once, and cost no quota.

On ZeroGPU the handler runs in the forked worker: what it writes to disk (History) stays,
what it changes in memory ends with the worker. A model loaded there is loaded again the
next time, which is why the default hub models load before the studio serves
(`genai_studio.backends.preload`).

Usage, outside `user_errors` so that the worker sends back the user's message, not a
generic worker error:

    @gpu_handler(zerogpu.text_seconds)
    @user_errors
    def generate_text(prompt, ..., model, max_new_tokens, ...): ...
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import spaces

from genai_studio.backends import registry
from genai_studio.backends.music.hub_musicgen import MAX_SECONDS as MUSICGEN_MAX_S
from genai_studio.backends.music.plan import understand
from genai_studio.backends.music.request import MAX_PROMPT_CHARS

Arguments = Mapping[str, Any]
Estimate = Callable[[Arguments], float]

MIN_SECONDS = 10  # a GPU reservation shorter than this saves nothing: handing it over costs seconds
MAX_SECONDS = 120  # longer reservations wait long in ZeroGPU's queue; longer work is cut off here
OVERHEAD_S = 5.0  # starting the worker and moving the preloaded weights onto the GPU
TOKENS_PER_S = 20.0  # transformers' generate on a shared GPU, 1-2B model, streamed
SPEECH_CHARS_PER_S = 15.0  # Bark speaks ~15 characters a second at about real time; VITS is faster
MUSIC_S_PER_S = 1.5  # MusicGen small about real time on a shared GPU slice; medium is slower
DIFFUSION_STEP_S = 0.15  # one Stable Diffusion 1.5 step at 512 x 512, fp16
DIFFUSION_SIDE = 512  # image tabs work at the model's native size (512 for SD 1.5)


def bounded(seconds: float) -> int:
    """A duration ZeroGPU accepts: whole seconds between MIN_SECONDS and MAX_SECONDS."""
    if not math.isfinite(seconds):
        return MAX_SECONDS
    return int(min(max(math.ceil(seconds), MIN_SECONDS), MAX_SECONDS))


def _number(arguments: Arguments, name: str, default: float) -> float:
    """A non-negative finite number from the request, else `default` (hostile input is
    refused later, by the handler; the estimate only must not fail)."""
    try:
        number = float(arguments.get(name, default))
    except (TypeError, ValueError, OverflowError):
        return default
    return number if math.isfinite(number) and number >= 0 else default


def text_seconds(arguments: Arguments) -> float:
    """Text: the most tokens the request may generate."""
    return OVERHEAD_S + _number(arguments, "max_new_tokens", 256) / TOKENS_PER_S


def speech_seconds(arguments: Arguments) -> float:
    """Speech: the length of the text to say."""
    text = arguments.get("text")
    return OVERHEAD_S + (len(text) if isinstance(text, str) else 0) / SPEECH_CHARS_PER_S


def music_seconds(arguments: Arguments) -> float:
    """Music: the seconds of audio asked for, or that the prompt asks for when the length is 0
    (as the composer reads it), up to MusicGen's most."""
    seconds = _number(arguments, "seconds", 0)
    if not seconds:
        prompt = arguments.get("prompt")
        seconds = understand(prompt[:MAX_PROMPT_CHARS] if isinstance(prompt, str) else "").seconds
    return OVERHEAD_S + min(seconds, MUSICGEN_MAX_S) * MUSIC_S_PER_S


def diffusion_seconds(arguments: Arguments) -> float:
    """Image: denoising steps run (steps x strength), scaled by the pixels per step."""
    steps = _number(arguments, "steps", 25) * min(_number(arguments, "strength", 1.0), 1.0)
    side = float(DIFFUSION_SIDE)
    pixels = _number(arguments, "width", side) * _number(arguments, "height", side)
    return OVERHEAD_S + steps * DIFFUSION_STEP_S * max(pixels / side**2, 0.25)


def _runs_on_gpu(model: Any) -> bool:
    return isinstance(model, str) and registry.uses_gpu(model)


def gpu_handler(estimate: Estimate) -> Callable[[Callable[..., Iterator[Any]]], Callable[..., Iterator[Any]]]:
    """Run a streaming handler under `spaces.GPU` when its `model` argument is a hub model,
    reserving `bounded(estimate(arguments by name))` seconds; other models run as they are.

    The duration function is kept as `handler.gpu_duration` (a test checks every heavy event
    has one that answers sensibly).
    """

    def decorate(fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        if not inspect.isgeneratorfunction(fn):
            raise TypeError(f"{fn.__name__}: gpu_handler takes streaming (generator) handlers")
        signature = inspect.signature(fn)

        def arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
            try:  # partial: the estimate needs no injected gr.Request
                bound = signature.bind_partial(*args, **kwargs)
            except TypeError:  # the handler itself will say what is wrong
                return {}
            bound.apply_defaults()
            return dict(bound.arguments)

        def duration(*args: Any, **kwargs: Any) -> int:
            return bounded(estimate(arguments(args, kwargs)))

        on_gpu = spaces.GPU(fn, duration=duration)

        @functools.wraps(fn)
        def handler(*args: Any, **kwargs: Any) -> Iterator[Any]:
            gpu = _runs_on_gpu(arguments(args, kwargs).get("model"))
            yield from (on_gpu if gpu else fn)(*args, **kwargs)

        handler.gpu_duration = duration  # type: ignore[attr-defined]
        return handler

    return decorate
