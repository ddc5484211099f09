"""The one interface every backend implements, and the types that cross it.

A backend never imports Gradio. Heavy libraries (torch, llama_cpp, diffusers...) are
imported inside `load`, so listing backends costs nothing at start-up.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, Generic, TypeVar

from genai_studio.config import Settings


class Task(str, Enum):
    TEXT = "text"
    SPEECH = "speech"
    MUSIC = "music"
    INPAINT = "inpaint"
    COLORIZE = "colorize"
    STYLE = "style"
    TEXT_TO_IMAGE = "text_to_image"
    UPSCALE = "upscale"
    TRANSCRIBE = "transcribe"


@dataclass(frozen=True)
class Availability:
    """Whether a backend can load here, and if not, why (shown to the user)."""

    ready: bool
    reason: str = ""


READY = Availability(True)


@dataclass
class Progress:
    """A partial result: fraction done (None if unknown), a short message, and an optional
    partial output (the text so far, one audio chunk, a preview image)."""

    message: str = ""
    fraction: float | None = None
    partial: Any = None


OutputT = TypeVar("OutputT")


@dataclass
class Result(Generic[OutputT]):
    """The final output and the parameters that made it (for history and file metadata)."""

    output: OutputT
    params: dict[str, Any] = field(default_factory=dict)
    info: str = ""


RequestT = TypeVar("RequestT")


class Backend(ABC, Generic[RequestT]):
    """A model that turns one typed request into a stream of Progress and one final Result.

    `ref` is what follows the colon in a model spec (a hub id, a local folder, a URL) and
    is empty for embedded backends. `run` must check `cancel` at every step so Stop stops.
    """

    name: ClassVar[str]
    task: ClassVar[Task]
    licence: ClassVar[str]
    embedded: ClassVar[bool] = False  # True: runs offline on the CPU with shipped weights
    remote: ClassVar[bool] = False  # True: another server runs the model (no weights, no GPU here)
    title: ClassVar[str] = ""  # human name of an embedded backend (its spec is terse)
    estimated_memory_mb: ClassVar[int] = 500

    def __init__(self, ref: str, settings: Settings) -> None:
        self.ref = ref
        self.settings = settings

    @property
    def label(self) -> str:
        """Human name shown in model pickers."""
        return f"{self.name}: {self.ref}" if self.ref else self.title or self.name

    def available(self) -> Availability:
        """Cheap check, without loading, that `load` can work here."""
        return READY

    def cpu_threads(self) -> int:
        """Cores a job of this model keeps busy: the scheduler shares the machine by it."""
        return 1 if self.remote else os.cpu_count() or 1

    @abstractmethod
    def load(self, device: str) -> None:
        """Load weights onto `device` ('auto', 'cpu', 'cuda'...); may be slow."""

    @abstractmethod
    def run(self, request: RequestT, cancel: threading.Event) -> Iterator[Progress | Result]:
        """Yield progress as it comes and one Result last; return early once `cancel` is set."""

    @abstractmethod
    def unload(self) -> None:
        """Drop every reference to the weights so their memory can be freed."""


@dataclass(frozen=True)
class ModelSpec:
    """`backend` or `backend:reference`, e.g. `transformers:Qwen/Qwen2.5-0.5B-Instruct`."""

    backend: str
    ref: str = ""

    @classmethod
    def parse(cls, spec: str) -> ModelSpec:
        backend, _, ref = spec.strip().partition(":")
        return cls(backend.strip(), ref.strip())

    def __str__(self) -> str:
        return f"{self.backend}:{self.ref}" if self.ref else self.backend
