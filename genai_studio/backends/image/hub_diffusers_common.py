"""What the diffusers backends share: a base class holding the loaded pipeline, loading a
pipeline by hub id or local folder onto the right device, cheap previews of the latents at
each step, and running a pipeline in a worker thread so its steps stream as Progress and
Stop interrupts it between steps.

torch and diffusers are imported inside the functions: nothing here costs at start-up.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from genai_studio import devices
from genai_studio.backends.base import Backend, Progress, RequestT
from genai_studio.backends.image.diffusion_inputs import MAX_SEED
from genai_studio.config import Settings
from genai_studio.errors import ModelUnavailable

log = logging.getLogger(__name__)

# Linear map from Stable Diffusion's 4 latent channels to RGB (a widely used approximation
# of the VAE decoder): a preview costs a matrix product instead of a decoder pass.
LATENT_RGB = np.array(
    [
        [0.298, 0.207, 0.208],
        [0.187, 0.286, 0.173],
        [-0.158, 0.189, 0.264],
        [-0.184, -0.271, -0.473],
    ],
    dtype=np.float32,
)
OFFLOAD_BELOW_MB = 10_000  # free GPU memory under which models live on the CPU between uses


def load_pipeline(auto_class_name: str, ref: str, device: str) -> tuple[Any, str]:
    """`diffusers.<auto_class_name>.from_pretrained(ref)` on `device`; returns (pipe, device).

    fp16 on CUDA; model CPU offload when the GPU has little free memory; fp32 elsewhere.
    """
    if not ref:
        raise ModelUnavailable("This model spec needs a hub id or a local folder, e.g. sd-inpaint:<id>.")
    import diffusers
    import torch

    device = devices.resolve_device(device)
    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    auto_class = getattr(diffusers, auto_class_name)
    try:
        pipe = auto_class.from_pretrained(ref, dtype=dtype)
    except (OSError, ValueError) as exc:  # not on disk and no hub, or not a pipeline folder
        raise ModelUnavailable(
            f"Could not load {ref!r}: {exc}. Download it once with network access, "
            "or point the model spec at a local folder."
        ) from None
    if device.startswith("cuda") and torch.cuda.mem_get_info()[0] / 2**20 < OFFLOAD_BELOW_MB:
        pipe.enable_model_cpu_offload()
        log.info("%s: model CPU offload (little free GPU memory)", ref)
    else:
        pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    log.info("loaded %s as %s on %s (%s)", ref, type(pipe).__name__, device, dtype)
    return pipe, device


def split_ref(ref: str, default_extra: str) -> tuple[str, str]:
    """`base|extra` -> (base, extra); a missing extra part takes `default_extra`."""
    base, _, extra = ref.partition("|")
    return base.strip(), extra.strip() or default_extra


def work_size(image: np.ndarray, native: int, multiple: int = 8) -> tuple[int, int]:
    """(width, height) with the longer side at the model's native size, both multiples of 8."""
    height, width = image.shape[:2]
    scale = native / max(height, width)
    return (
        max(multiple, round(width * scale / multiple) * multiple),
        max(multiple, round(height * scale / multiple) * multiple),
    )


def latent_preview(latents: Any) -> np.ndarray:
    """uint8 RGB (h, w, 3) at latent resolution from the first latent of a batch."""
    array = latents[0].detach().float().cpu().numpy()  # (C, h, w)
    if array.shape[0] != LATENT_RGB.shape[0]:  # another latent space: show the first 3 channels
        rgb = array[:3].transpose(1, 2, 0)
    else:
        rgb = np.tensordot(array.transpose(1, 2, 0), LATENT_RGB, axes=1)
    return np.clip((rgb + 1.0) * 127.5, 0, 255).astype(np.uint8)


def generator_for(seed: int, device: str) -> Any:
    import torch

    return torch.Generator(device="cpu" if device.startswith("mps") else device).manual_seed(seed)


@dataclass(frozen=True)
class Step:
    """One finished denoising step and a cheap preview of its latents."""

    step: int
    total: int  # steps this run takes (strength and multistep schedulers change it)
    preview: np.ndarray  # uint8 RGB at latent resolution


def stream_pipeline(pipe: Any, kwargs: dict[str, Any], cancel: threading.Event) -> Iterator[Step | Any]:
    """Run `pipe(**kwargs)` in a worker thread; yield a Step after every denoising step, then
    the pipeline's output. Once `cancel` is set the pipeline is interrupted at its next step
    and nothing more is yielded."""
    import torch

    items: queue.SimpleQueue[Any] = queue.SimpleQueue()
    done = object()

    def on_step_end(pipeline: Any, step: int, timestep: Any, callback_kwargs: dict[str, Any]) -> dict:
        if cancel.is_set():
            pipeline._interrupt = True  # diffusers skips the remaining steps
        else:
            total = int(getattr(pipeline, "num_timesteps", 0) or step + 1)
            items.put(Step(step + 1, total, latent_preview(callback_kwargs["latents"])))
        return callback_kwargs

    def work() -> None:
        try:
            hooks = {"callback_on_step_end": on_step_end, "callback_on_step_end_tensor_inputs": ["latents"]}
            with torch.inference_mode():
                items.put(pipe(**kwargs, **hooks))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            items.put(exc)
        finally:
            items.put(done)

    worker = threading.Thread(target=work, name="diffusers-pipeline", daemon=True)
    worker.start()
    try:
        while (item := items.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            if not cancel.is_set():
                yield item
    finally:
        if worker.is_alive():  # the consumer left (Stop, or an error): interrupt and wait
            cancel.set()
        worker.join()


def denoise(
    pipe: Any, kwargs: dict[str, Any], cancel: threading.Event, progress: Callable[[Step], Progress]
) -> Generator[Progress, None, Any]:
    """Yield a first Progress, then `progress(step)` after every step of `pipe(**kwargs)`;
    return the pipeline's output, or None once `cancel` is set (use with `yield from`)."""
    yield Progress("Denoising…", 0.0)
    output = None
    for item in stream_pipeline(pipe, kwargs, cancel):
        if isinstance(item, Step):
            yield progress(item)
        else:
            output = item
    return None if cancel.is_set() else output


class DiffusersBackend(Backend[RequestT]):
    """A diffusers pipeline held between `load` and `unload`, with the device it runs on."""

    def __init__(self, ref: str, settings: Settings) -> None:
        super().__init__(ref, settings)
        self._pipe: Any = None
        self._device = "cpu"

    @property
    def pipe(self) -> Any:
        if self._pipe is None:
            raise RuntimeError("run() before load()")
        return self._pipe

    def native_size(self) -> int:
        """The resolution the model was trained at (512 for SD 1.5, 1024 for SDXL)."""
        return int(self.pipe.unet.config.sample_size * self.pipe.vae_scale_factor)

    def seed_for(self, seed: int | None) -> int:
        """`seed`, or a random one when the user asked for random (None)."""
        return seed if seed is not None else int(np.random.default_rng().integers(MAX_SEED))

    def unload(self) -> None:
        self._pipe = None
