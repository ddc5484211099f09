"""SIGKILL of the studio while results are being written, then a restart on the same folder.

The real studio (`python app.py`, two accounts, embedded models) is started as a process;
each round, both accounts start speech and music requests at once through gradio_client,
and a second process saves large results into the same history with `History.save` (and
deletes older ones), so a kill always lands during some write. Both are SIGKILLed at a
varied moment: as soon as the studio itself is seen staging a result, or after a delay.
After each restart the test checks, for each owner, that every listed entry parses and is
whole (its files exist; WAVs hold every frame their header states, as long as the result
says), that the listing is exactly what is on disk, that every listed file is served to its
owner byte for byte, and that no leftover of an interrupted write (`.tmp-*`, `.del-*`) stays.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import httpx
import pytest
import soundfile as sf
from gradio_client import Client

from genai_studio.history import _ENTRY_ID, ENTRY_FILE
from genai_studio.owners import Owner
from tests.conftest import free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = {"ann": "ann-pw", "bob": "bob-pw"}
ONLY_SPEECH_AND_MUSIC = ["--inpaint-models", "", "--colorize-models", "", "--style-models", ""]
ONLY_SPEECH_AND_MUSIC += ["--upscale-models", "", "--no-mcp", "--no-openai-api"]
SPEECH = "The keeper lit the lamp. The sea was calm tonight. A boat came home at last."
LEFTOVER = (".tmp-", ".del-")

# Saves ~10 MB speech results for both accounts, keeping the newest two of each (the rest are
# deleted), until it is killed: a write or a delete is under way nearly all the time.
WRITER = """
import io, sys, wave
import numpy as np
from genai_studio.history import History
from genai_studio.owners import Owner
store, owners = History(sys.argv[1]), [Owner.for_user(name) for name in sys.argv[2:]]
rate, seconds = 24000, 200
buffer = io.BytesIO()
with wave.open(buffer, "wb") as out:
    out.setnchannels(1); out.setsampwidth(2); out.setframerate(rate)
    out.writeframes((np.sin(np.arange(rate * seconds) / 9) * 8000).astype("<i2").tobytes())
print("writing", flush=True)
n = 0
while True:
    owner = owners[n % len(owners)]
    params = {"model": "hibari", "seconds": seconds, "sample_rate": rate}
    store.save(owner, "speech", "hibari", params, f"bulk {n}", {"speech.wav": buffer.getvalue()})
    for old in store.entries(owner)[2:]:
        if old.summary.startswith("bulk"):
            store.delete(owner, old.id)
    n += 1
"""


class Studio:
    """`python app.py` on `folder`, with its Gradio cache in `folder/cache` and its log."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port, self.url = folder, port, f"http://127.0.0.1:{port}/"
        self.log = folder / "studio.log"
        self._clients: dict[str, Client] = {}
        command = [sys.executable, "app.py", "--port", str(port), "--output-dir", str(folder)]
        command += ["--auth", ",".join(f"{u}:{p}" for u, p in ACCOUNTS.items()), *ONLY_SPEECH_AND_MUSIC]
        env = {**os.environ, "GRADIO_TEMP_DIR": str(folder / "cache")}
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
        wait_until_serving(self.url, self.process, self.log, seconds=180)

    def client(self, user: str) -> Client:
        if user not in self._clients:
            login = (user, ACCOUNTS[user])
            self._clients[user] = Client(self.url, auth=login, verbose=False, download_files=False)
        return self._clients[user]

    def browser(self, user: str) -> httpx.Client:
        browser = httpx.Client(base_url=self.url, timeout=60)
        assert browser.post("login", data={"username": user, "password": ACCOUNTS[user]}).json()["success"]
        return browser

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()


def start_writer(history: Path) -> subprocess.Popen:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(history), *ACCOUNTS], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout.readline().strip() == "writing"
    return writer


def in_flight(studio: Studio) -> list:
    """Several requests of both accounts at once: speech and music, which write files."""
    jobs = []
    for user in ACCOUNTS:
        client = studio.client(user)
        jobs.append(client.submit(SPEECH, "hibari", "heart", "en-us", 1.0, api_name="/generate_speech"))
        jobs.append(client.submit(f"calm piano for {user}", "composer", "auto", "auto", 0, "auto", 5, 3,
                                  api_name="/generate_music"))  # fmt: skip
        jobs.append(client.submit("Short. Sentences. Again.", "hibari", "heart", "en-us", 1.3,
                                  api_name="/generate_speech"))  # fmt: skip
    return jobs


def leftovers(history: Path) -> list[Path]:
    return [p for p in history.glob("*/.*") if p.name.startswith(LEFTOVER)]


def kill_during_writes(
    studio: Studio, writer: subprocess.Popen, history: Path, nth: int, deadline_s: float
) -> str:
    """SIGKILL the studio and the writer as soon as the studio is seen staging its `nth`
    result (its pid names the staging folder; the earlier ones are done), or after
    `deadline_s`; returns which came first."""
    mark, started, staged = f"-{studio.process.pid}-", time.monotonic(), set()
    trigger = f"deadline ({deadline_s} s)"
    while time.monotonic() - started < deadline_s:
        staged |= {p.name for p in leftovers(history) if mark in p.name}
        if len(staged) >= nth:
            trigger = f"studio staging result {nth}"
            break
        time.sleep(0.001)
    studio.kill()
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    return trigger


def whole_wav(path: Path, params: dict) -> None:
    """Every frame the header states is there, soundfile decodes them all, and the length is
    the one the result states (when it states one)."""
    data = path.read_bytes()
    with wave.open(io.BytesIO(data)) as wav:
        frames, rate, width = wav.getnframes(), wav.getframerate(), wav.getsampwidth() * wav.getnchannels()
        assert len(wav.readframes(frames)) == frames * width, f"{path} is cut short"
    samples, decoded_rate = sf.read(io.BytesIO(data))
    assert len(samples) == frames > 0 and decoded_rate == rate, path
    if "seconds" in params:
        assert abs(frames / rate - float(params["seconds"])) < 0.6, (path, frames / rate, params["seconds"])


def check_whole(studio: Studio, history: Path) -> int:
    """Each owner's listing is exactly its whole entries on disk, each served byte for byte."""
    assert not leftovers(history), f"leftovers of interrupted writes after a restart: {leftovers(history)}"
    checked = 0
    for user in ACCOUNTS:
        owner_dir = history / Owner.for_user(user).key
        on_disk = {p.name for p in owner_dir.iterdir()} if owner_dir.is_dir() else set()
        assert all(_ENTRY_ID.match(name) for name in on_disk), on_disk
        for name in on_disk:
            record = json.loads((owner_dir / name / ENTRY_FILE).read_text(encoding="utf-8"))
            assert record["id"] == name and record["files"], record
            for file in record["files"]:
                assert (owner_dir / name / file).is_file(), (name, file)
                if file.endswith(".wav"):
                    whole_wav(owner_dir / name / file, record["params"])
        client, browser = studio.client(user), studio.browser(user)
        listed, page, pages = [], 1, 1
        while page <= pages:
            answer = client.predict("all", page, api_name="/list_history")
            listed += [entry["id"] for entry in answer["entries"]]
            page, pages = page + 1, answer["pages"]
        assert sorted(listed) == sorted(on_disk), f"{user}: listed {listed}, on disk {on_disk}"
        for entry_id in listed:
            _, files = client.predict(entry_id, api_name="/get_result")
            for served in files:
                name = Path(served["path"]).name
                response = browser.get(f"gradio_api/file={served['path']}")
                assert response.status_code == 200, (entry_id, name, response.status_code)
                assert response.content == (owner_dir / entry_id / name).read_bytes(), (entry_id, name)
            checked += 1
    return checked


def crash_rounds(tmp_path: Path, kills: list[tuple[int, float]]) -> None:
    """One round per (nth, deadline_s) of `kill_during_writes`, a restart after each."""
    folder, port = tmp_path, free_port()
    history = folder / "history"
    studio = Studio(folder, port)
    seen_leftovers, triggers = 0, []
    try:
        for nth, deadline in kills:
            jobs = in_flight(studio)
            writer = start_writer(history)
            time.sleep(0.2)
            triggers.append(kill_during_writes(studio, writer, history, nth, deadline))
            seen_leftovers += len(leftovers(history))
            print(f"\nkilled on {triggers[-1]} with {len(leftovers(history))} writes under way", end="")
            del jobs  # their server is gone; they end with a connection error
            studio = Studio(folder, port)
            checked = check_whole(studio, history)
            print(f"; after the restart, {checked} entries listed, all whole, no leftovers")
        assert seen_leftovers, "no kill landed during a write: the test proved nothing"
        speech = SPEECH, "hibari", "heart", "en-us", 1.0
        done = studio.client("ann").predict(*speech, api_name="/generate_speech")
        assert "s of audio" in done[2]  # the restarted studio serves
        assert check_whole(studio, history) >= 1
    finally:
        studio.stop()


def test_a_killed_studio_loses_nothing_and_lists_nothing_half_written(tmp_path):
    crash_rounds(tmp_path, kills=[(1, 8.0), (3, 12.0)])


@pytest.mark.slow
def test_many_kills_at_varied_moments_lose_nothing(tmp_path):
    crash_rounds(tmp_path, kills=[(1, 0.4), (2, 12.0), (6, 20.0), (1, 0.9), (4, 15.0), (99, 3.0)])
