"""A real SIGSEGV and a real SIGKILL sent to the worker of each kind of model mid-job, on the
launched studio with two accounts and its embedded models (text, speech, music, image).

For each: ann's job ends with a clear message naming the model; bob's job on another model,
sent meanwhile, completes; ann's next request to the killed model succeeds on a fresh worker;
and ann's History lists only whole results (nothing of the killed job).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image
from skimage import data

from genai_studio.config import Settings
from tests.backends.test_upscale_embedded import skip_without_upscaler
from tests.conftest import free_port, running_studio

LONG_SPEECH = " ".join(f"The keeper climbed the stairs for the {n}th time that night." for n in range(60))


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    settings = Settings(
        port=free_port(),
        output_dir=tmp_path_factory.mktemp("worker-crash"),
        auth="ann:ann-pw,bob:bob-pw",
        llama_threads=1,
        crash_limit=10,  # this test kills each model twice on purpose
    )
    with running_studio(settings, login=("ann", "ann-pw")) as running:
        yield running


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> dict[str, Path]:
    """A photo an x4 upscale takes many seconds over, and a thumbnail it takes one over."""
    folder = tmp_path_factory.mktemp("crash-photo")
    sizes = {"long": 160, "quick": 32}
    for name, side in sizes.items():
        Image.fromarray(data.astronaut()[::2, ::2][:side, :side]).save(folder / f"{name}.png")
    return {name: folder / f"{name}.png" for name in sizes}


def long_job(kind: str, photo: dict[str, Path]) -> tuple[tuple, str]:
    """Inputs and endpoint of a job of `kind` lasting seconds on the embedded model."""
    if kind == "text":
        return (
            "Tell a long story about a lighthouse.",
            "write",
            "",
            "smollm2",
            600,
            0.7,
            0.95,
            3,
            [],
            1.1,
        ), "/generate_text"
    if kind == "speech":
        return (LONG_SPEECH, "hibari", "heart", "en-us", 1.0), "/generate_speech"
    if kind == "music":
        return ("a long calm piano piece", "composer", "auto", "auto", 0, "auto", 120, 3), "/generate_music"
    return (handle_file(str(photo["long"])), 4, "esrgan", "", "", 20, 9.0, 20, -1), "/upscale_image"


def quick_job(kind: str, photo: dict[str, Path]) -> tuple[tuple, str]:
    """Inputs and endpoint of a short job of `kind` (a second or so)."""
    if kind == "text":
        return ("Say hi.", "write", "", "smollm2", 8, 0.7, 0.95, 3, [], 1.1), "/generate_text"
    if kind == "speech":
        return ("Hello.", "hibari", "heart", "en-us", 1.0), "/generate_speech"
    if kind == "music":
        return ("a short tune", "composer", "auto", "auto", 0, "auto", 5, 3), "/generate_music"
    return (handle_file(str(photo["quick"])), 2, "esrgan", "", "", 20, 9.0, 20, -1), "/upscale_image"


OTHER = {"text": "speech", "speech": "text", "music": "speech", "image": "text"}  # bob's model
SPEC = {"text": "smollm2", "speech": "hibari", "music": "composer", "image": "esrgan"}
LABEL = {"text": "SmolLM2", "speech": "hibari", "music": "omposer", "image": "ESRGAN"}


def worker_running(studio, spec: str, seconds: float = 120) -> int:
    """The pid of `spec`'s worker once a job is running on it."""
    scheduler = studio.demo.studio.manager.scheduler
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with scheduler._cond:
            for ticket in scheduler._active:
                if ticket.spec == spec and ticket.worker is not None and ticket.worker.ready.is_set():
                    return ticket.worker.pid
        time.sleep(0.02)
    raise AssertionError(f"no job of {spec} started")


def listed(client) -> list[dict]:
    return client.predict("all", 1, api_name="/list_history")["entries"]


@pytest.mark.parametrize("signum", [signal.SIGSEGV, signal.SIGKILL], ids=["SIGSEGV", "SIGKILL"])
@pytest.mark.parametrize("kind", ["text", "speech", "music", "image"])
def test_a_killed_worker_fails_only_its_job(studio, photo, kind, signum):
    if kind == "image":
        skip_without_upscaler(studio.settings.cache_dir)
    ann, bob = studio.client, studio.new_client(("bob", "bob-pw"))
    before = {entry["id"] for entry in listed(ann)}
    inputs, endpoint = long_job(kind, photo)
    job = ann.submit(*inputs, api_name=endpoint)
    pid = worker_running(studio, SPEC[kind])
    time.sleep(0.3)  # well into the job
    other_inputs, other_endpoint = quick_job(OTHER[kind], photo)
    bobs = bob.submit(*other_inputs, api_name=other_endpoint)
    os.kill(pid, signum)
    with pytest.raises(AppError) as failure:
        job.result(timeout=120)
    message = str(failure.value)
    assert LABEL[kind] in message and signal.Signals(signum).name in message, message
    assert "afresh" in message
    bobs.result(timeout=120)  # bob's job was not affected
    assert {entry["id"] for entry in listed(ann)} == before, "the killed job left a result"
    again_inputs, again_endpoint = quick_job(kind, photo)
    assert ann.predict(*again_inputs, api_name=again_endpoint)  # a fresh worker answers
    assert pid not in [w.pid for w in studio.demo.studio.manager.workers()]
