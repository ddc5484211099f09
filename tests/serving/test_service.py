"""ModelService with real worker processes, real signals and real timing.

The backends (tests/serving/backends.py) are small so that each behaviour (a crash mid-job,
native code that ignores Stop, pure CPU work) happens on demand; the processes, pipes,
signals and the scheduler are the studio's own.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import numpy as np
import psutil
import pytest

from genai_studio.backends import registry
from genai_studio.backends.base import Progress, Result
from genai_studio.config import Settings
from genai_studio.errors import Busy, ModelCrashed, ModelUnavailable
from genai_studio.owners import Owner
from genai_studio.serving.service import ModelService

TEST_BACKENDS = ("Steps", "Burn", "Hang", "Picture", "Token", "Broken")
ANN, BOB = Owner.for_user("ann"), Owner.for_user("bob")


@pytest.fixture
def make_service(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator:
    for name in TEST_BACKENDS:
        monkeypatch.setitem(registry.BACKENDS, f"test-{name.lower()}", f"tests.serving.backends:{name}")
    made: list[ModelService] = []

    def make(**overrides) -> ModelService:
        service = ModelService(Settings(output_dir=tmp_path, stop_grace_s=1.0, **overrides))
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()


def first_progress(items: Iterator) -> Progress:
    for item in items:
        if isinstance(item, Progress) and item.partial is not None:
            return item
    raise AssertionError("the job made no progress")


def result_of(items: Iterator) -> Result:
    results = [item for item in items if isinstance(item, Result)]
    assert len(results) == 1
    return results[0]


def test_a_job_runs_in_a_worker_process_not_here(make_service) -> None:
    service = make_service()
    result = result_of(service.run("test-steps", 3, owner=ANN))
    assert result.output == 3
    worker_pid = result.params["pid"]
    assert worker_pid != os.getpid()
    assert [w.pid for w in service.workers()] == [worker_pid]
    assert "test-steps" in service.resident()


@pytest.mark.parametrize("signum", [signal.SIGSEGV, signal.SIGKILL])
def test_a_worker_killed_mid_job_ends_only_that_job(make_service, signum: int) -> None:
    service = make_service()
    other: dict = {}

    def other_user() -> None:  # bob's job on another model, running meanwhile
        other["result"] = result_of(service.run("test-burn", 40, owner=BOB))

    with closing(service.run("test-steps", 200, owner=ANN)) as items:
        pid = first_progress(items).partial
        bob = threading.Thread(target=other_user)
        bob.start()
        os.kill(pid, signum)
        with pytest.raises(ModelCrashed) as crash:
            list(items)
    bob.join(30)
    assert other["result"].output > 0, "the other user's job did not finish"
    message = str(crash.value)
    assert signal.Signals(signum).name in message and "afresh" in message
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    again = result_of(service.run("test-steps", 2, owner=ANN))  # a fresh worker
    assert again.params["pid"] != pid


def test_stop_kills_a_worker_stuck_in_native_code(make_service) -> None:
    service = make_service()
    cancel = threading.Event()
    items = service.run("test-hang", 60, cancel, owner=ANN)
    pid = first_progress(items).partial
    stopped = time.monotonic()
    items.close()  # what Gradio does on Stop
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() - stopped < 5, "the stuck worker was not killed"
        time.sleep(0.05)
    assert time.monotonic() - stopped < service.settings.stop_grace_s + 2
    while service.busy():  # the slot comes back
        assert time.monotonic() - stopped < 5
        time.sleep(0.05)
    assert result_of(service.run("test-steps", 1, owner=ANN)).output == 1


def test_stop_of_a_job_that_checks_ends_it_without_killing(make_service) -> None:
    service = make_service()
    cancel = threading.Event()
    items = service.run("test-steps", 200, cancel, owner=ANN)
    pid = first_progress(items).partial
    cancel.set()
    rest = list(items)
    assert not any(isinstance(item, Result) for item in rest)
    assert psutil.pid_exists(pid), "a worker whose job stopped in time is kept"
    assert result_of(service.run("test-steps", 1, owner=ANN)).params["pid"] == pid


def test_a_model_that_keeps_crashing_is_marked_unavailable(make_service) -> None:
    service = make_service(crash_limit=2)
    for _ in range(2):
        with closing(service.run("test-steps", 200, owner=ANN)) as items:
            os.kill(first_progress(items).partial, signal.SIGSEGV)
            with pytest.raises(ModelCrashed):
                list(items)
    with pytest.raises(ModelUnavailable, match=r"died 2 times.*SIGSEGV"):
        list(service.run("test-steps", 1, owner=BOB))
    assert result_of(service.run("test-burn", 1, owner=BOB)).output > 0  # other models still run


def test_a_failed_load_says_why(make_service) -> None:
    service = make_service()
    with pytest.raises(ModelUnavailable, match="corrupt weights"):
        list(service.run("test-broken", 1, owner=ANN))
    assert result_of(service.run("test-steps", 1, owner=ANN)).output == 1


def test_jobs_are_taken_in_turn_across_owners(make_service) -> None:
    service = make_service(max_active_jobs=1, workers_per_model=1)
    started: list[str] = []
    lock = threading.Lock()

    def job(owner: Owner, name: str) -> None:
        for item in service.run("test-steps", 4, owner=owner):
            if isinstance(item, Progress):
                with lock:
                    if name not in started:
                        started.append(name)

    threads = [threading.Thread(target=job, args=(ANN, f"ann{n}")) for n in range(3)]
    threads[0].start()
    time.sleep(0.1)  # ann's first job holds the only slot
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.1)
    bob = threading.Thread(target=job, args=(BOB, "bob"))
    bob.start()
    for thread in [*threads, bob]:
        thread.join(30)
    assert started[0] == "ann0"
    assert started[1] == "bob", f"bob waited behind all of ann's jobs: {started}"


def test_one_owner_cannot_fill_the_line(make_service) -> None:
    service = make_service(max_active_jobs=1, max_waiting_per_owner=2)
    running = service.run("test-steps", 100, owner=ANN)
    first_progress(running)
    waiting = [service.scheduler.submit("test-steps", ANN, 1) for _ in range(2)]
    with pytest.raises(Busy, match="already have 2 jobs waiting") as busy:
        service.scheduler.submit("test-steps", ANN, 1)
    assert busy.value.retry_after >= 1
    bob = service.scheduler.submit("test-steps", BOB, 1)  # another owner still gets in line
    for ticket in [*waiting, bob]:
        service.scheduler.finish(ticket)
    running.close()


def test_a_daily_quota_refuses_with_a_wait_until_midnight(make_service) -> None:
    service = make_service(owner_jobs_per_day=2)
    for _ in range(2):
        result_of(service.run("test-steps", 1, owner=ANN))
    with pytest.raises(Busy, match="today's share") as busy:
        list(service.run("test-steps", 1, owner=ANN))
    assert 0 < busy.value.retry_after <= 24 * 3600
    assert result_of(service.run("test-steps", 1, owner=BOB)).output == 1


def timed(service: ModelService, spec: str, steps: int, owner: Owner) -> float:
    started = time.perf_counter()
    result_of(service.run(spec, steps, owner=owner))
    return time.perf_counter() - started


def test_a_short_job_is_not_held_by_a_long_one(make_service) -> None:
    """One core shared out: the short job runs while the long one is paused (SIGSTOP)."""
    service = make_service(cpu_slots=1)
    result_of(service.run("test-burn", 1, owner=BOB))  # its worker is loaded
    alone = min(timed(service, "test-burn", 10, BOB) for _ in range(2))
    long_job = service.run("test-burn", 100_000, owner=ANN)  # minutes of work
    next(long_job)
    time.sleep(2 * 1.0)  # it has had the CPU for longer than a quantum
    beside = timed(service, "test-burn", 10, BOB)
    long_job.close()
    assert beside < 3 * alone + 1.0, (
        f"the short job took {beside:.2f} s beside a long one, {alone:.2f} s alone"
    )


def test_a_large_image_crosses_whole(make_service) -> None:
    service = make_service()
    image = result_of(service.run("test-picture", 2048, owner=ANN)).output
    expected = np.random.default_rng(2048).integers(0, 255, (2048, 2048, 3), dtype=np.uint8)
    assert np.array_equal(image, expected)


def test_unloading_ends_the_worker_and_returns_its_memory(make_service) -> None:
    service = make_service()
    result_of(service.run("test-steps", 1, owner=ANN))
    (worker,) = service.workers()
    service.unload_all()
    assert worker.wait_gone(5) and worker.exited
    assert not psutil.pid_exists(worker.pid) or psutil.Process(worker.pid).status() == psutil.STATUS_ZOMBIE
    assert service.resident() == []


def test_memory_budget_keeps_one_model_at_a_time(make_service) -> None:
    """Budget for one: each switch retires the other model's worker."""
    service = make_service(memory_budget_mb=60)
    for spec in ("test-steps", "test-burn", "test-steps"):
        result_of(service.run(spec, 1, owner=ANN))
        deadline = time.monotonic() + 5
        while len(service.workers()) > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [w.spec.spec for w in service.workers()] == [spec]
