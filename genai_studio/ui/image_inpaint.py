"""Inpaint sub-tab: paint over what should go, get it filled at the photo's own resolution."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from genai_studio import images
from genai_studio.backends.base import ModelSpec
from genai_studio.backends.image.inpaint_request import METHODS, build_inpaint_request
from genai_studio.inputs import choice
from genai_studio.ui.common import StudioContext, TabHandle, strings, tr, user_errors
from genai_studio.ui.image_tab import (
    CheckedImage,
    SubTabs,
    before_after_outputs,
    editor_parts,
    model_dropdown,
    paint_editor,
    run_controls,
    stream_before_after,
    wire_run,
)

TASK = "inpaint"
CLASSIC_BACKENDS = ("classic-inpaint",)  # cannot paint from a prompt: a full mask is refused
ASSETS = Path(__file__).resolve().parents[2] / "assets" / "images"
EXAMPLES = (  # (photo, mask): an object to remove, scratches to mend
    ("reference/coffee.jpg", "inpaint/coffee_spoon_mask.png"),
    ("inpaint/astronaut_scratched.jpg", "inpaint/astronaut_scratches_mask.png"),
)

strings(
    {
        "inpaint.tab": ("Inpaint", "局部重绘"),
        "inpaint.intro": (
            "Upload a photo and paint over what should disappear (scratches, wires, text, people). "
            "Thin strokes are diffused from their edges; larger areas are rebuilt from texture found "
            "elsewhere in the photo. A diffusion model, where offered, paints from your prompt.",
            "上传照片，涂抹需要去除的部分（划痕、电线、文字、人物）。细笔画从边缘扩散填补；"
            "较大区域用照片其他位置的纹理重建。若提供扩散模型，则按提示词绘制。",
        ),
        "inpaint.editor": ("Photo: paint the area to fill", "照片：涂抹需要填补的区域"),
        "inpaint.mask": ("Or upload a mask (white = fill)", "或上传蒙版（白色为填补区域）"),
        "inpaint.method": ("Method", "方法"),
        "inpaint.method.auto": ("Auto (from the mask and the photo's size)", "自动（按蒙版和照片尺寸）"),
        "inpaint.method.telea": ("Telea (thin masks, fast)", "Telea（细蒙版，快速）"),
        "inpaint.method.ns": ("Navier-Stokes (thin masks)", "Navier-Stokes（细蒙版）"),
        "inpaint.method.patchmatch": ("PatchMatch (copied texture, best)", "PatchMatch（复制纹理，最佳）"),
        "inpaint.prompt": ("Prompt (diffusion models)", "提示词（扩散模型）"),
        "inpaint.negative": ("Negative prompt", "反向提示词"),
        "inpaint.steps": ("Steps", "步数"),
        "inpaint.guidance": ("Guidance", "引导强度"),
        "inpaint.strength": ("Strength", "重绘强度"),
        "inpaint.fill": ("Fill", "填补"),
        "inpaint.examples": ("Examples: a photo and its mask", "示例：照片及其蒙版"),
    }
)


def _is_classic(spec: str) -> bool:
    """Classic methods take a method and no prompt; diffusion models the other way round."""
    return ModelSpec.parse(spec).backend in CLASSIC_BACKENDS


def build(ctx: StudioContext, parent: SubTabs) -> TabHandle:
    specs = ctx.settings.inpaint_models

    @user_errors
    def inpaint_image(
        request: gr.Request,
        editor: dict[str, Any] | None,
        mask: str | None,
        model: str,
        method: str,
        prompt: str,
        negative_prompt: str,
        steps: float,
        guidance: float,
        strength: float,
        seed: float,
    ) -> Iterator[tuple[Any, Any, str]]:
        """Fill the masked area of a photo; the result keeps the photo's own resolution.

        Args:
            editor: the photo with the area to fill painted on it: {"background": image,
                "layers": [brush layers], "composite": image}; layers may be empty if `mask` is given.
            mask: an optional mask image, white where the photo should be filled; combined
                with the painted layers.
            model: a model spec from the list the server offers.
            method: auto, telea, ns or patchmatch (classic models; diffusion models ignore it).
            prompt: what to paint in the hole (diffusion models only).
            negative_prompt: what to avoid (diffusion models only).
            steps: denoising steps (diffusion models only).
            guidance: classifier-free guidance scale (diffusion models only).
            strength: how much of the masked content is replaced, 0.01-1 (diffusion models only).
            seed: -1 for a random seed, or a fixed seed to repeat a result.
        Returns:
            (before, after) images, the result as a PNG file with the settings embedded, and a status line.
        """
        owner = ctx.owner(request)
        choice(model, field="Model", options=specs)
        background, layers = editor_parts(editor)
        job = build_inpaint_request(
            ctx.settings,
            image=background,
            mask_layers=layers,
            mask_upload=mask,
            method=method,
            prompt=prompt,
            negative_prompt=negative_prompt,
            steps=steps,
            guidance=guidance,
            strength=strength,
            seed=seed,
            allow_full_mask=not _is_classic(model),
        )

        def summary(params: dict[str, Any]) -> str:
            return f"{params['method'] if _is_classic(model) else model}: {prompt[:80]}".strip(": ")

        def mask_file() -> dict[str, bytes]:
            return {"mask.png": images.png_bytes((job.mask * 255).astype(np.uint8))}

        yield from stream_before_after(ctx, owner, TASK, model, job, job.image, summary, mask_file)

    with gr.Tab(tr("inpaint.tab"), id=TASK):
        gr.Markdown(tr("inpaint.intro"))
        with gr.Row():
            with gr.Column(scale=3):
                editor = paint_editor(
                    tr("inpaint.editor"),
                    gr.Brush(colors=["#ffffff", "#ff00ff"], color_mode="fixed", default_size=24),
                    eraser_size=24,
                )
                with gr.Accordion(tr("inpaint.mask"), open=False):
                    mask = CheckedImage(
                        label=tr("inpaint.mask"),
                        show_label=False,  # the accordion says it
                        type="filepath",
                        sources=("upload",),
                        height=200,
                    )
            with gr.Column(scale=2):
                model = model_dropdown(ctx, specs)
                classic = _is_classic(specs[0]) if specs else True
                method = gr.Radio(
                    [(tr(f"inpaint.method.{name}"), name) for name in METHODS],
                    value="auto",
                    label=tr("inpaint.method"),
                    visible=classic,
                )
                prompt = gr.Textbox(value="", label=tr("inpaint.prompt"), lines=2, visible=not classic)
                with gr.Accordion(tr("common.advanced"), open=False):
                    negative_prompt = gr.Textbox(
                        value="", label=tr("inpaint.negative"), lines=2, visible=not classic
                    )
                    steps = gr.Slider(
                        1, 100, value=25, step=1, label=tr("inpaint.steps"), visible=not classic
                    )
                    guidance = gr.Slider(
                        0.0, 20.0, value=7.5, step=0.5, label=tr("inpaint.guidance"), visible=not classic
                    )
                    strength = gr.Slider(
                        0.01, 1.0, value=1.0, step=0.01, label=tr("inpaint.strength"), visible=not classic
                    )
                    seed = gr.Number(value=-1, precision=0, label=tr("common.seed"))
                fill, stop, status = run_controls(tr("inpaint.fill"))
        examples = gr.Examples(
            [[str(ASSETS / photo), str(ASSETS / mask_file)] for photo, mask_file in EXAMPLES],
            inputs=[editor, mask],
            label=tr("inpaint.examples"),
        )
        examples.dataset.headers = []  # the column headers would show untranslated label keys
        before_after, download, sent = before_after_outputs()

        wire_run(
            fill,
            stop,
            inpaint_image,
            inputs=[editor, mask, model, method, prompt, negative_prompt, steps, guidance, strength, seed],
            outputs=[before_after, download, status],
            api_name="inpaint_image",
        )

        def controls_for(spec: str) -> list[Any]:
            classic = _is_classic(spec)
            return [gr.update(visible=classic)] + [gr.update(visible=not classic)] * 5

        model.change(
            controls_for,
            model,
            [method, prompt, negative_prompt, steps, guidance, strength],
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
            "strength": strength,
            "seed": seed,
        },
        image_input=editor,
        result=sent,
    )
