"""sd-style through its real loading path: a tiny random Stable Diffusion plus a tiny
IP-Adapter (CLIP image encoder and adapter weights built here), saved to folders laid out
like h94/IP-Adapter and loaded by path; 2 steps on the CPU."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from skimage import data

from genai_studio.backends.base import Progress, Result
from genai_studio.backends.image import lab
from genai_studio.backends.image.hub_style import IP_ADAPTER_FOLDER, IP_ADAPTER_WEIGHTS, DiffusersStyle
from genai_studio.backends.image.style_request import build_style_request
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput
from tests.backends.tiny_diffusers import CROSS_DIM, stopped_at_first_preview, tiny_sd

SETTINGS = Settings()


def tiny_ip_adapter(folder: Path, unet_folder: Path) -> Path:
    """IP-Adapter weights for the tiny UNet and a tiny CLIP image encoder, h94 layout."""
    import torch
    from diffusers import UNet2DConditionModel
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(2)
    models = folder / IP_ADAPTER_FOLDER
    encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=32,
            projection_dim=CROSS_DIM,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=37,
            image_size=32,
            patch_size=4,
        )
    )
    encoder.save_pretrained(models / "image_encoder")
    unet = UNet2DConditionModel.from_pretrained(unet_folder / "unet")
    channels = unet.config.block_out_channels
    weights: dict[str, torch.Tensor] = {}
    key = 1  # the adapter numbers cross-attention layers 1, 3, 5... in processor order
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        if name.startswith("mid_block"):
            hidden = channels[-1]
        elif name.startswith("up_blocks"):
            hidden = list(reversed(channels))[int(name[len("up_blocks.")])]
        else:
            hidden = channels[int(name[len("down_blocks.")])]
        weights[f"ip_adapter.{key}.to_k_ip.weight"] = torch.randn(hidden, CROSS_DIM) * 0.05
        weights[f"ip_adapter.{key}.to_v_ip.weight"] = torch.randn(hidden, CROSS_DIM) * 0.05
        key += 2
    tokens = 4
    weights["image_proj.proj.weight"] = torch.randn(CROSS_DIM * tokens, CROSS_DIM) * 0.05
    weights["image_proj.proj.bias"] = torch.zeros(CROSS_DIM * tokens)
    weights["image_proj.norm.weight"] = torch.ones(CROSS_DIM)
    weights["image_proj.norm.bias"] = torch.zeros(CROSS_DIM)
    save_file(weights, str(models / IP_ADAPTER_WEIGHTS))
    return folder


@pytest.fixture(scope="module")
def backend(tmp_path_factory) -> DiffusersStyle:
    folder = tmp_path_factory.mktemp("tiny-sd-style")
    base = tiny_sd(folder)
    adapter = tiny_ip_adapter(folder / "ip-adapter", base)
    loaded = DiffusersStyle(f"{base}|{adapter}", SETTINGS)
    loaded.load("cpu")
    return loaded


def test_img2img_with_the_style_image_streams_and_repeats(backend):
    content = data.chelsea()
    request = build_style_request(
        SETTINGS, content=content, style=data.coffee(), strength=1.0, steps=2, seed=9, keep_colours=True
    )
    assert backend._pipe.image_encoder is not None  # the IP-Adapter really is in the pipeline
    items = list(backend.run(request, threading.Event()))
    previews = [item for item in items if isinstance(item, Progress) and item.partial is not None]
    result = items[-1]
    assert isinstance(result, Result) and len(previews) == 2
    assert result.output.shape == content.shape
    assert result.params["style_weight"] == 0.8 and result.params["seed"] == 9
    # keep colours: the content's a/b channels, on the result's lightness
    assert np.median(np.abs(lab.to_lab(result.output)[:, :, 1:] - lab.to_lab(content)[:, :, 1:])) < 6
    again = list(backend.run(request, threading.Event()))[-1]
    assert np.array_equal(again.output, result.output)


def test_style_weight_changes_the_result(backend):
    outputs = []
    for weight in (0.0, 2.0):
        request = build_style_request(
            SETTINGS,
            content=data.chelsea(),
            style=data.coffee(),
            strength=1.0,
            steps=2,
            seed=9,
            style_weight=weight,
        )
        outputs.append(list(backend.run(request, threading.Event()))[-1].output)
    assert not np.array_equal(outputs[0], outputs[1])


def test_stop_between_steps(backend):
    request = build_style_request(
        SETTINGS, content=data.astronaut(), style=data.coffee(), strength=1.0, steps=6
    )
    items = stopped_at_first_preview(backend, request)
    assert not any(isinstance(item, Result) for item in items)


def test_needs_a_style_image_and_a_step(backend):
    with pytest.raises(InvalidInput, match="classic only"):
        list(
            backend.run(build_style_request(SETTINGS, content=data.chelsea(), look="oil"), threading.Event())
        )
    request = build_style_request(
        SETTINGS, content=data.chelsea(), style=data.coffee(), strength=0.1, steps=5
    )
    with pytest.raises(InvalidInput, match="below one step"):
        list(backend.run(request, threading.Event()))
