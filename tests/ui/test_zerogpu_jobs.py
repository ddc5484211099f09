"""Hub-model jobs go through the ZeroGPU function; embedded ones never do.

Real models (a tiny random-weight Llama saved here, loaded through the transformers backend
as a hub id would be; the embedded SmolLM2) and a real launched studio. ZeroGPU cannot run
here: `spaces.GPU` is a no-op, so the function it decorated is replaced by a recorder that
notes the duration ZeroGPU would be asked for and then runs the job as the worker would.
"""

from __future__ import annotations

import gradio as gr
import pytest

from genai_studio.backends.base import Result
from genai_studio.backends.manager import ModelManager
from genai_studio.config import Settings
from genai_studio.ui import zerogpu
from tests.backends.test_text_transformers import save_tiny_llama
from tests.conftest import free_port, running_studio
from tests.unit.test_zerogpu import text


@pytest.fixture(scope="module")
def tiny_spec(tmp_path_factory) -> str:
    return f"transformers:{save_tiny_llama(tmp_path_factory.mktemp('tiny-llama'))}"


@pytest.fixture
def gpu_calls(monkeypatch) -> list[tuple[str, int]]:
    """(spec, seconds) of every job that asked for a GPU (ZeroGPU simulated)."""
    calls: list[tuple[str, int]] = []

    def recording_gpu(manager_id, spec, request, every):
        calls.append((spec, zerogpu._duration(manager_id, spec, request, every)))
        yield from zerogpu._run_on_gpu(manager_id, spec, request, every)

    monkeypatch.setattr(zerogpu, "_on_gpu", recording_gpu)
    return calls


def test_only_hub_jobs_ask_for_a_gpu_for_the_time_their_request_needs(tiny_spec, gpu_calls):
    manager = zerogpu.install(ModelManager(Settings()))
    items = list(manager.run(tiny_spec, text(6)))
    assert isinstance(items[-1], Result) and items[-1].output
    assert gpu_calls == [(tiny_spec, zerogpu.MIN_SECONDS)]
    embedded = list(manager.run("smollm2", text(4)))
    assert isinstance(embedded[-1], Result) and len(gpu_calls) == 1  # ran here, no GPU asked
    manager.unload_all()


def test_a_stopped_gpu_job_frees_the_models_for_the_next(tiny_spec, gpu_calls):
    manager = zerogpu.install(ModelManager(Settings()))
    job = manager.run(tiny_spec, text(400))
    next(job)
    job.close()  # Stop
    assert isinstance(list(manager.run(tiny_spec, text(3)))[-1], Result)
    manager.unload_all()


def test_the_message_of_a_failed_gpu_job_reaches_the_user(gpu_calls):
    manager = zerogpu.install(ModelManager(Settings()))
    with pytest.raises(gr.Error, match="Could not load transformers:/no/such/model-folder"):
        list(manager.run("transformers:/no/such/model-folder", text(3)))


def test_the_studio_sends_its_hub_jobs_to_the_gpu(tiny_spec, gpu_calls, tmp_path):
    settings = Settings(port=free_port(), output_dir=tmp_path, text_models=("smollm2", tiny_spec))
    with running_studio(settings) as studio:
        inputs = ["Write a poem.", "write", "", tiny_spec, 500, 0.0, 1.0, 3, [], 1.1]
        conversation = studio.client.predict(*inputs, api_name="/generate_text")
        assert conversation[-1]["role"] == "assistant"
        assert gpu_calls == [(tiny_spec, 30)]  # 5 s + 500 tokens at 20 a second
        inputs[3:5] = ["smollm2", 8]
        studio.client.predict(*inputs, api_name="/generate_text")
        assert len(gpu_calls) == 1
