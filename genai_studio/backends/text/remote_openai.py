"""Any OpenAI-compatible chat server (vLLM, TGI, llama.cpp server, Ollama...).

This is how text scales beyond one machine: the studio streams from a server elsewhere.
Spec: `openai:http://host:port/v1` or `openai:http://host:port/v1#model-name`.
Closing the HTTP stream on Stop makes these servers stop generating. The repetition
penalty is not sent: servers name it differently and OpenAI's own API refuses unknown
fields, so each server's default applies.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx

from genai_studio.backends.base import Availability, Backend, Progress, Result, Task
from genai_studio.backends.remote import RemoteServer
from genai_studio.backends.text.request import TextRequest, stream_text
from genai_studio.errors import ModelUnavailable


class OpenAICompatible(Backend[TextRequest]):
    name = "openai"
    task = Task.TEXT
    remote = True
    licence = "the server's model: see its card"
    estimated_memory_mb = 0

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self.server = RemoteServer(ref, settings, "text")
        self._client: httpx.Client | None = None

    @property
    def label(self) -> str:
        return self.server.label("text")

    def available(self) -> Availability:
        return self.server.availability()

    def load(self, device: str) -> None:
        self.server.connect("text")
        self._client = httpx.Client(timeout=self.server.timeout, headers=self.server.headers)

    def _pieces(self, response: httpx.Response, usage: dict[str, int]) -> Iterator[str]:
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[len("data:") :].strip()
            if data == "[DONE]":
                return
            chunk = json.loads(data)
            if chunk.get("error"):
                raise ModelUnavailable(f"The text server failed: {chunk['error'].get('message')}")
            usage.update(chunk.get("usage") or {})
            choices = chunk.get("choices") or [{}]
            yield (choices[0].get("delta") or {}).get("content") or ""

    def run(self, request: TextRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        if self._client is None:
            raise RuntimeError("run() before load()")
        body = {
            "model": self.server.model_name or "default",
            "messages": request.chat(),
            "max_tokens": request.max_new_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "seed": request.seed,
            "stream": True,
            "stream_options": {"include_usage": True},  # servers that do not know it ignore it
        }
        if request.stop:
            body["stop"] = list(request.stop)
        usage: dict[str, int] = {}
        url = f"{self.server.base_url}/chat/completions"
        try:
            with self._client.stream("POST", url, json=body) as response:
                if response.status_code != 200:
                    response.read()
                    self.server.raise_for_error(response)
                for item in stream_text(self._pieces(response, usage), cancel, request, model=self.label):
                    if isinstance(item, Result) and usage:
                        item.params["prompt_tokens"] = usage.get("prompt_tokens", 0)
                        item.params["completion_tokens"] = usage.get("completion_tokens", 0)
                    yield item
        except httpx.HTTPError as exc:
            raise ModelUnavailable(f"Lost the text server at {self.server.base_url}: {exc}") from exc

    def unload(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None
