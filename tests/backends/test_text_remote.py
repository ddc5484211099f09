"""The OpenAI-compatible backend against a real server on loopback: llama.cpp's own
OpenAI-compatible server (llama_cpp.server) serving the embedded SmolLM2 GGUF."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from genai_studio.backends.manager import ModelManager
from genai_studio.backends.text import llama_runtime
from genai_studio.backends.text.embedded_llama import SmolLM2, smollm2_path
from genai_studio.backends.text.remote_openai import OpenAICompatible
from genai_studio.config import Settings
from genai_studio.errors import ModelUnavailable
from tests.backends.text_helpers import assert_streams_and_stops, collect, request
from tests.conftest import free_port, wait_until_serving


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_path())]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "1"]
    # a file, not a pipe: a pipe would fill up with llama.cpp's logs and block the server
    with open(log_path, "wb") as log_file:
        env = {**os.environ, **llama_runtime.program_env(Settings().cache_dir)}  # the studio's CPU kernels
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, env=env)
        url = f"http://127.0.0.1:{port}/v1"
        try:
            wait_until_serving(f"{url}/models", process, log_path)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def remote(server_url):
    backend = OpenAICompatible(server_url, Settings())
    backend.load("cpu")
    yield backend
    backend.unload()


def test_streams_from_the_server_and_stop_closes_the_stream(remote):
    assert_streams_and_stops(remote)


def test_server_text_matches_the_same_model_run_locally(remote):
    greedy = request("Say hello to a painter.", max_new_tokens=16, temperature=0.0)
    local = SmolLM2("", Settings())
    local.load("cpu")
    try:
        expected = collect(local, greedy)[1].output
    finally:
        local.unload()
    assert expected.strip()
    assert collect(remote, greedy)[1].output == expected
    assert "server default" not in remote.label  # the model name came from /models


def test_through_the_manager_by_spec(server_url):
    manager = ModelManager(Settings())
    items = list(manager.run(f"openai:{server_url}", request(max_new_tokens=5)))
    assert items[-1].output == "".join(i.partial for i in items[:-1])


def test_unreachable_server_is_a_clear_message():
    backend = OpenAICompatible(f"http://127.0.0.1:{free_port()}/v1", Settings())
    with pytest.raises(ModelUnavailable, match="did not answer"):
        backend.load("cpu")
    assert not OpenAICompatible("ftp://example/v1", Settings()).available().ready
