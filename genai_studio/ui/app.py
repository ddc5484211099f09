"""Assemble the studio: one tab per built task, History last, a bounded shared queue."""

from __future__ import annotations

import importlib
import logging

import gradio as gr

from genai_studio.backends.manager import ModelManager
from genai_studio.config import Settings
from genai_studio.history import History
from genai_studio.ui import history_tab
from genai_studio.ui.common import StudioContext, TabHandle, i18n

log = logging.getLogger(__name__)

# One line per tab, in display order. Each module has `build(ctx) -> list[TabHandle]`.
TABS: list[str] = [
    "genai_studio.ui.text_tab",
    "genai_studio.ui.speech_tab",
    "genai_studio.ui.music_tab",
    "genai_studio.ui.image_tab",
]

THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="amber")


def build_app(settings: Settings, manager: ModelManager | None = None) -> gr.Blocks:
    """The whole studio as a gr.Blocks; launch it with `launch(demo, settings)`."""
    ctx = StudioContext(
        settings=settings,
        manager=manager or ModelManager(settings),
        history=History(settings.history_dir),
    )
    modules = [importlib.import_module(name) for name in TABS]

    with gr.Blocks(title="GenAI Studio") as demo:
        # the other front doors (/v1) share this context; `launch` mounts them
        demo.studio_context = ctx
        gr.Markdown("# GenAI Studio")
        with gr.Tabs() as tabs:
            # each tab gives its handles: none when it has no model, several with sub-tabs
            handles: list[TabHandle] = [handle for module in modules for handle in module.build(ctx)]
            history_tab.build(ctx, tabs, handles)
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=1)
    return demo


def launch(demo: gr.Blocks, settings: Settings, **overrides: object):
    """Launch with the studio's safety settings: auth, upload limit, no traceback to users;
    with `settings.openai_api`, the OpenAI HTTP API at /v1 on the same server."""
    routes = []
    if settings.openai_api:
        from genai_studio.api.openai_server import OpenAIServer

        ctx: StudioContext = demo.studio_context
        routes = OpenAIServer(settings, ctx.manager, ctx.history).routes()
    options: dict[str, object] = dict(
        app_kwargs={"routes": routes},  # FastAPI(routes=...): served beside Gradio's own
        server_name=settings.host,
        server_port=settings.port,
        share=settings.share,
        auth=settings.auth_pair(),
        mcp_server=settings.mcp,
        max_file_size=f"{settings.max_upload_mb}mb",
        show_error=False,  # gr.Error messages still show; raw exceptions never reach users
        allowed_paths=[str(settings.output_dir.resolve())],  # history files; nothing else
        i18n=i18n(),
        theme=THEME,
    )
    options.update(overrides)
    return demo.launch(**options)
