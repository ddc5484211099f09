"""The residual-in-residual dense network (RRDN) of ESRGAN as idealo's ISR built it and
UpscalerJS ships it ("esrgan-thick"), written in torch so the studio runs it itself.

Layout (T=10 RRDBs of D=3 dense blocks of C=4 convolutions, growth G=32, G0=64 features):
a head conv, the blocks (each dense block adds 0.2x its fused output to its input, each RRDB
0.2x its last dense block's output to its own input), a body-end conv plus the head's
output (global residual), a conv to 3*s*s channels, pixel shuffle by s, and a last 3x3 conv.
Pixel values are 0-1 in and out. `upscale_weights` converts the published weights to this
layout (the pixel-shuffle channels reordered from TensorFlow's depth_to_space order).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

BETA = 0.2  # residual scaling of UpscalerJS's MultiplyBeta layer


def conv3x3(inputs: int, outputs: int) -> nn.Conv2d:
    return nn.Conv2d(inputs, outputs, 3, padding=1)


class DenseBlock(nn.Module):
    """Convolutions each seeing every earlier output, fused back to `features` channels."""

    def __init__(self, features: int = 64, growth: int = 32, convs: int = 4) -> None:
        super().__init__()
        self.convs = nn.ModuleList(conv3x3(features + i * growth, growth) for i in range(convs))
        self.fuse = conv3x3(features + convs * growth, features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stack = x
        for conv in self.convs:
            stack = torch.cat([stack, torch.relu(conv(stack))], dim=1)
        return x + BETA * self.fuse(stack)


class ResidualInResidual(nn.Module):
    def __init__(self, dense_blocks: int = 3, **kwargs: int) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*(DenseBlock(**kwargs) for _ in range(dense_blocks)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + BETA * self.blocks(x)


class RRDN(nn.Module):
    """(N, 3, H, W) in 0-1 -> (N, 3, s*H, s*W) in (about) 0-1."""

    def __init__(self, scale: int, blocks: int = 10, features: int = 64) -> None:
        super().__init__()
        self.scale = scale
        self.head = conv3x3(3, features)
        self.body = nn.Sequential(*(ResidualInResidual(features=features) for _ in range(blocks)))
        self.body_end = conv3x3(features, features)
        self.to_shuffle = conv3x3(features, 3 * scale * scale)
        self.shuffle = nn.PixelShuffle(scale)
        self.tail = conv3x3(3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        head = self.head(x)
        features = head + self.body_end(self.body(head))
        return self.tail(self.shuffle(self.to_shuffle(features)))


def load(path: Path, scale: int) -> RRDN:
    """An RRDN in eval mode with the converted weights in `path` (every weight must match)."""
    from safetensors.torch import load_file

    network = RRDN(scale)
    network.load_state_dict(load_file(str(path)), strict=True)
    return network.eval().requires_grad_(False)
