"""Long-form narration in the Speech tab: a chapter into one WAV, one MP3 and subtitles.

Progress shows sentences done and time left. Stop (the button, or a client cancelling its
job) ends between sentences and saves what was made as a History entry that continues from
the next sentence. No audio streams to the page while a chapter is read: Gradio keeps every
streamed segment in server memory until the stream ends, which would grow with the text.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from genai_studio.backends.speech.request import MAX_NARRATION_CHARS, SpeechRequest
from genai_studio.backends.speech.roles import build_cast
from genai_studio.errors import InvalidInput
from genai_studio.history import Entry
from genai_studio.narration import CUES, MP3, RAW, SRT, VTT, WAV, Narration, Resume, narrate, script
from genai_studio.owners import Owner
from genai_studio.ui import send_to
from genai_studio.ui.common import (
    HEAVY,
    ResultSlot,
    StudioContext,
    TabHandle,
    run_buttons,
    strings,
    tr,
    user_errors,
)
from genai_studio.ui.speech_common import checked_request, follow_model, resolved_cast, role_rows

log = logging.getLogger(__name__)

TASK = "narration"
SUBTAB = "narrate"
LISTED = 50  # the newest narrations looked at for ones to continue
DELIVERED = (WAV, MP3, SRT, VTT)  # what the user downloads; RAW and CUES are for continuing

strings(
    {
        "narration.tab": ("Long-form narration", "长篇朗读"),
        "narration.intro": (
            f"Narrate a chapter (up to {MAX_NARRATION_CHARS:,} characters) into one WAV and MP3 at "
            "-16 LUFS, with subtitles. Blank lines separate paragraphs, with a short pause between them. "
            "Stop saves what is done; continue it later from the list below.",
            f"把一整章（最多 {MAX_NARRATION_CHARS:,} 个字符）朗读成一个 WAV 和 MP3"
            "（响度 -16 LUFS），并附字幕。"
            "空行分隔段落，段落之间稍作停顿。停止时会保存已完成的部分，之后可在下方列表中继续。",
        ),
        "narration.text": ("Chapter", "章节文本"),
        "narration.audio": ("Narration", "朗读"),
        "narration.files": ("Files (WAV, MP3, SRT, WebVTT)", "文件（WAV、MP3、SRT、WebVTT）"),
        "narration.stopped": ("Stopped narrations", "已停止的朗读"),
        "narration.continue": ("Continue", "继续"),
    }
)


def _duration(seconds: float) -> str:
    """'45 s', '3 min 20 s', '1 h 05 min': how long is left, as people say it."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _is_resumable(entry: Entry) -> bool:
    return entry.task == TASK and bool(entry.params.get("stopped")) and {RAW, CUES} <= set(entry.files)


def stopped_choices(ctx: StudioContext, owner: Owner) -> list[tuple[str, str]]:
    """(label, History id) of `owner`'s stopped narrations not yet continued, newest first."""
    entries, _ = ctx.history.page(owner, task=TASK, limit=LISTED)
    continued = {entry.params.get("continued_from") for entry in entries}
    return [
        (_label(entry), entry.id) for entry in entries if _is_resumable(entry) and entry.id not in continued
    ]


def _label(entry: Entry) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.created))
    where = f"sentence {int(entry.params['next_sentence']) + 1} of {entry.params['sentences']}"
    return f"{when} · {where} · {entry.summary[:60]}"


@dataclass
class NarrationPanel:
    """The controls of the narration sub-tab; `connect` wires them to the shared model controls."""

    ctx: StudioContext
    specs: tuple[str, ...]
    text: gr.Textbox
    narrate_button: gr.Button
    stop_button: gr.Button
    status: gr.Textbox
    audio: gr.Audio
    files: gr.File
    entry: gr.Textbox
    stopped: gr.Dropdown
    continue_button: gr.Button
    sent: ResultSlot  # the narration's WAV, to send on
    roles: list[gr.components.Component]  # character name, voice, name, voice...
    jobs: dict[str, threading.Event] = field(default_factory=dict)  # session -> its running narration

    def _save(self, owner: Owner, spec: str, done: Narration, extra: dict[str, Any]) -> Entry | None:
        if not done.files:
            return None
        text = str(done.params["text"])
        where = f"stopped at sentence {done.params['next_sentence'] + 1}: " if done.stopped else ""
        params = {**done.params, "model": spec, **extra}
        summary = where + text[:120]
        return self.ctx.history.save(owner, TASK, spec, params=params, summary=summary, files=done.files)

    def _finish_unattended(
        self, items: Iterator[Any], owner: Owner, spec: str, workdir: Path, extra: dict[str, Any]
    ) -> None:
        """After the client went away: let the stopped narration finish its files and save them."""
        try:
            for item in items:
                if isinstance(item, Narration):
                    self._save(owner, spec, item, extra)
        except Exception:
            log.exception("saving a stopped narration failed")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _run(
        self,
        owner: Owner,
        spec: str,
        request: SpeechRequest,
        resume: Resume | None,
        session: str,
        progress: gr.Progress,
        extra: dict[str, Any],
    ) -> Iterator[tuple[Any, Any, str, Any]]:
        cancel = threading.Event()
        self.jobs[session] = cancel
        workdir = Path(tempfile.mkdtemp(prefix="narration-"))
        items = narrate(self.ctx.manager.for_owner(owner), spec, request, workdir, cancel, resume)
        handed_off = False
        try:
            for item in items:
                if isinstance(item, Narration):
                    yield self._outputs(owner, spec, item, extra)
                    continue
                left = "" if item.seconds_left is None else f" · about {_duration(item.seconds_left)} left"
                progress(
                    (item.done, item.total), desc=f"Sentence {item.done} of {item.total}", unit="sentences"
                )
                yield gr.skip(), gr.skip(), f"Sentence {item.done} of {item.total}{left}", gr.skip()
        except GeneratorExit:  # the client cancelled: stop, and save what was made in the background
            cancel.set()
            handed_off = True
            threading.Thread(
                target=self._finish_unattended,
                args=(items, owner, spec, workdir, extra),
                name="narration-save",
                daemon=True,
            ).start()
            raise
        finally:
            if self.jobs.get(session) is cancel:
                del self.jobs[session]
            if not handed_off:
                shutil.rmtree(workdir, ignore_errors=True)

    def _outputs(
        self, owner: Owner, spec: str, done: Narration, extra: dict[str, Any]
    ) -> tuple[Any, Any, str, Any]:
        entry = self._save(owner, spec, done, extra)
        if entry is None:
            return None, None, "Stopped before the first sentence: nothing to save.", ""
        total, next_sentence = done.params["sentences"], done.params["next_sentence"]
        minutes = f"{done.params['seconds'] / 60:.1f} min of audio"
        if done.stopped:
            status = (
                f"Stopped after sentence {next_sentence} of {total} ({minutes}), saved as {entry.id}: "
                f"continue it from sentence {next_sentence + 1} with Continue."
            )
        else:
            status = f"Done: {total} sentences, {minutes}, at {done.params['target_lufs']:g} LUFS."
        files = [self.ctx.deliver(owner, entry, name) for name in DELIVERED]
        return files[0], files, status, entry.id

    def connect(
        self, model: gr.Dropdown, voice: gr.Dropdown, language: gr.Dropdown, speed: gr.Slider
    ) -> None:
        ctx, specs = self.ctx, self.specs

        @user_errors
        def narrate_text(
            request: gr.Request,
            text: str,
            model: str,
            voice: str,
            language: str,
            speed: float,
            character1: str | None = None,
            voice1: str | None = None,
            character2: str | None = None,
            voice2: str | None = None,
            character3: str | None = None,
            voice3: str | None = None,
            progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's way to ask for a progress bar
        ) -> Iterator[tuple[Any, Any, str, Any]]:
            """Narrate a long text (a chapter) into one loudness-normalised WAV and MP3 with subtitles.

            Args:
                text: up to 100,000 characters; blank lines separate paragraphs (a short pause).
                model: a speech model spec from the list the server offers (e.g. hibari, kokoro, espeak).
                voice: a voice id of that model (the narrator's), a mix, or my:NAME (a saved voice).
                language: a language id of that model.
                speed: 0.5 (slow) to 2.0 (fast).
                character1: a character's name ("" for none): lines "NAME: ..." and quotes next to
                    the name are spoken in the character's voice.
                voice1: that character's voice (of the same model).
                character2: a second character's name ("" for none).
                voice2: its voice.
                character3: a third character's name ("" for none).
                voice3: its voice.
            Returns:
                The WAV, the files (WAV, MP3, SRT, WebVTT), a status line with progress and time
                left, and the History id of the narration (pass it to continue_narration if stopped).
            """
            owner = ctx.owner(request)
            roles = (character1, voice1, character2, voice2, character3, voice3)
            voice, cast = resolved_cast(ctx, owner, voice, roles)
            values = {"text": text, "voice": voice, "language": language, "speed": speed}
            speech = checked_request(ctx, specs, model, **values, max_chars=MAX_NARRATION_CHARS, cast=cast)
            yield from self._run(owner, model, speech, None, request.session_hash or "", progress, {})

        @user_errors
        def continue_narration(
            entry_id: str,
            request: gr.Request,
            progress: gr.Progress = gr.Progress(),  # noqa: B008
        ) -> Iterator[tuple[Any, Any, str, Any]]:
            """Continue a stopped narration from the sentence after the last one it spoke.

            Args:
                entry_id: the History id of a stopped narration (listed in the Stopped narrations box).
            Returns:
                As narrate_text: the whole narration, first sentence to last, when it ends.
            """
            owner = ctx.owner(request)
            entry = ctx.history.get(owner, entry_id)
            if entry is None or not _is_resumable(entry):
                raise InvalidInput(
                    "Pick a stopped narration to continue (its History entry is gone or finished)."
                )
            params = entry.params
            spec = str(params.get("model"))
            values = {key: params.get(key) for key in ("text", "voice", "language", "speed")}
            roles = params.get("roles") or {}
            cast = build_cast(values["voice"], list(dict(roles.get("characters") or {}).items()))
            speech = checked_request(
                ctx,
                specs,
                spec,
                **values,
                max_chars=MAX_NARRATION_CHARS,
                cast=cast if cast.characters else None,
            )
            if len(script(speech.text, speech.cast).sentences) != params.get("sentences"):
                raise InvalidInput(
                    "This narration was split differently by an older version: start it again."
                )
            resume = Resume.from_files(entry.file(RAW), entry.file(CUES), int(params["next_sentence"]))
            extra = {"continued_from": entry.id}
            yield from self._run(owner, spec, speech, resume, request.session_hash or "", progress, extra)

        def stop_narration(request: gr.Request) -> str:
            """Stop this session's narration after the current sentence; it is saved to continue later."""
            cancel = self.jobs.get(request.session_hash or "")
            if cancel is None:
                return "No narration is running."
            cancel.set()
            return "Stopping after this sentence…"

        @user_errors
        def list_stopped(request: gr.Request, entry_id: str = "") -> gr.Dropdown:
            """The stopped narrations that can be continued, newest first (History ids)."""
            choices = stopped_choices(self.ctx, ctx.owner(request))
            return gr.Dropdown(
                choices=choices, value=entry_id if entry_id in dict(choices).values() else None
            )

        outputs = [self.audio, self.files, self.status, self.entry]
        offer = {
            "fn": list_stopped,
            "inputs": self.entry,
            "outputs": self.stopped,
            "api_visibility": "private",
        }
        common = {"concurrency_id": HEAVY, "show_progress": "full"}
        follow_model(ctx, specs, model, self.roles[1::2])
        self.narrate_button.click(
            narrate_text,
            inputs=[self.text, model, voice, language, speed, *self.roles],
            outputs=outputs,
            api_name="narrate",
            **common,
        ).then(**offer)
        self.continue_button.click(
            continue_narration,
            inputs=[self.stopped],
            outputs=outputs,
            api_name="continue_narration",
            **common,
        ).then(**offer)
        self.stop_button.click(stop_narration, outputs=self.status, api_name="stop_narration", queue=False)
        self.stopped.focus(list_stopped, outputs=self.stopped, api_name="stopped_narrations", queue=False)


def build(ctx: StudioContext, specs: tuple[str, ...]) -> NarrationPanel:
    """The narration sub-tab, inside the Speech tab's mode tabs; call `connect` once the shared
    model, voice, language and speed controls exist."""
    with gr.Tab(tr("narration.tab"), id=SUBTAB):
        gr.Markdown(tr("narration.intro"))
        text = gr.Textbox(label=tr("narration.text"), lines=12, max_length=MAX_NARRATION_CHARS)
        narrate_button, stop_button = run_buttons()
        status = gr.Textbox(label=tr("common.status"), interactive=False)
        audio = gr.Audio(label=tr("narration.audio"), type="filepath", interactive=False)
        sent = send_to.slot(audio)
        files = gr.File(label=tr("narration.files"), file_count="multiple", interactive=False)
        entry = gr.Textbox(visible=False)  # the History id of the last narration, for API callers
        roles = role_rows(ctx.manager.backend_for(specs[0]).voices())
        with gr.Row():
            stopped = gr.Dropdown(
                choices=[],  # whose they are is known per request: filled when focused
                label=tr("narration.stopped"),
                scale=3,
                allow_custom_value=True,  # the list changes after start-up; the handler checks the id
            )
            continue_button = gr.Button(tr("narration.continue"), scale=1)
    return NarrationPanel(
        ctx,
        specs,
        text,
        narrate_button,
        stop_button,
        status,
        audio,
        files,
        entry,
        stopped,
        continue_button,
        sent,
        roles,
    )


def handle(
    panel: NarrationPanel, tab_id: str, modes: gr.Tabs, shared: dict[str, gr.components.Component]
) -> TabHandle:
    """History reuse: a narration's text goes back into the chapter box and its model, voice,
    language and speed into the `shared` controls of the Speech tab; text sent here too."""
    return TabHandle(
        tab_id=tab_id,
        tasks=(TASK,),
        controls={"text": panel.text, **shared},
        subtab=(modes, SUBTAB),
        receivers={"text": panel.text},
        results={"speech": panel.sent},
    )
