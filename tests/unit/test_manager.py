"""The manager's policies (residency, rollback, out of memory, cancel) on small test backends.

These backends hold real memory (bytearrays) and run real loops; what they stand in for is a
big model, whose loading would make these policy tests slow without testing anything more.
"""

from __future__ import annotations

import threading
import time

import pytest

from genai_studio.backends.base import Availability, Backend, Progress, Result, Task
from genai_studio.backends.manager import ModelManager
from genai_studio.config import Settings
from genai_studio.errors import ModelUnavailable, OutOfMemory

EVENTS: list[str] = []


class Counter(Backend[int]):
    """Counts to the request, one step every 10 ms; `ref` picks a behaviour."""

    name = "counter"
    task = Task.TEXT
    licence = "test"
    estimated_memory_mb = 200

    def available(self) -> Availability:
        return Availability(self.ref != "missing", "weights are not here")

    def load(self, device: str) -> None:
        if self.ref == "broken":
            raise RuntimeError("corrupt weights")
        self.weights = bytearray(1 << 20)
        EVENTS.append(f"load {self.ref}")

    def run(self, request: int, cancel: threading.Event):
        step = 0
        try:
            for step in range(request):
                if cancel.is_set():
                    return
                if self.ref == "greedy" and step == 2:
                    raise MemoryError("cannot allocate")
                time.sleep(0.01)
                yield Progress(fraction=step / request, partial=step)
            yield Result(request)
        finally:
            EVENTS.append(f"ended {self.ref} at {step}")

    def unload(self) -> None:
        self.weights = None
        EVENTS.append(f"unload {self.ref}")


@pytest.fixture
def manager() -> ModelManager:
    EVENTS.clear()
    return ModelManager(Settings(memory_budget_mb=300), factory=lambda spec, s: Counter(spec, s))


def outputs(manager: ModelManager, spec: str, steps: int) -> list:
    return [item.output for item in manager.run(spec, steps) if isinstance(item, Result)]


def test_loads_lazily_once_and_streams_progress(manager):
    items = list(manager.run("a", 3))
    assert [i.partial for i in items if isinstance(i, Progress)] == [0, 1, 2]
    assert items[-1].output == 3
    outputs(manager, "a", 1)
    assert [e for e in EVENTS if e.startswith("load")] == ["load a"]


def test_least_recently_used_model_is_unloaded_over_budget(manager):
    outputs(manager, "a", 1)
    outputs(manager, "b", 1)  # 200 + 200 MB > 300 MB budget
    assert manager.resident() == ["b"]
    assert [e for e in EVENTS if not e.startswith("ended")] == ["load a", "unload a", "load b"]


def test_failed_load_restores_the_previous_model(manager):
    outputs(manager, "a", 1)
    with pytest.raises(ModelUnavailable, match="corrupt weights"):
        outputs(manager, "broken", 1)
    assert manager.resident() == ["a"]
    assert outputs(manager, "a", 2) == [2]


def test_unavailable_backend_says_why_without_loading(manager):
    with pytest.raises(ModelUnavailable, match="weights are not here"):
        outputs(manager, "missing", 1)
    assert EVENTS == []


def test_out_of_memory_unloads_everything_and_keeps_serving(manager):
    outputs(manager, "a", 1)
    with pytest.raises(OutOfMemory, match="every model was unloaded"):
        outputs(manager, "greedy", 5)
    assert manager.resident() == []
    assert outputs(manager, "a", 2) == [2]


def test_closing_the_stream_cancels_the_job_within_a_step(manager):
    stream = manager.run("a", 1000)
    next(stream)
    next(stream)
    stream.close()  # what Gradio does on Stop
    deadline = time.monotonic() + 2
    while not any(e.startswith("ended") for e in EVENTS) and time.monotonic() < deadline:
        time.sleep(0.01)
    ended = [e for e in EVENTS if e.startswith("ended")]
    assert ended and int(ended[0].split()[-1]) < 10
    assert outputs(manager, "a", 1) == [1]  # the lock was released


def test_jobs_run_one_at_a_time(manager):
    results: list[str] = []

    def job(name: str) -> None:
        for item in manager.run("a", 5):
            if isinstance(item, Progress):
                results.append(name)

    threads = [threading.Thread(target=job, args=(n,)) for n in "xy"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results in (["x"] * 5 + ["y"] * 5, ["y"] * 5 + ["x"] * 5)


def test_a_slow_consumer_gets_what_accumulated_in_one_batch(manager):
    batches = []
    for batch in manager.run_batched("a", 40):
        batches.append(batch)
        time.sleep(0.05)  # slower than the backend's 10 ms steps
    items = [item for batch in batches for item in batch]
    assert [i.partial for i in items if isinstance(i, Progress)] == list(range(40))
    assert items[-1].output == 40
    assert len(batches) < 20


def test_batches_come_at_most_once_per_interval(manager):
    started = time.monotonic()
    batches = list(manager.run_batched("a", 30, every=0.1))  # the backend makes a step per 10 ms
    elapsed = time.monotonic() - started
    assert [i.partial for b in batches for i in b if isinstance(i, Progress)] == list(range(30))
    assert len(batches) <= elapsed / 0.1 + 2
    assert len(batches[0]) == 1  # the first step is not held back


def test_failures_still_surface_when_batched(manager):
    with pytest.raises(OutOfMemory):
        for _ in manager.run_batched("greedy", 5):
            time.sleep(0.05)
