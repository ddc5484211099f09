"""Send-to wiring, read from the built studio: every result offers every other tab taking its
kind, a click selects that tab and writes its receiver only, and none of it is an API endpoint."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import gradio as gr
import pytest

from genai_studio.config import Settings
from genai_studio.ui import app, send_to
from genai_studio.ui.common import TabHandle, tr


@dataclass
class Built:
    demo: gr.Blocks
    tabs: gr.Tabs
    handles: list[TabHandle]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    ctx = app.build_context(Settings(output_dir=tmp_path_factory.mktemp("send-to")))
    modules = [importlib.import_module(name) for name in app.TABS]
    with gr.Blocks() as demo:
        tabs, handles = app.build_tabs(ctx, modules)
    return Built(demo, tabs, handles)


def routes(demo: gr.Blocks, row: gr.Row) -> dict[int, tuple[tuple[int, str], ...]]:
    """For each button in a Send-to row: the receiver it writes (by block id) -> the tab each
    gr.Tabs (by block id) selects on click; every step checked to be browser-side or private."""
    fns = list(demo.fns.values())
    found: dict[int, tuple[tuple[int, str], ...]] = {}
    for button in (child for child in row.children if isinstance(child, gr.Button)):
        click = next(fn for fn in fns if (button._id, "click") in fn.targets)
        (copy,) = [fn for fn in fns if fn.trigger_after == click._id]
        assert click.api_visibility == copy.api_visibility == "private"
        assert copy.fn is None and copy.js, "the value is copied in the browser, never by the server"
        (receiver,) = copy.outputs
        assert copy.inputs[1] is receiver  # kept as it is when there is nothing to send
        updates = click.fn() if len(click.outputs) > 1 else (click.fn(),)  # as Gradio reads a return
        assert all(isinstance(update, gr.Tabs) for update in updates)
        selected = [update.selected for update in updates]
        found[receiver._id] = tuple(zip([tabs._id for tabs in click.outputs], selected, strict=True))
    return found


def selection(top: gr.Tabs, handle: TabHandle) -> tuple[tuple[int, str], ...]:
    """What sending to `handle` selects: its tab, and its sub-tab if it has one."""
    chosen = ((top._id, handle.tab_id),)
    return (*chosen, (handle.subtab[0]._id, handle.subtab[1])) if handle.subtab else chosen


def test_every_result_offers_every_other_tab_taking_its_kind(built):
    offered = 0
    for sender in built.handles:
        for kind, result in sender.results.items():
            takers = [h for h in built.handles if kind in h.receivers and h is not sender]
            expected = {h.receivers[kind]._id: selection(built.tabs, h) for h in takers}
            assert routes(built.demo, result.row) == expected, (sender.tab_id, kind)
            assert result.row.visible == bool(takers)
            offered += len(takers)
    assert offered > 30  # text to Speech, narration, Music, Story; six image tools to one another...


def test_the_kinds_the_issue_asks_for_are_all_sent(built):
    by_receiver = {h.receivers[kind]._id: (h, kind) for h in built.handles for kind in h.receivers}
    senders = {(h.tab_id, h.subtab[1] if h.subtab else None): h for h in built.handles}
    text_tab = senders["text", None]
    reached = {by_receiver[r][0].tab_id for r in routes(built.demo, text_tab.results["text"].row)}
    assert {"speech", "music"} <= reached
    image_tools = [h for h in built.handles if "image" in h.results and h.tab_id == "image"]
    assert {h.subtab[1] for h in image_tools} >= {"inpaint", "colorize", "style", "upscale", "restore"}
    for tool in image_tools:
        reached = [by_receiver[r][0] for r in routes(built.demo, tool.results["image"].row)]
        targets = {(h.tab_id, h.subtab[1] if h.subtab else None) for h in reached}
        others = {("image", h.subtab[1]) for h in image_tools if "image" in h.receivers}
        assert targets == others - {("image", tool.subtab[1])} | {("story", None)}  # the film's pictures
    for sender, kind, tabs in (
        (senders["speech", "speak"], "speech", {"story", "listen"}),  # a voice is heard back in Listen
        (senders["music", None], "music", {"story"}),
    ):
        assert {by_receiver[r][0].tab_id for r in routes(built.demo, sender.results[kind].row)} == tabs
    transcript = routes(built.demo, senders["listen", None].results["text"].row)
    assert {by_receiver[r][0].tab_id for r in transcript} >= {"text", "speech", "story"}
    history = built.handles[-1]
    assert set(history.results) == set(send_to.KINDS) and not history.receivers


def test_buttons_name_the_tab_or_the_sub_tab_when_several_share_it(built):
    def labels(row: gr.Row) -> list[str]:
        return [child.value for child in row.children]

    text_tab = next(h for h in built.handles if h.tab_id == "text")
    keys = ["send_to.label", "speech.mode.speak", "narration.tab", "music.tab", "story.tab"]
    assert labels(text_tab.results["text"].row) == [str(tr(key)) for key in keys]
    inpaint = next(h for h in built.handles if h.subtab and h.subtab[1] == "inpaint")
    shown = labels(inpaint.results["image"].row)
    assert str(tr("colorize.tab")) in shown and str(tr("inpaint.tab")) not in shown
    history = built.handles[-1]
    assert labels(history.results["speech"].row) == [
        str(tr(k)) for k in ("send_to.output", "listen.tab", "story.tab")
    ]
