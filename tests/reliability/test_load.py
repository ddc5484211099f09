"""A bounded queue really bounds: Q + 5 users at once on a studio launched with queue size Q.

Every accepted job completes, every refused one is told at once that the studio is busy and
to try again, none hangs or vanishes, and the studio serves afterwards.
"""

from __future__ import annotations

import threading
import time

import pytest
from gradio_client.utils import QueueError

from genai_studio.config import Settings
from genai_studio.ui.guard import BUSY
from tests.conftest import free_port, running_studio
from tests.reliability.raw_api import RawApi

QUEUE_SIZE = 3
USERS = QUEUE_SIZE + 5
CROWD_TOKENS = 400  # seconds a reply on one thread (two run at once): the queue stays full for seconds


def ask(client, tokens: int = 24):
    prompt = "Describe a lighthouse at night."
    return client.submit(prompt, "write", "", "smollm2", tokens, 0.7, 0.95, 5, [], api_name="/generate_text")


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    settings = Settings(
        port=free_port(), output_dir=tmp_path_factory.mktemp("load"), queue_size=QUEUE_SIZE, llama_threads=1
    )
    with running_studio(settings) as running:
        ask(running.client, 1).result()  # the model is loaded before the crowd arrives
        yield running


def test_a_full_queue_refuses_at_once_in_words_and_loses_nothing(studio):
    clients = [studio.new_client() for _ in range(USERS)]
    barrier = threading.Barrier(USERS)
    outcomes: dict[int, tuple[str, object, float]] = {}

    def user(i: int) -> None:
        barrier.wait()
        started = time.monotonic()
        try:
            job = ask(clients[i], CROWD_TOKENS)
            conversation = job.result(timeout=600)
            outcomes[i] = ("done", conversation[-1]["content"], time.monotonic() - started)
        except QueueError as exc:
            outcomes[i] = ("refused", str(exc), time.monotonic() - started)
        except Exception as exc:  # noqa: BLE001 - any other ending is a failure, reported below
            outcomes[i] = ("failed", repr(exc), time.monotonic() - started)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(USERS)]
    for thread in threads:
        thread.start()
    # While the crowd waits, a plain HTTP client is refused with the studio's own words.
    refusal = _refusal_while_full(RawApi(studio.url), outcomes)
    for thread in threads:
        thread.join(timeout=900)

    done = [o for o in outcomes.values() if o[0] == "done"]
    refused = [o for o in outcomes.values() if o[0] == "refused"]
    print(f"\n{USERS} users, queue size {QUEUE_SIZE}: {len(done)} served, {len(refused)} told to try again")
    assert len(outcomes) == USERS, "a user's request vanished or hung"
    assert len(done) + len(refused) == USERS, [o for o in outcomes.values() if o[0] == "failed"]
    assert len(done) >= QUEUE_SIZE and refused, outcomes
    assert all(content for _, content, _ in done)
    assert all("try again" in message.lower() and seconds < 10 for _, message, seconds in refused)
    assert refusal == BUSY.format(waiting=QUEUE_SIZE)
    assert ask(studio.new_client(), 4).result(timeout=300)[-1]["content"]  # still serving


def _refusal_while_full(api: RawApi, outcomes: dict) -> str | None:
    """The detail of the first refusal of HTTP calls sent while the crowd's jobs run (None: none
    was refused). Model workers take several jobs at once, so a place may come free between the
    crowd's refusals and these calls: they are sent again, a few times, while the queue refills."""
    deadline = time.monotonic() + 30
    while not any(o[0] == "refused" for o in list(outcomes.values())) and time.monotonic() < deadline:
        time.sleep(0.01)  # the queue is full from the first refusal, for as long as its jobs take
    for _ in range(20):
        response = api.submit("/generate_text", ["Hi.", "write", "", "smollm2", 1, 0.7, 0.95, 5, [], 1.1])
        if response.status_code == 503:
            return response.json()["detail"]
        time.sleep(0.05)
    return None
