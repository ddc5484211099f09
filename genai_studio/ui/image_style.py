"""Style sub-tab: give a photo the look of any style image, or of two mixed (the learned
network by default; patch synthesis or a diffusion model with an IP-Adapter as other models),
one of the 26 fixed styles (picked from thumbnails) or a quick look."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from functools import partial

import gradio as gr

from genai_studio import images
from genai_studio.backends.image.style_fullsize import METHODS, TILES
from genai_studio.backends.image.style_request import (
    FIXED_LOOKS,
    LOOK_NAMES,
    STYLE_IMAGE,
    WORK_SIDES,
    build_style_request,
)
from genai_studio.inputs import choice
from genai_studio.pipelines import clip
from genai_studio.ui import image_clip
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
FIXED_THUMBNAILS = REFERENCES / "fixed-styles"

strings(
    {
        "style.tab": ("Style", "风格迁移"),
        "style.intro": (
            "Upload a photo and a style image (a painting, a texture, any picture): the learned "
            "network repaints the photo in that style in a second or two, at the photo's full size. "
            "Mix in a second style image with the blend slider, or pick one of the 26 fixed styles "
            "or a quick look. Strength moves from the photo's own style to the style image's; "
            "*keep colours* keeps the photo's colours and takes only the style's strokes and tones. "
            "Patch synthesis (no learned weights) is the other embedded model.",
            "上传照片和一张风格图（画作、纹理或任意图片）：学习得到的网络在一两秒内以照片原尺寸按该风格重绘。"
            "可用混合滑块加入第二张风格图，或选择 26 种固定风格之一或快速风格。"
            "强度从照片自身的风格过渡到风格图的风格；"
            "“保留颜色”只采用风格的笔触与明暗，保留照片原有颜色。图块合成（无需学习权重）是另一个内置模型。",
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
        **{
            f"style.look.{look}": (f"Fixed style {number}", f"固定风格 {number}")
            for number, look in enumerate(FIXED_LOOKS, start=1)
        },
        "style.fixed": ("Fixed styles (learned network): click one", "固定风格（学习网络）：点击选择"),
        "style.style2": ("Second style image (optional)", "第二张风格图（可选）"),
        "style.blend": ("Blend: 0 first style, 1 second style", "混合：0 为第一张，1 为第二张"),
        "style.full_size": (
            "Full size (off: a fast preview at working size)",
            "原尺寸输出（关闭：工作尺寸快速预览）",
        ),
        "style.full_size_method": ("Full size by", "原尺寸方式"),
        "style.full_size_method.tiles": ("Tiles (sharp strokes)", "图块（笔触清晰）"),
        "style.full_size_method.detail": ("Photo detail (fastest)", "照片细节（最快）"),
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
        style2: str | None = None,
        style_blend: float = 0.5,
        full_size: bool = True,
        full_size_method: str = TILES,
    ) -> Iterator[tuple[object, object, str]]:
        """Give a photo the style of a style image, or a quick look; previews stream.

        Args:
            content: the photo to restyle.
            style: the style image (needed for look "style-image").
            look: style-image; a quick look (oil, pencil, watercolour, cartoon); or fixed-01 to
                fixed-26, the learned network's fixed styles (model neural-style).
            model: a model spec from the list the server offers.
            strength: 0-1; neural-style with a style image moves the style from the photo's own
                (0) to the style image's (1); the other looks and classic models blend the result
                with the photo; diffusion models repaint this share of the denoising steps.
            keep_colours: keep the photo's colours, take only the style's strokes and tones.
            work_side: working size of the patch synthesis, 256-1024 pixels.
            prompt: words to steer the result (diffusion models).
            negative_prompt: what to avoid (diffusion models).
            steps: denoising steps (diffusion models).
            guidance: classifier-free guidance scale (diffusion models).
            style_weight: how strongly the style image counts, 0-2 (diffusion models).
            seed: -1 for a random seed, or a fixed seed to repeat a result.
            style2: an optional second style image, mixed with the first (neural-style).
            style_blend: 0-1, the second style's share of the mix.
            full_size: true: the result at the photo's size; false: at the network's working
                size (a fast preview).
            full_size_method: "tiles" (the network also runs on overlapping tiles: sharp strokes)
                or "detail" (the working-size result enlarged with the photo's fine detail: fastest).
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
            style2=style2,
            style_blend=style_blend,
            full_size=full_size,
            full_size_method=full_size_method,
        )

        def style_file() -> dict[str, bytes]:
            named = {"style.png": job.style, "style2.png": job.style2}
            return {name: images.png_bytes(image) for name, image in named.items() if image is not None}

        yield from stream_before_after(ctx, owner, TASK, model, job, job.content, lambda _: look, style_file)

    @user_errors
    def stylize_clip(
        request: gr.Request,
        video: str | None,
        style: str | None,
        look: str,
        model: str,
        strength: float,
        keep_colours: bool,
        style2: str | None,
        style_blend: float,
    ) -> Iterator[tuple]:
        """Give a short video clip a style, frame by frame, steadied over time; its sound is kept.

        Args:
            video: the clip (MP4, WebM or MOV; at most the server's limit, 15 s by default).
            style: the style image (for look "style-image").
            look: "style-image", a quick look (oil, pencil, watercolour, cartoon) or a fixed style.
            model: a style model spec from the list the server offers.
            strength: 0 (the clip's own look) to 1 (the style's).
            keep_colours: keep the clip's colours, take only the style's strokes and tones.
            style2: a second style image to blend in, or None.
            style_blend: 0 (the first style only) to 1 (the second only).
        Returns:
            The styled clip (MP4 with the clip's sound) and a status line.
        """
        owner = ctx.owner(request)
        choice(model, field="Model", options=specs)
        info = clip.probe(video, ctx.settings.max_clip_seconds)
        job = build_style_request(
            ctx.settings,
            content=image_clip.first_frame(video, info),
            style=style,
            look=look,
            strength=strength,
            keep_colours=keep_colours,
            style2=style2,
            style_blend=style_blend,
        )
        params = {
            "look": look,
            "strength": strength,
            "keep_colours": keep_colours,
            "style_blend": style_blend,
        }
        styled = partial(replace, job)  # each frame as the content
        yield from image_clip.run_clip(
            ctx, owner, TASK, model, video, info, lambda f: styled(content=f), params
        )

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
                style2 = CheckedImage(
                    label=tr("style.style2"), type="filepath", sources=("upload", "clipboard"), height=200
                )
                style_blend = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label=tr("style.blend"))
            with gr.Column():
                model = model_dropdown(ctx, specs)
                look = gr.Dropdown(
                    [(tr(f"style.look.{name}"), name) for name in LOOK_NAMES],
                    value=STYLE_IMAGE,
                    label=tr("style.look"),
                )
                strength = gr.Slider(0.0, 1.0, value=1.0, step=0.05, label=tr("style.strength"))
                keep_colours = gr.Checkbox(value=False, label=tr("style.keep_colours"))
                full_size = gr.Checkbox(value=True, label=tr("style.full_size"))
                prompt = gr.Textbox(value="", label=tr("style.prompt"), lines=2)
                with gr.Accordion(tr("common.advanced"), open=False):
                    full_size_method = gr.Radio(
                        [(tr(f"style.full_size_method.{name}"), name) for name in METHODS],
                        value=TILES,
                        label=tr("style.full_size_method"),
                    )
                    work_side = gr.Slider(*WORK_SIDES, value=512, step=64, label=tr("style.work_side"))
                    negative_prompt = gr.Textbox(value="", label=tr("style.negative"), lines=2)
                    steps = gr.Slider(1, 100, value=20, step=1, label=tr("style.steps"))
                    guidance = gr.Slider(0.0, 20.0, value=5.0, step=0.5, label=tr("style.guidance"))
                    style_weight = gr.Slider(0.0, 2.0, value=0.8, step=0.05, label=tr("style.style_weight"))
                    seed = gr.Number(value=-1, precision=0, label=tr("common.seed"))
                run, stop, status = run_controls(tr("style.run"))
        fixed = gr.Gallery(
            [(str(FIXED_THUMBNAILS / f"{name}.jpg"), name.split("-")[1]) for name in FIXED_LOOKS],
            label=tr("style.fixed"),
            columns=9,
            height="auto",
            allow_preview=False,
            object_fit="cover",
            elem_id="style-fixed-gallery",
        )
        before_after, download, sent = before_after_outputs()
        clips = image_clip.clip_controls()

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
            "style_blend": style_blend,
            "full_size": full_size,
            "full_size_method": full_size_method,
        }

        def pick_fixed(selected: gr.SelectData) -> str:
            return FIXED_LOOKS[selected.index]

        fixed.select(pick_fixed, outputs=look, api_visibility="private", queue=False)
        wire_run(
            run,
            stop,
            stylize_photo,
            inputs=[
                *(content, style, look, model, strength, keep_colours, work_side),
                *(prompt, negative_prompt, steps, guidance, style_weight, seed),
                *(style2, style_blend, full_size, full_size_method),
            ],
            outputs=[before_after, download, status],
            api_name="stylize_photo",
        )
        clip_inputs = [style, look, model, strength, keep_colours, style2, style_blend]
        image_clip.wire_clip(ctx, clips, TASK, stylize_clip, clip_inputs, "stylize_clip")

    return parent.handle(TASK, (TASK,), controls, image_input=content, result=sent)
