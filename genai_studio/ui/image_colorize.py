"""Colorize sub-tab: paint colour hints on a black-and-white photo, or pick a reference
colour photo, or (diffusion models) describe the colours; the photo's tones never change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import gradio as gr
import numpy as np

from genai_studio import images
from genai_studio.backends.base import Progress, Result
from genai_studio.backends.image.colorize_request import METHODS, build_colorize_request
from genai_studio.inputs import choice
from genai_studio.ui.common import HEAVY, StudioContext, TabHandle, model_choices, strings, tr, user_errors
from genai_studio.ui.image_inpaint import _editor_parts as editor_parts
from genai_studio.ui.image_tab import CheckedImage, CheckedImageEditor, SubTabs, save_result

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


def preview_pair(before: np.ndarray, partial: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(before, partial) at the partial's size, so a small step preview lines up in the slider."""
    if before.shape[:2] != partial.shape[:2]:
        before = cv2.resize(before, partial.shape[1::-1], interpolation=cv2.INTER_AREA)
    return before, partial


def build(ctx: StudioContext, parent: SubTabs) -> TabHandle:
    specs = ctx.settings.colorize_models

    @user_errors
    def colorize_photo(
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
        choice(model, field="Model", options=specs)
        background, layers = editor_parts(editor)
        request = build_colorize_request(
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
        before = request.image
        for item in ctx.manager.run(model, request):
            if isinstance(item, Progress):
                slider = (
                    preview_pair(before, item.partial) if isinstance(item.partial, np.ndarray) else gr.skip()
                )
                yield slider, gr.skip(), item.message
            elif isinstance(item, Result):
                params = {**item.params, "model": model}
                extra = {"input.png": images.png_bytes(before)}
                if request.hint_mask is not None and request.hint_mask.any():
                    alpha = (request.hint_mask * 255).astype(np.uint8)[:, :, None]
                    extra["hints.png"] = images.png_bytes(np.dstack([request.hint_rgb, alpha]))
                summary = (
                    f"{params['method']}: {prompt[:80]}" if params["method"] == "prompt" else params["method"]
                )
                _, path = save_result(
                    ctx, TASK, model, params, item.output, summary=summary, extra_files=extra
                )
                yield (before, item.output), str(path), item.info or "Done."

    with gr.Tab(tr("colorize.tab"), id=TASK):
        gr.Markdown(tr("colorize.intro"))
        with gr.Row():
            with gr.Column(scale=3):
                editor = CheckedImageEditor(
                    label=tr("colorize.editor"),
                    type="filepath",
                    format="png",  # lossless: hint colours must arrive as painted
                    brush=gr.Brush(colors=HINT_COLOURS, color_mode="defaults", default_size=12),
                    eraser=gr.Eraser(default_size=16),
                    layers=False,
                    transforms=(),
                    sources=("upload", "clipboard"),
                    height=520,
                )
            with gr.Column(scale=2):
                model = gr.Dropdown(
                    model_choices(ctx, specs), value=specs[0] if specs else None, label=tr("common.model")
                )
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
                photos = sorted(REFERENCES.glob("*.jpg"))
                if photos:
                    gr.Examples(
                        [[str(path)] for path in photos],
                        inputs=[reference],
                        example_labels=[path.stem for path in photos],
                        label=tr("colorize.references"),
                    )
                prompt = gr.Textbox(value="", label=tr("colorize.prompt"), lines=2)
                with gr.Accordion(tr("common.advanced"), open=False):
                    negative_prompt = gr.Textbox(value="", label=tr("colorize.negative"), lines=2)
                    steps = gr.Slider(1, 100, value=20, step=1, label=tr("colorize.steps"))
                    guidance = gr.Slider(0.0, 20.0, value=7.5, step=0.5, label=tr("colorize.guidance"))
                    seed = gr.Number(value=-1, precision=0, label=tr("common.seed"))
                with gr.Row():
                    run = gr.Button(tr("colorize.run"), variant="primary")
                    stop = gr.Button(tr("common.stop"), variant="stop")
                status = gr.Markdown()
        with gr.Row():
            before_after = gr.ImageSlider(label=tr("image.before_after"), type="numpy", max_height=640)
            download = gr.File(label=tr("image.download"), interactive=False)

        on_run = run.click(
            colorize_photo,
            inputs=[editor, method, reference, model, prompt, negative_prompt, steps, guidance, seed],
            outputs=[before_after, download, status],
            api_name="colorize_photo",
            concurrency_id=HEAVY,
            concurrency_limit=1,
            show_progress="minimal",
        )
        stop.click(None, cancels=[on_run], api_visibility="private")
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
    )
