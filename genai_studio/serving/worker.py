"""One worker process, seen from the studio: start it, hand it jobs, hear what they make,
and notice at once when it dies.

A reader thread receives everything the worker sends and puts it on the queue of the job it
belongs to. When the pipe breaks, the worker is gone: each of its jobs gets a ModelCrashed
that names the model and how it died, and the owner of this handle is told (`on_exit`).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psutil

from genai_studio.errors import ModelCrashed
from genai_studio.serving import protocol, worker_main

log = logging.getLogger(__name__)

START_METHOD = "forkserver"  # a clean, single-threaded parent for every worker; fast starts
# Imported once by the fork server, so a worker starts with them already loaded.
_PRELOAD = ["genai_studio.serving.worker_main", "numpy"]


@dataclass
class Failure:
    """Put on a job's queue when the job failed; its `error` is raised to the caller."""

    error: BaseException


DONE = object()  # put on a job's queue after its last item


def context() -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context(START_METHOD)
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def how_it_died(exitcode: int | None) -> str:
    """'killed by SIGSEGV', 'exited with code 1'... for a message to the user."""
    if exitcode is None:
        return "stopped"
    if exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exited with code {exitcode}"


class Worker:
    """A started worker process for one model spec."""

    def __init__(self, spec: protocol.WorkerSpec, label: str, on_exit: Callable[[Worker, str], None]) -> None:
        self.spec = spec
        self.label = label
        self._on_exit = on_exit
        self._jobs: dict[int, queue.SimpleQueue[Any]] = {}
        self._lock = threading.Lock()
        self.ready = threading.Event()
        self.load_error: BaseException | None = None
        self.exited = False
        self.stopping = False  # we asked it to go (Shutdown or a kill of ours): not a crash
        ctx = context()
        self._conn, child_conn = ctx.Pipe()
        self.process = ctx.Process(
            target=worker_main.serve, args=(child_conn, spec), name=f"model {spec.spec}", daemon=False
        )
        self.process.start()
        # Only this handle's reader thread may ask how the process ended: multiprocessing reads
        # a fork-server child's exit status from a pipe, once, and any second reader (its own
        # clean-up of finished children, run at every start) gets "exit code 255" instead.
        multiprocessing.process._children.discard(self.process)
        child_conn.close()
        self._gone = threading.Event()
        self.pid: int = self.process.pid
        threading.Thread(target=self._read, name=f"reader:{spec.spec}", daemon=True).start()

    # -- jobs ------------------------------------------------------------------------------
    def submit(self, job_id: int, request: Any) -> queue.SimpleQueue[Any]:
        """Start a job; its Items batches, then DONE or a Failure, arrive on the returned queue."""
        items: queue.SimpleQueue[Any] = queue.SimpleQueue()
        with self._lock:
            if self.exited:
                items.put(Failure(self._crash_error("before the job started")))
                return items
            self._jobs[job_id] = items
        self._send(protocol.RunJob(job_id, request))
        return items

    def cancel(self, job_id: int) -> None:
        self._send(protocol.CancelJob(job_id))

    # -- process control -------------------------------------------------------------------
    def shutdown(self, timeout: float = 5.0) -> None:
        """Ask the worker to unload and exit; kill it if it does not within `timeout`."""
        self.stopping = True
        self.resume()
        self._send(protocol.Shutdown())
        if not self._gone.wait(timeout):
            self.kill()

    def kill(self) -> None:
        """SIGKILL: for a worker that does not stop (native code that never checks Stop)."""
        self.stopping = True
        if not self.exited:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        self._gone.wait(5)

    def wait_gone(self, timeout: float) -> bool:
        """Wait until the process has ended and its jobs were told; False on time-out."""
        return self._gone.wait(timeout)

    def pause(self) -> None:
        """Stop the process where it is (SIGSTOP): its CPU goes to another job."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def _signal(self, signum: int) -> None:
        if not self.exited:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def rss_mb(self) -> float:
        """Resident memory of the worker and anything it started, in MB."""
        try:
            process = psutil.Process(self.pid)
            family = [process, *process.children(recursive=True)]
            return sum(p.memory_info().rss for p in family) / 2**20
        except psutil.Error:
            return 0.0

    # -- the pipe --------------------------------------------------------------------------
    def _send(self, message: object) -> None:
        with contextlib.suppress(OSError, ValueError):  # the worker is gone; the reader says so
            self._conn.send(message)

    def _read(self) -> None:
        while True:
            try:
                message = self._conn.recv()
            except (EOFError, OSError):
                break
            except Exception:
                log.exception("unreadable message from the worker of %s", self.spec.spec)
                continue
            self._dispatch(message)
        self._exit()

    def _dispatch(self, message: object) -> None:
        if isinstance(message, protocol.Ready):
            log.info("worker %d loaded %s in %.2f s", self.pid, self.spec.spec, message.load_seconds)
            self.ready.set()
        elif isinstance(message, protocol.LoadFailed):
            self.load_error = message.error
            self.ready.set()
        elif isinstance(message, protocol.Items | protocol.JobDone | protocol.JobFailed):
            with self._lock:
                items = self._jobs.get(message.job_id)
                if not isinstance(message, protocol.Items):
                    self._jobs.pop(message.job_id, None)
            if items is None:
                return
            if isinstance(message, protocol.Items):
                items.put(message.items)
            elif isinstance(message, protocol.JobFailed):
                items.put(Failure(message.error))
            else:
                items.put(DONE)

    def _exit(self) -> None:
        self.process.join(5)
        cause = how_it_died(self.process.exitcode)
        with self._lock:
            self.exited = True
            orphans, self._jobs = self._jobs, {}
        if orphans or not self.stopping:
            log.error("the worker of %s (pid %d) %s", self.spec.spec, self.pid, cause)
        self._on_exit(self, cause)  # counted before anyone hears of it and asks again
        for items in orphans.values():
            items.put(Failure(self._crash_error("during your job")))
        if self.load_error is None and not self.ready.is_set():
            self.load_error = self._crash_error("while loading")
        self.ready.set()
        self._conn.close()
        self._gone.set()

    def _crash_error(self, when: str) -> ModelCrashed:
        return ModelCrashed(
            f"{self.label} stopped {when} ({how_it_died(self.process.exitcode)}). "
            "The studio starts it afresh for your next request; other jobs were not affected."
        )
