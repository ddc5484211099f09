"""ZeroGPU: a hub model's job asks for a GPU, for as long as its request needs, and only it.

On a ZeroGPU Space, `spaces.GPU` reserves a GPU for each call, for the seconds its duration
function estimates, and runs the call in a worker process forked from the main one, which
holds the GPU. Off ZeroGPU it returns the function untouched: the same code runs on a laptop,
a CPU Space or a dedicated GPU, and is what the tests run.

What goes to the GPU worker is the model's job alone, not the whole Gradio handler: the
manager hands it the spec and the typed request (`ModelManager.gpu_runner`) and streams back
its Progress and Result. So:
- the request is checked before a GPU is asked for: a bad input costs no GPU quota;
- the estimate reads the checked request (tokens, characters, seconds of audio, steps and
  image size) instead of raw form values;
- the owner, History and file delivery stay in the main process. The worker is a fork: it
  does not see what the main process learns after the fork (which browser a session belongs
  to, for one), and what it changes in memory is lost with it;
- embedded and remote models never ask for a GPU: they run in the main process, at once,
  and cost the visitor no quota.

A model first loaded in the worker is loaded again the next time ZeroGPU starts a worker,
which is why the default hub models load before the studio serves (`backends.preload`).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr
import spaces

from genai_studio.backends.base import Progress, Result
from genai_studio.backends.image.colorize_request import ColorizeRequest
from genai_studio.backends.image.hub_diffusers_txt2img import TextToImageRequest
from genai_studio.backends.image.inpaint_request import InpaintRequest
from genai_studio.backends.image.style_request import StyleRequest
from genai_studio.backends.image.upscale_request import UpscaleRequest
from genai_studio.backends.listen.request import TranscribeRequest
from genai_studio.backends.manager import ModelManager
from genai_studio.backends.music.hub_musicgen import MAX_SECONDS as MUSICGEN_MAX_S
from genai_studio.backends.music.request import MusicRequest
from genai_studio.backends.speech.request import SpeechRequest
from genai_studio.backends.text.request import TextRequest
from genai_studio.errors import StudioError

MIN_SECONDS = 10  # a GPU reservation shorter than this saves nothing: handing it over costs seconds
MAX_SECONDS = 120  # longer reservations wait long in ZeroGPU's queue; longer work is cut off here
UNKNOWN_S = 60  # ZeroGPU's own default, for a request type without an estimate
OVERHEAD_S = 5.0  # starting the worker and moving the preloaded weights onto the GPU
TOKENS_PER_S = 20.0  # transformers' generate on a shared GPU, 1-2B model, streamed
SPEECH_CHARS_PER_S = 15.0  # Bark speaks ~15 characters a second at about real time; VITS is faster
MUSIC_S_PER_S = 1.5  # MusicGen small about real time on a shared GPU slice; medium is slower
DIFFUSION_STEP_S = 0.15  # one Stable Diffusion 1.5 step at 512 x 512, fp16
WHISPER_X_REALTIME = 15.0  # Whisper large-v3 (float16) hears ~15x faster than real time on a GPU slice
UPSCALE_TILE = 128  # input pixels of one tile of the x4 upscaler
DIFFUSION_SIDE = 512  # the image tasks work at the model's native size (512 for SD 1.5)


def bounded(seconds: float) -> int:
    """A duration ZeroGPU accepts: whole seconds between MIN_SECONDS and MAX_SECONDS."""
    if not math.isfinite(seconds):
        return MAX_SECONDS
    return int(min(max(math.ceil(seconds), MIN_SECONDS), MAX_SECONDS))


def text_seconds(request: TextRequest) -> float:
    """Text: the most tokens the request may generate."""
    return OVERHEAD_S + request.max_new_tokens / TOKENS_PER_S


def speech_seconds(request: SpeechRequest) -> float:
    """Speech: the length of the text to say."""
    return OVERHEAD_S + len(request.text) / SPEECH_CHARS_PER_S


def music_seconds(request: MusicRequest) -> float:
    """Music: the planned length (from the controls or the prompt), up to MusicGen's most."""
    return OVERHEAD_S + min(request.plan.seconds, MUSICGEN_MAX_S) * MUSIC_S_PER_S


def diffusion_seconds(request: InpaintRequest | ColorizeRequest | StyleRequest | TextToImageRequest) -> float:
    """Images: the denoising steps run (steps x strength), scaled by the pixels of a step
    (text to image at its own size; the photo tasks at the model's native size)."""
    steps = request.steps * min(getattr(request, "strength", 1.0), 1.0)
    pixels = getattr(request, "width", DIFFUSION_SIDE) * getattr(request, "height", DIFFUSION_SIDE)
    return OVERHEAD_S + steps * DIFFUSION_STEP_S * pixels / DIFFUSION_SIDE**2


def upscale_seconds(request: UpscaleRequest) -> float:
    """The x4 upscaler denoises each 128-pixel tile of the photo (a 512-pixel output) in turn."""
    height, width = request.image.shape[:2]
    tiles = math.ceil(height / UPSCALE_TILE) * math.ceil(width / UPSCALE_TILE)
    return OVERHEAD_S + request.steps * DIFFUSION_STEP_S * tiles


def listen_seconds(request: TranscribeRequest) -> float:
    """Listen: the recording's length (the operator's limit when the container does not say)."""
    return OVERHEAD_S + (request.seconds or request.max_seconds) / WHISPER_X_REALTIME


Batches = Iterator[list[Progress | Result]]

# One line per request type a hub backend takes (a test checks every GPU backend has one).
ESTIMATES: dict[type, Callable[[Any], float]] = {
    TextRequest: text_seconds,
    SpeechRequest: speech_seconds,
    MusicRequest: music_seconds,
    InpaintRequest: diffusion_seconds,
    ColorizeRequest: diffusion_seconds,
    StyleRequest: diffusion_seconds,
    TextToImageRequest: diffusion_seconds,
    UpscaleRequest: upscale_seconds,
    TranscribeRequest: listen_seconds,
}


def gpu_seconds(request: Any) -> int:
    """The GPU time to reserve for `request`."""
    estimate = ESTIMATES.get(type(request))
    return bounded(estimate(request)) if estimate else UNKNOWN_S


# The worker is a fork of this process, so a manager is found there by its id here.
_MANAGERS: weakref.WeakValueDictionary[int, ModelManager] = weakref.WeakValueDictionary()


def _duration(manager_id: int, spec: str, request: Any, every: float) -> int:
    return gpu_seconds(request)


def _run_on_gpu(manager_id: int, spec: str, request: Any, every: float) -> Batches:
    """The job, in the GPU worker. The worker sends back a gr.Error with its message; any
    other exception only by its class name, so the user's message travels as a gr.Error."""
    try:
        yield from _MANAGERS[manager_id].run_here(spec, request, every=every)
    except StudioError as exc:
        raise gr.Error(str(exc), print_exception=False) from None


_on_gpu = spaces.GPU(_run_on_gpu, duration=_duration)


def _gpu_runner(manager: ModelManager, spec: str, request: Any, every: float) -> Batches:
    yield from _on_gpu(id(manager), spec, request, every)


def install(manager: ModelManager) -> ModelManager:
    """Send `manager`'s hub-model jobs through `spaces.GPU` (a no-op off ZeroGPU)."""
    _MANAGERS[id(manager)] = manager
    manager.gpu_runner = _gpu_runner
    return manager
