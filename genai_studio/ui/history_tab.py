"""History tab: every result of every tab, newest first, reusable with one click."""

from __future__ import annotations

import time
from typing import Any

import gradio as gr

from genai_studio.history import Entry
from genai_studio.ui.common import StudioContext, TabHandle, strings, tr, user_errors

strings(
    {
        "history.tab": ("History", "历史"),
        "history.intro": (
            "Every result is saved with the settings that made it, and survives restarts. "
            "Pick a row to see it; reuse its settings in its tab.",
            "每个结果都会连同生成它的设置一起保存，重启后仍在。选择一行查看，并可在原标签页中重用其设置。",
        ),
        "history.refresh": ("Refresh", "刷新"),
        "history.table": ("Results", "结果"),
        "history.settings": ("Settings", "设置"),
        "history.files": ("Files", "文件"),
        "history.text": ("Text", "文本"),
        "history.reuse": ("Use these settings again", "再次使用这些设置"),
    }
)

COLUMNS = ["id", "time", "task", "model", "summary"]
TEXT_PREVIEW_FILE = "output.txt"


def _row(entry: Entry) -> list[str]:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.created))
    return [entry.id, when, entry.task, entry.model, entry.summary[:80]]


def build(ctx: StudioContext, tabs: gr.Tabs, handles: list[TabHandle]) -> None:
    by_task = {task: handle for handle in handles for task in handle.tasks}
    subtab_selectors = [handle.subtab[0] for handle in handles if handle.subtab]

    def list_entries() -> list[list[str]]:
        """List saved results, newest first (id, time, task, model, summary)."""
        return [_row(entry) for entry in ctx.history.entries(ctx.settings.history_limit)]

    @user_errors
    def show_entry(rows: Any, event: gr.SelectData) -> tuple[str, dict, list[str], str]:
        row_index = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        values = rows.values.tolist() if hasattr(rows, "values") else rows
        entry = ctx.history.get(str(values[row_index][0]))
        if entry is None:
            raise gr.Error("That result is no longer in the history folder.")
        files = [str(entry.file(name)) for name in entry.files]
        text = entry.file(TEXT_PREVIEW_FILE).read_text() if TEXT_PREVIEW_FILE in entry.files else ""
        return entry.id, entry.params, files, text

    @user_errors
    def reuse_settings(entry_id: str) -> list[Any]:
        entry = ctx.history.get(entry_id)
        if entry is None:
            raise gr.Error("Pick a result in the table first.")
        handle = by_task.get(entry.task)
        if handle is None:
            raise gr.Error(f"No tab in this studio handles {entry.task!r} results.")
        updates: list[Any] = [gr.Tabs(selected=handle.tab_id)]
        for tabs_component in subtab_selectors:
            selected = handle.subtab and handle.subtab[0] is tabs_component
            updates.append(gr.Tabs(selected=handle.subtab[1]) if selected else gr.skip())
        for other in handles:
            for name in other.controls:
                known = other is handle and name in entry.params
                updates.append(gr.update(value=entry.params[name]) if known else gr.skip())
        return updates

    with gr.Tab(tr("history.tab"), id="history") as tab:
        gr.Markdown(tr("history.intro"))
        refresh = gr.Button(tr("history.refresh"), size="sm")
        table = gr.Dataframe(
            headers=COLUMNS, interactive=False, label=tr("history.table"), wrap=True, elem_id="history-table"
        )
        entry_id = gr.Textbox(visible=False)
        with gr.Row():
            settings_view = gr.JSON(label=tr("history.settings"))
            with gr.Column():
                files = gr.File(file_count="multiple", label=tr("history.files"), interactive=False)
                text = gr.Textbox(label=tr("history.text"), lines=6, interactive=False, buttons=["copy"])
        reuse = gr.Button(tr("history.reuse"), variant="primary")

    controls = [component for handle in handles for component in handle.controls.values()]
    refresh.click(list_entries, outputs=table, api_name="list_history")
    tab.select(list_entries, outputs=table, api_visibility="private")
    table.select(
        show_entry, inputs=table, outputs=[entry_id, settings_view, files, text], api_visibility="private"
    )
    reuse.click(
        reuse_settings,
        inputs=entry_id,
        outputs=[tabs, *subtab_selectors, *controls],
        api_visibility="private",
    )
