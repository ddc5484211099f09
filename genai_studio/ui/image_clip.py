"""A short video clip through an image tool (Colorize, Style): what their sub-tabs share. Each
tool makes its request from the clip's first frame; genai_studio.pipelines.clip runs it on
every frame, steadied over time, and keeps the clip's sound. Before it starts, the UI says
how many frames it will process and about how long that takes."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from genai_studio.errors import InvalidInput
from genai_studio.owners import Owner
from genai_studio.pipelines import clip
from genai_studio.ui.common import HEAVY, StudioContext, strings, tr, user_errors

# Seconds a 640x360 frame takes on 2 busy cores: bench/clip.py measured 0.86 s (colorize) and
# 0.48 s (style) a 320x212 frame at load ~10, scaled by the pixels. Only for the estimate shown
# before a clip starts.
SECONDS_PER_FRAME = {"colorize": 2.9, "style": 1.6}

strings(
    {
        "clip.title": ("Video clip", "视频片段"),
        "clip.intro": (
            "A short clip (MP4, WebM or MOV) through this tool with the settings above, frame by frame, "
            "steadied over time so colours and strokes do not flicker; its sound is kept.",
            "用上面的设置逐帧处理一段短视频（MP4、WebM 或 MOV），"
            "并在时间上稳定，使颜色和笔触不闪烁；保留原声。",
        ),
        "clip.video": ("Clip", "视频片段"),
        "clip.run": ("Process the clip", "处理视频片段"),
        "clip.paint": ("Paint hints on its first frame", "在第一帧上绘制颜色提示"),
        "clip.result": ("Processed clip", "处理后的视频片段"),
    }
)


@dataclass(frozen=True)
class ClipControls:
    video: gr.Video
    run: gr.Button
    stop: gr.Button
    status: gr.Markdown
    result: gr.Video
    paint: gr.Button  # shown where hints can be painted on the first frame


def clip_controls(paint: bool = False) -> ClipControls:
    """The clip's input, estimate and result, in an accordion under the tool's photo controls."""
    with gr.Accordion(tr("clip.title"), open=False):
        gr.Markdown(tr("clip.intro"))
        with gr.Row():
            video = gr.Video(label=tr("clip.video"), sources=["upload"], format=None)
            result = gr.Video(label=tr("clip.result"), interactive=False, format=None)
        with gr.Row():
            first = gr.Button(tr("clip.paint"), visible=paint)
            run = gr.Button(tr("clip.run"), variant="primary")
            stop = gr.Button(tr("common.stop"), variant="stop")
        status = gr.Markdown()
    return ClipControls(video, run, stop, status, result, first)


def estimate(info: clip.ClipInfo, task: str) -> float:
    pixels = info.width * info.height / (clip.MAX_SIDE * clip.MAX_SIDE * 9 / 16)
    return info.frames * SECONDS_PER_FRAME[task] * max(0.25, pixels)


def wire_clip(
    ctx: StudioContext,
    controls: ClipControls,
    task: str,
    handler: Callable[..., Any],
    inputs: list[Any],
    api_name: str,
) -> None:
    """Run `handler` on the heavy queue (Stop cancels it); say the estimate when a clip is given."""

    @user_errors
    def clip_estimate(video: str | None) -> str:
        if not video:
            return ""
        info = clip.probe(video, ctx.settings.max_clip_seconds)
        return (
            f"{info.frames} frames at {info.width}x{info.height}, {info.fps:g} a second: "
            f"about {estimate(info, task) / 60:.1f} minutes here."
        )

    controls.video.change(
        clip_estimate, inputs=controls.video, outputs=controls.status, api_visibility="private", queue=False
    )
    on_run = controls.run.click(
        handler,
        inputs=[controls.video, *inputs],
        outputs=[controls.result, controls.status],
        api_name=api_name,
        concurrency_id=HEAVY,
        show_progress="minimal",
    )
    controls.stop.click(None, cancels=[on_run], api_visibility="private")


def run_clip(
    ctx: StudioContext,
    owner: Owner,
    task: str,
    spec: str,
    video: str,
    info: clip.ClipInfo,
    request_for: Callable[[Any], Any],
    params: dict[str, Any],
) -> Iterator[tuple[Any, str]]:
    """Every frame through `spec` with the request `request_for(frame)`, streaming (result,
    status); the clip is saved to `owner`'s History with its poster."""
    cancel = threading.Event()
    with tempfile.TemporaryDirectory(prefix="clip-") as workdir:
        work = clip.process_clip(
            ctx.manager.for_owner(owner), spec, request_for, Path(video), info, Path(workdir), cancel
        )
        try:
            for item in work:
                if isinstance(item, clip.ClipProgress):
                    left = f", about {item.seconds_left:.0f} s left" if item.seconds_left is not None else ""
                    yield gr.skip(), f"Frame {item.done} of {item.frames}{left}"
                    continue
                saved = ctx.history.save(
                    owner,
                    task,
                    spec,
                    {**params, "model": spec, "clip": item.params},
                    f"clip: {info.seconds:.1f} s, flicker {item.params['flicker']:g}",
                    item.files,
                )
                status = (
                    f"Done: {item.params['frames']} frames in {item.params['seconds']:.0f} s, sound "
                    f"{'kept' if info.audio else '(none in the clip)'}; mean change between frames "
                    f"{item.params['flicker']:g} grey levels."
                )
                yield ctx.deliver(owner, saved, clip.CLIP), status
        finally:
            cancel.set()  # Stop (this generator closed) ends the frame's job at once
            work.close()  # and ffmpeg with it; nothing is kept


def first_frame(video: str, info: clip.ClipInfo) -> Any:
    """The clip's first frame, from which the tool's request is made (and checked)."""
    frames = clip.read_frames(Path(video), info)
    try:
        frame = next(frames, None)
    finally:
        frames.close()
    if frame is None:
        raise InvalidInput("The clip has no frames the studio can read.")
    return frame
