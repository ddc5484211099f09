"""A client of the studio's HTTP API (Gradio's /call routes) that sends values exactly as
given: NaN and infinities as JSON allows them, lone surrogates as JSON escapes, files as
uploaded bytes under any name. gradio_client refuses to send most of these, but any other
client can, so this is what the reliability tests attack with.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Outcome:
    """How one call ended: a result, or an error and its message (None: no message at all)."""

    ok: bool
    message: str | None
    output: Any
    seconds: float


class RawApi:
    def __init__(self, url: str, timeout: float = 120.0) -> None:
        self.url = url.rstrip("/") + "/gradio_api"
        self.timeout = timeout
        self.http = httpx.Client(timeout=timeout)

    def upload(self, content: bytes, name: str) -> dict[str, Any]:
        """Upload bytes under `name`; returns the FileData value an endpoint takes."""
        response = self.http.post(f"{self.url}/upload", files=[("files", (name, content))])
        response.raise_for_status()
        return {"path": response.json()[0], "orig_name": name, "meta": {"_type": "gradio.FileData"}}

    def submit(self, api_name: str, values: list[Any]) -> httpx.Response:
        """Queue one call; the response holds its event id (or why it was refused)."""
        body = json.dumps({"data": values})  # NaN stays NaN, "\ud800" stays an escape
        headers = {"content-type": "application/json"}
        return self.http.post(f"{self.url}/call/{api_name.strip('/')}", content=body, headers=headers)

    def result(self, api_name: str, event_id: str) -> Outcome:
        """Read the event stream of a submitted call to its end (or to the timeout: a call that
        only ever sends heartbeats is hanging)."""
        started = time.monotonic()
        url = f"{self.url}/call/{api_name.strip('/')}/{event_id}"
        event, output = None, None
        with self.http.stream("GET", url) as stream:
            for line in stream.iter_lines():
                if time.monotonic() - started > self.timeout:
                    raise TimeoutError(f"{api_name} did not finish in {self.timeout:.0f} s")
                if line.startswith("event:"):
                    event = line[len("event:") :].strip()
                elif line.startswith("data:") and event in ("generating", "complete", "error"):
                    data = json.loads(line[len("data:") :])
                    if event == "error":
                        message = data.get("error") if isinstance(data, dict) else data
                        return Outcome(False, message, output, time.monotonic() - started)
                    output = data
                    if event == "complete":
                        return Outcome(True, None, output, time.monotonic() - started)
        return Outcome(False, None, output, time.monotonic() - started)  # the stream just ended

    def call(self, api_name: str, values: list[Any]) -> Outcome:
        started = time.monotonic()
        response = self.submit(api_name, values)
        if response.status_code != 200:
            detail = (
                response.json().get("detail") if "json" in response.headers.get("content-type", "") else None
            )
            return Outcome(False, detail, None, time.monotonic() - started)
        outcome = self.result(api_name, response.json()["event_id"])
        outcome.seconds = time.monotonic() - started
        return outcome


_INTERNALS = re.compile(
    r"Traceback|File \"|site-packages|/tmp/|/work/|/root/|\.py\b|pydantic"
    r"|\b\w+(Error|Exception):|0x[0-9a-f]{6}"
)


def unclear(message: str | None) -> str | None:
    """Why `message` is not a clear message for a person (None: it is clear)."""
    if not message or not message.strip():
        return "no message at all"
    if message.strip().rstrip(".!").lower() in {"error", "an error occurred", "exception"}:
        return "a bare 'Error'"
    if message.startswith("Something went wrong"):
        return "an unexpected error (see the server log)"
    if _INTERNALS.search(message):
        return "internals (a traceback, an exception name or a server path)"
    if len(re.findall(r"[^\W\d_]{3,}", message)) < 3:
        return "too few words"
    if len(message) > 600:
        return "too long to read"
    return None
