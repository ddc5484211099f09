"""Run a TensorFlow.js layers model (model.json + weight shards) by walking its Keras graph in
torch: enough layer types for the UpscalerJS networks. The bench uses it to measure the
small esrgan-slim / esrgan-medium networks without porting them into the studio, and to
check the studio's hand-written RRDN port against the graph as published.
"""

from __future__ import annotations

import json
import tarfile
from typing import Any

import torch
import torch.nn.functional as F

from genai_studio.backends.image.upscale_weights import read_tfjs_weights


class TfjsGraph:
    """The Keras functional graph of `folder/model.json` inside an npm tarball."""

    def __init__(self, archive: tarfile.TarFile, folder: str) -> None:
        topology = json.load(archive.extractfile(f"{folder}/model.json"))["modelTopology"]
        config = topology["model_config"]["config"]
        self.layers: list[dict[str, Any]] = config["layers"]
        self.output = config["output_layers"][0][0]
        self.weights = {
            name: torch.from_numpy(value.copy()) for name, value in read_tfjs_weights(archive, folder).items()
        }

    def _layer(self, layer: dict[str, Any], inputs: list[torch.Tensor]) -> torch.Tensor:
        kind, cfg, name = layer["class_name"], layer["config"], layer["config"]["name"]
        if kind == "Conv2D":
            kernel = self.weights[f"{name}/kernel"].permute(3, 2, 0, 1)
            out = F.conv2d(inputs[0], kernel, self.weights.get(f"{name}/bias"), padding=kernel.shape[-1] // 2)
            return torch.relu(out) if cfg["activation"] == "relu" else out
        if kind == "Activation":
            return torch.relu(inputs[0])
        if kind == "Add":
            return sum(inputs[1:], inputs[0])
        if kind == "Concatenate":
            return torch.cat(inputs, dim=1)
        if kind == "UpSampling2D":
            return F.interpolate(inputs[0], scale_factor=tuple(cfg["size"]), mode="nearest")
        if kind == "MultiplyBeta":
            return inputs[0] * 0.2
        if kind.startswith("PixelShuffle"):  # TensorFlow depth_to_space: channels are (row, col, colour)
            scale = int(cfg["scale"])
            n, c, h, w = inputs[0].shape
            x = inputs[0].reshape(n, scale, scale, c // scale**2, h, w)
            return x.permute(0, 3, 4, 1, 5, 2).reshape(n, c // scale**2, h * scale, w * scale)
        raise ValueError(f"layer type {kind} is not supported")

    @torch.inference_mode()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, 3, H, W) in the model's input range."""
        values: dict[str, torch.Tensor] = {}
        for layer in self.layers:
            name = layer["config"]["name"]
            if layer["class_name"] == "InputLayer":
                values[name] = x
                continue
            inputs = [values[node[0]] for node in layer["inbound_nodes"][0]]
            values[name] = self._layer(layer, inputs)
        return values[self.output]
