"""The transformers loader on a tiny random-weight Llama with a tokenizer built here.

The hub cannot be reached from CI; this model goes through the very same
`from_pretrained(path)` code a hub id does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from genai_studio.backends.manager import ModelManager
from genai_studio.backends.text.hub_transformers import TransformersLM
from genai_studio.config import Settings
from tests.backends.text_helpers import assert_streams_and_stops, collect, request

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def save_tiny_llama(folder: Path) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    # Whole-word tokens: a random model then writes (nonsense) words, one per token.
    special = ["<unk>", "<|im_start|>", "<|im_end|>"]
    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    corpus = [
        "The sea is calm tonight .",
        "Write a story about a lighthouse keeper .",
        "user assistant system",
    ]
    tokenizer.train_from_iterator(corpus, trainers.WordLevelTrainer(special_tokens=special))
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="<unk>", bos_token="<|im_start|>", eos_token="<|im_end|>"
    )
    fast.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(
        vocab_size=len(fast),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory) -> Path:
    return save_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="module")
def loaded(tiny_llama):
    backend = TransformersLM(str(tiny_llama), Settings())
    backend.load("auto")  # no GPU here: resolves to the CPU, fp32
    yield backend
    backend.unload()


def test_loads_by_path_and_streams_until_stopped(loaded):
    assert_streams_and_stops(loaded)


def test_seeded_sampling_repeats(loaded):
    sampled = dict(temperature=1.0, top_p=0.9, max_new_tokens=12)
    first = collect(loaded, request(seed=5, **sampled))[1].output
    assert collect(loaded, request(seed=5, **sampled))[1].output == first


def test_through_the_manager_by_spec(tiny_llama):
    manager = ModelManager(Settings())
    items = list(manager.run(f"transformers:{tiny_llama}", request(max_new_tokens=6)))
    assert manager.resident() == [f"transformers:{tiny_llama}"]
    assert items[-1].output == "".join(i.partial for i in items[:-1])
    manager.unload_all()
