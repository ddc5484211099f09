"""Upscale sub-tab: enlarge a photo x2, x3 or x4 with a super-resolution network (embedded
ESRGAN, or a diffusion upscaler), tile by tile, with a before/after slider and the PNG saved
to History."""

from __future__ import annotations

from collections.abc import Iterator

import gradio as gr

from genai_studio.backends.image.upscale_request import (
    DEFAULT_GUIDANCE,
    DEFAULT_NOISE_LEVEL,
    DEFAULT_STEPS,
    SCALES,
    build_upscale_request,
)
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

TASK = "upscale"

strings(
    {
        "upscale.tab": ("Upscale", "放大"),
        "upscale.intro": (
            "Enlarge a photo 2, 3 or 4 times with a super-resolution network, which redraws edges and "
            "fine detail instead of blurring them. Large photos are processed tile by tile (Stop "
            "stops between tiles); the result can be up to 40 megapixels.",
            "用超分辨率网络把照片放大 2、3 或 4 倍：重绘边缘与细节，而不是简单插值变模糊。大照片逐块处理"
            "（停止会在块之间生效）；结果最大 4000 万像素。",
        ),
        "upscale.image": ("Photo", "照片"),
        "upscale.photos": ("Example photos", "示例照片"),
        "upscale.scale": ("Scale", "放大倍数"),
        "upscale.prompt": ("Prompt (diffusion upscaler)", "提示词（扩散放大模型）"),
        "upscale.negative": ("Negative prompt", "反向提示词"),
        "upscale.steps": ("Steps", "步数"),
        "upscale.guidance": ("Guidance", "引导强度"),
        "upscale.noise_level": ("Noise level (diffusion upscaler)", "噪声强度（扩散放大模型）"),
        "upscale.run": ("Upscale", "放大"),
    }
)


def build(ctx: StudioContext, parent: SubTabs) -> TabHandle | None:
    specs = ctx.settings.upscale_models
    if not specs:
        return None

    @user_errors
    def upscale_image(
        request: gr.Request,
        image: str | None,
        scale: int,
        model: str,
        prompt: str,
        negative_prompt: str,
        steps: float,
        guidance: float,
        noise_level: float,
        seed: float,
    ) -> Iterator[tuple[object, object, str]]:
        """Enlarge a photo 2, 3 or 4 times with a super-resolution model; progress per tile.

        Args:
            image: the photo to enlarge (the result may be at most 40 megapixels).
            scale: 2, 3 or 4.
            model: a model spec from the list the server offers.
            prompt: what the photo shows, to steer the detail (diffusion upscaler only).
            negative_prompt: what to avoid (diffusion upscaler only).
            steps: denoising steps per tile (diffusion upscaler only).
            guidance: classifier-free guidance scale (diffusion upscaler only).
            noise_level: noise added to the photo before denoising, 0-350 (diffusion upscaler only).
            seed: -1 for a random seed, or a fixed seed to repeat a result (diffusion upscaler only).
        Returns:
            (before, after) images, the result as a PNG file with the settings embedded, and a status line.
        """
        owner = ctx.owner(request)
        choice(model, field="Model", options=specs)
        job = build_upscale_request(
            ctx.settings,
            image=image,
            scale=scale,
            prompt=prompt,
            negative_prompt=negative_prompt,
            steps=steps,
            guidance=guidance,
            noise_level=noise_level,
            seed=seed,
        )
        summary = lambda params: f"x{params['scale']} to {params['output']}"  # noqa: E731
        yield from stream_before_after(ctx, owner, TASK, model, job, job.image, summary, dict)

    with gr.Tab(tr("upscale.tab"), id=TASK):
        gr.Markdown(tr("upscale.intro"))
        with gr.Row():
            with gr.Column():
                image = CheckedImage(
                    label=tr("upscale.image"), type="filepath", sources=("upload", "clipboard"), height=360
                )
                photo_examples(sorted(REFERENCES.glob("*.jpg")), image, tr("upscale.photos"))
            with gr.Column():
                model = model_dropdown(ctx, specs)
                scale = gr.Radio([(f"×{s}", s) for s in SCALES], value=4, label=tr("upscale.scale"))
                with gr.Accordion(tr("common.advanced"), open=False):
                    prompt = gr.Textbox(value="", label=tr("upscale.prompt"), lines=2)
                    negative_prompt = gr.Textbox(value="", label=tr("upscale.negative"), lines=2)
                    steps = gr.Slider(1, 100, value=DEFAULT_STEPS, step=1, label=tr("upscale.steps"))
                    guidance = gr.Slider(
                        0.0, 20.0, value=DEFAULT_GUIDANCE, step=0.5, label=tr("upscale.guidance")
                    )
                    noise_level = gr.Slider(
                        0, 350, value=DEFAULT_NOISE_LEVEL, step=1, label=tr("upscale.noise_level")
                    )
                    seed = gr.Number(value=-1, precision=0, label=tr("common.seed"))
                run, stop, status = run_controls(tr("upscale.run"))
        before_after, download, sent = before_after_outputs()

        controls = {
            "model": model,
            "scale": scale,
            "prompt": prompt,
            "negative_prompt": negative_prompt,
            "steps": steps,
            "guidance": guidance,
            "noise_level": noise_level,
            "seed": seed,
        }
        wire_run(
            run,
            stop,
            upscale_image,
            inputs=[image, scale, model, prompt, negative_prompt, steps, guidance, noise_level, seed],
            outputs=[before_after, download, status],
            api_name="upscale_image",
        )

    return parent.handle(TASK, (TASK,), controls, image_input=image, result=sent)
