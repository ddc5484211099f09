"""Who runs next, on which worker, and who gets the CPU: the studio's fair scheduler.

Three decisions, all under one lock:
- **Admission.** A job waits in line until a worker of its model is free (or can be started
  within the memory budget and the replicas allowed per model). The line is taken in turn
  across owners, not in arrival order: the next job is the oldest one of the owner who has
  started the fewest jobs so far, so one user with many jobs cannot crowd out the others.
  An owner holds at most `max_waiting_per_owner` waiting jobs, and the operator may cap jobs
  and compute seconds per owner per day; past either the answer is `Busy`, with a wait.
- **Residency.** Idle workers keep their model loaded for the next job, least recently used
  first out when a new worker needs the memory; a worker that exits returns all of it.
- **The CPU.** Jobs of different models run side by side while the cores they use fit the
  machine. When they do not, the jobs that have had the least CPU time run and the others are
  paused (SIGSTOP) until it is their turn (least attained service, with a quantum against
  thrashing): a short job sent while a long one runs finishes about as fast as alone, and
  the long one loses only the short job's own time. Pausing works on native code that never
  checks in, which is what a step-level hand-over could not do.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from genai_studio.config import Settings
from genai_studio.errors import Busy, ModelUnavailable
from genai_studio.owners import Owner
from genai_studio.serving.worker import Worker

log = logging.getLogger(__name__)

TICK_S = 0.1  # how often the CPU is shared out again
QUANTUM_S = 1.0  # a running job keeps the CPU until a paused one has had this much less
CRASH_WINDOW_S = 600.0  # crashes counted over this window mark a model unavailable
EWMA = 0.3  # weight of the newest job in a model's average job length


@dataclass
class Waiting:
    """What a waiting user is told: their place in line and a rough wait."""

    place: int
    waiting: int
    eta_s: float

    def message(self) -> str:
        return (
            f"Waiting for a free model worker: {self.place} of {self.waiting} in line, "
            f"about {self.eta_s:.0f} s."
        )


@dataclass(eq=False)
class Ticket:
    """One job, from the moment it asks to run until its worker is free again."""

    spec: str
    owner_key: str
    threads: int
    arrived: float = field(default_factory=time.monotonic)
    job_id: int = 0
    worker: Worker | None = None
    running: bool = False  # holds the CPU now (else paused, or still waiting for a worker)
    attained: float = 0.0  # seconds it has held the CPU
    since: float = 0.0  # when it last got the CPU
    over: bool = False  # the job has ended on its worker (done, failed, or killed)
    finished: bool = False  # ...and its worker was handed back


StartWorker = Callable[[str], Worker]


class Scheduler:
    """Admission, residency and CPU sharing for every model job of the studio."""

    def __init__(
        self, settings: Settings, start_worker: StartWorker, estimate_mb: Callable[[str], float]
    ) -> None:
        self.settings = settings
        self._start_worker = start_worker
        self._estimate_mb = estimate_mb
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._workers: dict[str, list[Worker]] = {}
        self._idle_since: dict[Worker, float] = {}  # idle workers, least recently used first
        self._waiting: list[Ticket] = []
        self._active: list[Ticket] = []
        self._started_jobs: dict[str, int] = {}  # owner key -> jobs started (for turns)
        self._usage: dict[tuple[str, str], list[float]] = {}  # (owner, day) -> [jobs, seconds]
        self._crashes: dict[str, deque[tuple[float, str]]] = {}
        self._job_seconds: dict[str, float] = {}  # spec -> average job length
        self._measured_mb: dict[str, float] = {}  # spec -> most memory one of its workers held
        self.capacity = settings.cpu_slots or os.cpu_count() or 1
        self._closed = False
        threading.Thread(target=self._share_cpu_forever, name="cpu-share", daemon=True).start()

    # -- admission ---------------------------------------------------------------------------
    def submit(self, spec: str, owner: Owner | None, threads: int) -> Ticket:
        """Put a job in line, or refuse it with Busy (owner's line full, daily quota spent)."""
        key = owner.key if owner else "anonymous"
        with self._cond:
            self._check_unavailable(spec)
            self._check_quota(key)
            mine = sum(1 for t in self._waiting if t.owner_key == key)
            if mine >= self.settings.max_waiting_per_owner:
                raise Busy(
                    f"You already have {mine} jobs waiting; wait for one of them to start "
                    f"(at most {self.settings.max_waiting_per_owner} may wait at once).",
                    retry_after=max(1.0, self._eta(len(self._waiting))),
                )
            ticket = Ticket(spec, key, min(max(1, threads), self.capacity), job_id=next(self._ids))
            self._waiting.append(ticket)
            self._cond.notify_all()
            return ticket

    def wait_for_worker(
        self, ticket: Ticket, cancelled: threading.Event, report: Callable[[Waiting], None]
    ) -> Worker | None:
        """Block until `ticket` holds a worker (returned, ready) or is cancelled (None).
        `report` hears the place in line whenever it changes."""
        last: tuple[int, int] | None = None
        with self._cond:
            while ticket.worker is None:
                if cancelled.is_set():
                    self._waiting.remove(ticket)
                    self._cond.notify_all()
                    return None
                self._dispatch()
                if ticket.worker is not None:
                    break
                place = self._order().index(ticket) + 1
                if (place, len(self._waiting)) != last:
                    last = (place, len(self._waiting))
                    report(Waiting(place, len(self._waiting), self._eta(place)))
                self._cond.wait(0.25)
        worker = ticket.worker
        while not worker.ready.wait(0.25):  # the model is loading
            if cancelled.is_set():
                self.finish(ticket)
                return None
        if worker.load_error is not None:
            self.finish(ticket)
            raise worker.load_error
        return worker

    def finish(self, ticket: Ticket) -> None:
        """The job is over (done, failed or stopped and drained): free its worker. Once."""
        with self._cond:
            if ticket.finished:
                return
            ticket.finished = True
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            if ticket in self._active:
                self._stop_clock(ticket, time.monotonic())
                self._active.remove(ticket)
                self._charge(ticket)
            worker = ticket.worker
            if worker is not None and not worker.exited and worker.load_error is None:
                size = max(self._measured_mb.get(ticket.spec, 0.0), worker.rss_mb())
                self._measured_mb[ticket.spec] = size
                worker.resume()
                self._idle_since[worker] = time.monotonic()
            self._cond.notify_all()

    def _order(self) -> list[Ticket]:
        """The line in turn order: fewest jobs started by the owner first, then oldest."""
        return sorted(self._waiting, key=lambda t: (self._started_jobs.get(t.owner_key, 0), t.arrived))

    def _dispatch(self) -> None:
        """Caller holds the lock. Give free (or new) workers to waiting jobs, in turn order."""
        started = False
        for ticket in self._order():
            if len(self._active) >= self.settings.max_active_jobs:
                break
            worker = self._idle_worker(ticket.spec) or self._new_worker(ticket.spec)
            if worker is None:
                continue
            self._idle_since.pop(worker, None)
            self._waiting.remove(ticket)
            ticket.worker = worker
            self._active.append(ticket)
            self._started_jobs[ticket.owner_key] = self._started_jobs.get(ticket.owner_key, 0) + 1
            started = True
        if started:  # a new job gets its share of the cores now, not at the next tick
            self._share_cpu(time.monotonic())

    def _idle_worker(self, spec: str) -> Worker | None:
        for worker in self._workers.get(spec, []):
            if worker in self._idle_since and not worker.exited:
                return worker
        return None

    def _new_worker(self, spec: str) -> Worker | None:
        """A new worker for `spec` if the replicas allowed and the memory budget permit
        (idle workers of other models leave to make room, least recently used first)."""
        if len(self._workers.get(spec, [])) >= self.settings.workers_per_model:
            return None
        budget = self.settings.memory_budget_mb - self._size_mb(spec)
        resident = sum(self._worker_mb(w) for workers in self._workers.values() for w in workers)
        for idle in sorted(self._idle_since, key=self._idle_since.get):
            if resident <= budget:
                break
            resident -= self._worker_mb(idle)
            self._retire(idle)
        if resident > budget and self._active:
            return None  # wait for a running job to end; with nothing running, start anyway
        worker = self._start_worker(spec)
        self._workers.setdefault(spec, []).append(worker)
        return worker

    def _size_mb(self, spec: str) -> float:
        """A worker of `spec`'s memory: the backend's estimate, or what one was seen to hold."""
        return max(self._estimate_mb(spec), self._measured_mb.get(spec, 0.0))

    def _worker_mb(self, worker: Worker) -> float:
        return max(self._size_mb(worker.spec.spec), worker.rss_mb())

    def _retire(self, worker: Worker) -> None:
        """Caller holds the lock. An idle worker leaves (its memory returns to the system)."""
        self._idle_since.pop(worker, None)
        self._forget(worker)
        threading.Thread(target=worker.shutdown, name="retire", daemon=True).start()

    def _forget(self, worker: Worker) -> None:
        workers = self._workers.get(worker.spec.spec, [])
        if worker in workers:
            workers.remove(worker)

    # -- residency -------------------------------------------------------------------------
    def resident(self) -> list[str]:
        with self._cond:
            return [spec for spec, workers in self._workers.items() if any(not w.exited for w in workers)]

    def workers(self) -> list[Worker]:
        with self._cond:
            return [w for workers in self._workers.values() for w in workers if not w.exited]

    def unload(self, spec: str | None = None) -> None:
        """Idle workers of `spec` (every model if None) leave; busy ones finish first."""
        with self._cond:
            for worker in list(self._idle_since):
                if spec is None or worker.spec.spec == spec:
                    self._retire(worker)

    def close(self) -> None:
        """Stop every worker at once (the studio is shutting down)."""
        with self._cond:
            self._closed = True
            workers = [w for ws in self._workers.values() for w in ws]
            self._workers.clear()
            self._idle_since.clear()
        for worker in workers:
            worker.kill()

    def worker_exited(self, worker: Worker, cause: str) -> None:
        """A worker's process ended. A crash counts towards marking its model unavailable."""
        with self._cond:
            self._forget(worker)
            self._idle_since.pop(worker, None)
            if not worker.stopping:
                crashes = self._crashes.setdefault(worker.spec.spec, deque())
                crashes.append((time.monotonic(), cause))
            self._cond.notify_all()

    def _check_unavailable(self, spec: str) -> None:
        """Caller holds the lock. A model that crashed `crash_limit` times in the window."""
        crashes = self._crashes.get(spec)
        if not crashes:
            return
        now = time.monotonic()
        while crashes and now - crashes[0][0] > CRASH_WINDOW_S:
            crashes.popleft()
        if len(crashes) >= self.settings.crash_limit:
            raise ModelUnavailable(
                f"{spec} is unavailable: its process died {len(crashes)} times in the last "
                f"{CRASH_WINDOW_S / 60:.0f} minutes (last: {crashes[-1][1]}). "
                "It will be tried again later; the other models keep working."
            )

    def busy(self) -> bool:
        with self._cond:
            return bool(self._active or self._waiting)

    def unavailable_reason(self, spec: str) -> str:
        with self._cond:
            try:
                self._check_unavailable(spec)
            except ModelUnavailable as exc:
                return str(exc)
            return ""

    # -- quotas ----------------------------------------------------------------------------
    def _check_quota(self, key: str) -> None:
        jobs_limit, seconds_limit = self.settings.owner_jobs_per_day, self.settings.owner_seconds_per_day
        if not (jobs_limit or seconds_limit):
            return
        jobs, seconds = self._usage.get((key, _today()), [0, 0.0])
        if (jobs_limit and jobs >= jobs_limit) or (seconds_limit and seconds >= seconds_limit):
            limit = (
                f"{jobs_limit} jobs"
                if jobs_limit and jobs >= jobs_limit
                else f"{seconds_limit:.0f} s of compute"
            )
            raise Busy(
                f"You have used today's share of this studio ({limit} a day). It renews at midnight UTC.",
                retry_after=_seconds_to_midnight(),
            )

    def _charge(self, ticket: Ticket) -> None:
        usage = self._usage.setdefault((ticket.owner_key, _today()), [0, 0.0])
        usage[0] += 1
        usage[1] += ticket.attained
        previous = self._job_seconds.get(ticket.spec, ticket.attained)
        self._job_seconds[ticket.spec] = (1 - EWMA) * previous + EWMA * ticket.attained

    def _eta(self, place: int) -> float:
        """A rough wait for the job at `place` in line: the average jobs ahead of it and the
        remaining work of the running ones, shared over the jobs that can run at once."""
        ahead = self._order()[: max(0, place - 1)]
        default = 5.0
        queued = sum(self._job_seconds.get(t.spec, default) for t in ahead)
        running = sum(max(0.0, self._job_seconds.get(t.spec, default) - t.attained) for t in self._active)
        return (queued + running) / max(1, self.settings.max_active_jobs)

    # -- the CPU ---------------------------------------------------------------------------
    def _share_cpu_forever(self) -> None:
        while not self._closed:
            with self._cond:
                self._share_cpu(time.monotonic())
                self._cond.wait(TICK_S)

    def _share_cpu(self, now: float) -> None:
        """Caller holds the lock. Run the jobs with the least CPU time so far whose threads
        fit the cores; pause the rest. A running job counts `QUANTUM_S` less, so two jobs
        swap at most once a quantum."""
        for ticket in self._active:
            self._stop_clock(ticket, now)
        order = sorted(self._active, key=lambda t: t.attained - (QUANTUM_S if t.running else 0.0))
        free = self.capacity
        for ticket in order:
            runs = ticket.threads <= free or free == self.capacity  # the first always runs
            if runs:
                free -= ticket.threads
            if runs and not ticket.running:
                ticket.running, ticket.since = True, now
                ticket.worker.resume()
            elif not runs and ticket.running:
                ticket.running = False
                ticket.worker.pause()

    @staticmethod
    def _stop_clock(ticket: Ticket, now: float) -> None:
        if ticket.running:
            ticket.attained += now - ticket.since
            ticket.since = now


def _today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


def _seconds_to_midnight() -> float:
    now = datetime.now(timezone.utc)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc)
    return (midnight - now).total_seconds()
