"""Device and dtype choice, memory facts and out-of-memory recognition.

torch is imported lazily: the first page must not wait for it, and the embedded text,
speech and music backends do not need it at all.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import psutil

log = logging.getLogger(__name__)

NVIDIA_GPUS = Path("/proc/driver/nvidia/gpus")  # one folder per GPU the Linux driver sees


def on_zero_gpu(environ: Mapping[str, str] | None = None) -> bool:
    """True on a ZeroGPU Space (as the `spaces` package itself decides)."""
    environ = os.environ if environ is None else environ
    return environ.get("SPACES_ZERO_GPU", "").strip().lower() in {"1", "t", "true"}


def cuda_present(environ: Mapping[str, str] | None = None, gpus: Path = NVIDIA_GPUS) -> bool:
    """Whether this machine has a CUDA GPU, answered in milliseconds and without torch.

    Neither torch nor the CUDA driver is touched: importing torch would slow the first page
    by seconds, and a process that initialised CUDA cannot hand it to forked workers (which
    is how ZeroGPU runs a request). ZeroGPU's main process has no GPU yet but gets one per
    request, so it counts as having one. Elsewhere the NVIDIA driver's /proc folder answers
    on Linux, `nvidia-smi -L` where there is no such folder (WSL, Windows).
    """
    environ = os.environ if environ is None else environ
    if on_zero_gpu(environ):
        return True
    if environ.get("CUDA_VISIBLE_DEVICES", "unset").strip() in {"", "-1"}:
        return False  # GPUs hidden from this process on purpose
    try:
        return any(gpus.iterdir())
    except OSError:
        pass
    smi = shutil.which("nvidia-smi", path=environ.get("PATH"))
    if smi is None:
        return False
    try:
        listed = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return listed.returncode == 0 and "GPU" in listed.stdout


def runs_on_cuda(device: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether models would run on CUDA with this `--device` setting, judged without torch."""
    if device == "auto":
        return cuda_present(environ)
    return device.startswith("cuda")


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
