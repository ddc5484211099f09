"""Music from another studio's `/v1/audio/music` (the studio's extension of the OpenAI API).
Spec: `openai-music:http://host:port/v1#model`. Stop closes the request, which stops the job."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import soundfile as sf

from genai_studio.backends.base import Availability, Backend, Progress, Result, Task
from genai_studio.backends.music.request import MusicOutput, MusicRequest
from genai_studio.backends.remote import RemoteServer
from genai_studio.errors import ModelUnavailable


class RemoteMusic(Backend[MusicRequest]):
    name = "openai-music"
    task = Task.MUSIC
    licence = "the server's model: see its card"
    estimated_memory_mb = 0

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self.server = RemoteServer(ref, settings, "music")

    @property
    def label(self) -> str:
        return self.server.label("music")

    def available(self) -> Availability:
        return self.server.availability()

    def load(self, device: str) -> None:
        self.server.connect("music")

    def unload(self) -> None:
        pass

    def run(self, request: MusicRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        yield Progress(f"Sent to {self.server.base_url}")
        body = {"model": self.server.model_name, **request.choices(), "response_format": "wav"}
        response = self.server.post("/audio/music", cancel, json=body)
        if response is None:
            return
        try:
            audio, rate = sf.read(io.BytesIO(response.content), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise ModelUnavailable(f"The music server sent audio this studio cannot read: {exc}") from exc
        params = {**request.params(), "model_ref": self.ref, "stopped": False}
        yield Result(MusicOutput(rate, audio), params=params, info=f"Made by {self.label}.")
