"""The hub VITS loader on a tiny random-weight VitsModel saved to a temp dir and loaded by path."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from genai_studio.backends.base import Progress
from genai_studio.backends.registry import create
from genai_studio.backends.speech.request import build_request
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput

ALPHABET = "_abcdefghijklmnopqrstuvwxyz '.,!?-"


@pytest.fixture(scope="module")
def tiny_vits(tmp_path_factory) -> str:
    """A 16-kHz VITS with a few thousand random weights and a character tokenizer."""
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    folder = tmp_path_factory.mktemp("tiny-vits")
    (folder / "vocab.json").write_text(json.dumps({ch: i for i, ch in enumerate(ALPHABET)}))
    tokenizer = VitsTokenizer(str(folder / "vocab.json"), phonemize=False, pad_token="_", unk_token="_")
    config = VitsConfig(
        vocab_size=len(ALPHABET),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        ffn_dim=32,
        flow_size=16,
        spectrogram_bins=17,
        upsample_initial_channel=16,
        upsample_rates=[4, 4],
        upsample_kernel_sizes=[8, 8],
        resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1, 3]],
        prior_encoder_num_flows=1,
        prior_encoder_num_wavenet_layers=1,
        posterior_encoder_num_wavenet_layers=1,
        duration_predictor_num_flows=1,
        duration_predictor_filter_channels=16,
        depth_separable_num_layers=1,
        sampling_rate=16_000,
    )
    VitsModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def vits(tiny_vits):
    backend = create(f"vits:{tiny_vits}", Settings())
    backend.load("cpu")
    yield backend
    backend.unload()


def request_for(backend, text):
    return build_request(
        text=text, voice="default", language="model", voices=backend.voices(), languages=backend.languages()
    )


def test_vits_loads_by_path_and_streams_one_chunk_per_sentence(vits):
    request = request_for(vits, "Hello there. A second sentence! And a third?")
    items = list(vits.run(request, threading.Event()))
    chunks = [item.partial for item in items if isinstance(item, Progress)]
    assert len(chunks) == 3
    rate, audio = items[-1].output
    assert rate == vits.sample_rate == 16_000
    assert audio.dtype == np.float32 and audio.size == sum(chunk.size for _, chunk in chunks) > 0
    assert np.abs(audio).max() > 0  # random weights: sound, though not speech


def test_vits_rejects_text_outside_its_alphabet(vits):
    with pytest.raises(InvalidInput, match="could not pronounce"):
        list(vits.run(request_for(vits, "你好。世界。"), threading.Event()))
