"""Which backends exist: adding a model is adding one file and one line here.

Entries are import paths so that nothing heavy is imported until a backend is used.
"""

from __future__ import annotations

import importlib

from genai_studio.backends.base import Backend, ModelSpec
from genai_studio.config import Settings
from genai_studio.errors import ModelUnavailable

BACKENDS: dict[str, str] = {
    "smollm2": "genai_studio.backends.text.embedded_llama:SmolLM2",
    "gguf": "genai_studio.backends.text.embedded_llama:LocalGGUF",
    "transformers": "genai_studio.backends.text.hub_transformers:TransformersLM",
    "openai": "genai_studio.backends.text.remote_openai:OpenAICompatible",
    "openai-speech": "genai_studio.backends.speech.remote_openai:RemoteSpeech",
    "openai-music": "genai_studio.backends.music.remote_openai:RemoteMusic",
    "openai-inpaint": "genai_studio.backends.image.remote_openai:RemoteInpaint",
    "openai-txt2img": "genai_studio.backends.image.remote_openai:RemoteTextToImage",
    "composer": "genai_studio.backends.music.embedded_composer:Composer",
    "musicgen": "genai_studio.backends.music.hub_musicgen:MusicGen",
    "classic-inpaint": "genai_studio.backends.image.embedded_classic_inpaint:ClassicInpaint",
    "sd-inpaint": "genai_studio.backends.image.hub_diffusers_inpaint:DiffusersInpaint",
    "sd-txt2img": "genai_studio.backends.image.hub_diffusers_txt2img:DiffusersTextToImage",
    "classic-colorize": "genai_studio.backends.image.embedded_colorize:ClassicColorize",
    "neural-style": "genai_studio.backends.image.embedded_neural_style:NeuralStyle",
    "classic-style": "genai_studio.backends.image.embedded_style:ClassicStyle",
    "sd-colorize": "genai_studio.backends.image.hub_colorize:DiffusersColorize",
    "sd-style": "genai_studio.backends.image.hub_style:DiffusersStyle",
    "esrgan": "genai_studio.backends.image.embedded_upscale:ESRGANUpscale",
    "sd-upscale": "genai_studio.backends.image.hub_upscale:DiffusersUpscale",
    "hibari": "genai_studio.backends.speech.embedded_hibari:Hibari",
    "kokoro": "genai_studio.backends.speech.embedded_kokoro:Kokoro",
    "espeak": "genai_studio.backends.speech.embedded_espeak:ESpeak",
    "zh-fastspeech2": "genai_studio.backends.speech.embedded_zh:MandarinFastSpeech2",
    "vits": "genai_studio.backends.speech.hub_vits:HubVits",
    "bark": "genai_studio.backends.speech.hub_bark:HubBark",
    "whisper": "genai_studio.backends.listen.embedded_whisper:WhisperBase",
    "faster-whisper": "genai_studio.backends.listen.hub_faster_whisper:FasterWhisper",
    "openai-transcribe": "genai_studio.backends.listen.remote_openai:RemoteTranscribe",
}


def backend_class(name: str) -> type[Backend]:
    try:
        module_name, _, class_name = BACKENDS[name].partition(":")
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise ModelUnavailable(f"Unknown backend {name!r}; known backends: {known}.") from None
    return getattr(importlib.import_module(module_name), class_name)


def import_path(spec: str) -> str:
    """`module:Class` of the backend a spec names, for a worker process to import."""
    backend_class(ModelSpec.parse(spec).backend)  # unknown names fail here, clearly
    return BACKENDS[ModelSpec.parse(spec).backend]


def create(spec: str, settings: Settings) -> Backend:
    """A backend instance for a model spec (not loaded yet)."""
    parsed = ModelSpec.parse(spec)
    return backend_class(parsed.backend)(parsed.ref, settings)


def uses_gpu(spec: str) -> bool:
    """True for hub models (torch on this machine, where a GPU pays); False for embedded and
    remote models and for anything that is not a known spec. ZeroGPU gives a GPU to the first
    kind only, and preloads them."""
    try:
        cls = backend_class(ModelSpec.parse(spec).backend)
    except ModelUnavailable:
        return False
    return not (cls.embedded or cls.remote)
