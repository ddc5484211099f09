"""Device and dtype choice. CUDA cannot exist here, so its availability is faked (monkeypatch)
in the tests that need it; the CPU path runs for real."""

from __future__ import annotations

import pytest
import torch

from genai_studio import devices


def test_auto_is_the_cpu_here_in_full_precision():
    assert devices.resolve_device("auto") == "cpu"
    assert devices.resolve_dtype("cpu") == torch.float32


def test_asking_for_cuda_without_it_is_a_clear_error():
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        devices.resolve_device("cuda")


@pytest.mark.parametrize(("bf16", "expected"), [(True, torch.bfloat16), (False, torch.float16)])
def test_cuda_gets_half_precision(monkeypatch, bf16, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # no GPU on this machine
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: bf16)
    assert devices.resolve_device("auto") == "cuda"
    assert devices.resolve_dtype("cuda") == expected


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (MemoryError(), True),
        (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), True),
        (RuntimeError("[enforce fail at alloc_cpu.cpp] DefaultCPUAllocator: can't allocate memory"), True),
        (ValueError("bad prompt"), False),
    ],
)
def test_out_of_memory_is_recognised(error, expected):
    assert devices.is_out_of_memory(error) is expected


def test_a_real_cpu_allocation_failure_is_recognised():
    with pytest.raises(RuntimeError) as caught:
        torch.empty(2**62, dtype=torch.uint8)
    assert devices.is_out_of_memory(caught.value), str(caught.value)
