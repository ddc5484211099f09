"""MusicGen (small, medium, large, melody) through transformers, by hub id or local folder.

The text prompt conditions the music (melody checkpoints too: conditioning on a hummed tune
is not offered, which also spares torchaudio).

Audio streams while it is generated: a stopping criterion, called by `generate` after every
step, sees the tokens so far, undoes MusicGen's codebook delay pattern for the frames that
are complete and decodes them with EnCodec (with some frames of context for smooth joins).
The same hook checks the cancel event, so Stop ends generation within one step.
CUDA with half precision when present; fp32 on the CPU (where it is ~13x slower than real time).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator

import numpy as np

from genai_studio import devices
from genai_studio.backends.base import Backend, Progress, Result, Task
from genai_studio.backends.music.request import MusicOutput, MusicRequest
from genai_studio.errors import InvalidInput

log = logging.getLogger(__name__)

MAX_SECONDS = 30.0  # MusicGen was trained on 30 s clips
STREAM_EVERY_S = 1.0
CONTEXT_FRAMES = 16  # decoded again before each new chunk so chunks join smoothly
GUIDANCE = 3.0
_DONE = object()


class MusicGen(Backend[MusicRequest]):
    name = "musicgen"
    task = Task.MUSIC
    licence = "transformers: Apache-2.0; MusicGen weights: CC-BY-NC-4.0 (non-commercial)"
    estimated_memory_mb = 3500

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self._model = None
        self._tokenizer = None
        self._device = "cpu"

    @property
    def label(self) -> str:
        return f"MusicGen: {self.ref or 'facebook/musicgen-small'}"

    def load(self, device: str) -> None:
        from transformers import AutoConfig, AutoTokenizer

        ref = self.ref or "facebook/musicgen-small"
        self._device = devices.resolve_device(device)
        dtype = devices.resolve_dtype(self._device)
        if AutoConfig.from_pretrained(ref).model_type == "musicgen_melody":
            from transformers import MusicgenMelodyForConditionalGeneration as model_class
        else:
            from transformers import MusicgenForConditionalGeneration as model_class
        # Only text conditions the music here, so the tokenizer is all of the processor we need
        # (musicgen-melody's audio half would also need torchaudio).
        self._tokenizer = AutoTokenizer.from_pretrained(ref)
        self._model = model_class.from_pretrained(ref, dtype=dtype).to(self._device).eval()
        log.info("MusicGen %s on %s (%s)", ref, self._device, dtype)

    # -- facts about the loaded model ---------------------------------------------------
    @property
    def sample_rate(self) -> int:
        return int(self._model.config.audio_encoder.sampling_rate)

    @property
    def frame_rate(self) -> float:
        return float(self._model.config.audio_encoder.frame_rate)

    @property
    def codebooks(self) -> int:
        return int(self._model.decoder.config.num_codebooks)

    def _decode(self, codes) -> np.ndarray:
        """(codebooks, frames) int tensor -> float32 (samples, channels)."""
        import torch

        encoder = self._model.audio_encoder
        with torch.inference_mode():
            if self._model.decoder.config.audio_channels == 2:  # stereo: codebooks alternate left/right
                halves = [
                    encoder.decode(codes[None, None, i::2], audio_scales=[None]).audio_values for i in (0, 1)
                ]
                audio = torch.cat(halves, dim=1)[0]
            else:
                audio = encoder.decode(codes[None, None], audio_scales=[None]).audio_values[0]
        return audio.float().cpu().numpy().T.astype(np.float32)

    def run(self, request: MusicRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        if self._model is None:
            raise RuntimeError("run() before load()")
        seconds = request.plan.seconds
        if seconds > MAX_SECONDS:
            raise InvalidInput(
                f"MusicGen makes at most {MAX_SECONDS:g} s at once; set the length to {MAX_SECONDS:g} s or "
                "less (the Composer makes up to 120 s)."
            )
        frames = max(1, round(seconds * self.frame_rate))
        codebooks, hop = self.codebooks, max(1, round(STREAM_EVERY_S * self.frame_rate))
        samples_per_frame = self.sample_rate / self.frame_rate
        chunks: queue.SimpleQueue = queue.SimpleQueue()
        emitted = [0]  # frames already sent

        def emit(sequences, complete: int) -> None:
            start = max(0, emitted[0] - CONTEXT_FRAMES)
            # codebook k of frame f sits at position f + k + 1 (position 0 is the start token)
            codes = torch.stack([sequences[k, start + k + 1 : complete + k + 1] for k in range(codebooks)])
            audio = self._decode(codes)
            skip = round((emitted[0] - start) * samples_per_frame)
            chunks.put(audio[skip:])
            emitted[0] = complete

        class Stream(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs) -> bool:
                complete = min(frames, input_ids.shape[-1] - codebooks)
                if complete > emitted[0] and (complete - emitted[0] >= hop or complete == frames):
                    emit(input_ids[:codebooks], complete)
                return cancel.is_set()

        inputs = self._tokenizer([request.text()], padding=True, return_tensors="pt").to(self._device)
        torch.manual_seed(request.seed)
        failure: list[BaseException] = []

        def generate() -> None:
            try:
                with torch.inference_mode():
                    self._model.generate(
                        **inputs,
                        do_sample=True,
                        guidance_scale=GUIDANCE,
                        max_new_tokens=frames + codebooks - 1,
                        stopping_criteria=StoppingCriteriaList([Stream()]),
                    )
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                failure.append(exc)
            finally:
                chunks.put(_DONE)

        worker = threading.Thread(target=generate, name="musicgen-generate", daemon=True)
        worker.start()
        made: list[np.ndarray] = []
        try:
            yield Progress("Generating…", 0.0)
            while (chunk := chunks.get()) is not _DONE:
                made.append(chunk)
                done = emitted[0] / frames
                yield Progress(
                    f"Generated {done * seconds:.0f} of {seconds:g} s", done, (self.sample_rate, chunk)
                )
        finally:
            if worker.is_alive():
                cancel.set()
            worker.join()
        if failure and not cancel.is_set():  # a stopped generate fails in its final reshape: expected
            raise failure[0]
        audio = np.concatenate(made) if made else np.zeros((0, 1), np.float32)
        yield Result(
            MusicOutput(self.sample_rate, audio),
            params={**request.params(), "model": self.label, "stopped": cancel.is_set()},
        )

    def unload(self) -> None:
        self._model = None
        self._tokenizer = None
