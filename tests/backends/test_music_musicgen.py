"""The MusicGen backend on a tiny random-weight MusicGen saved to a temp dir and loaded by path
through the same from_pretrained code a hub id uses (no network here)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from genai_studio.backends.base import Progress, Result
from genai_studio.backends.music.request import build_request
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput

SETTINGS = Settings()
CODEBOOKS = 4


def save_tiny_musicgen(folder, melody: bool = False) -> str:
    """A 4-codebook MusicGen (or MusicGen-melody) at 8 kHz, 80 frames a second, with a
    one-layer T5 text encoder and a small T5 tokenizer, saved like a hub checkpoint."""
    transformers = pytest.importorskip("transformers")
    words = [
        "happy",
        "sad",
        "calm",
        "pop",
        "rock",
        "jazz",
        "music",
        "in",
        "c",
        "major",
        "minor",
        "bpm",
        "piano",
    ]
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [
        ("▁" + w, -1.0 - i) for i, w in enumerate(words)
    ]
    vocab += [(c, -20.0) for c in "abcdefghijklmnopqrstuvwxyz0123456789,.#"]
    tokenizer = transformers.T5TokenizerFast(vocab=vocab, extra_ids=0)
    codec = transformers.EncodecConfig(
        sampling_rate=8000, audio_channels=1, hidden_size=8, num_filters=2, num_residual_layers=1,
        upsampling_ratios=[10, 10], codebook_size=64, codebook_dim=8, num_lstm_layers=1,
        target_bandwidths=[3.2], chunk_length_s=None, overlap=None,
    )  # fmt: skip
    prefix = "MusicgenMelody" if melody else "Musicgen"
    decoder = getattr(transformers, f"{prefix}DecoderConfig")(
        vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, ffn_dim=32,
        num_codebooks=CODEBOOKS, audio_channels=1, max_position_embeddings=4096,
        pad_token_id=64, bos_token_id=64, decoder_start_token_id=64,
    )  # fmt: skip
    text = transformers.T5Config(
        vocab_size=len(tokenizer), d_model=16, d_kv=8, d_ff=32, num_layers=1, num_heads=2
    )
    config = getattr(transformers, f"{prefix}Config")(
        text_encoder=text.to_dict(), audio_encoder=codec.to_dict(), decoder=decoder.to_dict()
    )
    model = getattr(transformers, f"{prefix}ForConditionalGeneration")(config)
    for (
        layer
    ) in model.audio_encoder.quantizer.layers:  # EnCodec codebooks start at zero: every code sounds alike
        layer.codebook.embed.normal_()
    model.generation_config.decoder_start_token_id = model.generation_config.pad_token_id = 64
    model.generation_config.max_length = 4096
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    if not melody:  # musicgen-melody's feature extractor needs torchaudio; only text is used here
        feature_extractor = transformers.EncodecFeatureExtractor(feature_size=1, sampling_rate=8000)
        transformers.MusicgenProcessor(
            feature_extractor=feature_extractor, tokenizer=tokenizer
        ).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def tiny_musicgen(tmp_path_factory) -> str:
    return save_tiny_musicgen(tmp_path_factory.mktemp("tiny-musicgen"))


@pytest.fixture(scope="module")
def musicgen(tiny_musicgen):
    from genai_studio.backends.music.hub_musicgen import MusicGen

    backend = MusicGen(tiny_musicgen, SETTINGS)
    backend.load("cpu")
    yield backend
    backend.unload()


def run(backend, prompt: str, seed: int = 1, cancel_after: int | None = None):
    cancel = threading.Event()
    chunks, result = [], None
    for item in backend.run(build_request(SETTINGS, prompt=prompt, seed=seed), cancel):
        if isinstance(item, Result):
            result = item
        elif isinstance(item, Progress) and item.partial is not None:
            chunks.append(item.partial)
            if cancel_after is not None and len(chunks) >= cancel_after:
                cancel.set()
    return chunks, result


def test_streams_the_requested_length(musicgen):
    chunks, result = run(musicgen, "happy jazz in C major, 5 seconds")
    output = result.output
    assert output.sample_rate == 8000 and output.audio.dtype == np.float32
    assert abs(output.seconds - 5) <= 0.25
    assert len(chunks) >= 5  # about one chunk per second, while generating
    assert np.allclose(np.concatenate([c for _, c in chunks]), output.audio)
    assert output.midi is None and result.params["model"].startswith("MusicGen")


def test_seed_decides_the_audio(musicgen):
    _, a = run(musicgen, "calm piano, 5 s", seed=5)
    _, b = run(musicgen, "calm piano, 5 s", seed=5)
    _, c = run(musicgen, "calm piano, 5 s", seed=6)
    assert np.array_equal(a.output.audio, b.output.audio)
    assert not np.array_equal(a.output.audio, c.output.audio)


def test_stop_ends_generation_early(musicgen):
    _, result = run(musicgen, "rock, 20 s", cancel_after=1)
    assert result.params["stopped"] is True
    assert result.output.seconds < 10


def test_longer_than_musicgen_can_is_a_clear_message(musicgen):
    with pytest.raises(InvalidInput, match="at most 30 s"):
        list(musicgen.run(build_request(SETTINGS, prompt="pop, 2 minutes", seed=1), threading.Event()))


def test_musicgen_melody_checkpoints_load_and_stream_too(tmp_path):
    from genai_studio.backends.music.hub_musicgen import MusicGen

    backend = MusicGen(save_tiny_musicgen(tmp_path, melody=True), SETTINGS)
    backend.load("cpu")
    chunks, result = run(backend, "happy jazz, 5 s")
    assert type(backend._model).__name__ == "MusicgenMelodyForConditionalGeneration"
    assert len(chunks) >= 5 and abs(result.output.seconds - 5) <= 0.25
