"""Backends for the serving tests, loaded by real worker processes (by import path).

Each stands in for a behaviour a real model has and a test must provoke on demand: steady
steps, pure CPU work, native code that never checks Stop, a large image. The real models'
crash and Stop behaviour is tested on the real models (test_worker_crash.py).
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np

from genai_studio.backends.base import Backend, Progress, Result, Task


class Steps(Backend[int]):
    """`request` steps of 50 ms each (sleeping), checking Stop at every one; reports its pid."""

    name = "test-steps"
    task = Task.TEXT
    licence = "test"
    estimated_memory_mb = 50

    def cpu_threads(self) -> int:
        return 1

    def load(self, device: str) -> None:
        self.weights = bytearray(8 << 20)

    def run(self, request: int, cancel: threading.Event):
        for step in range(request):
            if cancel.is_set():
                return
            time.sleep(0.05)
            yield Progress(f"step {step + 1}", (step + 1) / request, partial=os.getpid())
        yield Result(request, {"pid": os.getpid()})

    def unload(self) -> None:
        self.weights = None


class Burn(Steps):
    """`request` steps of pure CPU work (about 20 ms each on one core)."""

    name = "test-burn"

    def run(self, request: int, cancel: threading.Event):
        total = 0
        for step in range(request):
            if cancel.is_set():
                return
            total += sum(i * i for i in range(60_000))
            yield Progress(f"step {step + 1}", (step + 1) / request)
        yield Result(total)


class Hang(Steps):
    """Sleeps `request` seconds in one call, never looking at Stop (as native code does)."""

    name = "test-hang"

    def run(self, request: int, cancel: threading.Event):
        yield Progress("started", partial=os.getpid())
        time.sleep(request)
        yield Result(request)


class Picture(Steps):
    """A `request` x `request` RGB image, as an image backend's result."""

    name = "test-picture"

    def run(self, request: int, cancel: threading.Event):
        image = np.random.default_rng(request).integers(0, 255, (request, request, 3), dtype=np.uint8)
        yield Result(image)


class Token(Steps):
    """`request` tiny text tokens as fast as it can (the pipe's cost per item)."""

    name = "test-token"

    def run(self, request: int, cancel: threading.Event):
        for _ in range(request):
            yield Progress(partial="x")
        yield Result("x" * request)


class Broken(Steps):
    """Fails to load, as a model with missing weights does."""

    name = "test-broken"

    def load(self, device: str) -> None:
        raise RuntimeError("corrupt weights")
