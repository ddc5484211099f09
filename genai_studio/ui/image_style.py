"""Style sub-tab: give a photo the look of any style image (patch synthesis, or a diffusion
model with an IP-Adapter), or one of the quick looks; strength blends with the photo."""

from __future__ import annotations

from collections.abc import Iterator

import gradio as gr

from genai_studio import images
from genai_studio.backends.image.style_request import LOOK_NAMES, WORK_SIDES, build_style_request
from genai_studio.inputs import choice
from genai_studio.ui.common import StudioContext, TabHandle, strings, tr, user_errors
from genai_studio.ui.image_colorize import REFERENCES
from genai_studio.ui.image_tab import (
    CheckedImage,
    SubTabs,
    before_after_outputs,
    model_dropdown,
    photo_examples,
    run_controls,
    stream_before_after,
    wire_run,
)

TASK = "style"

strings(
    {
        "style.tab": ("Style", "风格迁移"),
        "style.intro": (
            "Upload a photo and a style image (a painting, a texture, any picture): the photo is "
            "rebuilt from the style's own patches, coarse to fine, keeping its outlines. Or pick a "
            "quick look. Strength blends the result with the photo; *keep colours* keeps the photo's "
            "colours and takes only the style's strokes and tones.",
            "上传照片和一张风格图（画作、纹理或任意图片）：照片由风格图自身的图块从粗到细重建，并保留轮廓。"
            "也可选择快速风格。强度控制结果与原照片的混合；“保留颜色”只采用风格的笔触与明暗，保留照片原有颜色。",
        ),
        "style.content": ("Photo", "照片"),
        "style.style": ("Style image", "风格图"),
        "style.styles": ("Style images", "风格图示例"),
        "style.photos": ("Example photos", "示例照片"),
        "style.look": ("Look", "风格"),
        "style.look.style-image": ("From the style image", "来自风格图"),
        "style.look.oil": ("Oil paint", "油画"),
        "style.look.pencil": ("Pencil", "铅笔素描"),
        "style.look.watercolour": ("Watercolour", "水彩"),
        "style.look.cartoon": ("Cartoon", "卡通"),
        "style.strength": ("Strength", "强度"),
        "style.keep_colours": ("Keep the photo's colours", "保留照片颜色"),
        "style.work_side": (
            "Working size (patch synthesis; larger is finer and slower)",
            "处理尺寸（越大越精细、越慢）",
        ),
        "style.prompt": ("Prompt (diffusion models)", "提示词（扩散模型）"),
        "style.negative": ("Negative prompt", "反向提示词"),
        "style.steps": ("Steps", "步数"),
        "style.guidance": ("Guidance", "引导强度"),
        "style.style_weight": ("Style weight (diffusion models)", "风格权重（扩散模型）"),
        "style.run": ("Apply style", "应用风格"),
    }
)


def build(ctx: StudioContext, parent: SubTabs) -> TabHandle:
    specs = ctx.settings.style_models

    @user_errors
    def stylize_photo(
        request: gr.Request,
        content: str | None,
        style: str | None,
        look: str,
        model: str,
        strength: float,
        keep_colours: bool,
        work_side: float,
        prompt: str,
        negative_prompt: str,
        steps: float,
        guidance: float,
        style_weight: float,
        seed: float,
    ) -> Iterator[tuple[object, object, str]]:
        """Give a photo the style of a style image, or a quick look; previews stream.

        Args:
            content: the photo to restyle.
            style: the style image (needed for look "style-image").
            look: style-image, oil, pencil, watercolour or cartoon (quick looks: classic models).
            model: a model spec from the list the server offers.
            strength: 0-1; classic models blend the result with the photo, diffusion models
                repaint this share of the denoising steps.
            keep_colours: keep the photo's colours, take only the style's strokes and tones.
            work_side: working size of the patch synthesis, 256-1024 pixels.
            prompt: words to steer the result (diffusion models).
            negative_prompt: what to avoid (diffusion models).
            steps: denoising steps (diffusion models).
            guidance: classifier-free guidance scale (diffusion models).
            style_weight: how strongly the style image counts, 0-2 (diffusion models).
            seed: -1 for a random seed, or a fixed seed to repeat a result.
        Returns:
            (before, after) images, the result as a PNG file with the settings embedded, and a status line.
        """
        owner = ctx.owner(request)
        choice(model, field="Model", options=specs)
        job = build_style_request(
            ctx.settings,
            content=content,
            look=look,
            style=style,
            strength=strength,
            keep_colours=keep_colours,
            work_side=work_side,
            prompt=prompt,
            negative_prompt=negative_prompt,
            steps=steps,
            guidance=guidance,
            style_weight=style_weight,
            seed=seed,
        )

        def style_file() -> dict[str, bytes]:
            return {} if job.style is None else {"style.png": images.png_bytes(job.style)}

        yield from stream_before_after(ctx, owner, TASK, model, job, job.content, lambda _: look, style_file)

    with gr.Tab(tr("style.tab"), id=TASK):
        gr.Markdown(tr("style.intro"))
        with gr.Row():
            with gr.Column():
                content = CheckedImage(
                    label=tr("style.content"), type="filepath", sources=("upload", "clipboard"), height=360
                )
                photo_examples(sorted(REFERENCES.glob("*.jpg")), content, tr("style.photos"))
            with gr.Column():
                style = CheckedImage(
                    label=tr("style.style"), type="filepath", sources=("upload", "clipboard"), height=280
                )
                samples = sorted((REFERENCES / "styles").glob("*.jpg")) + sorted(REFERENCES.glob("*.jpg"))
                photo_examples(samples, style, tr("style.styles"))
            with gr.Column():
                model = model_dropdown(ctx, specs)
                look = gr.Radio(
                    [(tr(f"style.look.{name}"), name) for name in LOOK_NAMES],
                    value=LOOK_NAMES[0],
                    label=tr("style.look"),
                )
                strength = gr.Slider(0.0, 1.0, value=1.0, step=0.05, label=tr("style.strength"))
                keep_colours = gr.Checkbox(value=False, label=tr("style.keep_colours"))
                prompt = gr.Textbox(value="", label=tr("style.prompt"), lines=2)
                with gr.Accordion(tr("common.advanced"), open=False):
                    work_side = gr.Slider(*WORK_SIDES, value=512, step=64, label=tr("style.work_side"))
                    negative_prompt = gr.Textbox(value="", label=tr("style.negative"), lines=2)
                    steps = gr.Slider(1, 100, value=20, step=1, label=tr("style.steps"))
                    guidance = gr.Slider(0.0, 20.0, value=5.0, step=0.5, label=tr("style.guidance"))
                    style_weight = gr.Slider(0.0, 2.0, value=0.8, step=0.05, label=tr("style.style_weight"))
                    seed = gr.Number(value=-1, precision=0, label=tr("common.seed"))
                run, stop, status = run_controls(tr("style.run"))
        before_after, download = before_after_outputs()

        controls = {
            "model": model,
            "look": look,
            "strength": strength,
            "keep_colours": keep_colours,
            "work_side": work_side,
            "prompt": prompt,
            "negative_prompt": negative_prompt,
            "steps": steps,
            "guidance": guidance,
            "style_weight": style_weight,
            "seed": seed,
        }
        wire_run(
            run,
            stop,
            stylize_photo,
            inputs=[
                *(content, style, look, model, strength, keep_colours, work_side),
                *(prompt, negative_prompt, steps, guidance, style_weight, seed),
            ],
            outputs=[before_after, download, status],
            api_name="stylize_photo",
        )

    return parent.handle(TASK, (TASK,), controls)
