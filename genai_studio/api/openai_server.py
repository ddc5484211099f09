"""The studio's OpenAI HTTP API at /v1: one more front door to the same manager.

Each endpoint turns the protocol's JSON or form into the studio's typed request through the
same builders the UI uses (so every check is made once, before any model runs), runs it
through the shared ModelManager (one job at a time with the UI), saves the result to History
under the caller's owner, and answers in the protocol's shape. Extensions beyond OpenAI's
API: `POST /v1/audio/music`, `GET /v1/models/{id}` listing a speech model's voices and
languages, `GET /v1/audio/voices` (as Kokoro-FastAPI names it) listing the voices with the
caller's own saved ones, and studio fields (seed, steps, method...) accepted beside OpenAI's.
`voice` in /v1/audio/speech takes a model's voice, a Kokoro mix ("af_bella(2)+am_adam(1)")
or a voice the caller saved in the mixer ("my:NAME").
"""

from __future__ import annotations

import base64
import functools
import hmac
import json
import logging
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.routing import BaseRoute

from genai_studio import images
from genai_studio.api import audio_formats
from genai_studio.api.jobs import Gate, final_result, run_job
from genai_studio.api.openai_errors import ApiError, as_api_error
from genai_studio.audio_files import SpeechTags, wav_bytes
from genai_studio.backends.base import ModelSpec, Progress, Result
from genai_studio.backends.image.inpaint_request import build_inpaint_request
from genai_studio.backends.listen.request import build_request as build_listen_request
from genai_studio.backends.listen.transcript import Transcript, to_srt, to_vtt, verbose
from genai_studio.backends.listen.transcript import files as transcript_files
from genai_studio.backends.music.request import build_request as build_music_request
from genai_studio.backends.speech.request import build_request as build_speech_request
from genai_studio.backends.text.request import build_chat_request
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput
from genai_studio.history import History
from genai_studio.owners import Owner
from genai_studio.serving.scheduler import Waiting
from genai_studio.voice_library import VoiceLibrary

log = logging.getLogger(__name__)

CLASSIC_INPAINT = ("classic-inpaint",)  # fills from the photo itself: a full mask is refused
TASK_MODELS = {  # task -> the Settings field listing its specs
    "text": "text_models",
    "speech": "speech_models",
    "music": "music_models",
    "inpaint": "inpaint_models",
    "colorize": "colorize_models",
    "style": "style_models",
    "text_to_image": "text_to_image_models",
    "transcribe": "listen_models",
}
TRANSCRIBE_ALIASES = ("whisper-1",)  # what OpenAI clients send: the default recogniser here
TRANSCRIPT_FORMATS = ("json", "text", "srt", "vtt", "verbose_json")
GRANULARITIES = ("segment", "word")
ROLE_ALIASES = {"developer": "system"}  # OpenAI's newer name for system instructions
MAX_FORM_FIELDS = 40


class OpenAIServer:
    """The /v1 routes, bound to the studio's settings, manager and history."""

    def __init__(
        self, settings: Settings, manager: Any, history: History, voices: VoiceLibrary | None = None
    ) -> None:
        self.settings = settings
        self.manager = manager
        self.history = history
        self.voices = voices or VoiceLibrary(settings.voices_dir)
        self.gate = Gate(settings.queue_size)
        self._keys = settings.api_key_names()

    # -- the edge: who is asking, what they sent ---------------------------------------------
    def owner(self, request: Request) -> Owner:
        """The caller's Owner; without configured keys (loopback only), the local owner."""
        if not self._keys:
            return Owner.local()
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(
                401,
                "No API key was sent: send it as 'Authorization: Bearer KEY'.",
                code="invalid_api_key",
            )
        found = None
        for key, name in self._keys.items():  # compare with every key: timing says nothing
            if hmac.compare_digest(key.encode(), token.encode()):
                found = (key, name)
        if found is None:
            raise ApiError(401, "Incorrect API key provided.", code="invalid_api_key")
        key, name = found
        return Owner.for_user(name) if name else Owner.for_api_key(key)

    @staticmethod
    async def json_body(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return body

    def model(self, value: object, task: str) -> str:
        """`value` if it is a spec configured for `task` (the first one when omitted)."""
        specs: tuple[str, ...] = getattr(self.settings, TASK_MODELS[task])
        if not specs:
            raise ApiError(
                404,
                f"No {task.replace('_', '-')} model is configured on this studio.",
                type="not_found_error",
                param="model",
                code="model_not_found",
            )
        if value is None or value == "":
            return specs[0]
        if value not in specs:
            raise ApiError(
                404,
                f"The model {value!r} does not exist for {task.replace('_', '-')} here. "
                f"Models: {', '.join(specs)}.",
                type="not_found_error",
                param="model",
                code="model_not_found",
            )
        return str(value)

    # -- health ----------------------------------------------------------------------------
    async def health(self, request: Request) -> dict[str, Any]:
        """For load balancers and monitors, without a key: up, and how loaded (nothing private)."""
        return {"status": "ok", "busy": self.manager.busy(), "in_flight": self.gate.in_flight}

    # -- models -------------------------------------------------------------------------------
    def _model_card(self, spec: str, task: str) -> dict[str, Any]:
        return {
            "id": spec,
            "object": "model",
            "created": 0,
            "owned_by": "genai-studio",
            "task": task,
            "name": self.manager.backend_for(spec).label,
        }

    async def list_models(self, request: Request) -> dict[str, Any]:
        self.owner(request)
        cards = [
            self._model_card(spec, task)
            for task, field in TASK_MODELS.items()
            for spec in getattr(self.settings, field)
        ]
        return {"object": "list", "data": cards}

    async def get_model(self, request: Request, model: str) -> dict[str, Any]:
        self.owner(request)
        for task, field in TASK_MODELS.items():
            if model in getattr(self.settings, field):
                card = self._model_card(model, task)
                if task == "speech":
                    backend = self.manager.backend_for(model)
                    card |= {"voices": backend.voices(), "languages": backend.languages()}
                return card
        raise ApiError(
            404,
            f"The model {model!r} does not exist here.",
            type="not_found_error",
            param="model",
            code="model_not_found",
        )

    # -- text ---------------------------------------------------------------------------------
    @staticmethod
    def _messages(value: object) -> list[tuple[object, object]]:
        """OpenAI messages as (role, text) pairs; content given as text parts is joined."""
        if not isinstance(value, list):
            raise InvalidInput("messages must be a list of {role, content} objects.")
        pairs: list[tuple[object, object]] = []
        for index, message in enumerate(value, 1):
            if not isinstance(message, dict):
                raise InvalidInput(f"Message {index} must be an object with a role and a content.")
            content = message.get("content")
            if isinstance(content, list):
                if not all(isinstance(p, dict) and p.get("type") == "text" for p in content):
                    raise InvalidInput(f"Message {index}: only text content parts are supported.")
                content = "".join(str(p.get("text", "")) for p in content)
            role = message.get("role")
            pairs.append((ROLE_ALIASES.get(role, role) if isinstance(role, str) else role, content))
        return pairs

    async def chat_completions(self, request: Request) -> Response:
        owner = self.owner(request)
        body = await self.json_body(request)
        spec = self.model(body.get("model"), "text")
        for unsupported in ("tools", "functions", "logprobs"):
            if body.get(unsupported):
                raise ApiError(400, f"{unsupported} are not supported by this studio.", param=unsupported)
        if body.get("n", 1) != 1:
            raise ApiError(400, "n must be 1: ask again for another answer.", param="n")
        text_request = build_chat_request(
            self.settings,
            messages=self._messages(body.get("messages")),
            max_new_tokens=_first_given(
                body, "max_completion_tokens", "max_tokens", self.settings.max_new_tokens
            ),
            temperature=body.get("temperature", 0.7),
            top_p=body.get("top_p", 0.95),
            seed=body.get("seed", -1),
            repetition_penalty=body.get("repetition_penalty", 1.1),
            stop=body.get("stop"),
        )
        meta = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": spec}
        slot = self.gate.enter()
        chosen = {"model": spec, "door": "openai"}

        def save(text: str, result: Result | None) -> None:
            if text or result is not None:
                params = {
                    **text_request.params(),
                    **(result.params if result else {"stopped": True}),
                    **chosen,
                }
                self.history.save(owner, "text", spec, params, text[:120], {"output.txt": text.encode()})

        if not body.get("stream"):
            try:
                result = await final_result(self.manager.for_owner(owner), spec, text_request, request)
            finally:
                slot.leave()
            save(result.output, result)
            return JSONResponse(
                {
                    **meta,
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": result.output},
                            "finish_reason": result.params.get("finish_reason", "stop"),
                        }
                    ],
                    "usage": _usage(result),
                }
            )
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            return _sse({**meta, "object": "chat.completion.chunk", "choices": [choice]})

        async def events() -> AsyncIterator[str]:
            made: list[str] = []
            result = None
            try:
                yield chunk({"role": "assistant", "content": ""})
                async for item in run_job(self.manager.for_owner(owner), spec, text_request, request):
                    if isinstance(item, Progress) and item.partial:
                        made.append(item.partial)
                        yield chunk({"content": item.partial})
                    elif isinstance(item, Result):
                        result = item
                    elif isinstance(item, Waiting):  # an SSE comment: clients skip it, people see it
                        yield f": {item.message()}\n\n"
                if result is not None:
                    yield chunk({}, result.params.get("finish_reason", "stop"))
                    if include_usage:
                        yield _sse(
                            {
                                **meta,
                                "object": "chat.completion.chunk",
                                "choices": [],
                                "usage": _usage(result),
                            }
                        )
            except Exception as exc:  # noqa: BLE001 - the status line is sent: report in the stream
                yield _sse(as_api_error(exc).body())
            finally:
                slot.leave()
                save(result.output if result else "".join(made), result)
            yield "data: [DONE]\n\n"

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
            background=BackgroundTask(slot.leave),
        )

    # -- speech and music ---------------------------------------------------------------------
    async def speech(self, request: Request) -> Response:
        owner = self.owner(request)
        body = await self.json_body(request)
        spec = self.model(body.get("model"), "speech")
        backend = self.manager.available_backend(spec)
        voices, languages = backend.voices(), backend.languages()
        voice = self.voices.resolve(owner, body.get("voice") or next(iter(voices), None))
        native = backend.voice_language(voice) if isinstance(voice, str) else None
        speech_request = build_speech_request(
            text=body.get("input"),
            voice=voice,
            language=body.get("language") or native or next(iter(languages), None),
            speed=body.get("speed", 1.0),
            voices=voices,
            languages=languages,
            voice_check=backend.check_voice,
        )
        response_format = audio_formats.check_format(body.get("response_format", "mp3"))
        result = await self._run(spec, speech_request, request)
        rate, audio = result.output
        tags = SpeechTags(text=speech_request.text, voice=speech_request.voice, model=result.params["model"])
        wav = wav_bytes(rate, audio, tags)
        params = {**result.params, "model": spec, "door": "openai"}
        self.history.save(owner, "speech", spec, params, speech_request.text[:120], {"speech.wav": wav})
        content, media_type = await anyio.to_thread.run_sync(audio_formats.encode, wav, response_format)
        return Response(content, media_type=media_type)

    async def audio_voices(self, request: Request) -> dict[str, Any]:
        """The voices of a speech model (?model=, else the first), the caller's saved ones too
        where the model takes mixes, each with the language it speaks."""
        owner = self.owner(request)
        spec = self.model(request.query_params.get("model"), "speech")
        backend = self.manager.backend_for(spec)
        listed = [
            {"id": voice, "name": name, "language": backend.voice_language(voice)}
            for voice, name in backend.voices().items()
        ]
        if backend.mixes:
            for voice, name in self.voices.choices(owner).items():
                mix = self.voices.resolve(owner, voice)
                listed.append({"id": voice, "name": name, "language": backend.voice_language(str(mix))})
        return {
            "model": spec,
            "voices": listed,
            "mixes": backend.mixes,  # "af_bella(2)+am_adam(1)": voices of one language, weights > 0
        }

    async def music(self, request: Request) -> Response:
        owner = self.owner(request)
        body = await self.json_body(request)
        spec = self.model(body.get("model"), "music")
        self.manager.available_backend(spec)
        choices = {name: body[name] for name in ("genre", "mood", "tempo", "key", "seconds") if name in body}
        music_request = build_music_request(
            self.settings, prompt=body.get("prompt", ""), seed=body.get("seed", -1), **choices
        )
        response_format = audio_formats.check_format(body.get("response_format", "wav"))
        result = await self._run(spec, music_request, request)
        output = result.output
        wav = output.wav_bytes()
        files = {"music.wav": wav, **({"music.mid": output.midi} if output.midi else {})}
        params = {**result.params, **music_request.choices(), "model": spec, "door": "openai"}
        summary = (music_request.prompt or music_request.plan.description())[:120]
        self.history.save(owner, "music", spec, params, summary, files)
        content, media_type = await anyio.to_thread.run_sync(audio_formats.encode, wav, response_format)
        return Response(content, media_type=media_type)

    # -- listening ------------------------------------------------------------------------------
    async def transcriptions(self, request: Request) -> Response:
        return await self._listen(request, translate=False)

    async def translations(self, request: Request) -> Response:
        return await self._listen(request, translate=True)

    async def _listen(self, request: Request, translate: bool) -> Response:
        """Speech to text (or to English), answered in the format asked for; saved to History."""
        owner = self.owner(request)
        names: dict[str, str] = {}
        form = await self._form(request, lists=("timestamp_granularities",), names=names)
        model = form.get("model")
        spec = self.model(None if model in TRANSCRIBE_ALIASES else model, "transcribe")
        audio = form.get("file")
        if not isinstance(audio, bytes):
            raise ApiError(400, "Send the recording as the 'file' field of the form.", param="file")
        response_format = form.get("response_format") or "json"
        if response_format not in TRANSCRIPT_FORMATS:
            formats = ", ".join(TRANSCRIPT_FORMATS)
            raise ApiError(400, f"response_format must be one of: {formats}.", param="response_format")
        granularities = form.get("timestamp_granularities") or ["segment"]
        if not set(granularities) <= set(GRANULARITIES):
            raise ApiError(
                400, "timestamp_granularities are segment and word.", param="timestamp_granularities"
            )
        if granularities != ["segment"] and response_format != "verbose_json":
            message = "timestamp_granularities need response_format verbose_json."
            raise ApiError(400, message, param="timestamp_granularities")
        self.manager.available_backend(spec)
        with tempfile.TemporaryDirectory(prefix="studio-listen-") as folder:
            path = Path(folder) / "upload"
            await anyio.to_thread.run_sync(path.write_bytes, audio)
            job = await anyio.to_thread.run_sync(
                functools.partial(
                    build_listen_request,
                    self.settings,
                    media_path=path,
                    language=form.get("language"),
                    translate=translate,
                    word_timestamps="word" in granularities,
                    prompt=form.get("prompt", ""),
                    temperature=form.get("temperature"),
                    name=names.get("file", ""),
                    field="The file",
                )
            )
            result = await self._run(spec, job, request)
        transcript: Transcript = result.output
        params = {**result.params, "model": spec, "door": "openai"}
        summary = transcript.text[:120] or f"(no speech) {job.name}"[:120]
        self.history.save(owner, "transcribe", spec, params, summary, transcript_files(transcript))
        if response_format == "json":
            return JSONResponse({"text": transcript.text})
        if response_format == "verbose_json":
            return JSONResponse(
                verbose(transcript, words="word" in granularities, segments="segment" in granularities)
            )
        render = {"text": lambda t: t.text + "\n", "srt": to_srt, "vtt": to_vtt}[response_format]
        return PlainTextResponse(render(transcript))

    # -- images -------------------------------------------------------------------------------
    async def _form(
        self, request: Request, lists: tuple[str, ...] = (), names: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """The multipart form, refused early when larger than the studio's upload limit. A
        field named in `lists` keeps every value sent (in a list); of any other, the first is
        kept. `names` (when given) receives each file's own name."""
        limit = self.settings.max_upload_mb * 2**20
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > 2 * limit + 2**20:  # image and mask, plus fields
            raise ApiError(
                413, f"The upload is too large: the limit is {self.settings.max_upload_mb} MB a file."
            )
        try:
            form = await request.form(max_files=4, max_fields=MAX_FORM_FIELDS)
        except Exception as exc:  # noqa: BLE001 - any parser failure is the caller's malformed body
            raise ApiError(400, f"The request must be multipart/form-data: {exc}") from None
        fields: dict[str, Any] = {}
        for name, value in form.multi_items():
            name = name.removesuffix("[]")
            if isinstance(value, UploadFile):
                if (value.size or 0) > limit:
                    raise ApiError(
                        413, f"{name} is too large: the limit is {self.settings.max_upload_mb} MB."
                    )
                if names is not None:
                    names.setdefault(name, value.filename or "")
                value = await value.read()
            if name in lists:
                fields.setdefault(name, []).append(value)
            else:
                fields.setdefault(name, value)  # one image: the first one sent
        return fields

    async def image_edits(self, request: Request) -> Response:
        owner = self.owner(request)
        form = await self._form(request)
        spec = self.model(form.get("model"), "inpaint")
        _one_image(form)
        image = form.get("image")
        if not isinstance(image, bytes):
            raise ApiError(400, "Send the photo as the 'image' file.", param="image")
        mask = form.get("mask")
        classic = ModelSpec.parse(spec).backend in CLASSIC_INPAINT
        inpaint_request = build_inpaint_request(
            self.settings,
            image=image,
            mask_upload=_studio_mask(image, mask if isinstance(mask, bytes) else None),
            method=form.get("method", "auto"),
            prompt=form.get("prompt", ""),
            negative_prompt=form.get("negative_prompt", ""),
            steps=form.get("steps", 25),
            guidance=form.get("guidance", 7.5),
            strength=form.get("strength", 1.0),
            seed=form.get("seed", -1),
            allow_full_mask=not classic,
        )
        result = await self._run(spec, inpaint_request, request)
        extra = {
            "input.png": images.png_bytes(inpaint_request.image),
            "mask.png": images.png_bytes((inpaint_request.mask * 255).astype(np.uint8)),
        }
        return self._image_answer(owner, "inpaint", spec, result, inpaint_request.prompt, extra)

    async def image_generations(self, request: Request) -> Response:
        owner = self.owner(request)
        body = await self.json_body(request)
        spec = self.model(body.get("model"), "text_to_image")
        _one_image(body)
        from genai_studio.backends.image.hub_diffusers_txt2img import build_text_to_image_request

        width, height = _size(body.get("size"))
        generate_request = build_text_to_image_request(
            prompt=body.get("prompt"),
            negative_prompt=body.get("negative_prompt", ""),
            width=width,
            height=height,
            steps=body.get("steps", 25),
            guidance=body.get("guidance", 7.5),
            seed=body.get("seed", -1),
        )
        result = await self._run(spec, generate_request, request)
        return self._image_answer(owner, "text_to_image", spec, result, generate_request.prompt, {})

    def _image_answer(
        self, owner: Owner, task: str, spec: str, result: Result, prompt: str, extra: dict[str, bytes]
    ) -> Response:
        params = {**result.params, "model": spec, "door": "openai"}
        png = images.png_bytes(result.output, {"task": task, "model": spec, **params})
        self.history.save(owner, task, spec, params, f"{spec}: {prompt[:80]}", {"result.png": png, **extra})
        data = [{"b64_json": base64.b64encode(png).decode(), "revised_prompt": prompt}]
        return JSONResponse({"created": int(time.time()), "data": data, "output_format": "png"})

    async def _run(self, spec: str, job: Any, request: Request) -> Result:
        slot = self.gate.enter()
        try:
            return await final_result(self.manager.for_owner(self.owner(request)), spec, job, request)
        finally:
            slot.leave()

    # -- routing ------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        """The /v1 routes, for the FastAPI app Gradio launches (see ui/app.py launch)."""
        router = APIRouter(prefix="/v1")
        endpoints = [
            ("GET", "/health", self.health),
            ("GET", "/models", self.list_models),
            ("GET", "/models/{model:path}", self.get_model),
            ("POST", "/chat/completions", self.chat_completions),
            ("POST", "/audio/speech", self.speech),
            ("GET", "/audio/voices", self.audio_voices),
            ("POST", "/audio/music", self.music),
            ("POST", "/audio/transcriptions", self.transcriptions),
            ("POST", "/audio/translations", self.translations),
            ("POST", "/images/edits", self.image_edits),
            ("POST", "/images/generations", self.image_generations),
        ]
        for method, path, endpoint in endpoints:
            router.add_api_route(path, _answering(endpoint), methods=[method], include_in_schema=False)
        router.add_api_route(
            "/{rest:path}", _answering(self.unknown), methods=["GET", "POST"], include_in_schema=False
        )
        return list(router.routes)

    async def unknown(self, request: Request, rest: str) -> Response:
        self.owner(request)
        raise ApiError(
            404,
            f"This studio does not serve {request.method} /v1/{rest}.",
            type="not_found_error",
            code="unknown_url",
        )


def _answering(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """The endpoint with every failure answered in the OpenAI error shape."""

    @functools.wraps(endpoint)
    async def answered(*args: Any, **kwargs: Any) -> Any:
        try:
            return await endpoint(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an error response
            return as_api_error(exc).response()

    return answered


def _first_given(body: dict[str, Any], *names_then_default: Any) -> Any:
    """The value of the first of these fields the caller sent (null counts as not sent)."""
    *names, default = names_then_default
    return next((body[name] for name in names if body.get(name) is not None), default)


def _sse(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def _usage(result: Result) -> dict[str, int]:
    prompt = int(result.params.get("prompt_tokens") or 0)
    completion = int(result.params.get("completion_tokens") or 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _one_image(fields: dict[str, Any]) -> None:
    """Refuse what would silently be dropped: several images, or links instead of pixels."""
    if str(fields.get("n", 1)) != "1":
        raise ApiError(400, "n must be 1: ask again for another image.", param="n")
    if fields.get("response_format", "b64_json") != "b64_json":
        raise ApiError(
            400,
            "Only response_format b64_json is served: results are not kept at a URL.",
            param="response_format",
        )


def _size(value: object) -> tuple[object, object]:
    """OpenAI's "WIDTHxHEIGHT" (or "auto": 512x512); the request builder checks the numbers."""
    if value in (None, "", "auto"):
        return 512, 512
    width, sep, height = str(value).partition("x")
    if not sep:
        raise InvalidInput(f"size must look like 512x512, got {value!r}.")
    return width, height


def _studio_mask(image: bytes, mask: bytes | None) -> bytes | None:
    """The area to fill as the studio reads masks (white = fill). OpenAI marks it by full
    transparency, of the mask or, without one, of the image itself; a mask without
    transparency is read the studio's way."""
    source = mask if mask is not None else image
    picture = images.open_image(source, field="The mask" if mask is not None else "The image")
    alpha = images.alpha_of(picture)
    if alpha is None:
        return mask
    return images.png_bytes(np.where(alpha == 0, 255, 0).astype(np.uint8))
