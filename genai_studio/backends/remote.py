"""What every backend that calls an OpenAI-compatible server shares (vLLM, TGI, llama.cpp's
server, TTS servers, another studio): its address, the bearer key, the model list at load,
calls that Stop interrupts, and the server's errors turned into the studio's.

A spec's reference is `http://host:port/v1` or `http://host:port/v1#model-name`; without a
model name the server's first model of the right kind is used.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any
from urllib.parse import urldefrag

import httpx

from genai_studio.backends.base import READY, Availability
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput, ModelUnavailable

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 600.0  # a remote diffusion model on a busy GPU may take minutes
CANCEL_POLL_S = 0.1


class RemoteServer:
    """One OpenAI-compatible server as a backend sees it. `kind` names it in messages."""

    def __init__(self, ref: str, settings: Settings, kind: str) -> None:
        url, self.model_name = urldefrag(ref)
        self.base_url = url.rstrip("/")
        self.kind = kind
        key = settings.remote_api_key
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.timeout = httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)

    def label(self, what: str) -> str:
        return f"{self.model_name or 'server default'} at {self.base_url} ({what}, OpenAI-compatible)"

    def availability(self) -> Availability:
        if not self.base_url.startswith(("http://", "https://")):
            return Availability(False, f"{self.base_url!r} is not an http(s) URL")
        return READY

    def models(self, task: str | None = None) -> list[dict[str, Any]]:
        """The server's model cards (a studio's carry their `task`; others match any task)."""
        try:
            response = httpx.get(
                f"{self.base_url}/models", headers=self.headers, timeout=CONNECT_TIMEOUT_S * 2
            )
            self.raise_for_error(response)
            cards = [card for card in response.json().get("data", []) if isinstance(card, dict)]
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise ModelUnavailable(
                f"The {self.kind} server at {self.base_url} did not answer: {exc}"
            ) from exc
        return [card for card in cards if task is None or card.get("task", task) == task]

    def models_card(self, model: str) -> dict[str, Any]:
        """One model's card (a studio's speech cards list voices and languages)."""
        try:
            response = httpx.get(f"{self.base_url}/models/{model}", headers=self.headers, timeout=10)
            self.raise_for_error(response)
            return dict(response.json())
        except (httpx.HTTPError, ValueError, TypeError) as exc:
            raise ModelUnavailable(
                f"The {self.kind} server at {self.base_url} did not answer: {exc}"
            ) from exc

    def connect(self, task: str | None = None) -> None:
        """Check the server answers; pick its first model of `task` when none was named."""
        cards = self.models(task)
        if not self.model_name and cards:
            self.model_name = str(cards[0].get("id", ""))
        log.info("remote %s server %s serves %s", self.kind, self.base_url, [c.get("id") for c in cards])

    def raise_for_error(self, response: httpx.Response) -> None:
        """A refused request as the studio's error: 400 means the input (InvalidInput), the
        rest that the server cannot serve it now (ModelUnavailable); its own message kept."""
        if response.status_code < 400:
            return
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:300]
        if response.status_code in (400, 413, 422):
            raise InvalidInput(f"The {self.kind} server refused the request: {message}")
        raise ModelUnavailable(f"The {self.kind} server answered {response.status_code}: {message}")

    def post(self, path: str, cancel: threading.Event, **kwargs: Any) -> httpx.Response | None:
        """POST to the server and return its checked answer, or None once `cancel` is set:
        the connection is then closed, which makes the server stop (a studio does at once)."""

        async def call() -> httpx.Response | None:
            async with httpx.AsyncClient(timeout=self.timeout, headers=self.headers) as client:
                task = asyncio.ensure_future(client.post(f"{self.base_url}{path}", **kwargs))
                while not task.done():
                    if cancel.is_set():
                        task.cancel()
                        return None
                    await asyncio.wait({task}, timeout=CANCEL_POLL_S)
                return task.result()

        try:
            response = asyncio.run(call())
        except httpx.HTTPError as exc:
            raise ModelUnavailable(f"Lost the {self.kind} server at {self.base_url}: {exc}") from exc
        if response is not None:
            self.raise_for_error(response)
        return response
