"""The Stable Diffusion 1.5 peer of the image benchmarks: its real architecture (UNet, VAE,
CLIP ViT-L text encoder) built from the published configs with random weights, since no
weights can be downloaded here; the cost per step does not depend on the weights.

1 and 2 denoising steps are timed at 512x512 (after a warm-up) and extrapolated:
fixed cost (text encoder, VAE) + steps x cost per step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np


def sd15_pipeline(pipeline_class_name: str, in_channels: int = 4) -> Any:
    """`diffusers.<pipeline_class_name>` with SD 1.5's architecture and random weights
    (`in_channels` 9 for the inpainting UNet)."""
    import diffusers
    import torch
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(0)
    unet = diffusers.UNet2DConditionModel(  # stable-diffusion-v1-5 (-inpainting) unet/config.json
        sample_size=64,
        in_channels=in_channels,
        out_channels=4,
        block_out_channels=(320, 640, 1280, 1280),
        layers_per_block=2,
        cross_attention_dim=768,
        attention_head_dim=8,
        down_block_types=(
            "CrossAttnDownBlock2D",
            "CrossAttnDownBlock2D",
            "CrossAttnDownBlock2D",
            "DownBlock2D",
        ),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    )
    vae = diffusers.AutoencoderKL(
        block_out_channels=(128, 256, 512, 512),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
        layers_per_block=2,
        sample_size=512,
    )
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in sorted(ByteLevel.alphabet()):
        vocab[char] = len(vocab)
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)  # tokenizing costs nothing
    text_encoder = CLIPTextModel(  # CLIP ViT-L/14 text tower, as in SD 1.5
        CLIPTextConfig(
            hidden_size=768,
            intermediate_size=3072,
            num_attention_heads=12,
            num_hidden_layers=12,
            vocab_size=49408,
            max_position_embeddings=77,
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
        )
    )
    pipe = getattr(diffusers, pipeline_class_name)(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=diffusers.DDIMScheduler(steps_offset=1),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def step_seconds(run_steps: Callable[[int], object]) -> tuple[float, float]:
    """(seconds per step, fixed seconds) of `run_steps(n)`, from 1- and 2-step runs after a warm-up."""
    import torch

    def timed(n: int) -> float:
        started = time.perf_counter()
        with torch.inference_mode():
            run_steps(n)
        return time.perf_counter() - started

    timed(1)  # warm-up
    one, two = timed(1), timed(2)
    per_step = max(two - one, 1e-3)
    return per_step, max(one - per_step, 0.0)


def sd15_img2img_seconds(image: np.ndarray, steps: int = 20, strength: float = 0.75) -> float:
    """Extrapolated seconds of SD 1.5 image-to-image on a 512x512 `image`, `steps` at
    `strength`; prints the measured figures."""
    from PIL import Image

    pipe = sd15_pipeline("StableDiffusionImg2ImgPipeline")
    start = Image.fromarray(image)
    per_step, fixed = step_seconds(  # strength 1.0: exactly n denoising steps
        lambda n: pipe(
            prompt="a painting", image=start, strength=1.0, num_inference_steps=n, guidance_scale=7.5
        )
    )
    denoising = int(steps * strength)
    total = fixed + denoising * per_step
    print(f"\nSD 1.5 img2img, random weights, 512x512: {per_step:.1f} s/step, fixed {fixed:.1f} s;")
    print(f"{steps} steps at strength {strength} ({denoising} denoising steps), extrapolated: {total:.0f} s")
    return total
