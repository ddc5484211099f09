"""History tab: the caller's own results as a gallery, newest first, filtered by task and
paged; each opens as its image, player (a film in a video player) or text with its settings,
reusable with one click, its output sendable to the tabs that take it (ui/send_to.py), and
deletable (deleted means gone from disk)."""

from __future__ import annotations

import functools
import time
from typing import Any

import gradio as gr

from genai_studio import thumbnails
from genai_studio.errors import InvalidInput
from genai_studio.history import Entry
from genai_studio.inputs import bounded_int, choice
from genai_studio.owners import Owner
from genai_studio.ui import send_to
from genai_studio.ui.common import ResultSlot, StudioContext, TabHandle, strings, tr, user_errors

strings(
    {
        "history.tab": ("History", "历史"),
        "history.intro": (
            "Your results, newest first, with the settings that made them. Only you see them. "
            "Pick one to open it, reuse its settings in its tab, or delete it.",
            "你的结果，最新的在前，附带生成它们的设置。只有你能看到。选择一项打开、在原标签页中重用其设置或删除。",
        ),
        "history.refresh": ("Refresh", "刷新"),
        "history.task": ("Show", "显示"),
        "history.all": ("All results", "全部结果"),
        "history.previous": ("◀ Newer", "◀ 较新"),
        "history.next": ("Older ▶", "较旧 ▶"),
        "history.gallery": ("Results", "结果"),
        "history.image": ("Image", "图像"),
        "history.audio": ("Audio", "音频"),
        "history.video": ("Video", "视频"),
        "history.settings": ("Settings", "设置"),
        "history.files": ("Files", "文件"),
        "history.text": ("Text", "文本"),
        "history.reuse": ("Use these settings again", "再次使用这些设置"),
        "history.delete": ("Delete this result", "删除此结果"),
        "history.delete_all": ("Delete all my results", "删除我的全部结果"),
        "history.confirm_all": (
            "Yes, remove every one of my results from the server's disk",
            "是的，从服务器磁盘上删除我的全部结果",
        ),
    }
)

ALL = "all"
TEXT_FILES = ("output.txt", "transcript.txt")  # shown as the entry's text (a reply, a transcript)
THUMBNAIL = "thumbnail.png"


def _when(entry: Entry) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.created))


def _describe(entry: Entry) -> dict[str, Any]:
    """An entry as API callers see it (no paths: files come from `get_result`)."""
    return {
        "id": entry.id,
        "time": _when(entry),
        "task": entry.task,
        "model": entry.model,
        "summary": entry.summary,
        "files": list(entry.files),
    }


def build(
    ctx: StudioContext, tabs: gr.Tabs, handles: list[TabHandle], registered: Any | None = None
) -> TabHandle:
    """The History tab; `registered` is the page-load event that tells whose page it is
    (when owners are per browser): the gallery is listed again once it has run. Returns its
    handle: it takes nothing, and offers the open entry's output to Send-to."""
    by_task = {task: handle for handle in handles for task in handle.tasks}
    task_filter = (ALL, *by_task)
    subtab_selectors = [handle.subtab[0] for handle in handles if handle.subtab]
    page_size = ctx.settings.history_page_size

    def page_of(owner: Owner, task: str, page: Any) -> tuple[list[Entry], int, int]:
        choice(task, field="Show", options=task_filter)
        number = bounded_int(page, field="Page", low=1, high=10**9)
        offset = (number - 1) * page_size
        entries, total = ctx.history.page(owner, None if task == ALL else task, offset, page_size)
        return entries, total, number

    def entry_of(owner: Owner, entry_id: Any) -> Entry:
        entry = ctx.history.get(owner, entry_id) if isinstance(entry_id, str) else None
        if entry is None:
            raise InvalidInput("There is no such result among yours (it may have been deleted).")
        return entry

    @user_errors
    def list_history(request: gr.Request, task: str = ALL, page: float = 1) -> dict[str, Any]:
        """List your saved results, newest first, one page at a time.

        Args:
            task: "all" or one task (text, speech, music, inpaint, colorize, style...).
            page: 1 for the newest page.
        Returns:
            {"total", "page", "pages", "entries": [{"id", "time", "task", "model", "summary", "files"}]}
        """
        entries, total, number = page_of(ctx.owner(request), task, page)
        pages = max(1, -(-total // page_size))
        return {"total": total, "page": number, "pages": pages, "entries": [_describe(e) for e in entries]}

    @user_errors
    def get_result(request: gr.Request, entry_id: str) -> tuple[dict[str, Any], list[str]]:
        """One of your saved results: its settings and its files.

        Args:
            entry_id: an id from list_history.
        Returns:
            The settings that made it, and its files.
        """
        owner = ctx.owner(request)
        entry = entry_of(owner, entry_id)
        return {**_describe(entry), "params": entry.params}, [
            ctx.deliver(owner, entry, name) for name in entry.files
        ]

    @user_errors
    def delete_result(request: gr.Request, entry_id: str) -> str:
        """Delete one of your saved results from the server's disk, files and all.

        Args:
            entry_id: an id from list_history.
        Returns:
            What was deleted.
        """
        owner = ctx.owner(request)
        entry_of(owner, entry_id)
        ctx.history.delete(owner, entry_id)
        return f"Deleted {entry_id}."

    @user_errors
    def delete_all_results(request: gr.Request, confirm: bool) -> str:
        """Delete every one of your saved results from the server's disk.

        Args:
            confirm: must be true: nothing is deleted otherwise.
        Returns:
            How many results were deleted.
        """
        if confirm is not True:
            raise InvalidInput("Tick the box to confirm: every one of your results will be removed.")
        count = ctx.history.delete_all(ctx.owner(request))
        return f"Deleted all {count} of your results."

    # -- the page ------------------------------------------------------------------------
    def gallery_page(request: gr.Request, task: str, page: float) -> tuple[Any, ...]:
        owner = ctx.owner(request)
        entries, total, number = page_of(owner, task, page)
        pages = max(1, -(-total // page_size))
        if number > pages:  # the last page emptied by a delete: show the one before
            entries, total, number = page_of(owner, task, pages)
        items = []
        for entry in entries:
            files = {name: entry.file(name) for name in entry.files}
            make = functools.partial(thumbnails.thumbnail, entry.task, files)
            picture = ctx.delivery.derived(owner, entry, THUMBNAIL, make)
            items.append((picture, f"{_when(entry)} · {entry.task} · {entry.summary[:60]}"))
        label = f"Page {number} of {pages} · {total:,} results" if total else "No results yet."
        return items, [e.id for e in entries], number, label

    @user_errors
    def open_entry(request: gr.Request, ids: list[str], event: gr.SelectData) -> tuple[Any, ...]:
        owner = ctx.owner(request)
        index = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        if not isinstance(index, int) or not 0 <= index < len(ids or []):
            raise InvalidInput("Pick a result in the gallery.")
        entry = entry_of(owner, ids[index])
        delivered = {name: ctx.deliver(owner, entry, name) for name in entry.files}
        image = delivered.get("result.png")
        audio = next((path for name, path in delivered.items() if name.endswith(".wav")), None)
        video = next((path for name, path in delivered.items() if name.endswith(".mp4")), None)
        named = next((name for name in TEXT_FILES if name in entry.files), None)
        text = entry.file(named).read_text(errors="replace") if named else ""
        made_by = by_task.get(entry.task)
        offered = set(made_by.results) if made_by else set()  # the kinds its own tab sends on
        holds = {"text": bool(text), "image": image is not None}
        holds["speech"] = holds["music"] = audio is not None
        return (
            entry.id,
            gr.Image(value=image, visible=image is not None),
            gr.Audio(value=audio, visible=audio is not None),
            gr.Video(value=video, visible=video is not None),
            gr.Textbox(value=text, visible=bool(text)),
            entry.params,
            list(delivered.values()),
            *(gr.Column(visible=kind in offered and holds[kind]) for kind in send_to.KINDS),
        )

    @user_errors
    def reuse_settings(request: gr.Request, entry_id: str) -> list[Any]:
        entry = entry_of(ctx.owner(request), entry_id)
        handle = by_task.get(entry.task)
        if handle is None:
            raise gr.Error(f"No tab in this studio handles {entry.task!r} results.")
        updates: list[Any] = [gr.Tabs(selected=handle.tab_id)]
        for tabs_component in subtab_selectors:
            selected = handle.subtab and handle.subtab[0] is tabs_component
            updates.append(gr.Tabs(selected=handle.subtab[1]) if selected else gr.skip())
        for component in controls:
            name = next((n for n, c in handle.controls.items() if c is component and n in entry.params), None)
            updates.append(gr.skip() if name is None else gr.update(value=entry.params[name]))
        return updates

    with gr.Tab(tr("history.tab"), id="history") as tab:
        gr.Markdown(tr("history.intro"))
        with gr.Row(equal_height=True):
            task = gr.Dropdown(
                [(tr("history.all"), ALL), *((name, name) for name in by_task)],
                value=ALL,
                label=tr("history.task"),
                scale=2,
            )
            previous = gr.Button(tr("history.previous"), size="sm", scale=1)
            page_label = gr.Markdown(elem_id="history-page")
            following = gr.Button(tr("history.next"), size="sm", scale=1)
            refresh = gr.Button(tr("history.refresh"), size="sm", scale=1)
        gallery = gr.Gallery(
            label=tr("history.gallery"),
            columns=6,
            height="auto",
            allow_preview=False,
            object_fit="contain",
            elem_id="history-gallery",
        )
        page = gr.State(1)
        ids = gr.State([])
        entry_id = gr.Textbox(visible=False)
        with gr.Row():
            with gr.Column(scale=3):
                image = gr.Image(label=tr("history.image"), visible=False, interactive=False, format="png")
                audio = gr.Audio(label=tr("history.audio"), visible=False, interactive=False)
                video = gr.Video(
                    label=tr("history.video"), visible=False, interactive=False, elem_id="history-video"
                )
                text = gr.Textbox(
                    label=tr("history.text"), lines=8, interactive=False, visible=False, buttons=["copy"]
                )
            with gr.Column(scale=2):
                settings_view = gr.JSON(label=tr("history.settings"))
                files = gr.File(file_count="multiple", label=tr("history.files"), interactive=False)
                with gr.Row():
                    reuse = gr.Button(tr("history.reuse"), variant="primary")
                    delete = gr.Button(tr("history.delete"), variant="stop")
                # Send-to: a row per kind of output, shown for an entry of that kind
                viewers = {"text": text, "image": image, "speech": audio, "music": audio}
                sending: dict[str, gr.Column] = {}
                results: dict[str, ResultSlot] = {}
                for kind in send_to.KINDS:
                    with gr.Column(visible=False) as sending[kind]:
                        results[kind] = send_to.slot(viewers[kind], "send_to.output")
        with gr.Accordion(tr("history.delete_all"), open=False):
            confirm = gr.Checkbox(label=tr("history.confirm_all"), value=False)
            delete_all = gr.Button(tr("history.delete_all"), variant="stop")
        status = gr.Markdown()

    private = dict(api_visibility="private", queue=False)
    shown = [gallery, ids, page, page_label]
    details = [entry_id, image, audio, video, text, settings_view, files, *sending.values()]

    def cleared() -> list[Any]:
        hidden = [
            gr.Image(visible=False),
            gr.Audio(visible=False),
            gr.Video(visible=False),
            gr.Textbox(visible=False),
        ]
        return [None, *hidden, None, None, *(gr.Column(visible=False) for _ in sending)]

    @user_errors
    def first_page(request: gr.Request, task_value: str) -> tuple[Any, ...]:
        return gallery_page(request, task_value, 1)

    @user_errors
    def newer_page(request: gr.Request, task_value: str, page_value: float) -> tuple[Any, ...]:
        return gallery_page(request, task_value, max(1, page_value - 1))

    @user_errors
    def older_page(request: gr.Request, task_value: str, page_value: float) -> tuple[Any, ...]:
        return gallery_page(request, task_value, page_value + 1)

    @user_errors
    def delete_shown(request: gr.Request, entry_value: str, task_value: str, page_value: float) -> tuple:
        message = delete_result(request, entry_value)
        return (*gallery_page(request, task_value, page_value), *cleared(), message)

    @user_errors
    def delete_everything(request: gr.Request, confirmed: bool, task_value: str) -> tuple:
        message = delete_all_results(request, confirmed)
        return (*gallery_page(request, task_value, 1), *cleared(), message, False)

    with tab:  # named API endpoints (gradio_client, MCP); the page's own events are private
        gr.api(list_history, api_name="list_history")
        gr.api(delete_result, api_name="delete_result")
        gr.api(delete_all_results, api_name="delete_all_results")
        fetch = gr.Button(visible=False)
        fetch.click(get_result, inputs=entry_id, outputs=[settings_view, files], api_name="get_result")

    refresh.click(first_page, inputs=task, outputs=shown, **private)
    tab.select(first_page, inputs=task, outputs=shown, **private)
    if registered is not None:
        registered.then(first_page, inputs=task, outputs=shown, **private)
    task.input(first_page, inputs=task, outputs=shown, **private)
    previous.click(newer_page, inputs=[task, page], outputs=shown, **private)
    following.click(older_page, inputs=[task, page], outputs=shown, **private)
    gallery.select(open_entry, inputs=ids, outputs=details, **private)
    delete.click(delete_shown, inputs=[entry_id, task, page], outputs=[*shown, *details, status], **private)
    delete_all.click(
        delete_everything, inputs=[confirm, task], outputs=[*shown, *details, status, confirm], **private
    )
    # Each control once, though sub-tabs may share one (Speech's model, voice and speed serve its
    # narration sub-tab too).
    controls = list({id(c): c for handle in handles for c in handle.controls.values()}.values())
    reuse.click(reuse_settings, inputs=entry_id, outputs=[tabs, *subtab_selectors, *controls], **private)
    return TabHandle(tab_id="history", tasks=(), results=results)
