"""Scale-out as documented: two worker studios behind Debian's nginx with deploy/nginx-studios.conf,
all on loopback. Requests spread over both; one worker killed mid-run: its job fails with a
clear message, the other's finishes, and new jobs go to the survivor."""

from __future__ import annotations

import shutil
import signal
import threading
from pathlib import Path

import openai
import pytest

from genai_studio.history import History
from genai_studio.owners import Owner
from tests.conftest import wait_until_serving
from tests.deploy.cluster import KEY, start_nginx, start_worker

STORY = [{"role": "user", "content": "Write a very long story about a lighthouse, in many chapters."}]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("nginx") is None, reason="needs Debian's nginx (packages-dev.txt)"),
]


@pytest.fixture
def cluster(tmp_path):
    workers = [start_worker(tmp_path / f"worker{i}") for i in (1, 2)]
    nginx = None
    try:
        for process, port, folder in workers:  # the health check a monitor polls
            wait_until_serving(
                f"http://127.0.0.1:{port}/v1/health", process, folder / "studio.log", seconds=400
            )
        nginx, port = start_nginx(tmp_path, [p for _, p, _ in workers])
        wait_until_serving(f"http://127.0.0.1:{port}/nginx-health", nginx, tmp_path / "error.log")
        yield workers, f"http://127.0.0.1:{port}/v1"
    finally:
        for process in [nginx] + [w[0] for w in workers]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=20)


def made_on(folder: Path) -> int:
    return len(History(folder / "history").entries(Owner.for_api_key(KEY)))


def test_requests_spread_and_a_dead_worker_only_fails_its_own_job(cluster):
    workers, url = cluster
    client = openai.OpenAI(base_url=url, api_key=KEY, max_retries=0, timeout=300)
    assert {m.id for m in client.models.list()} >= {"smollm2"}

    # two long stories at once: least_conn gives each worker one
    outcomes: dict[int, object] = {}
    first_tokens = threading.Barrier(3, timeout=240)

    def story(index: int) -> None:
        text = ""
        try:
            stream = client.chat.completions.create(
                model="smollm2", messages=STORY, max_tokens=600, temperature=1.0, seed=index, stream=True
            )
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    if not text:
                        first_tokens.wait()
                    text += chunk.choices[0].delta.content
            outcomes[index] = text
        except openai.APIError as exc:  # APIConnectionError and kin: the connection broke
            outcomes[index] = exc
        finally:
            if not text:
                first_tokens.abort()

    threads = [threading.Thread(target=story, args=(i,)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    first_tokens.wait()  # both streams are running, one on each worker
    victim, _, victim_folder = workers[0]
    victim.kill()
    victim.wait()
    for thread in threads:
        thread.join(timeout=300)

    failed = [o for o in outcomes.values() if isinstance(o, Exception)]
    finished = [o for o in outcomes.values() if isinstance(o, str)]
    assert len(failed) == 1 and len(finished) == 1, outcomes
    assert "incomplete" in str(failed[0]).lower() or "connection" in str(failed[0]).lower(), failed[0]
    assert finished[0].strip()

    survivor_folder = workers[1][2]
    before = made_on(survivor_folder)
    for _ in range(3):  # every new job reaches the survivor, none the dead worker
        reply = client.chat.completions.create(model="smollm2", messages=STORY, max_tokens=4)
        assert reply.choices[0].message.content
    assert made_on(survivor_folder) == before + 3
    assert made_on(victim_folder) == 0  # its story never finished, so nothing was saved
