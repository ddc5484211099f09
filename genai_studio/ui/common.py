"""What every tab shares: the context it is built with, translations, error handling,
and the hand-off to the model manager and the history store.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from genai_studio.config import Settings
from genai_studio.errors import StudioError
from genai_studio.history import Entry, History
from genai_studio.owners import Owner
from genai_studio.serving.scheduler import Waiting
from genai_studio.serving.service import Models, report_waiting_to, steps_reporting_waiting
from genai_studio.ui.delivery import Delivery
from genai_studio.ui.identity import Identity
from genai_studio.voice_library import VoiceLibrary

log = logging.getLogger(__name__)

HEAVY = "heavy"  # concurrency_id of every model event (see open_heavy_events)

# key -> (English, Simplified Chinese). Each tab registers its own strings with `strings()`.
_STRINGS: dict[str, tuple[str, str]] = {}


def strings(entries: dict[str, tuple[str, str]]) -> None:
    """Register UI strings in both languages (call at module import)."""
    _STRINGS.update(entries)


def tr(key: str) -> Any:
    """A label translated in the browser; unknown keys fail when the UI is built."""
    if key not in _STRINGS:
        raise KeyError(f"no UI string {key!r}: add it with strings()")
    return gr.I18n()(key)


def english(label: Any) -> str:
    """The English text of a component label (a `tr()` key or plain text); empty for none."""
    key = getattr(label, "key", None)
    if key in _STRINGS:
        return _STRINGS[key][0]
    return label if isinstance(label, str) else ""


def i18n() -> gr.I18n:
    """Every registered string, English and Simplified Chinese (picked from the browser)."""
    english = {key: pair[0] for key, pair in _STRINGS.items()}
    chinese = {key: pair[1] for key, pair in _STRINGS.items()}
    return gr.I18n(en=english, zh=chinese, **{"zh-CN": chinese})


@dataclass
class StudioContext:
    """What a tab is built with. Tabs never import torch or construct backends directly.

    Every handler that saves or shows results asks `owner(request)` who is calling, saves
    under that owner and hands files back only through `deliver`."""

    settings: Settings
    manager: Models
    history: History
    identity: Identity
    delivery: Delivery
    voices: VoiceLibrary  # the voices each owner mixed and named

    def owner(self, request: gr.Request | None) -> Owner:
        return self.identity.owner(request)

    def deliver(self, owner: Owner, entry: Entry, name: str) -> str:
        """A path Gradio can serve for `entry`'s file `name`, for its owner only."""
        return self.delivery.path(owner, entry, name)


@dataclass(frozen=True)
class ResultSlot:
    """Where a tab shows a result it can send on: the component holding it and the row right
    under it that `send_to.wire` fills with one "Send to" button per tab taking it. Make one
    with `send_to.slot(component)` just after the component."""

    component: gr.components.Component
    row: gr.Row


@dataclass
class TabHandle:
    """A built tab. `controls` maps parameter names (as saved in history) to the inputs that
    set them, so History can put a past result's settings back; `tasks` are the history task
    names this tab reuses. History sets them in this order, and a change event reads the other
    inputs as they are when it fires: a control whose change refreshes others (a model and its
    voices) comes after them, or it would reset them to its defaults."""

    tab_id: str
    tasks: tuple[str, ...]
    controls: dict[str, gr.components.Component] = field(default_factory=dict)
    # For a tab nested inside another tab's gr.Tabs (the Image sub-tabs): that gr.Tabs and
    # this tab's id in it; `tab_id` is then the id of the top-level tab holding it.
    subtab: tuple[gr.Tabs, str] | None = None
    # Send-to: the inputs this tab takes a result into, by kind of result ("text", "image",
    # "speech", "music"). A result sent here lands in `receivers[kind]`; nothing else changes.
    receivers: dict[str, gr.components.Component] = field(default_factory=dict)
    # Send-to: the results this tab offers, by the same kinds. Each is offered to every other
    # tab with a receiver of its kind; History also reads from the kinds which of its own
    # viewers to offer for an entry this tab made.
    results: dict[str, ResultSlot] = field(default_factory=dict)


def open_heavy_events(demo: gr.Blocks, settings: Settings) -> None:
    """Let every model event (concurrency_id HEAVY) in at once when models run in workers:
    the scheduler then decides who runs, in turn across users, instead of Gradio's single
    first-come line. In-process models keep one event at a time. (Gradio's queue takes the
    lowest limit among events sharing an id, so all of them are set here, after building.)"""
    limit = settings.queue_size if settings.model_workers else 1
    for fn in demo.fns.values():
        if fn.concurrency_id == HEAVY:
            fn.concurrency_limit = limit


def _show_waiting(waiting: Waiting) -> None:
    """A waiting job's place in line, as a notice on the user's page."""
    gr.Info(waiting.message(), duration=4)


def model_choices(ctx: StudioContext, specs: tuple[str, ...]) -> list[tuple[str, str]]:
    """(label, spec) pairs for a model dropdown; only operator-configured specs are offered."""
    return [(ctx.manager.backend_for(spec).label, spec) for spec in specs]


def run_buttons() -> tuple[gr.Button, gr.Button]:
    """The Generate and Stop pair of every model tab, side by side."""
    with gr.Row():
        generate = gr.Button(tr("common.generate"), variant="primary")
        stop = gr.Button(tr("common.stop"), variant="stop")
    return generate, stop


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn errors into clear messages for the user; never show a traceback.

    StudioError messages are shown as they are; anything else is logged with its traceback
    and reported briefly. Works for plain functions and generators.
    """

    def translate(exc: Exception) -> gr.Error:
        if isinstance(exc, StudioError):
            return gr.Error(str(exc), print_exception=False)
        log.exception("unexpected error in %s", fn.__name__)
        return gr.Error(
            f"Something went wrong ({type(exc).__name__}). The details are in the server log.",
            print_exception=False,
        )

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator_wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from steps_reporting_waiting(fn(*args, **kwargs), _show_waiting)
            except gr.Error:
                raise
            except Exception as exc:  # noqa: BLE001 - translated for the user
                raise translate(exc) from None

        return generator_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with report_waiting_to(_show_waiting):
                return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:  # noqa: BLE001 - translated for the user
            raise translate(exc) from None

    return wrapper


strings(
    {
        "common.model": ("Model", "模型"),
        "common.seed": ("Seed (-1: random)", "随机种子（-1 为随机）"),
        "common.generate": ("Generate", "生成"),
        "common.stop": ("Stop", "停止"),
        "common.clear": ("Clear", "清空"),
        "common.download": ("Download", "下载"),
        "common.advanced": ("Advanced settings", "高级设置"),
        "common.status": ("Status", "状态"),
    }
)
