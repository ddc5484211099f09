"""Train the melody transformer on the extracted melodies and export it for numpy sampling.

Reproducible: a fixed seed, a fixed split, 2 threads. Reports validation perplexity against
first- and second-order Markov chains over the same tokens (their smoothing is tuned on a
part of the training set, never on validation) and writes:

- assets/music/melody_transformer.npz: the weights and their shape (read by melody.py);
- assets/music/melody_transformer.json: data, settings and the perplexities.

    .venv/bin/python -m genai_studio.backends.music.training.train --steps 450
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from genai_studio.backends.music import tokens

log = logging.getLogger("train_melody")

ASSETS = Path(__file__).resolve().parents[4] / "assets" / "music"
IGNORE = -100


class Block(nn.Module):
    """Pre-norm causal self-attention and MLP; melody.py mirrors this in numpy."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, dim = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(dim, dim=2)
        shape = (batch, length, self.heads, dim // self.heads)
        q, k, v = (t.view(shape).transpose(1, 2) for t in (q, k, v))
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.drop(self.proj(att.transpose(1, 2).reshape(batch, length, dim)))
        return x + self.drop(self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh")))


class MelodyTransformer(nn.Module):
    def __init__(
        self, dim: int = 128, layers: int = 4, heads: int = 4, context: int = 128, dropout: float = 0.1
    ):
        super().__init__()
        self.config = {"dim": dim, "layers": layers, "heads": heads, "context": context}
        self.tok = nn.Embedding(tokens.VOCAB, dim)
        self.pos = nn.Embedding(context, dim)
        self.blocks = nn.ModuleList(Block(dim, heads, dropout) for _ in range(layers))
        self.ln_f = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, tokens.VOCAB, bias=False)
        self.drop = nn.Dropout(dropout)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.tok(ids) + self.pos(torch.arange(ids.shape[1])))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))

    def export(self, path: Path) -> None:
        """Weights as float32 arrays named like the state dict, plus the shape."""
        arrays = {
            name: value.detach().numpy().astype(np.float32) for name, value in self.state_dict().items()
        }
        arrays.update({f"config.{key}": np.array(value) for key, value in self.config.items()})
        np.savez_compressed(path, **arrays)


def load_tunes(path: Path) -> list[list[int]]:
    record = json.loads(path.read_text())
    return [tokens.encode(t["mode"], t["notes"]) for t in record["tunes"]]


def windows(sequences: list[list[int]], context: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets of length `context`; long tunes are cut with half overlap, so
    overlapped targets are counted once (the rest are IGNORE)."""
    inputs, targets = [], []
    for seq in sequences:
        start = 0
        while True:
            chunk = seq[start : start + context + 1]
            x, y = chunk[:-1], chunk[1:]
            if start:  # targets already scored by the previous window
                y = [IGNORE] * (context // 2) + y[context // 2 :]
            pad = context - len(x)
            inputs.append(x + [tokens.EOS] * pad)
            targets.append(y + [IGNORE] * pad)
            if start + context + 1 >= len(seq):
                break
            start += context // 2
    return torch.tensor(inputs), torch.tensor(targets)


def markov_perplexity(train: list[list[int]], evaluate: list[list[int]], order: int, k: float) -> float:
    """Add-k smoothed Markov chain of `order` over the same tokens the transformer predicts."""
    counts: dict[tuple[int, ...], Counter] = defaultdict(Counter)
    for seq in train:
        for i in range(1, len(seq)):
            counts[tuple(seq[max(0, i - order) : i])][seq[i]] += 1
    nll, n = 0.0, 0
    for seq in evaluate:
        for i in range(1, len(seq)):
            seen = counts.get(tuple(seq[max(0, i - order) : i]), Counter())
            p = (seen[seq[i]] + k) / (sum(seen.values()) + k * tokens.VOCAB)
            nll -= math.log(p)
            n += 1
    return math.exp(nll / n)


def best_markov(train: list[list[int]], val: list[list[int]], order: int) -> tuple[float, float]:
    """(validation perplexity, k) with k picked on the last tenth of the training tunes."""
    cut = len(train) * 9 // 10
    k = min((0.01, 0.03, 0.1, 0.3, 1.0), key=lambda k: markov_perplexity(train[:cut], train[cut:], order, k))
    return markov_perplexity(train, val, order, k), k


@torch.no_grad()
def perplexity(model: MelodyTransformer, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    logits = model(x)
    loss = F.cross_entropy(
        logits.reshape(-1, tokens.VOCAB), y.reshape(-1), ignore_index=IGNORE, reduction="sum"
    )
    model.train()
    return math.exp(loss.item() / (y != IGNORE).sum().item())


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ASSETS / "melodies.json")
    parser.add_argument("--out", type=Path, default=ASSETS / "melody_transformer")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--steps", type=int, default=450)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    sequences = load_tunes(args.data)
    rng.shuffle(sequences)
    n_val = max(1, len(sequences) // 10)
    val, train = sequences[:n_val], sequences[n_val:]
    model = MelodyTransformer()
    context = model.config["context"]
    train_x, train_y = windows(train, context)
    val_x, val_y = windows(val, context)
    params = sum(p.numel() for p in model.parameters())
    log.info("%d train / %d val tunes, %d windows, %d parameters", len(train), len(val), len(train_x), params)

    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05, betas=(0.9, 0.98))
    warmup = args.steps // 20
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda s: (
            min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, args.steps) / args.steps))
        ),
    )
    started = time.perf_counter()
    for step in range(args.steps):
        batch = torch.randint(len(train_x), (args.batch,))
        logits = model(train_x[batch])
        loss = F.cross_entropy(
            logits.reshape(-1, tokens.VOCAB), train_y[batch].reshape(-1), ignore_index=IGNORE
        )
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        if step % 100 == 0 or step == args.steps - 1:
            log.info("step %d loss %.3f val ppl %.2f", step, loss.item(), perplexity(model, val_x, val_y))
    seconds = time.perf_counter() - started

    model_ppl = perplexity(model, val_x, val_y)
    markov1, k1 = best_markov(train, val, 1)
    markov2, k2 = best_markov(train, val, 2)
    model.export(args.out.with_suffix(".npz"))
    report = {
        "data": str(args.data.name),
        "tunes": {"train": len(train), "val": len(val)},
        "val_tokens": int((val_y != IGNORE).sum()),
        "parameters": params,
        "config": model.config,
        "training": {
            **{k: getattr(args, k) for k in ("seed", "steps", "batch", "lr", "threads")},
            "seconds": round(seconds, 1),
        },
        "val_perplexity": {
            "transformer": round(model_ppl, 3),
            f"markov_order1_add{k1}": round(markov1, 3),
            f"markov_order2_add{k2}": round(markov2, 3),
        },
    }
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    log.info("%s", json.dumps(report["val_perplexity"]))


if __name__ == "__main__":
    main()
