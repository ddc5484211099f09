"""The diffusers inpainting and text-to-image backends, loaded by path through their real
`from_pretrained` code, on tiny random-weight Stable Diffusion pipelines built from configs
(as diffusers' own tests do), 2 steps on the CPU."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from skimage import data

from genai_studio.backends import registry
from genai_studio.backends.base import Progress, Result
from genai_studio.backends.image.hub_diffusers_txt2img import TextToImageRequest, build_text_to_image_request
from genai_studio.backends.image.inpaint_request import InpaintRequest
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput, ModelUnavailable


def _tiny_tokenizer():
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in sorted(ByteLevel.alphabet()):
        vocab[char] = len(vocab)
        vocab[char + "</w>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77), len(vocab)


def _tiny_pipeline(in_channels: int):
    """An SD pipeline with 32-64 channel UNet/VAE and a 5-layer CLIP text encoder."""
    import torch
    from diffusers import (
        AutoencoderKL,
        PNDMScheduler,
        StableDiffusionInpaintPipeline,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    tokenizer, vocab_size = _tiny_tokenizer()
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=2,
        sample_size=32,
        in_channels=in_channels,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
    )
    vae = AutoencoderKL(
        block_out_channels=[32, 64],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
        latent_channels=4,
        sample_size=64,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
            hidden_size=32,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=5,
            vocab_size=vocab_size,
        )
    )
    pipeline_class = StableDiffusionInpaintPipeline if in_channels == 9 else StableDiffusionPipeline
    return pipeline_class(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=PNDMScheduler(skip_prk_steps=True, steps_offset=1),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-sd")
    _tiny_pipeline(9).save_pretrained(root / "inpaint")
    _tiny_pipeline(4).save_pretrained(root / "txt2img")
    return {"inpaint": root / "inpaint", "txt2img": root / "txt2img"}


@pytest.fixture(scope="module")
def inpainter(tiny_models):
    backend = registry.create(f"sd-inpaint:{tiny_models['inpaint']}", Settings())
    backend.load("cpu")
    return backend


def _photo_and_hole() -> tuple[np.ndarray, np.ndarray]:
    photo = data.astronaut()[:, :400]  # not square, not the model's size
    mask = np.zeros(photo.shape[:2], bool)
    mask[180:260, 120:220] = True
    return photo, mask


def test_inpaints_at_the_photo_resolution_with_step_previews(inpainter):
    photo, mask = _photo_and_hole()
    request = InpaintRequest(photo, mask, prompt="a red cat", steps=2, seed=3)
    items = list(inpainter.run(request, threading.Event()))
    previews = [i for i in items if isinstance(i, Progress) and isinstance(i.partial, np.ndarray)]
    result = items[-1]
    assert isinstance(result, Result) and result.output.shape == photo.shape
    assert len(previews) >= 2 and all(p.partial.shape == photo.shape for p in previews)
    assert np.array_equal(result.output[~mask], photo[~mask])  # only the hole is repainted
    assert np.abs(result.output[mask].astype(int) - photo[mask]).mean() > 5
    assert result.params["seed"] == 3 and result.params["model_ref"].endswith("inpaint")


def test_same_seed_same_image(inpainter):
    photo, mask = _photo_and_hole()
    request = InpaintRequest(photo, mask, prompt="sky", steps=2, seed=11, guidance=3.0)
    first = list(inpainter.run(request, threading.Event()))[-1].output
    second = list(inpainter.run(request, threading.Event()))[-1].output
    assert np.array_equal(first, second)


def test_stop_between_steps_gives_no_result(inpainter):
    photo, mask = _photo_and_hole()
    cancel = threading.Event()
    items = []
    for item in inpainter.run(InpaintRequest(photo, mask, steps=4, seed=1), cancel):
        items.append(item)
        if isinstance(item, Progress) and item.partial is not None:
            cancel.set()
    assert not any(isinstance(item, Result) for item in items)
    assert sum(isinstance(item, Progress) and item.partial is not None for item in items) == 1


def test_text_to_image_by_local_path(tiny_models):
    backend = registry.create(f"sd-txt2img:{tiny_models['txt2img']}", Settings())
    backend.load("cpu")
    # Built directly: the request builder's 256-pixel minimum is for real models, and a tiny
    # UNet at 256 px spends most of a minute in attention on this CPU.
    request = TextToImageRequest(prompt="a lighthouse at dusk", width=64, height=96, steps=2, seed=5)
    items = list(backend.run(request, threading.Event()))
    assert items[-1].output.shape == (96, 64, 3) and items[-1].params["seed"] == 5
    assert any(isinstance(i, Progress) and isinstance(i.partial, np.ndarray) for i in items)


def test_text_to_image_request_checks():
    assert build_text_to_image_request(prompt="x", width=300, height=260).width == 296
    with pytest.raises(InvalidInput, match="Width must be between"):
        build_text_to_image_request(prompt="x", width=100000)
    with pytest.raises(InvalidInput, match="Prompt is empty"):
        build_text_to_image_request(prompt="   ")


def test_missing_model_is_a_clear_error(tmp_path):
    backend = registry.create(f"sd-inpaint:{tmp_path / 'nowhere'}", Settings())
    with pytest.raises(ModelUnavailable, match="Could not load"):
        backend.load("cpu")
    with pytest.raises(ModelUnavailable, match="needs a hub id or a local folder"):
        registry.create("sd-inpaint", Settings()).load("cpu")
