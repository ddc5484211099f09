"""Tiny random-weight Stable Diffusion parts built from configs (as diffusers' own tests do),
saved to folders so the diffusers backends load them by path through their real
`from_pretrained` code; and the Stop check every diffusers backend test makes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from genai_studio.backends.base import Progress, Result

CROSS_DIM = 32


def tiny_text_encoder(tokenizer):
    """A 2-layer CLIP text encoder with random weights, sized for `tokenizer`."""
    from transformers import CLIPTextConfig, CLIPTextModel

    return CLIPTextModel(
        CLIPTextConfig(
            hidden_size=CROSS_DIM,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=2,
            vocab_size=len(tokenizer),
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )


def tiny_tokenizer():
    """A CLIP tokenizer whose vocabulary is the 256 byte symbols (no merges): enough to run."""
    from transformers import CLIPTokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    symbols = list(bytes_to_unicode().values())
    vocab = {s: i for i, s in enumerate(symbols)}
    vocab.update({s + "</w>": i + len(symbols) for i, s in enumerate(symbols)})
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def tiny_sd_pipeline(*, inpaint: bool = False) -> Any:
    """A tiny Stable Diffusion 1.x-shaped pipeline (random weights, 32-64 channels): text to
    image, or with `inpaint` an inpainting one (9-channel UNet)."""
    import torch
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        StableDiffusionInpaintPipeline,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=9 if inpaint else 4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=CROSS_DIM,
        norm_num_groups=32,
    )
    vae = AutoencoderKL(
        block_out_channels=[32, 64],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
        latent_channels=4,
        norm_num_groups=32,
    )
    tokenizer = tiny_tokenizer()
    text_encoder = tiny_text_encoder(tokenizer)
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    pipeline_class = StableDiffusionInpaintPipeline if inpaint else StableDiffusionPipeline
    return pipeline_class(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        image_encoder=None,
        requires_safety_checker=False,
    )


def tiny_sd(folder: Path, *, inpaint: bool = False) -> Path:
    """Save `tiny_sd_pipeline(inpaint=...)` in `folder/sd` (`folder/sd-inpaint`); returns that folder."""
    target = folder / ("sd-inpaint" if inpaint else "sd")
    tiny_sd_pipeline(inpaint=inpaint).save_pretrained(target)
    return target


def tiny_controlnet(folder: Path) -> Path:
    """Save a tiny ControlNet matching `tiny_sd`'s UNet in `folder/controlnet`."""
    import torch
    from diffusers import ControlNetModel

    torch.manual_seed(1)
    controlnet = ControlNetModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        in_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        cross_attention_dim=CROSS_DIM,
        conditioning_embedding_out_channels=(16, 32),
        norm_num_groups=32,
    )
    controlnet.save_pretrained(folder / "controlnet")
    return folder / "controlnet"


def stopped_at_first_preview(backend: Any, request: Any) -> list[Progress | Result]:
    """Everything `backend.run(request)` yields when Stop is pressed at its first step preview."""
    cancel = threading.Event()
    items: list[Progress | Result] = []
    for item in backend.run(request, cancel):
        items.append(item)
        if isinstance(item, Progress) and item.partial is not None:
            cancel.set()
    return items


def tiny_sd_upscale(folder: Path) -> Path:
    """A tiny random Stable Diffusion x4 upscaler (as diffusers' own tests build it) saved in
    `folder/sd-upscale`: a 7-channel UNet (latents + low-resolution image) with noise-level
    class embeddings, and a VAE that enlarges 4 times."""
    import torch
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        DDPMScheduler,
        StableDiffusionUpscalePipeline,
        UNet2DConditionModel,
    )

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=7,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=CROSS_DIM,
        attention_head_dim=8,
        use_linear_projection=True,
        only_cross_attention=(True, True, False),
        num_class_embeds=100,
        norm_num_groups=32,
    )
    vae = AutoencoderKL(
        block_out_channels=[32, 32, 64],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 3,
        up_block_types=["UpDecoderBlock2D"] * 3,
        latent_channels=4,
        norm_num_groups=32,
    )
    tokenizer = tiny_tokenizer()
    text_encoder = tiny_text_encoder(tokenizer)
    pipeline = StableDiffusionUpscalePipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        low_res_scheduler=DDPMScheduler(),
        scheduler=DDIMScheduler(prediction_type="v_prediction"),
        safety_checker=None,
        watermarker=None,
        max_noise_level=99,  # below its 100 noise-level embeddings (the real model: 350 of 1000)
    )
    target = folder / "sd-upscale"
    pipeline.save_pretrained(target)
    return target
