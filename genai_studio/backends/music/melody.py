"""The melody transformer in numpy, and phrase sampling that fits a harmony.

The model was trained with torch (training/train.py) and exported to a .npz; running its
0.9M parameters here in numpy with a key/value cache takes well under a millisecond per
note, so the music tab never imports torch.

Sampling is constrained, not free: notes stay in the key's scale and in a singable range,
strong beats prefer the tones of the chord sounding there, and durations that would overrun
the phrase are masked, so every phrase fills its bars exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_studio.backends.music import tokens

WEIGHTS = Path(__file__).resolve().parents[3] / "assets" / "music" / "melody_transformer.npz"
SCALES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10, 11),
}  # minor: with the leading tone
LOWEST, HIGHEST = -5, 16  # melody range in semitones around the tonic
CHORD_TONE_BONUS = 1.5  # logit bonus for chord tones on strong beats
OFF_CHORD_PENALTY = 1.0  # logit penalty for other tones on strong beats
REST_PENALTY = 1.0  # rests are fine in hymns, less so in a lead line

_PITCH = np.array(
    [tokens.split(t)[0] if tokens.split(t)[0] is not None else 99 for t in range(tokens.NOTE_TOKENS)]
)
_BEATS = np.array([tokens.split(t)[1] for t in range(tokens.NOTE_TOKENS)])
_IS_REST = _PITCH == 99


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x**3)))


class MelodyModel:
    """Numpy forward pass of training.train.MelodyTransformer, one token at a time."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.dim = int(arrays["config.dim"])
        self.heads = int(arrays["config.heads"])
        self.context = int(arrays["config.context"])
        self.layers = int(arrays["config.layers"])
        self.w = {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in arrays.items()}
        for name in list(self.w):  # torch Linear stores (out, in): transpose once for x @ W
            if name.endswith(".weight") and self.w[name].ndim == 2 and not name.startswith(("tok.", "pos.")):
                self.w[name] = np.ascontiguousarray(self.w[name].T)

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> MelodyModel:
        with np.load(path) as data:
            return cls({name: data[name] for name in data.files})

    def logits(self, ids: list[int]) -> np.ndarray:
        """Next-token logits after `ids` (no cache; used by tests to compare with torch)."""
        state = self.start()
        for token in ids:
            out = self.step(state, token)
        return out

    def start(self) -> list[list[np.ndarray]]:
        """An empty key/value cache: per layer, the keys and values seen so far."""
        return [
            [np.zeros((self.heads, 0, self.dim // self.heads), np.float32)] * 2 for _ in range(self.layers)
        ]

    def step(self, cache: list[list[np.ndarray]], token: int) -> np.ndarray:
        """Feed one token, extend the cache, return the next token's logits."""
        w, heads, head_dim = self.w, self.heads, self.dim // self.heads
        position = cache[0][0].shape[1]
        if position >= self.context:
            raise ValueError("melody longer than the model's context")
        x = w["tok.weight"][token] + w["pos.weight"][position]
        for i in range(self.layers):
            p = f"blocks.{i}."
            h = _layer_norm(x, w[p + "ln1.weight"], w[p + "ln1.bias"])
            q, k, v = np.split(h @ w[p + "qkv.weight"] + w[p + "qkv.bias"], 3)
            keys = np.concatenate([cache[i][0], k.reshape(heads, 1, head_dim)], axis=1)
            values = np.concatenate([cache[i][1], v.reshape(heads, 1, head_dim)], axis=1)
            cache[i] = [keys, values]
            scores = np.einsum("hd,htd->ht", q.reshape(heads, head_dim), keys) / math.sqrt(head_dim)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            attended = np.einsum("ht,htd->hd", scores, values).reshape(-1)
            x = x + attended @ w[p + "proj.weight"] + w[p + "proj.bias"]
            h = _layer_norm(x, w[p + "ln2.weight"], w[p + "ln2.bias"])
            x = (
                x
                + _gelu(h @ w[p + "fc1.weight"] + w[p + "fc1.bias"]) @ w[p + "fc2.weight"]
                + w[p + "fc2.bias"]
            )
        return _layer_norm(x, w["ln_f.weight"], w["ln_f.bias"]) @ w["head.weight"]


@dataclass(frozen=True)
class Note:
    beat: float  # onset from the phrase start, in beats
    beats: float
    pitch: int | None  # semitones above the tonic; None: a rest


def sample_phrase(
    model: MelodyModel,
    rng: np.random.Generator,
    *,
    mode: str,
    beats: float,
    chord_at: Callable[[float], frozenset[int]],
    strong: Callable[[float], bool],
    rate: float = 1.0,
    temperature: float = 0.9,
) -> list[Note]:
    """A melody filling exactly `beats` beats over the harmony `chord_at(beat)` (pitch classes
    above the tonic). `rate` 2 makes notes twice as long as the model wrote them."""
    scale = np.isin(_PITCH % 12, SCALES[mode]) & (_PITCH >= LOWEST) & (_PITCH <= HIGHEST)
    allowed_pitch = scale | _IS_REST
    cache = model.start()
    logits = model.step(cache, tokens.BOS[mode])
    notes: list[Note] = []
    position = 0.0
    while beats - position > 1e-6:
        remaining = beats - position
        mask = allowed_pitch & (_BEATS * rate <= remaining + 1e-6)
        if not notes:
            mask &= ~_IS_REST
        bias = np.where(_IS_REST, -REST_PENALTY, 0.0)
        if strong(position):
            chord = np.isin(_PITCH % 12, list(chord_at(position)))
            bias = bias + np.where(chord, CHORD_TONE_BONUS, np.where(_IS_REST, 0.0, -OFF_CHORD_PENALTY))
        scores = logits[: tokens.NOTE_TOKENS] / temperature + bias
        scores = np.where(mask, scores, -np.inf)
        probs = np.exp(scores - scores.max())
        token = int(rng.choice(tokens.NOTE_TOKENS, p=probs / probs.sum()))
        pitch, length = tokens.split(token)
        notes.append(Note(position, length * rate, pitch))
        position += length * rate
        if len(notes) + 1 < model.context:
            logits = model.step(cache, token)
        else:  # a very long phrase: continue from a fresh context
            cache = model.start()
            logits = model.step(cache, tokens.BOS[mode])
    return notes
