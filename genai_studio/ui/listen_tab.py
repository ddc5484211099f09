"""Listen tab: speech to text. An uploaded recording (audio or video) or one made with the
microphone is transcribed segment by segment, each shown with its times as soon as it is
recognised; the transcript and its subtitles (TXT, SRT, WebVTT, JSON) are saved to History.

Stop ends recognition between segments; what was heard until then is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from genai_studio.backends.base import Progress, Result
from genai_studio.backends.listen.request import AUTO, TranscribeRequest, build_request, language_choices
from genai_studio.backends.listen.transcript import JSON, SRT, TXT, VTT, Segment, Transcript, timed_lines
from genai_studio.backends.listen.transcript import files as transcript_files
from genai_studio.backends.speech import auto_language
from genai_studio.history import Entry
from genai_studio.inputs import choice
from genai_studio.owners import Owner
from genai_studio.ui import send_to
from genai_studio.ui.common import HEAVY, StudioContext, TabHandle, model_choices, strings, tr, user_errors

TASK = "transcribe"
TAB = "listen"
UPDATE_EVERY_S = 0.1
MEDIA_TYPES = [
    ".wav", ".mp3", ".m4a", ".ogg", ".oga", ".opus", ".flac", ".aac", ".webm", ".mp4", ".mov", ".mkv",
]  # fmt: skip

strings(
    {
        "listen.tab": ("Listen", "听写"),
        "listen.intro": (
            "Turn speech into text: upload a recording (WAV, MP3, M4A, OGG, FLAC, or the sound of an "
            "MP4 or WebM video) or record one with the microphone. Each segment appears with its "
            "times as soon as it is recognised; the transcript and subtitles (SRT, WebVTT) are ready "
            "to download at the end. Chinese is written in simplified characters.",
            "把语音转成文字：上传录音（WAV、MP3、M4A、OGG、FLAC，或 MP4、WebM 视频的声音）或用麦克风录一段。"
            "每识别出一段就立即显示它的时间；结束后可下载文字稿和字幕（SRT、WebVTT）。中文以简体字输出。",
        ),
        "listen.file": ("Audio or video file", "音频或视频文件"),
        "listen.record": ("Or record with the microphone", "或用麦克风录音"),
        "listen.transcribe": ("Transcribe", "转写"),
        "listen.segments": ("Segments, with their times", "分段（含时间）"),
        "listen.transcript": ("Transcript", "文字稿"),
        "listen.files": (
            "Transcript and subtitles (TXT, SRT, WebVTT, JSON)",
            "文字稿和字幕（TXT、SRT、WebVTT、JSON）",
        ),
        "listen.language": ("Language spoken", "所说语言"),
        "listen.translate": ("Translate to English", "翻译成英语"),
        "listen.words": ("Time every word (JSON)", "标注每个词的时间（JSON）"),
        "listen.prompt": ("Words to expect (names, spellings)", "预期词语（人名、拼写）"),
    }
)


def save(
    ctx: StudioContext, owner: Owner, model: str, job: TranscribeRequest, transcript: Transcript, params: dict
) -> Entry:
    """One transcript in History, under its owner."""
    summary = transcript.text[:120] or f"(no speech) {job.name}"[:120]
    return ctx.history.save(owner, TASK, model, params, summary, transcript_files(transcript))


def build(ctx: StudioContext) -> list[TabHandle]:
    specs = ctx.settings.listen_models

    @user_errors
    def transcribe(
        request: gr.Request,
        file: str | None,
        recording: str | None,
        model: str,
        language: str = AUTO,
        translate: bool = False,
        word_timestamps: bool = False,
        prompt: str = "",
    ) -> Iterator[tuple[Any, ...]]:
        """Transcribe speech in an audio or video file, streaming each segment with its times.

        Args:
            file: an audio or video file (WAV, MP3, M4A, OGG, FLAC, MP4, WebM...); its sound is
                transcribed.
            recording: a microphone recording, used when no file is given.
            model: a speech recognition model spec from the list the server offers (e.g. whisper).
            language: "auto" to detect it, or the language spoken as a code (en, zh, fr, de, es, ja...).
            translate: true to write English whatever the language spoken.
            word_timestamps: true to time every word (in the JSON file).
            prompt: words to expect, such as names and their spellings; "" for none.
        Returns:
            The segments so far with their times, the transcript so far, a status line, and at the
            end the transcript and its subtitles as TXT, SRT, WebVTT and JSON files.
        """
        owner = ctx.owner(request)
        choice(model, field="Model", options=specs)
        ctx.manager.available_backend(model)
        source = file or recording
        job = build_request(
            ctx.settings,
            media_path=source,
            language=language,
            translate=translate,
            word_timestamps=word_timestamps,
            prompt=prompt,
            name="microphone recording" if source and not file else Path(str(source or "")).name,
        )
        segments: list[Segment] = []
        yield "", "", "Listening…", None
        finished = False
        try:
            for batch in ctx.manager.for_owner(owner).run_batched(model, job, every=UPDATE_EVERY_S):
                status = gr.skip()
                for item in batch:
                    if isinstance(item, Progress):
                        status = item.message
                        if isinstance(item.partial, Segment):
                            segments.append(item.partial)
                    elif isinstance(item, Result):
                        finished = True
                        transcript: Transcript = item.output
                        params = {**item.params, "model": model}
                        entry = save(ctx, owner, model, job, transcript, params)
                        files = [ctx.deliver(owner, entry, name) for name in (TXT, SRT, VTT, JSON)]
                        yield timed_lines(transcript), transcript.text, done_status(transcript, item), files
                        return
                heard = heard_so_far(job, segments)
                yield timed_lines(segments), heard.text, status, gr.skip()
        finally:  # Stop: what was heard is kept
            if not finished and segments:
                heard = heard_so_far(job, segments)
                params = {**job.params(), "model": model, "stopped": True, "segments": len(segments)}
                save(ctx, owner, model, job, heard, params)

    if not specs:  # no speech recognition model configured: the tab is absent
        return []
    languages = language_choices()
    with gr.Tab(tr("listen.tab"), id=TAB):
        gr.Markdown(tr("listen.intro"))
        with gr.Row():
            with gr.Column(scale=2):
                with gr.Row():
                    file = gr.File(label=tr("listen.file"), file_types=MEDIA_TYPES, elem_id="listen-file")
                    recording = gr.Audio(
                        label=tr("listen.record"),
                        sources=["microphone"],
                        type="filepath",
                        format="wav",
                        elem_id="listen-record",
                    )
                with gr.Row():
                    go = gr.Button(tr("listen.transcribe"), variant="primary")
                    stop = gr.Button(tr("common.stop"), variant="stop")
                status = gr.Textbox(label=tr("common.status"), interactive=False)
                segments = gr.Textbox(
                    label=tr("listen.segments"),
                    lines=8,
                    max_lines=16,
                    interactive=False,
                    autoscroll=True,
                    elem_id="listen-segments",
                )
                transcript = gr.Textbox(
                    label=tr("listen.transcript"),
                    lines=5,
                    interactive=False,
                    buttons=["copy"],
                    elem_id="listen-transcript",
                )
                sent = send_to.slot(transcript)
                files = gr.File(label=tr("listen.files"), file_count="multiple", interactive=False)
            with gr.Column(scale=1):
                model = gr.Dropdown(model_choices(ctx, specs), value=specs[0], label=tr("common.model"))
                language = gr.Dropdown(
                    [(name, code) for code, name in languages.items()],
                    value=AUTO,
                    label=tr("listen.language"),
                    allow_custom_value=True,  # checked by the request (a short message, not 100 choices)
                )
                translate = gr.Checkbox(value=False, label=tr("listen.translate"))
                word_timestamps = gr.Checkbox(value=False, label=tr("listen.words"))
                prompt = gr.Textbox(label=tr("listen.prompt"), lines=2)

        on_click = go.click(
            transcribe,
            inputs=[file, recording, model, language, translate, word_timestamps, prompt],
            outputs=[segments, transcript, status, files],
            api_name="transcribe",
            concurrency_id=HEAVY,
            show_progress="minimal",
        )
        stop.click(None, cancels=[on_click], api_visibility="private")
        # one source at a time: a new file clears the recording, a new recording the file
        private = dict(api_visibility="private", queue=False, show_progress="hidden")
        file.upload(None, outputs=recording, js="() => null", **private)
        recording.stop_recording(None, outputs=file, js="() => null", **private)

    controls = {"language": language, "translate": translate, "word_timestamps": word_timestamps}
    controls |= {"prompt": prompt, "model": model}
    return [
        TabHandle(
            tab_id=TAB,
            tasks=(TASK,),
            controls=controls,
            receivers={"speech": file},  # a voice made in the studio, heard back
            results={"text": sent},
        )
    ]


def heard_so_far(job: TranscribeRequest, segments: list[Segment]) -> Transcript:
    """The segments recognised so far as a transcript, in the language chosen or, on auto, the
    one their text is written in (the backend names it only at the end)."""
    spoken = job.language if job.language != AUTO else auto_language.detect("".join(s.text for s in segments))
    return Transcript(tuple(segments), spoken, segments[-1].end if segments else 0.0, job.task)


def done_status(transcript: Transcript, result: Result) -> str:
    """The last status line: what was heard, or plainly that nothing was."""
    if result.info:
        return result.info
    heard = f"{len(transcript.segments)} segments in {transcript.duration:.1f} s of audio"
    stopped = " · stopped" if result.params.get("stopped") else ""
    return f"{heard} · language {transcript.language}{stopped}"
