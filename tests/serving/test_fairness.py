"""The fair scheduler on the launched studio: a short job sent while another user's long job
runs finishes within 3x its time alone, through gradio_client and through /v1 (the official
openai client); and a user's waiting job is told its place in line.

Each short job is timed alone and beside the long one in the same test, so the load of the
machine weighs on both alike. Beside a long job a short one may also take SLACK_S more: a
scheduler tick, and the web process's own work for the long job (streaming its tokens).
"""

from __future__ import annotations

import dataclasses
import statistics
import threading
import time
from pathlib import Path

import httpx
import openai
import pytest
from gradio_client import handle_file
from PIL import Image
from skimage import data

from genai_studio.config import Settings
from tests.backends.test_upscale_embedded import skip_without_upscaler
from tests.conftest import free_port, running_studio

ANN_KEY, BOB_KEY = "sk-ann-0123456789", "sk-bob-0123456789"
SLACK_S = 0.3
SENTENCE = ("The lighthouse keeper climbed the stairs at dusk.", "hibari", "heart", "en-us", 1.0)


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    settings = Settings(
        port=free_port(),
        output_dir=tmp_path_factory.mktemp("fairness"),
        auth="ann:ann-pw,bob:bob-pw",
        api_keys=f"ann:{ANN_KEY},bob:{BOB_KEY}",
        llama_threads=2,  # the long text job wants both cores
        max_new_tokens=2048,
    )
    with running_studio(settings, login=("ann", "ann-pw")) as running:
        yield running


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def solo_and_beside(short, start_long, stop_long, running) -> tuple[float, float]:
    """The short call's median time alone (3 runs), then beside the long job once it runs."""
    short()  # its model is loaded
    alone = statistics.median(timed(short) for _ in range(3))
    start_long()
    deadline = time.monotonic() + 120
    while not running():
        assert time.monotonic() < deadline, "the long job never started"
        time.sleep(0.05)
    time.sleep(1.5)  # it has held the cores for more than a quantum
    beside = timed(short)
    stop_long()
    return alone, beside


def active(studio, spec: str) -> bool:
    scheduler = studio.demo.studio.manager.scheduler
    with scheduler._cond:
        return any(t.spec == spec and t.worker and t.worker.ready.is_set() for t in scheduler._active)


def end_jobs_of(studio, spec: str) -> None:
    """The test is over with the long job: its worker goes (the next test starts clean)."""
    for worker in studio.demo.studio.manager.workers():
        if worker.spec.spec == spec:
            worker.kill()


def test_a_sentence_beside_another_users_upscale_through_gradio_client(studio, tmp_path: Path):
    skip_without_upscaler(studio.settings.cache_dir)
    photo = tmp_path / "photo.png"
    Image.fromarray(data.astronaut()[::2, ::2][96:416, 96:416]).save(photo)  # 320 x 320
    ann, bob = studio.client, studio.new_client(("bob", "bob-pw"))
    upscale = (handle_file(str(photo)), 4, "esrgan", "", "", 20, 9.0, 20, -1)
    alone, beside = solo_and_beside(
        short=lambda: bob.predict(*SENTENCE, api_name="/generate_speech"),
        start_long=lambda: ann.submit(*upscale, api_name="/upscale_image"),
        stop_long=lambda: end_jobs_of(studio, "esrgan"),
        running=lambda: active(studio, "esrgan"),
    )
    assert beside < 3 * alone + SLACK_S, (
        f"a sentence took {beside:.2f} s beside an x4 upscale, {alone:.2f} s alone"
    )


def test_speech_beside_another_users_long_reply_through_v1(studio):
    ann = openai.OpenAI(base_url=f"{studio.url}v1", api_key=ANN_KEY, max_retries=0, timeout=300)
    bob = openai.OpenAI(base_url=f"{studio.url}v1", api_key=BOB_KEY, max_retries=0, timeout=300)
    stop = threading.Event()

    def long_reply() -> None:
        stream = ann.chat.completions.create(
            model="smollm2",
            messages=[{"role": "user", "content": "Tell a very long story about the sea."}],
            max_tokens=2000,
            stream=True,
        )
        for _ in stream:
            if stop.is_set():
                stream.close()  # the client goes: the studio stops the job
                return

    def speak() -> None:
        audio = bob.audio.speech.create(
            model="hibari", voice="heart", input=SENTENCE[0], response_format="wav"
        )
        assert len(audio.content) > 10_000

    alone, beside = solo_and_beside(
        short=speak,
        start_long=lambda: threading.Thread(target=long_reply, daemon=True).start(),
        stop_long=stop.set,
        running=lambda: active(studio, "smollm2"),
    )
    assert beside < 3 * alone + SLACK_S, (
        f"speech took {beside:.2f} s beside a long reply, {alone:.2f} s alone"
    )


def test_a_waiting_stream_is_told_its_place_in_line(studio):
    """One worker and one active job at a time: bob's stream waits behind ann's and says so."""
    scheduler = studio.demo.studio.manager.scheduler
    settings = scheduler.settings
    scheduler.settings = dataclasses.replace(settings, max_active_jobs=1)
    try:
        ann = openai.OpenAI(base_url=f"{studio.url}v1", api_key=ANN_KEY, max_retries=0, timeout=300)
        story = [{"role": "user", "content": "Tell a long story."}]
        first = ann.chat.completions.create(model="smollm2", messages=story, max_tokens=400, stream=True)
        deadline = time.monotonic() + 120
        while not active(studio, "smollm2"):  # ann's job holds the only place
            assert time.monotonic() < deadline
            time.sleep(0.05)
        hello = {"model": "smollm2", "messages": [{"role": "user", "content": "Hi."}], "max_tokens": 4}
        with httpx.stream(
            "POST",
            f"{studio.url}v1/chat/completions",
            headers={"Authorization": f"Bearer {BOB_KEY}"},
            json={**hello, "stream": True},
            timeout=300,
        ) as response:
            lines = []
            for line in filter(None, response.iter_lines()):
                lines.append(line)
                if line.startswith(": Waiting"):
                    first.close()  # ann goes; bob's job then runs
            assert any(
                line.startswith(": Waiting for a free model worker: 1 of 1 in line") for line in lines
            ), lines
            assert lines[-1] == "data: [DONE]"
    finally:
        scheduler.settings = settings


def test_a_waiting_user_sees_their_place_in_the_page(studio):
    """The same through the UI: the waiting job's page gets a notice (gr.Info) with its place."""
    scheduler = studio.demo.studio.manager.scheduler
    settings = scheduler.settings
    scheduler.settings = dataclasses.replace(settings, max_active_jobs=1)
    try:
        ann, bob = studio.client, studio.new_client(("bob", "bob-pw"))
        ann.submit(
            "Tell a long story.",
            "write",
            "",
            "smollm2",
            1500,
            0.7,
            0.95,
            3,
            [],
            1.1,
            api_name="/generate_text",
        )
        deadline = time.monotonic() + 120
        while not active(studio, "smollm2"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        job = bob.submit(*SENTENCE, api_name="/generate_speech")
        notices = set()
        deadline = time.monotonic() + 30
        while not notices and time.monotonic() < deadline:
            log = job.status().log
            if log:
                notices.add(log[0])
            time.sleep(0.02)
        end_jobs_of(studio, "smollm2")  # ann's job goes; bob's runs
        assert job.result(timeout=120)[2].endswith("1 sentences")
        assert any(
            notice.startswith("Waiting for a free model worker: 1 of 1 in line") for notice in notices
        ), notices
    finally:
        scheduler.settings = settings
