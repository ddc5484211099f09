"""Colorize sub-tab: paint colour hints on a black-and-white photo, or pick a reference
colour photo, or (diffusion models) describe the colours; the photo's tones never change."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from genai_studio import images
from genai_studio.backends.image.colorize_request import METHODS, build_colorize_request
from genai_studio.inputs import choice
from genai_studio.pipelines import clip
from genai_studio.ui import image_clip
from genai_studio.ui.common import StudioContext, TabHandle, strings, tr, user_errors
from genai_studio.ui.image_tab import (
    CheckedImage,
    SubTabs,
    before_after_outputs,
    editor_parts,
    model_dropdown,
    paint_editor,
    photo_examples,
    run_controls,
    stream_before_after,
    wire_run,
)

TASK = "colorize"
REFERENCES = Path(__file__).resolve().parents[2] / "assets" / "images" / "reference"
# Brush colours offered first: skin, sky, foliage, earth, red, gold, and white for "keep neutral".
HINT_COLOURS = ["#e0ac8a", "#6a9fd8", "#4f8a3c", "#7a5533", "#c0392b", "#e6b422", "#ffffff"]

strings(
    {
        "colorize.tab": ("Colorize", "上色"),
        "colorize.intro": (
            "Upload a black-and-white photo (a colour photo is converted). **Hints**: paint a few "
            "strokes of colour with the brush; each colour spreads up to the edges around it (white "
            "strokes keep an area neutral). **Reference**: pick or upload a colour photo of a similar "
            "scene; its colours are matched by tone and texture. **Prompt**: a diffusion model invents "
            "colours from your words. The photo's tones and detail are always kept.",
            "上传黑白照片（彩色照片会先转为黑白）。**提示**：用画笔涂几笔颜色，颜色会扩散到周围的边缘为止"
            "（白色笔画表示保持无色）。**参考**：选择或上传一张相似场景的彩色照片，按明暗和纹理匹配其颜色。"
            "**提示词**：扩散模型根据文字生成颜色。照片的明暗与细节始终保持不变。",
        ),
        "colorize.editor": ("Photo: paint colour hints", "照片：涂上颜色提示"),
        "colorize.method": ("Method", "方法"),
        "colorize.method.hints": ("Colour hints (brush)", "颜色提示（画笔）"),
        "colorize.method.reference": ("Reference photo", "参考照片"),
        "colorize.method.prompt": ("Prompt (diffusion models)", "提示词（扩散模型）"),
        "colorize.reference": ("Reference colour photo", "参考彩色照片"),
        "colorize.references": ("Reference photos", "参考照片"),
        "colorize.prompt": ("Prompt (diffusion models)", "提示词（扩散模型）"),
        "colorize.negative": ("Negative prompt", "反向提示词"),
        "colorize.steps": ("Steps", "步数"),
        "colorize.guidance": ("Guidance", "引导强度"),
        "colorize.run": ("Colorize", "上色"),
    }
)


def build(ctx: StudioContext, parent: SubTabs) -> TabHandle:
    specs = ctx.settings.colorize_models

    @user_errors
    def colorize_photo(
        request: gr.Request,
        editor: dict[str, Any] | None,
        method: str,
        reference: str | None,
        model: str,
        prompt: str,
        negative_prompt: str,
        steps: float,
        guidance: float,
        seed: float,
    ) -> Iterator[tuple[Any, Any, str]]:
        """Add colour to a black-and-white photo, keeping its tones; full resolution.

        Args:
            editor: the photo with colour hints painted on it: {"background": image,
                "layers": [brush layers, transparent except where painted], "composite": image}.
            method: hints (spread the painted colours), reference (take the colours of
                `reference`) or prompt (diffusion models colour from the prompt).
            reference: a colour photo of a similar scene (method "reference").
            model: a model spec from the list the server offers.
            prompt: the colours to paint, in words (diffusion models).
            negative_prompt: what to avoid (diffusion models).
            steps: denoising steps (diffusion models).
            guidance: classifier-free guidance scale (diffusion models).
            seed: -1 for a random seed, or a fixed seed to repeat a result.
        Returns:
            (before, after) images, the result as a PNG file with the settings embedded, and a status line.
        """
        owner = ctx.owner(request)
        choice(model, field="Model", options=specs)
        background, layers = editor_parts(editor)
        job = build_colorize_request(
            ctx.settings,
            image=background,
            method=method,
            hint_layers=layers,
            reference=reference,
            prompt=prompt,
            negative_prompt=negative_prompt,
            steps=steps,
            guidance=guidance,
            seed=seed,
        )

        def hint_files() -> dict[str, bytes]:
            if job.hint_mask is None or not job.hint_mask.any():
                return {}
            alpha = (job.hint_mask * 255).astype(np.uint8)[:, :, None]
            return {"hints.png": images.png_bytes(np.dstack([job.hint_rgb, alpha]))}

        def summary(params: dict[str, Any]) -> str:
            return f"{params['method']}: {prompt[:80]}" if params["method"] == "prompt" else params["method"]

        yield from stream_before_after(ctx, owner, TASK, model, job, job.image, summary, hint_files)

    @user_errors
    def colorize_clip(
        request: gr.Request,
        video: str | None,
        editor: dict[str, Any] | None,
        method: str,
        reference: str | None,
        model: str,
        seed: float,
    ) -> Iterator:
        """Colorize a short black-and-white video clip, frame by frame, steadied over time so the
        colours do not flicker; its sound is kept.

        Args:
            video: the clip (MP4, WebM or MOV; at most the server's limit, 15 s by default).
            editor: for "hints": the clip's first frame with colour strokes painted on it
                ({"background", "layers", "composite"}); the hints follow the picture's motion.
            method: "hints" (strokes on the first frame, carried by optical flow) or "reference".
            reference: for "reference": a colour photo whose colours are transferred.
            model: a colorize model spec from the list the server offers.
            seed: -1 for a random seed (one for the whole clip).
        Returns:
            The colorized clip (MP4 with the clip's sound) and a status line.
        """
        owner = ctx.owner(request)
        choice(model, field="Model", options=specs)
        choice(method, field="Method (a clip)", options=("hints", "reference"))
        info = clip.probe(video, ctx.settings.max_clip_seconds)
        first = image_clip.first_frame(video, info)
        _, layers = editor_parts(editor)
        job = build_colorize_request(
            ctx.settings, image=first, method=method, hint_layers=layers, reference=reference, seed=seed
        )
        if method == "hints":
            carry = clip.HintCarrier(job.hint_rgb, job.hint_mask)

            def request_for(frame: np.ndarray) -> Any:
                colours, painted = carry(frame)
                return replace(job, image=frame, hint_rgb=colours, hint_mask=painted)
        else:

            def request_for(frame: np.ndarray) -> Any:
                return replace(job, image=frame)

        params = {"method": method, "seed": job.seed}
        yield from image_clip.run_clip(ctx, owner, TASK, model, video, info, request_for, params)

    @user_errors
    def first_frame_to_paint(video: str | None) -> dict[str, Any]:
        """The clip's first frame in the editor, to paint colour hints on for the whole clip."""
        frame = image_clip.first_frame(video, clip.probe(video, ctx.settings.max_clip_seconds))
        return {"background": frame, "layers": [], "composite": frame}

    with gr.Tab(tr("colorize.tab"), id=TASK):
        gr.Markdown(tr("colorize.intro"))
        with gr.Row():
            with gr.Column(scale=3):
                editor = paint_editor(
                    tr("colorize.editor"),
                    gr.Brush(colors=HINT_COLOURS, color_mode="defaults", default_size=12),
                    eraser_size=16,
                )
            with gr.Column(scale=2):
                model = model_dropdown(ctx, specs)
                method = gr.Radio(
                    [(tr(f"colorize.method.{name}"), name) for name in METHODS],
                    value="hints",
                    label=tr("colorize.method"),
                )
                reference = CheckedImage(
                    label=tr("colorize.reference"),
                    type="filepath",
                    sources=("upload", "clipboard"),
                    height=200,
                )
                photo_examples(sorted(REFERENCES.glob("*.jpg")), reference, tr("colorize.references"))
                prompt = gr.Textbox(value="", label=tr("colorize.prompt"), lines=2)
                with gr.Accordion(tr("common.advanced"), open=False):
                    negative_prompt = gr.Textbox(value="", label=tr("colorize.negative"), lines=2)
                    steps = gr.Slider(1, 100, value=20, step=1, label=tr("colorize.steps"))
                    guidance = gr.Slider(0.0, 20.0, value=7.5, step=0.5, label=tr("colorize.guidance"))
                    seed = gr.Number(value=-1, precision=0, label=tr("common.seed"))
                run, stop, status = run_controls(tr("colorize.run"))
        before_after, download, sent = before_after_outputs()
        clips = image_clip.clip_controls(paint=True)

        wire_run(
            run,
            stop,
            colorize_photo,
            inputs=[editor, method, reference, model, prompt, negative_prompt, steps, guidance, seed],
            outputs=[before_after, download, status],
            api_name="colorize_photo",
        )
        image_clip.wire_clip(
            ctx, clips, TASK, colorize_clip, [editor, method, reference, model, seed], "colorize_clip"
        )
        clips.paint.click(first_frame_to_paint, inputs=clips.video, outputs=editor, api_visibility="private")
        # Picking a reference photo means the user wants the reference method.
        reference.change(
            lambda picked, current: "reference" if picked else current,
            inputs=[reference, method],
            outputs=method,
            api_visibility="private",
            queue=False,
        )

    return parent.handle(
        TASK,
        (TASK,),
        {
            "model": model,
            "method": method,
            "prompt": prompt,
            "negative_prompt": negative_prompt,
            "steps": steps,
            "guidance": guidance,
            "seed": seed,
        },
        image_input=editor,
        result=sent,
    )
