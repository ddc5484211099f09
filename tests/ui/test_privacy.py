"""Privacy between users, against launched studios: with accounts, and per browser on a
shared (non-loopback) bind. Each owner lists, fetches and deletes only their own results."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from genai_studio.config import Settings
from tests.conftest import free_port, running_studio

SPEAK = ("A private sentence.", "hibari", "heart", "en-us", 1.0)
REFUSED = (401, 403, 404)


def speak(client: Client) -> dict:
    """One short speech result; returns the WAV's file data (url and path on the server)."""
    _, wav, status, *_subtitles = client.predict(*SPEAK, api_name="/generate_speech")
    assert "s of audio" in status
    return wav


def login(url: str, user: str, password: str) -> httpx.Client:
    browser = httpx.Client(base_url=url, timeout=30)
    assert browser.post("login", data={"username": user, "password": password}).json()["success"]
    return browser


@pytest.fixture(scope="module")
def accounts_studio(tmp_path_factory):
    settings = Settings(
        port=free_port(), output_dir=tmp_path_factory.mktemp("accounts"), auth="ann:ann-pw,bob:bob-pw"
    )
    with running_studio(settings, login=("ann", "ann-pw")) as studio:
        yield studio


def test_an_accounts_results_are_invisible_to_another_account(accounts_studio):
    ann = accounts_studio.new_client(("ann", "ann-pw"), download_files=False)
    bob = accounts_studio.new_client(("bob", "bob-pw"), download_files=False)
    wav = speak(ann)
    mine = ann.predict("all", 1, api_name="/list_history")
    entry_id = mine["entries"][0]["id"]
    assert mine["total"] >= 1 and mine["entries"][0]["summary"] == SPEAK[0]
    theirs = bob.predict("all", 1, api_name="/list_history")
    assert entry_id not in [e["id"] for e in theirs["entries"]]
    for endpoint in ("/get_result", "/delete_result"):
        with pytest.raises(Exception, match="no such result among yours"):
            bob.predict(entry_id, api_name=endpoint)
    assert ann.predict(entry_id, api_name="/get_result")[0]["id"] == entry_id

    url = f"gradio_api/file={wav['path']}"
    assert login(accounts_studio.url, "ann", "ann-pw").get(url).status_code == 200
    assert login(accounts_studio.url, "bob", "bob-pw").get(url).status_code == 404
    assert httpx.get(accounts_studio.url + url, timeout=10).status_code in REFUSED
    history = Path(accounts_studio.settings.history_dir).resolve()
    stored = next(history.glob(f"*/{entry_id}/speech.wav"))
    ann_browser = login(accounts_studio.url, "ann", "ann-pw")
    assert ann_browser.get(f"gradio_api/file={stored}").status_code in REFUSED  # the folder is never served


def test_the_page_and_the_api_refuse_visitors_without_an_account(accounts_studio):
    assert httpx.get(accounts_studio.url + "config", timeout=10).status_code in REFUSED
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises its own error for a refused login
        Client(accounts_studio.url, auth=("bob", "wrong"), verbose=False)


def test_deleting_removes_the_files_from_disk_and_from_the_file_route(accounts_studio):
    ann = accounts_studio.new_client(("ann", "ann-pw"), download_files=False)
    wav = speak(ann)
    entry_id = ann.predict("all", 1, api_name="/list_history")["entries"][0]["id"]
    folder = next(Path(accounts_studio.settings.history_dir).glob(f"*/{entry_id}"))
    assert "Deleted" in ann.predict(entry_id, api_name="/delete_result")
    assert not folder.exists() and not Path(wav["path"]).exists()
    ann_browser = login(accounts_studio.url, "ann", "ann-pw")
    assert ann_browser.get(f"gradio_api/file={wav['path']}").status_code in REFUSED
    with pytest.raises(Exception, match="Tick the box"):
        ann.predict(False, api_name="/delete_all_results")
    speak(ann)
    assert "Deleted all" in ann.predict(True, api_name="/delete_all_results")
    assert ann.predict("all", 1, api_name="/list_history")["total"] == 0
    assert not list(folder.parent.iterdir())


def test_monitoring_is_closed_and_every_mcp_tool_is_a_described_task(tmp_path):
    settings = Settings(port=free_port(), output_dir=tmp_path)
    with running_studio(settings) as studio:
        for route in ("monitoring", "monitoring/summary", "gradio_api/monitoring/summary"):
            assert httpx.get(studio.url + route, timeout=10).status_code in (403, 404), route
        tools = httpx.get(f"{studio.url}gradio_api/mcp/schema", timeout=10).json()
    names = [tool["name"] for tool in tools]
    assert "generate_speech" in names and "list_history" in names
    assert not [name for name in names if "lambda" in name]
    undescribed = [tool["name"] for tool in tools if len(tool.get("description", "").strip()) < 20]
    assert not undescribed


def test_api_sessions_on_a_shared_bind_each_own_their_results(tmp_path):
    settings = Settings(port=free_port(), output_dir=tmp_path, host="0.0.0.0")
    with running_studio(settings) as studio:
        first, second = studio.new_client(download_files=False), studio.new_client(download_files=False)
        speak(first)
        assert first.predict("all", 1, api_name="/list_history")["total"] == 1
        assert second.predict("all", 1, api_name="/list_history")["total"] == 0


def mcp_call(url: str, tool: str, arguments: dict) -> str:
    """Call one tool in a fresh MCP session (streamable HTTP), as an MCP client does."""
    import asyncio

    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async def call() -> str:
        async with (
            streamablehttp_client(f"{url}gradio_api/mcp/") as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            result = await session.call_tool(tool, arguments)
            return " ".join(getattr(part, "text", "") for part in result.content)

    return asyncio.run(call())


def test_mcp_clients_see_only_their_own_results_on_a_shared_bind(tmp_path):
    settings = Settings(port=free_port(), output_dir=tmp_path, host="0.0.0.0")
    with running_studio(settings) as studio:
        speak(studio.new_client(download_files=False))  # an API user's result
        listed = mcp_call(studio.url, "list_history", {"task": "all", "page": 1})
        assert '"total": 0' in listed.replace("'", '"') or "'total': 0" in listed, listed
        spoken = mcp_call(studio.url, "generate_speech", dict(zip(PARAMS, SPEAK, strict=True)))
        assert "s of audio" in spoken  # the reply carries the result to its caller
        assert SPEAK[0] not in mcp_call(studio.url, "list_history", {"task": "all", "page": 1})
        assert studio.new_client().predict("all", 1, api_name="/list_history")["total"] == 0


PARAMS = ("text", "model", "voice", "language", "speed")
