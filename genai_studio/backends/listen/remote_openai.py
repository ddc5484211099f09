"""Transcription by any OpenAI-compatible server (`/v1/audio/transcriptions` and
`/translations`): another studio, OpenAI, or a Whisper server such as faster-whisper-server
or LocalAI. Spec: `openai-transcribe:http://host:port/v1#model`.

The file is sent whole and the answer asked for as verbose_json, whose segments (and words,
when asked for) are passed on in order; a server that answers with text alone gives one
segment spanning the recording. Stop closes the request in flight.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from genai_studio.backends.base import Availability
from genai_studio.backends.listen.backend import Heard, ListenBackend
from genai_studio.backends.listen.request import AUTO, LANGUAGES, TranscribeRequest
from genai_studio.backends.listen.transcript import Segment, Word
from genai_studio.backends.remote import RemoteServer
from genai_studio.errors import ModelUnavailable

TASK = "transcribe"  # the task a studio's model cards give its recognisers
_BY_NAME = {name.lower(): code for code, name in LANGUAGES.items()}


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def _words(items: object) -> list[Word]:
    if not isinstance(items, list):
        return []
    return [
        Word(_number(w.get("start")), _number(w.get("end")), " " + str(w.get("word", "")).strip())
        for w in items
        if isinstance(w, dict)
    ]


class RemoteTranscribe(ListenBackend):
    name = "openai-transcribe"
    licence = "the server's model: see its card"
    estimated_memory_mb = 0
    remote = True

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self.server = RemoteServer(ref, settings, "transcription")

    @property
    def label(self) -> str:
        return self.server.label("transcription")

    def available(self) -> Availability:
        return self.server.availability()

    def load(self, device: str) -> None:
        self.server.connect(TASK)

    def unload(self) -> None:
        pass

    def recognise(self, request: TranscribeRequest, cancel: threading.Event) -> Iterator[Segment | Heard]:
        fields: dict[str, str | list[str]] = {
            "model": self.server.model_name or "whisper-1",
            "response_format": "verbose_json",
            "timestamp_granularities[]": ["segment", *(["word"] if request.word_timestamps else [])],
        }
        if request.prompt:
            fields["prompt"] = request.prompt
        if request.temperature is not None:
            fields["temperature"] = str(request.temperature)
        if request.language != AUTO and not request.translate:
            fields["language"] = request.language
        path = "/audio/translations" if request.translate else "/audio/transcriptions"
        upload = {"file": (request.name or request.media.name, request.media.read_bytes())}
        response = self.server.post(path, cancel, data=fields, files=upload)
        if response is None:
            return
        try:
            body = response.json()
            text = str(body["text"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelUnavailable(
                f"The transcription server sent an answer this studio cannot read: {exc}"
            ) from None
        spoken = str(body.get("language") or "").lower()
        language = _BY_NAME.get(spoken, spoken if spoken in LANGUAGES else "")
        if request.language != AUTO:
            language = request.language
        duration = _number(body.get("duration")) or (request.seconds or 0.0)
        yield Heard(0.0, 1.0, language)
        words = _words(body.get("words"))
        segments = [s for s in body.get("segments") or [] if isinstance(s, dict)]
        if not segments and text.strip():
            segments = [{"start": 0.0, "end": duration, "text": text}]
        for item in segments:
            start, end = _number(item.get("start")), _number(item.get("end"))
            inside = tuple(w for w in words if start <= w.start < end)
            yield Segment(
                start,
                end,
                str(item.get("text", "")),
                inside,
                _number(item.get("avg_logprob")),
                _number(item.get("no_speech_prob")),
                _number(item.get("compression_ratio")),
                _number(item.get("temperature")),
            )
        yield Heard(duration, 1.0, language)
