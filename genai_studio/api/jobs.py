"""Model jobs for an asynchronous front door: a bound on waiting requests, and the manager's
stream carried into the event loop, cancelled when the caller goes away.

The scheduler decides when each job runs, in turn across owners; here a job also holds a
place among `settings.queue_size` requests in flight, so a burst of API calls is refused with
a clear 429 (and a Retry-After) instead of piling up without end.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request

from genai_studio.api.openai_errors import ApiError
from genai_studio.backends.base import Progress, Result
from genai_studio.backends.manager import ModelManager
from genai_studio.serving.scheduler import Waiting
from genai_studio.serving.service import report_waiting_to

_END = object()
QUEUE_FULL_RETRY_S = 5  # a short job's length: by then a place has usually come free


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Gate:
    """At most `limit` requests in flight (waiting for the model or running); the rest get 429."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self._lock = threading.Lock()

    def enter(self) -> Slot:
        with self._lock:
            if self.in_flight >= self.limit:
                raise ApiError(
                    429,
                    f"The studio is busy: {self.in_flight} requests are already waiting or running. "
                    "Try again in a moment.",
                    type="rate_limit_error",
                    code="queue_full",
                    retry_after=QUEUE_FULL_RETRY_S,
                )
            self.in_flight += 1
        return Slot(self)


class Slot:
    """A place taken in the gate; `leave` is safe to call more than once."""

    def __init__(self, gate: Gate) -> None:
        self._gate: Gate | None = gate

    def leave(self) -> None:
        gate, self._gate = self._gate, None
        if gate is not None:
            with gate._lock:
                gate.in_flight -= 1


async def _cancel_when_disconnected(request: Request, cancel: threading.Event) -> None:
    """Set `cancel` once the client hangs up (the body is read: only a disconnect can come)."""
    while not cancel.is_set():
        message = await request.receive()
        if message["type"] == "http.disconnect":
            cancel.set()
            return


async def run_job(
    manager: ModelManager, spec: str, job: Any, request: Request
) -> AsyncIterator[Progress | Result | Waiting]:
    """What `manager.run(spec, job)` yields, as an async stream, with the job's place in line
    (Waiting) while it waits for a worker. Closing the stream, or the client disconnecting,
    sets the job's cancel event exactly as the UI's Stop does."""
    loop = asyncio.get_running_loop()
    items: asyncio.Queue[Any] = asyncio.Queue()
    cancel = threading.Event()

    def put(item: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is listening
            loop.call_soon_threadsafe(items.put_nowait, item)

    def pump() -> None:
        try:
            with report_waiting_to(put):  # a place in line arrives as a Waiting item
                for item in manager.run(spec, job, cancel):
                    put(item)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's task
            put(_Failure(exc))
        finally:
            put(_END)

    threading.Thread(target=pump, name=f"api-job:{spec}", daemon=True).start()
    watcher = asyncio.create_task(_cancel_when_disconnected(request, cancel))
    try:
        while (item := await items.get()) is not _END:
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        cancel.set()
        watcher.cancel()


async def final_result(manager: ModelManager, spec: str, job: Any, request: Request) -> Result:
    """The Result of a job whose progress the caller does not need."""
    result = None
    async for item in run_job(manager, spec, job, request):
        if isinstance(item, Result):
            result = item
    if result is None:
        raise ApiError(499, "The request was cancelled.", code="cancelled")
    return result
