"""Generate sub-tab: an image from a text prompt (Stable Diffusion and kin through diffusers).

Built only when the operator configured a text-to-image model: none runs offline on a CPU
in reasonable time, so a studio without one shows no Generate sub-tab at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr
import numpy as np

from genai_studio.backends.base import Progress, Result
from genai_studio.backends.image.diffusion_inputs import MAX_STEPS
from genai_studio.backends.image.hub_diffusers_txt2img import MAX_SIDE, MIN_SIDE, build_text_to_image_request
from genai_studio.inputs import choice
from genai_studio.ui import send_to
from genai_studio.ui.common import StudioContext, TabHandle, run_buttons, strings, tr, user_errors
from genai_studio.ui.image_tab import SubTabs, model_dropdown, save_result, wire_run

TASK = "text_to_image"
EXAMPLE_PROMPTS = (
    "a lighthouse on a rocky coast at dusk, oil painting, warm light",
    "a red fox in fresh snow, soft morning light, photograph",
    "isometric cutaway of a tiny bakery, pastel colours, detailed illustration",
)

strings(
    {
        "generate.tab": ("Generate", "生成"),
        "generate.intro": (
            "Describe the image you want; the preview sharpens at every denoising step. "
            "Keep the seed to repeat a result, change it for variations.",
            "描述想要的图像；每个去噪步骤都会更新预览。保留随机种子可重现结果，更换种子可得到变体。",
        ),
        "generate.prompt": ("Prompt", "提示词"),
        "generate.negative": ("Negative prompt (what to avoid)", "反向提示词（要避免的内容）"),
        "generate.width": ("Width", "宽度"),
        "generate.height": ("Height", "高度"),
        "generate.steps": ("Steps", "步数"),
        "generate.guidance": ("Guidance (how closely to follow the prompt)", "引导强度（遵循提示词的程度）"),
        "generate.result": ("Image", "图像"),
        "generate.examples": ("Example prompts", "示例提示词"),
    }
)


def build(ctx: StudioContext, parent: SubTabs) -> TabHandle | None:
    specs = ctx.settings.text_to_image_models
    if not specs:
        return None

    @user_errors
    def generate_image(
        request: gr.Request,
        prompt: str,
        negative_prompt: str,
        width: float,
        height: float,
        steps: float,
        guidance: float,
        seed: float,
        model: str,
    ) -> Iterator[tuple[Any, Any, str]]:
        """Paint an image from a text prompt with a diffusion model, streaming a preview per step.

        Args:
            prompt: what the image should show.
            negative_prompt: what to keep out of the image (may be empty).
            width: image width in pixels, 256-2048 (rounded down to a multiple of 8).
            height: image height in pixels, 256-2048 (rounded down to a multiple of 8).
            steps: denoising steps, 1-150; more is slower and usually finer.
            guidance: classifier-free guidance scale, 0-30; higher follows the prompt more literally.
            seed: -1 for a random seed, or a fixed seed to repeat a result.
            model: a model spec from the list the server offers.
        Returns:
            the image (previews while it is made), the result as a PNG file with the settings
            embedded, and a status line.
        """
        owner = ctx.owner(request)
        choice(model, field="Model", options=specs)
        job = build_text_to_image_request(
            prompt=prompt,
            negative_prompt=negative_prompt,
            width=width,
            height=height,
            steps=steps,
            guidance=guidance,
            seed=seed,
        )
        for item in ctx.manager.for_owner(owner).run(model, job):
            if isinstance(item, Progress):
                preview = item.partial if isinstance(item.partial, np.ndarray) else gr.skip()
                yield preview, gr.skip(), item.message
            elif isinstance(item, Result):
                params = {**item.params, "model": model}
                _, path = save_result(ctx, owner, TASK, model, params, item.output, summary=job.prompt[:80])
                size = f"{job.width}×{job.height}"
                yield path, path, f"Generated {size} in {job.steps} steps, seed {params['seed']}."

    with gr.Tab(tr("generate.tab"), id=TASK):
        gr.Markdown(tr("generate.intro"))
        with gr.Row():
            with gr.Column(scale=2):
                prompt = gr.Textbox(value="", label=tr("generate.prompt"), lines=3)
                negative_prompt = gr.Textbox(value="", label=tr("generate.negative"), lines=2)
                model = model_dropdown(ctx, specs)
                with gr.Row():
                    width = gr.Slider(MIN_SIDE, MAX_SIDE, value=512, step=8, label=tr("generate.width"))
                    height = gr.Slider(MIN_SIDE, MAX_SIDE, value=512, step=8, label=tr("generate.height"))
                with gr.Accordion(tr("common.advanced"), open=False):
                    steps = gr.Slider(1, MAX_STEPS, value=25, step=1, label=tr("generate.steps"))
                    guidance = gr.Slider(0.0, 20.0, value=7.5, step=0.5, label=tr("generate.guidance"))
                    seed = gr.Number(value=-1, precision=0, label=tr("common.seed"))
                generate, stop = run_buttons()
                status = gr.Markdown()
                examples = gr.Examples(
                    [[text] for text in EXAMPLE_PROMPTS], inputs=[prompt], label=tr("generate.examples")
                )
                examples.dataset.headers = []  # the column header would show an untranslated label key
            with gr.Column(scale=3):
                image = gr.Image(label=tr("generate.result"), type="numpy", interactive=False, height=560)
                download = gr.File(label=tr("image.download"), interactive=False)
                sent = send_to.slot(download)

        wire_run(
            generate,
            stop,
            generate_image,
            inputs=[prompt, negative_prompt, width, height, steps, guidance, seed, model],
            outputs=[image, download, status],
            api_name="generate_image",
        )

    return parent.handle(
        TASK,
        (TASK,),
        {
            "prompt": prompt,
            "negative_prompt": negative_prompt,
            "width": width,
            "height": height,
            "steps": steps,
            "guidance": guidance,
            "seed": seed,
            "model": model,
        },
        image_input=None,  # made from a prompt alone
        result=sent,
    )
