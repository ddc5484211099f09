"""Device and dtype choice, memory facts and out-of-memory recognition.

torch is imported lazily: the first page must not wait for it, and the embedded text,
speech and music backends do not need it at all.
"""

from __future__ import annotations

import gc
import logging
import os
import sys

import psutil

log = logging.getLogger(__name__)


def resolve_device(requested: str = "auto") -> str:
    """'auto' picks CUDA, then Apple MPS, then the CPU; an explicit choice is checked."""
    import torch

    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {requested!r} was asked for but CUDA is not available")
    return requested


def resolve_dtype(device: str):
    """Half precision where it is fast (bf16 on CUDA that supports it, else fp16); fp32 on CPU.

    This CPU has no native bf16: measured 2x slower first token than fp32 (see MODELS.md).
    """
    import torch

    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


def rss_mb() -> float:
    """Resident memory of this process in MB."""
    return psutil.Process(os.getpid()).memory_info().rss / 2**20


def available_mb() -> float:
    return psutil.virtual_memory().available / 2**20


# How CUDA, torch's CPU allocator, ONNX Runtime and llama.cpp word running out of memory.
_OOM_SIGNS = ("out of memory", "failed to allocate", "can't allocate memory", "cannot allocate memory")


def is_out_of_memory(exc: BaseException) -> bool:
    """True for CPU and accelerator out-of-memory errors, whatever library raised them."""
    if isinstance(exc, MemoryError):
        return True
    text = str(exc).lower()
    return type(exc).__name__ == "OutOfMemoryError" or any(sign in text for sign in _OOM_SIGNS)


def free_memory() -> None:
    """Return freed tensors to the system and, if torch is in use, to the CUDA allocator."""
    gc.collect()
    torch = sys.modules.get("torch")  # never import torch just to free memory
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()
