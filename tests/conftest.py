"""Shared fixtures: a real launched studio (one per test session) and its gradio_client."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# A Gradio cache of this run's own, set before gradio is imported (it reads the variable then):
# a studio that shuts down deletes the cached uploads it knows, and uploads are cached by
# content, so another test run on this machine would delete this run's uploads (and ours theirs).
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="gradio-tests-"))
atexit.register(shutil.rmtree, os.environ["GRADIO_TEMP_DIR"], ignore_errors=True)

import httpx
import pytest
from gradio_client import Client

from genai_studio.backends.manager import ModelManager
from genai_studio.config import Settings
from genai_studio.ui.app import build_app, launch


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, log_path: Path | None = None, seconds=60) -> None:
    """Return once `url` answers 200; fail with the log's tail if `process` exits or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log = log_path.read_text()[-2000:] if log_path else ""
            raise RuntimeError(f"{' '.join(map(str, process.args))} did not start serving {url}: {log}")
        time.sleep(0.05)


@dataclass
class Studio:
    url: str
    client: Client
    settings: Settings
    demo: object

    def new_client(self, login: tuple[str, str] | None = None, **options) -> Client:
        """A second, independent session (its own queue position and state)."""
        return Client(self.url, verbose=False, auth=login, **options)


@contextmanager
def running_studio(
    settings: Settings, login: tuple[str, str] | None = None, manager: ModelManager | None = None
) -> Iterator[Studio]:
    """The studio built from `settings` (and `manager`, if given), launched for real, reached on
    loopback, closed afterwards; `login` is the account its first client logs in with."""
    demo = build_app(settings, manager)
    launch(demo, settings, prevent_thread_lock=True, quiet=True)
    host = "127.0.0.1" if settings.host == "0.0.0.0" else settings.host
    url = f"http://{host}:{settings.port}/"
    try:
        yield Studio(url=url, client=Client(url, verbose=False, auth=login), settings=settings, demo=demo)
    finally:
        demo.close()
        demo.studio.manager.close()  # its worker processes end with it


@pytest.fixture(scope="session")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    """The studio on its embedded defaults."""
    output_dir: Path = tmp_path_factory.mktemp("studio-outputs")
    with running_studio(Settings(port=free_port(), output_dir=output_dir, max_new_tokens=512)) as studio:
        yield studio
