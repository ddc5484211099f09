"""What the studio and a worker process say to each other over their pipe.

Everything here is pickled: requests, Progress and Result travel as they are (numpy arrays
and images included: pickle protocol 5 copies each buffer once).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

from genai_studio.config import Settings


@dataclass(frozen=True)
class WorkerSpec:
    """How to start a worker: the model spec, the backend class's import path
    (`module:Class`, resolved by the parent so test backends work too) and the settings."""

    spec: str
    backend_path: str
    settings: Settings


# -- studio -> worker ----------------------------------------------------------------------
@dataclass(frozen=True)
class RunJob:
    job_id: int
    request: Any


@dataclass(frozen=True)
class CancelJob:
    job_id: int


@dataclass(frozen=True)
class Shutdown:
    """Unload and exit: the model's memory goes back to the system with the process."""


# -- worker -> studio ----------------------------------------------------------------------
@dataclass(frozen=True)
class Ready:
    load_seconds: float


@dataclass(frozen=True)
class LoadFailed:
    error: BaseException


@dataclass(frozen=True)
class Items:
    """What a job made since its last message (Progress and Result items, in order)."""

    job_id: int
    items: list


@dataclass(frozen=True)
class JobDone:
    job_id: int


@dataclass(frozen=True)
class JobFailed:
    job_id: int
    error: BaseException


def portable(error: BaseException) -> BaseException:
    """`error` if it survives pickling, else a RuntimeError with its class name and message:
    an exception type with a custom constructor must not turn a clear failure into a crash."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:  # noqa: BLE001 - anything unpicklable is described instead
        return RuntimeError(f"{type(error).__name__}: {error}")
