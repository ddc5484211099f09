"""The hub Bark loader on a tiny random-weight BarkModel saved to a temp dir and loaded by path."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from genai_studio.backends.base import Progress
from genai_studio.backends.registry import create
from genai_studio.backends.speech.request import build_request
from genai_studio.config import Settings
from genai_studio.errors import ModelUnavailable

SEMANTIC_TOKENS = 30  # random weights never stop on their own: keep each sentence short


@pytest.fixture(scope="module")
def tiny_bark(tmp_path_factory) -> str:
    """Bark's three GPT stages and an EnCodec decoder at hidden size 16 (15 MB), with Bark's
    real token layout (the generation config's fixed ids need the full vocabulary sizes)."""
    from transformers import (
        BarkConfig,
        BarkModel,
        BarkProcessor,
        BertTokenizer,
        EncodecConfig,
        GenerationConfig,
    )
    from transformers.models.bark.generation_configuration_bark import (
        BarkCoarseGenerationConfig,
        BarkFineGenerationConfig,
        BarkSemanticGenerationConfig,
    )

    folder = tmp_path_factory.mktemp("tiny-bark")
    small = dict(hidden_size=16, num_layers=1, num_heads=2, block_size=1024)
    codec = EncodecConfig(
        num_filters=4,
        hidden_size=16,
        codebook_dim=16,
        codebook_size=1024,
        target_bandwidths=[6.0],  # 8 codebooks, as Bark's fine stage expects
        upsampling_ratios=[8, 5, 4, 2],
        num_lstm_layers=1,
    )
    config = BarkConfig(
        semantic_config=dict(vocab_size=129_600, output_vocab_size=10_048, **small),
        coarse_acoustics_config=dict(vocab_size=12_096, output_vocab_size=12_096, **small),
        fine_acoustics_config=dict(
            vocab_size=1_056, output_vocab_size=1_056, n_codes_total=8, n_codes_given=1, **small
        ),
        codec_config=codec.to_dict(),
    )
    model = BarkModel(config)
    model.generation_config = GenerationConfig(
        semantic_config=BarkSemanticGenerationConfig(max_new_tokens=SEMANTIC_TOKENS).to_dict(),
        coarse_acoustics_config=BarkCoarseGenerationConfig().to_dict(),
        fine_acoustics_config=BarkFineGenerationConfig().to_dict(),
        sample_rate=24_000,
        codebook_size=1024,
    )
    model.save_pretrained(folder)
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "there", "again", "[laughs]", ".", "!"]
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    BarkProcessor(BertTokenizer(str(folder / "vocab.txt"))).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def bark(tiny_bark):
    backend = create(f"bark:{tiny_bark}", Settings())
    backend.load("cpu")
    yield backend
    backend.unload()


def request_for(backend, text, voice="default", speed=1.0):
    return build_request(
        text=text,
        voice=voice,
        language="auto",
        speed=speed,
        voices=backend.voices(),
        languages=backend.languages(),
    )


def test_bark_loads_by_path_and_streams_one_chunk_per_sentence(bark):
    items = list(bark.run(request_for(bark, "Hello there [laughs]. Hello again!"), threading.Event()))
    chunks = [item.partial for item in items if isinstance(item, Progress)]
    assert len(chunks) == 2
    rate, audio = items[-1].output
    assert rate == bark.sample_rate == 24_000
    assert audio.dtype == np.float32 and audio.size == sum(chunk.size for _, chunk in chunks) > 0


def test_bark_speed_is_applied_by_time_stretching(bark):
    slow = bark.run(request_for(bark, "Hello there.", speed=0.5), threading.Event())
    audio = next(item for item in slow if not isinstance(item, Progress)).output[1]
    one_sentence_samples = SEMANTIC_TOKENS / 49.9 * 24_000  # Bark's semantic rate, about 0.6 s
    assert audio.size > 1.5 * one_sentence_samples


def test_a_preset_the_model_lacks_gives_a_clear_message(bark):
    assert "v2/zh_speaker_3" in bark.voices()
    with pytest.raises(ModelUnavailable, match="no speaker preset 'v2/zh_speaker_3'"):
        list(bark.run(request_for(bark, "Hello.", voice="v2/zh_speaker_3"), threading.Event()))
