"""ModelService: what every front door calls to run a model, now in worker processes.

It keeps ModelManager's interface (run, run_batched, load, backend_for, available_backend,
resident, unload_all), so tabs, pipelines and /v1 are unchanged but for saying whose job it
is (`owner=`). Backends are still constructed here, unloaded, for what is cheap and needs no
weights: labels, voices, availability checks. Their weights load only in workers.

ZeroGPU keeps its own path: a hub model's job goes to `gpu_runner` (spaces.GPU forks its own
process from this one, with the models preloaded here by `local`).
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from genai_studio.backends import registry
from genai_studio.backends.base import Backend, Progress, Result
from genai_studio.backends.manager import GpuRunner, ModelManager
from genai_studio.config import Settings
from genai_studio.errors import ModelUnavailable
from genai_studio.owners import Owner
from genai_studio.serving import protocol
from genai_studio.serving.scheduler import Scheduler, Ticket, Waiting
from genai_studio.serving.worker import DONE, Failure, Worker

log = logging.getLogger(__name__)

POLL_S = 0.05  # how often a job's consumer looks at its cancel event while items are slow

# Who hears a waiting job's place in line (the UI shows it; set per request by a front door).
_waiting_reporter: contextvars.ContextVar[Callable[[Waiting], None] | None] = contextvars.ContextVar(
    "waiting_reporter", default=None
)


@contextlib.contextmanager
def report_waiting_to(reporter: Callable[[Waiting], None]) -> Iterator[None]:
    """Jobs started in this context tell `reporter` their place in line while they wait.
    (Around one call or one step of a generator: Gradio may run each step in a new context.)"""
    token = _waiting_reporter.set(reporter)
    try:
        yield
    finally:
        _waiting_reporter.reset(token)


def steps_reporting_waiting(steps: Iterator[Any], reporter: Callable[[Waiting], None]) -> Iterator[Any]:
    """`steps` with `reporter` hearing every job's place in line, step by step."""
    while True:
        with report_waiting_to(reporter):
            try:
                step = next(steps)
            except StopIteration:
                return
        yield step


def _report(waiting: Waiting) -> None:
    log.info("job waiting: %s", waiting.message())
    reporter = _waiting_reporter.get()
    if reporter is not None:
        reporter(waiting)


class ModelService:
    """Every model of the studio, each loaded in a worker process of its own."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.local = ModelManager(settings)  # ZeroGPU's hub models, and unloaded instances
        self.gpu_runner: GpuRunner | None = None
        self.scheduler = Scheduler(settings, self._start_worker, self._estimate_mb)
        atexit.register(self.close)  # no worker outlives the studio

    # -- workers ---------------------------------------------------------------------------
    def _start_worker(self, spec: str) -> Worker:
        worker_spec = protocol.WorkerSpec(spec, registry.import_path(spec), self.settings)
        return Worker(worker_spec, self.backend_for(spec).label, self.scheduler.worker_exited)

    def _estimate_mb(self, spec: str) -> float:
        return float(self.backend_for(spec).estimated_memory_mb)

    def workers(self) -> list[Worker]:
        """The live worker processes (for health checks, tests and benchmarks)."""
        return self.scheduler.workers()

    def close(self) -> None:
        self.scheduler.close()

    # -- what ModelManager offered ---------------------------------------------------------
    def resident(self) -> list[str]:
        return self.scheduler.resident() + self.local.resident()

    def backend_for(self, spec: str) -> Backend:
        """An unloaded backend for `spec`: its label, voices and checks, never its weights."""
        return self.local.backend_for(spec)

    def available_backend(self, spec: str) -> Backend:
        reason = self.scheduler.unavailable_reason(spec)
        if reason:
            raise ModelUnavailable(reason)
        return self.local.available_backend(spec)

    def _on_gpu(self, spec: str) -> bool:
        return self.gpu_runner is not None and registry.uses_gpu(spec)

    def load(self, spec: str) -> Backend:
        """Start `spec`'s worker now (warm-up) and wait until its model is loaded."""
        if self._on_gpu(spec):
            return self.local.load(spec)
        ticket = self.scheduler.submit(spec, None, self.local.available_backend(spec).cpu_threads())
        try:
            self.scheduler.wait_for_worker(ticket, threading.Event(), _report)
        finally:
            self.scheduler.finish(ticket)
        return self.backend_for(spec)

    def unload_all(self) -> None:
        self.scheduler.unload()
        self.local.unload_all()

    def busy(self) -> bool:
        return self.scheduler.busy() or self.local.busy()

    def for_owner(self, owner: Owner) -> OwnedModels:
        """This service as one owner's request sees it: its jobs take that owner's turns."""
        return OwnedModels(self, owner)

    def run_here(
        self, spec: str, request: Any, cancel: threading.Event | None = None, every: float = 0.0
    ) -> Iterator[list[Progress | Result]]:
        """In this process (the ZeroGPU worker calls this): see ModelManager.run_here."""
        yield from self.local.run_here(spec, request, cancel, every)

    # -- jobs ------------------------------------------------------------------------------
    def run(
        self, spec: str, request: Any, cancel: threading.Event | None = None, *, owner: Owner | None = None
    ) -> Iterator[Progress | Result]:
        """Run `request` on `spec` for `owner` and stream what it yields (see run_batched)."""
        for batch in self.run_batched(spec, request, cancel, owner=owner):
            yield from batch

    def run_batched(
        self,
        spec: str,
        request: Any,
        cancel: threading.Event | None = None,
        every: float = 0.0,
        *,
        owner: Owner | None = None,
    ) -> Iterator[list[Progress | Result]]:
        """Wait for a turn and a worker, run the job there and stream its items in batches
        at most once per `every` seconds (the first and last at once).

        Closing the generator or setting `cancel` stops the job at its next step; a worker
        that has not stopped `stop_grace_s` later is killed, so Stop always stops. A worker
        that dies ends this job with ModelCrashed; nothing else is affected.
        """
        if self._on_gpu(spec):
            yield from self.gpu_runner(self, spec, request, every)
            return
        cancel = cancel or threading.Event()
        backend = self.local.available_backend(spec)  # submit says if it keeps crashing
        ticket = self.scheduler.submit(spec, owner, backend.cpu_threads())
        items: queue.SimpleQueue | None = None
        try:
            worker = self.scheduler.wait_for_worker(ticket, cancel, _report)
            if worker is None:
                return
            items = worker.submit(ticket.job_id, request)
            yield from self._stream(worker, ticket, items, cancel, every)
        finally:
            if ticket.over or items is None:
                self.scheduler.finish(ticket)
            else:  # closed early (Stop, a gone client): the job ends in the background
                cancel.set()
                threading.Thread(
                    target=self._drain, args=(ticket, items), name=f"drain:{spec}", daemon=True
                ).start()

    def _stream(
        self, worker: Worker, ticket: Ticket, items: queue.SimpleQueue, cancel: threading.Event, every: float
    ) -> Iterator[list[Progress | Result]]:
        """The job's batches until it ends (`ticket.over` is set as soon as it has)."""
        last_step = 0.0
        cancelled_at: float | None = None
        while True:
            if cancel.is_set() and cancelled_at is None:
                cancelled_at = time.monotonic()
                worker.cancel(ticket.job_id)
            try:
                first = items.get(timeout=POLL_S)
            except queue.Empty:
                if cancelled_at is not None and time.monotonic() - cancelled_at > self.settings.stop_grace_s:
                    self._kill_stuck(worker, ticket)
                    return
                continue
            batch: list = []
            for item in self._more(first, items, last_step + every):
                if item is DONE or isinstance(item, Failure):
                    ticket.over = True
                    if isinstance(item, Failure) and cancelled_at is None:
                        raise item.error  # (after a Stop, how the job ended is not news)
                    break
                batch.extend(item)
            last_step = time.monotonic()
            if batch:
                yield batch
            if ticket.over:
                return

    def _kill_stuck(self, worker: Worker, ticket: Ticket) -> None:
        grace = self.settings.stop_grace_s
        log.warning("%s did not stop within %.0f s: killing its worker", ticket.spec, grace)
        worker.kill()
        ticket.over = True

    @staticmethod
    def _more(first: Any, items: queue.SimpleQueue, until: float) -> Iterator[Any]:
        """`first`, then whatever else arrives before `until` (at once if it has passed)."""
        yield first
        while first is not DONE and not isinstance(first, Failure):
            wait = until - time.monotonic()
            try:
                first = items.get(timeout=wait) if wait > 0 else items.get_nowait()
            except queue.Empty:
                return
            yield first

    def _drain(self, ticket: Ticket, items: queue.SimpleQueue) -> None:
        """After Stop: wait for the job to end, killing its worker if it does not in time."""
        worker = ticket.worker
        if worker is not None:
            worker.resume()
            worker.cancel(ticket.job_id)
            deadline = time.monotonic() + self.settings.stop_grace_s
            while not ticket.over:
                try:
                    item = items.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    self._kill_stuck(worker, ticket)
                    break
                ticket.over = item is DONE or isinstance(item, Failure)
        self.scheduler.finish(ticket)


class OwnedModels:
    """A ModelService whose jobs run as one owner's: handed to pipelines (Story, Restore,
    narration), which call `run` as they always have, and take turns by that owner."""

    def __init__(self, service: ModelService, owner: Owner) -> None:
        self._service = service
        self.owner = owner

    def run(
        self, spec: str, request: Any, cancel: threading.Event | None = None
    ) -> Iterator[Progress | Result]:
        return self._service.run(spec, request, cancel, owner=self.owner)

    def run_batched(
        self, spec: str, request: Any, cancel: threading.Event | None = None, every: float = 0.0
    ) -> Iterator[list[Progress | Result]]:
        return self._service.run_batched(spec, request, cancel, every, owner=self.owner)

    def __getattr__(self, name: str) -> Any:  # labels, checks, residency: the service's own
        return getattr(self._service, name)


Models = ModelService | ModelManager


def models_for(settings: Settings) -> Models:
    """The studio's models: in worker processes (the default), or in this process with
    `--no-model-workers` (one job at a time, and a native crash ends the studio)."""
    return ModelService(settings) if settings.model_workers else ModelManager(settings)
