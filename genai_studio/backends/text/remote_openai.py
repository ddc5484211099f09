"""Any OpenAI-compatible chat server (vLLM, TGI, llama.cpp server, Ollama...).

This is how text scales beyond one machine: the studio streams from a server elsewhere.
Spec: `openai:http://host:port/v1` or `openai:http://host:port/v1#model-name`.
Closing the HTTP stream on Stop makes these servers stop generating. The repetition
penalty is not sent: servers name it differently and OpenAI's own API refuses unknown
fields, so each server's default applies.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from urllib.parse import urldefrag

import httpx

from genai_studio.backends.base import READY, Availability, Backend, Progress, Result, Task
from genai_studio.backends.text.request import TextRequest, stream_text
from genai_studio.errors import ModelUnavailable

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 120.0


class OpenAICompatible(Backend[TextRequest]):
    name = "openai"
    task = Task.TEXT
    remote = True
    licence = "the server's model: see its card"
    estimated_memory_mb = 0

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        url, self._model_name = urldefrag(ref)
        self.base_url = url.rstrip("/")
        self._client: httpx.Client | None = None

    @property
    def label(self) -> str:
        return f"{self._model_name or 'server default'} at {self.base_url} (OpenAI-compatible)"

    def available(self) -> Availability:
        if not self.base_url.startswith(("http://", "https://")):
            return Availability(False, f"{self.base_url!r} is not an http(s) URL")
        return READY

    def _headers(self) -> dict[str, str]:
        key = self.settings.remote_api_key
        return {"Authorization": f"Bearer {key}"} if key else {}

    def load(self, device: str) -> None:
        timeout = httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
        self._client = httpx.Client(timeout=timeout, headers=self._headers())
        try:
            response = self._client.get(f"{self.base_url}/models")
            response.raise_for_status()
            models = [m["id"] for m in response.json().get("data", [])]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            self.unload()
            raise ModelUnavailable(f"The text server at {self.base_url} did not answer: {exc}") from exc
        if not self._model_name and models:
            self._model_name = models[0]
        log.info("remote text server %s serves %s", self.base_url, models)

    def _pieces(self, response: httpx.Response) -> Iterator[str]:
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[len("data:") :].strip()
            if data == "[DONE]":
                return
            choices = json.loads(data).get("choices") or [{}]
            yield (choices[0].get("delta") or {}).get("content") or ""

    def run(self, request: TextRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        if self._client is None:
            raise RuntimeError("run() before load()")
        body = {
            "model": self._model_name or "default",
            "messages": request.chat(),
            "max_tokens": request.max_new_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "seed": request.seed,
            "stream": True,
        }
        try:
            with self._client.stream("POST", f"{self.base_url}/chat/completions", json=body) as response:
                if response.status_code != 200:
                    detail = response.read().decode(errors="replace")[:300]
                    raise ModelUnavailable(f"The text server answered {response.status_code}: {detail}")
                yield from stream_text(self._pieces(response), cancel, request, model=self.label)
        except httpx.HTTPError as exc:
            raise ModelUnavailable(f"Lost the text server at {self.base_url}: {exc}") from exc

    def unload(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None
