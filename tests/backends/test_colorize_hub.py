"""sd-colorize through its real loading path: a tiny random-weight Stable Diffusion and
ControlNet built from configs, saved to a folder and loaded by path, 2 steps on the CPU.

`tiny_sd` and `tiny_controlnet` are also used by test_style_hub.py.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from skimage import data

from genai_studio.backends.base import Progress, Result
from genai_studio.backends.image import lab
from genai_studio.backends.image.colorize_request import build_colorize_request
from genai_studio.backends.image.hub_colorize import DiffusersColorize
from genai_studio.backends.manager import ModelManager
from genai_studio.config import Settings
from genai_studio.errors import ModelUnavailable

CROSS_DIM = 32


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


def tiny_sd(folder: Path) -> Path:
    """Save a tiny Stable Diffusion 1.x-shaped pipeline (random weights) in `folder`."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
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
    text_encoder = CLIPTextModel(
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
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    pipe = StableDiffusionPipeline(
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
    pipe.save_pretrained(folder / "sd")
    return folder / "sd"


def tiny_controlnet(folder: Path) -> Path:
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


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("tiny-sd-colorize")
    return f"sd-colorize:{tiny_sd(folder)}|{tiny_controlnet(folder)}"


@pytest.fixture(scope="module")
def manager() -> ModelManager:
    return ModelManager(Settings())


def test_colorizes_keeping_the_photos_lightness(spec, manager):
    photo = data.chelsea()  # a colour photo: converted, only its lightness is used
    request = build_colorize_request(
        Settings(), image=photo, method="prompt", prompt="a ginger cat", steps=2, seed=5
    )
    items = list(manager.run(spec, request))
    previews = [item for item in items if isinstance(item, Progress) and item.partial is not None]
    result = items[-1]
    assert isinstance(result, Result) and len(previews) == 2
    assert result.output.shape == photo.shape
    # whatever colours the (random) model made, the photo's tones are untouched
    assert np.abs(lab.lightness(result.output) - lab.lightness(photo)).mean() < 1.5
    assert result.params["seed"] == 5 and result.params["prompt"] == "a ginger cat"
    again = list(manager.run(spec, request))[-1]
    assert np.array_equal(again.output, result.output)  # a fixed seed repeats the result


def test_stop_between_steps(spec, manager):
    backend = manager.load(spec)
    cancel = threading.Event()
    request = build_colorize_request(Settings(), image=data.astronaut(), method="prompt", steps=5)
    items = []
    for item in backend.run(request, cancel):
        items.append(item)
        if isinstance(item, Progress) and item.partial is not None:
            cancel.set()
    assert not any(isinstance(item, Result) for item in items)


def test_missing_weights_say_what_to_do(tmp_path):
    backend = DiffusersColorize(f"{tmp_path / 'nothing'}|{tmp_path / 'none'}", Settings())
    with pytest.raises(ModelUnavailable, match="local folder"):
        backend.load("cpu")
