"""The Gradio door's own checks: every value a request carries, and every request the queue
refuses, reach the user as a message in words.

Gradio converts each input before a handler runs; a value it cannot convert (a word for a
number, NaN for a whole number) fails there with no message at all, and a lone surrogate
(valid in JSON, not in UTF-8) fails later wherever the text is written out. `guard_inputs`
fixes both once for every input of every event, so a new tab is covered without a line of
its own: strings lose lone surrogates, numbers that are not finite numbers go on unchanged to
the handler, whose request builder (genai_studio/inputs.py) names the field and the range,
and a value in a form a component does not take is refused naming that component.
"""

from __future__ import annotations

import functools
import logging
import math
from typing import Any

import gradio as gr
import pydantic

from genai_studio import inputs
from genai_studio.ui.common import english

log = logging.getLogger(__name__)

BUSY = "The studio is busy: {waiting} requests are already waiting. Please try again in a minute."


def _finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _guarded(component: gr.components.Component) -> Any:
    convert = component.preprocess
    numeric = isinstance(component, gr.Number | gr.Slider)
    name = english(component.label) or type(component).__name__

    @functools.wraps(convert)
    def preprocess(payload: Any) -> Any:
        payload = inputs.scrub(payload)
        if numeric and payload is not None and not _finite_number(payload):
            return payload  # the request builder says what is wrong with it, and where
        try:
            return convert(payload)
        except gr.Error:
            raise
        except Exception as exc:  # noqa: BLE001 - reported to the user in words
            log.warning("%s: could not convert %s: %s", name, inputs.shown(payload), exc)
            raise gr.Error(
                f"{name}: this value cannot be used ({inputs.shown(payload)}). Please change it.",
                print_exception=False,
            ) from None

    return preprocess


def _unreadable(block_fn: Any, values: list[Any]) -> str:
    """Which input of a request Gradio could not read, in words."""
    for component, value in zip(block_fn.inputs, values, strict=False):
        model = getattr(component, "data_model", None)
        if model is None or value is None:
            continue
        try:
            model.model_validate(value)
        except pydantic.ValidationError as exc:
            reason = exc.errors()[0]["msg"]
            name = english(component.label) or type(component).__name__
            return f"{name}: this value is not in a form it takes ({reason}). Please change it."
        except Exception:  # noqa: BLE001 - only looking for the culprit
            continue
    return (
        f"This request does not match the parameters of {block_fn.api_name or 'this endpoint'} "
        f"({len(block_fn.inputs)} values of the forms its API page lists)."
    )


def guard_inputs(demo: gr.Blocks) -> None:
    """Wrap the conversion of every input component of every event in `demo` (once each),
    and of every request as a whole (for values Gradio checks before any component)."""
    components = {id(c): c for fn in demo.fns.values() for c in fn.inputs}
    for component in components.values():
        component.preprocess = _guarded(component)
    convert_all = demo.preprocess_data

    @functools.wraps(convert_all)
    async def preprocess_data(block_fn: Any, values: list[Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await convert_all(block_fn, values, *args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:  # noqa: BLE001 - reported to the user in words
            log.warning("could not read a request for %s: %s", block_fn.api_name, exc)
            raise gr.Error(_unreadable(block_fn, values), print_exception=False) from None

    demo.preprocess_data = preprocess_data


def busy_message(demo: gr.Blocks) -> None:
    """When the bounded queue is full, say so in the studio's words, not as a queue size."""
    queue = demo._queue
    push = queue.push

    @functools.wraps(push)
    async def push_or_refuse(*args: Any, **kwargs: Any) -> Any:
        accepted, detail, state = await push(*args, **kwargs)
        if state == "queue_full":
            log.warning("queue full (%d waiting): request refused", len(queue))
            detail = BUSY.format(waiting=len(queue))
        return accepted, detail, state

    queue.push = push_or_refuse
