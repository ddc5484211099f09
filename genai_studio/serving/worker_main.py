"""The life of a worker process: load one model, run the jobs the studio sends, exit.

It is an ordinary ModelManager holding a single model, so loading errors, out-of-memory
recovery and cancel-at-every-step behave exactly as they did in the web process. What is new
is only that a crash here (a segfault in native code, the kernel's OOM killer) ends this
process and the studio reports it, instead of ending the studio.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
import time
from multiprocessing.connection import Connection

from genai_studio.backends.base import Backend, ModelSpec
from genai_studio.backends.manager import ModelManager
from genai_studio.config import Settings
from genai_studio.serving import protocol

log = logging.getLogger(__name__)


def backend_factory(backend_path: str):
    """A ModelManager factory that builds the class at `backend_path` (`module:Class`)."""
    module_name, _, class_name = backend_path.partition(":")
    cls: type[Backend] = getattr(importlib.import_module(module_name), class_name)

    def create(spec: str, settings: Settings) -> Backend:
        return cls(ModelSpec.parse(spec).ref, settings)

    return create


class _Channel:
    """The pipe to the studio; `send` may be called from every job thread at once."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def send(self, message: object) -> None:
        with self._lock:
            self._conn.send(message)

    def recv(self) -> object:
        return self._conn.recv()


def _run_job(
    channel: _Channel,
    manager: ModelManager,
    spec: str,
    job: protocol.RunJob,
    cancels: dict[int, threading.Event],
) -> None:
    try:
        for batch in manager.run_here(spec, job.request, cancels[job.job_id]):
            channel.send(protocol.Items(job.job_id, batch))
        channel.send(protocol.JobDone(job.job_id))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the studio
        channel.send(protocol.JobFailed(job.job_id, protocol.portable(exc)))
    finally:
        cancels.pop(job.job_id, None)


def serve(conn: Connection, worker: protocol.WorkerSpec) -> None:
    """The worker's main loop (the target of its process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the studio's to handle; it stops us
    logging.basicConfig(
        level=logging.INFO, format=f"%(asctime)s %(levelname)s [worker {os.getpid()}] %(name)s: %(message)s"
    )
    channel = _Channel(conn)
    manager = ModelManager(worker.settings, factory=backend_factory(worker.backend_path))
    started = time.perf_counter()
    try:
        manager.load(worker.spec)
    except BaseException as exc:  # noqa: BLE001 - reported, then this process ends
        channel.send(protocol.LoadFailed(protocol.portable(exc)))
        return
    channel.send(protocol.Ready(time.perf_counter() - started))
    cancels: dict[int, threading.Event] = {}
    while True:
        try:
            message = channel.recv()
        except (EOFError, OSError):  # the studio is gone: nothing to serve
            os._exit(0)
        if isinstance(message, protocol.RunJob):
            cancels[message.job_id] = threading.Event()
            threading.Thread(
                target=_run_job, args=(channel, manager, worker.spec, message, cancels), daemon=True
            ).start()
        elif isinstance(message, protocol.CancelJob):
            if message.job_id in cancels:
                cancels[message.job_id].set()
        elif isinstance(message, protocol.Shutdown):
            manager.unload_all()
            return
