"""Model residency: lazy loads, one lock, LRU unloads under a memory budget, rollback,
out-of-memory recovery, and jobs that run in a worker thread so Stop really stops.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from genai_studio import devices
from genai_studio.backends import hub, registry
from genai_studio.backends.base import Backend, Progress, Result
from genai_studio.config import Settings
from genai_studio.errors import ModelUnavailable, OutOfMemory, StudioError

log = logging.getLogger(__name__)

BackendFactory = Callable[[str, Settings], Backend]
# Runs a hub model's job somewhere else and streams its batches: (manager, spec, request, every).
GpuRunner = Callable[["ModelManager", str, Any, float], Iterator[list[Progress | Result]]]


@dataclass
class _Failure:
    error: BaseException


_DONE = object()


class ModelManager:
    """Owns every loaded model. One job runs at a time; others wait for the lock.

    Residency is least-recently-used under `settings.memory_budget_mb`, using each
    backend's own estimate or the memory its load was measured to take, whichever is larger.
    """

    def __init__(self, settings: Settings, factory: BackendFactory = registry.create) -> None:
        self.settings = settings
        self._factory = factory
        self._lock = threading.Lock()
        self._resident: OrderedDict[str, Backend] = OrderedDict()
        self._sizes: dict[str, float] = {}
        # Where hub models run their jobs instead of here (ZeroGPU's GPU worker: the UI sets it,
        # genai_studio.ui.zerogpu); embedded and remote models always run here.
        self.gpu_runner: GpuRunner | None = None

    # -- residency ---------------------------------------------------------------------
    def resident(self) -> list[str]:
        """Loaded model specs, least recently used first."""
        return list(self._resident)

    def backend_for(self, spec: str) -> Backend:
        """The loaded backend for `spec`, else a new unloaded instance (for labels, checks)."""
        return self._resident.get(spec) or self._factory(spec, self.settings)

    def available_backend(self, spec: str) -> Backend:
        """`backend_for(spec)`, or ModelUnavailable saying why it cannot run here."""
        backend = self.backend_for(spec)
        availability = backend.available()
        if not availability.ready:
            raise ModelUnavailable(f"{backend.label} cannot run here: {availability.reason}")
        return backend

    def _unload(self, spec: str) -> None:
        backend = self._resident.pop(spec)
        self._sizes.pop(spec, None)
        try:
            backend.unload()
        finally:
            devices.free_memory()
        log.info("unloaded %s", spec)

    def unload_all(self) -> None:
        for spec in list(self._resident):
            self._unload(spec)

    def close(self) -> None:
        """The studio is shutting down: let every model go."""
        with self._lock:
            self.unload_all()

    def _make_room(self, needed_mb: float) -> list[str]:
        evicted = []
        while self._resident and sum(self._sizes.values()) + needed_mb > self.settings.memory_budget_mb:
            spec = next(iter(self._resident))
            self._unload(spec)
            evicted.append(spec)
        return evicted

    def _load(self, spec: str) -> Backend:
        backend = self.available_backend(spec)  # not resident here, so a new instance
        before = devices.rss_mb()
        started = time.perf_counter()
        try:
            backend.load(self.settings.device)
        except BaseException:
            backend.unload()
            devices.free_memory()
            raise
        self._resident[spec] = backend
        self._sizes[spec] = max(float(backend.estimated_memory_mb), devices.rss_mb() - before)
        log.info("loaded %s in %.2f s (~%.0f MB)", spec, time.perf_counter() - started, self._sizes[spec])
        return backend

    def _ensure_loaded(self, spec: str) -> Backend:
        """Caller holds the lock. A failed load reloads what was evicted for it."""
        if spec in self._resident:
            self._resident.move_to_end(spec)
            return self._resident[spec]
        estimate = self._factory(spec, self.settings).estimated_memory_mb
        evicted = self._make_room(estimate)
        try:
            return self._load(spec)
        except Exception as exc:
            self._restore(evicted)
            if hub.unreachable(exc):
                log.warning("could not reach the hub for %s: %s", spec, exc)
                raise ModelUnavailable(hub.unreachable_message(spec, exc)) from exc
            if isinstance(exc, StudioError) or devices.is_out_of_memory(exc):
                raise
            log.exception("loading %s failed", spec)
            raise ModelUnavailable(f"Could not load {spec}: {exc}") from exc

    def _restore(self, specs: list[str]) -> None:
        for spec in specs:
            try:
                self._load(spec)
            except Exception:
                log.warning("could not reload %s after a failed switch", spec, exc_info=True)

    def load(self, spec: str) -> Backend:
        """Load `spec` now (warm-up); returns the loaded backend."""
        with self._lock:
            return self._ensure_loaded(spec)

    # -- jobs ----------------------------------------------------------------------------
    def for_owner(self, owner: object) -> ModelManager:
        """This manager (in one process, jobs take no turns by owner; ModelService's do)."""
        return self

    def busy(self) -> bool:
        """True while a job (or a load) holds the model worker."""
        return self._lock.locked()

    def run(
        self, spec: str, request: Any, cancel: threading.Event | None = None
    ) -> Iterator[Progress | Result]:
        """Run one request on `spec` in a worker thread and stream what it yields.

        Closing the returned generator (Gradio does on Stop) sets `cancel`, and the backend
        returns at its next step. Out of memory unloads every model and raises OutOfMemory.
        """
        for batch in self.run_batched(spec, request, cancel):
            yield from batch

    def run_batched(
        self, spec: str, request: Any, cancel: threading.Event | None = None, every: float = 0.0
    ) -> Iterator[list[Progress | Result]]:
        """Like `run`, but each step yields everything the backend made since the last one,
        and steps come at most once per `every` seconds (the first and the last at once).

        A page re-rendered per token costs CPU the model needs; 25 updates a second read
        as smooth and a slow consumer catches up in one step instead of falling behind.
        A hub model's job goes to `gpu_runner` when one is set (closing stops it there).
        """
        if self.gpu_runner is not None and registry.uses_gpu(spec):
            yield from self.gpu_runner(self, spec, request, every)
            return
        yield from self.run_here(spec, request, cancel, every)

    def run_here(
        self, spec: str, request: Any, cancel: threading.Event | None = None, every: float = 0.0
    ) -> Iterator[list[Progress | Result]]:
        """`run_batched` in this process, whatever the model: in a worker thread, under the lock."""
        cancel = cancel or threading.Event()
        items: queue.SimpleQueue[Any] = queue.SimpleQueue()
        worker = threading.Thread(
            target=self._work, args=(spec, request, cancel, items), name=f"job:{spec}", daemon=True
        )
        worker.start()
        last_step = 0.0
        try:
            while True:
                batch = [items.get()]
                while batch[-1] is not _DONE and not isinstance(batch[-1], _Failure):
                    wait = last_step + every - time.monotonic()
                    try:
                        batch.append(items.get(timeout=wait) if wait > 0 else items.get_nowait())
                    except queue.Empty:
                        break
                last_step = time.monotonic()
                made = [item for item in batch if item is not _DONE and not isinstance(item, _Failure)]
                if made:
                    yield made
                for item in batch:
                    if isinstance(item, _Failure):
                        raise item.error
                if _DONE in batch:
                    return
        finally:
            cancel.set()

    def _work(self, spec: str, request: Any, cancel: threading.Event, items: queue.SimpleQueue) -> None:
        try:
            with self._lock:
                try:
                    if cancel.is_set():
                        return
                    backend = self._ensure_loaded(spec)
                    for item in backend.run(request, cancel):
                        items.put(item)
                        if cancel.is_set():
                            break
                except BaseException as exc:  # noqa: BLE001 - every failure goes to the caller
                    items.put(_Failure(self._recover(spec, exc)))
        finally:
            items.put(_DONE)

    def _recover(self, spec: str, exc: BaseException) -> BaseException:
        """Caller holds the lock. Out of memory: unload everything, keep serving."""
        if not devices.is_out_of_memory(exc):
            return exc
        log.error("out of memory while running %s: unloading every model", spec, exc_info=exc)
        self.unload_all()
        return OutOfMemory(
            "The machine ran out of memory, so every model was unloaded. "
            "Try a smaller request (shorter output, smaller image) or a smaller model."
        )
