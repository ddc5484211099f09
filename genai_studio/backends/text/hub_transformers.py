"""Any causal language model through transformers, by hub id or local folder.

CUDA with bf16/fp16 when present, fp32 on the CPU. Tokens stream through
TextIteratorStreamer; a stopping criterion watches the cancel event so Stop ends
generation within one token.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

from genai_studio import devices
from genai_studio.backends.base import Backend, Progress, Result, Task
from genai_studio.backends.text.request import TextRequest, stream_text

log = logging.getLogger(__name__)


class TransformersLM(Backend[TextRequest]):
    name = "transformers"
    task = Task.TEXT
    licence = "transformers: Apache-2.0; weights: see the model's card"
    estimated_memory_mb = 2000

    def __init__(self, ref, settings) -> None:
        super().__init__(ref, settings)
        self._model = None
        self._tokenizer = None
        self._device = "cpu"

    def load(self, device: str) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self._device = devices.resolve_device(device)
        dtype = devices.resolve_dtype(self._device)
        self._tokenizer = AutoTokenizer.from_pretrained(self.ref)
        model = AutoModelForCausalLM.from_pretrained(self.ref, dtype=dtype)
        self._model = model.to(self._device).eval()
        log.info("transformers model %s on %s (%s)", self.ref, self._device, dtype)

    def _encode(self, request: TextRequest):
        tokenizer = self._tokenizer
        if tokenizer.chat_template:
            encoded = tokenizer.apply_chat_template(
                request.chat(), add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
        else:  # a base model: plain text, turns separated by blank lines
            text = "\n\n".join(m.content for m in request.messages) + "\n\n"
            encoded = tokenizer(text, return_tensors="pt")
        return {key: value.to(self._device) for key, value in encoded.items()}

    def run(self, request: TextRequest, cancel: threading.Event) -> Iterator[Progress | Result]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        class StopWhenCancelled(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs) -> bool:
                return cancel.is_set()

        if self._model is None:
            raise RuntimeError("run() before load()")
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        sampling = request.temperature > 0
        torch.manual_seed(request.seed)
        kwargs = dict(
            **self._encode(request),
            max_new_tokens=request.max_new_tokens,
            do_sample=sampling,
            temperature=request.temperature if sampling else None,
            top_p=request.top_p if sampling else None,
            repetition_penalty=request.repetition_penalty,
            streamer=streamer,
            stopping_criteria=StoppingCriteriaList([StopWhenCancelled()]),
            pad_token_id=self._tokenizer.pad_token_id or self._tokenizer.eos_token_id,
        )
        failure: list[BaseException] = []

        def generate() -> None:
            try:
                with torch.inference_mode():
                    self._model.generate(**kwargs)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                failure.append(exc)
                streamer.end()

        worker = threading.Thread(target=generate, name="transformers-generate", daemon=True)
        worker.start()
        try:
            yield from stream_text(streamer, cancel, request, model=self.label)
        finally:
            if worker.is_alive():
                cancel.set()  # the consumer left early: stop the generating thread too
            worker.join()
        if failure:
            raise failure[0]

    def unload(self) -> None:
        self._model = None
        self._tokenizer = None
