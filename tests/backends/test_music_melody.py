"""The melody model: the numpy sampler computes what torch computes, the shipped checkpoint beats
the Markov baseline, and sampled phrases respect key, range and length."""

from __future__ import annotations

import json

import numpy as np
import pytest

from genai_studio.backends.music import tokens
from genai_studio.backends.music.melody import HIGHEST, LOWEST, SCALES, WEIGHTS, MelodyModel, sample_phrase


def test_numpy_forward_matches_torch(tmp_path):
    torch = pytest.importorskip("torch")
    from genai_studio.backends.music.training.train import MelodyTransformer

    torch.manual_seed(0)
    model = MelodyTransformer(dim=32, layers=2, heads=4, context=16).eval()
    model.export(tmp_path / "tiny.npz")
    ids = [tokens.BOS["minor"], 5, 77, 130, 2, 260]
    with torch.no_grad():
        expected = model(torch.tensor([ids]))[0, -1].numpy()
    got = MelodyModel.load(tmp_path / "tiny.npz").logits(ids)
    assert np.allclose(got, expected, atol=1e-4)


def test_shipped_model_beats_the_markov_baseline():
    report = json.loads(WEIGHTS.with_suffix(".json").read_text())
    perplexities = report["val_perplexity"]
    markov = min(v for k, v in perplexities.items() if k.startswith("markov"))
    assert perplexities["transformer"] < markov
    assert WEIGHTS.stat().st_size < 8 * 2**20


@pytest.mark.parametrize("mode", ["major", "minor"])
def test_phrases_fill_their_bars_in_key_and_range(mode):
    model = MelodyModel.load()
    for seed in range(5):
        notes = sample_phrase(
            model,
            np.random.default_rng(seed),
            mode=mode,
            beats=16,
            chord_at=lambda beat: frozenset({0, 4 if mode == "major" else 3, 7}),
            strong=lambda beat: beat % 2 == 0,
        )
        assert sum(n.beats for n in notes) == pytest.approx(16)
        pitches = [n.pitch for n in notes if n.pitch is not None]
        assert all(p % 12 in SCALES[mode] and LOWEST <= p <= HIGHEST for p in pitches)
        assert notes[0].pitch is not None
