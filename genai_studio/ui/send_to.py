"""Send to: a result goes on to another tab in one click, as that tab's input.

Tabs say what they take (`TabHandle.receivers`) and what they show (`TabHandle.results`, each a
`ResultSlot` made with `slot()` right under the result), by kind: "text", "image", "speech",
"music". Once every tab is built, `wire` puts under each result one small button per other tab
taking that kind, found from the handles alone (a new tab only declares its own). A click
selects that tab (and its sub-tab) and sets the receiving input; nothing else changes, in either
tab. The value is copied from one component to the other in the browser: a result file is the
caller's own, already delivered to them, and no server route is given its path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from genai_studio.ui.common import ResultSlot, TabHandle, strings, tr

KINDS = ("text", "image", "speech", "music")

strings(
    {
        "send_to.label": ("Send to:", "发送到："),
        "send_to.output": ("Send output to:", "将输出发送到："),
    }
)

# The value a sender holds in the browser, read as `x`: the last reply of a chat, a text, or
# a file (the first of a list).
_CHAT_REPLY = (
    "(() => { const m = [...(v || [])].reverse().find(m => m.role === 'assistant');"
    " if (!m) return null; const c = m.content;"
    " return typeof c === 'string' ? c"
    " : [].concat(c).map(p => typeof p === 'string' ? p : (p.text ?? p.content ?? '')).join(''); })()"
)
_FIRST_FILE = "(Array.isArray(v) ? (v[0] ?? null) : v)"

# The row stays small: its words and buttons side by side from the left, as wide as their text.
CSS = """
.send-to { justify-content: flex-start; align-items: center; gap: 6px; flex-wrap: wrap; }
.send-to > * { flex: 0 0 auto !important; min-width: 0 !important; width: auto !important; }
.send-to button { white-space: nowrap; }
"""


@dataclass(frozen=True)
class Target:
    """A tab a result can be sent to: its handle, its receiving input, the button's label."""

    handle: TabHandle
    receiver: gr.components.Component
    label: Any


def slot(component: gr.components.Component, label: str = "send_to.label") -> ResultSlot:
    """The Send-to row for `component`; call right after creating it. Hidden until `wire` finds a
    tab to send to. `label` is the key of the words before the buttons."""
    with gr.Row(visible=False, elem_classes="send-to") as row:
        gr.Markdown(tr(label))
    return ResultSlot(component, row)


def targets(sender: TabHandle, kind: str, handles: list[TabHandle], tabs: gr.Tabs) -> list[Target]:
    """Every other tab taking a `kind` result, labelled by its tab's name, or by its sub-tab's
    when another target lives in the same tab (the Image sub-tabs)."""
    taking = [handle for handle in handles if kind in handle.receivers and handle is not sender]
    shared = {handle.tab_id for handle in taking if [h.tab_id for h in taking].count(handle.tab_id) > 1}

    def label(handle: TabHandle) -> Any:
        if handle.subtab and handle.tab_id in shared:
            return _tab_label(handle.subtab[0], handle.subtab[1])
        return _tab_label(tabs, handle.tab_id)

    return [Target(handle, handle.receivers[kind], label(handle)) for handle in taking]


def wire(tabs: gr.Tabs, handles: list[TabHandle]) -> None:
    """Fill every result's Send-to row; call once all tabs are built, inside the gr.Blocks.
    `tabs` is the studio's top-level gr.Tabs."""
    for sender in handles:
        for kind, result in sender.results.items():
            found = targets(sender, kind, handles, tabs)
            result.row.visible = bool(found)
            parent = result.row.parent
            with result.row:
                for target in found:
                    button = gr.Button(target.label, size="sm", scale=0)
                    _connect(button, result.component, target, tabs)
            result.row.parent = parent  # entering a block again re-parents it; it has not moved


def _connect(button: gr.Button, source: gr.components.Component, target: Target, tabs: gr.Tabs) -> None:
    """On click: select the target's tab on the server (no value goes there), then copy the
    value in the browser. With nothing to send, the receiver keeps what it holds."""
    handle = target.handle
    selectors = [tabs, *([handle.subtab[0]] if handle.subtab else [])]

    def select() -> gr.Tabs | tuple[gr.Tabs, gr.Tabs]:
        chosen = gr.Tabs(selected=handle.tab_id)  # one output: Gradio takes a return as it is
        return (chosen, gr.Tabs(selected=handle.subtab[1])) if handle.subtab else chosen

    private = dict(api_visibility="private", queue=False, show_progress="hidden")
    receiver = target.receiver
    copy = dict(inputs=[source, receiver], outputs=receiver, js=copy_js(source, receiver))
    button.click(select, outputs=selectors, **private).then(None, **copy, **private)


def copy_js(source: gr.components.Component, receiver: gr.components.Component) -> str:
    """A browser function (sender's value, receiver's value) -> the receiver's new value."""
    if isinstance(source, gr.Chatbot):
        read = _CHAT_REPLY
    else:
        read = "v" if isinstance(source, gr.Textbox) else _FIRST_FILE
    if isinstance(receiver, gr.ImageEditor):
        write = "{background: x, layers: [], composite: x}"
    elif isinstance(receiver, gr.File) and receiver.file_count != "single":
        # added to the list; wrapped once more, as a browser function's array is read as its
        # outputs, one item each
        write = "[[...(Array.isArray(current) ? current : current ? [current] : []), x]]"
    else:
        write = "x"
    empty = "x === null || x === undefined || x === ''"
    return f"(v, current) => {{ const x = {read}; return ({empty}) ? current : {write}; }}"


def _tab_label(tabs: gr.Tabs, tab_id: str) -> Any:
    """The label of the gr.Tab with id `tab_id` among `tabs`' children (the id if none)."""
    return next((tab.label for tab in tabs.children if getattr(tab, "id", None) == tab_id), tab_id)
