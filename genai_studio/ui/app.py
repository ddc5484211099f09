"""Assemble the studio: one tab per built task, History last, a bounded shared queue, and
the edge where each event learns its owner."""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from genai_studio.config import Settings
from genai_studio.history import History, Retention
from genai_studio.serving.service import Models, models_for
from genai_studio.ui import guard, history_tab, send_to, zerogpu
from genai_studio.ui.common import StudioContext, TabHandle, i18n, open_heavy_events
from genai_studio.ui.delivery import Delivery, ResultFileGuard
from genai_studio.ui.identity import Identity
from genai_studio.ui.origins import OriginGuard
from genai_studio.voice_library import VoiceLibrary

log = logging.getLogger(__name__)

# One line per tab, in display order. Each module has `build(ctx) -> list[TabHandle]`.
TABS: list[str] = [
    "genai_studio.ui.text_tab",
    "genai_studio.ui.speech_tab",
    "genai_studio.ui.listen_tab",
    "genai_studio.ui.music_tab",
    "genai_studio.ui.story_tab",
    "genai_studio.ui.image_tab",
]

THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="amber")
PRUNE_EVERY_S = 3600  # retention also runs after every save, for the owner who saved
CACHE_CLEANUP = (3600, 24 * 3600)  # Gradio's copies of uploads and outputs live a day at most


def build_context(settings: Settings, manager: Models | None = None) -> StudioContext:
    """What every front door shares: models, the owners' history, identity and delivery."""
    delivery = Delivery()
    history = History(settings.history_dir, Retention(*settings.retention_limits()))
    history.on_removal(delivery.forget)
    return StudioContext(
        settings=settings,
        manager=zerogpu.install(manager or models_for(settings)),  # hub models: spaces.GPU
        history=history,
        identity=Identity(settings),
        delivery=delivery,
        voices=VoiceLibrary(settings.voices_dir),
    )


def _prune_periodically(history: History) -> None:
    def loop() -> None:
        while True:
            try:
                history.prune_all()
            except OSError:
                log.warning("retention pass failed", exc_info=True)
            threading.Event().wait(PRUNE_EVERY_S)

    threading.Thread(target=loop, name="retention", daemon=True).start()


def build_tabs(
    ctx: StudioContext, modules: list[Any], registered: Any | None = None
) -> tuple[gr.Tabs, list[TabHandle]]:
    """Inside a gr.Blocks: a tab per module (each has `build(ctx) -> list[TabHandle]`), History
    last, every result wired to the other tabs taking its kind. Returns the top-level gr.Tabs
    and every handle, History's last."""
    with gr.Tabs() as tabs:
        # each tab gives its handles: none when it has no model, several with sub-tabs
        handles: list[TabHandle] = [handle for module in modules for handle in module.build(ctx)]
        handles.append(history_tab.build(ctx, tabs, handles, registered))
    send_to.wire(tabs, handles)
    return tabs, handles


def build_app(settings: Settings, manager: Models | None = None) -> gr.Blocks:
    """The whole studio as a gr.Blocks; launch it with `launch(demo, settings)`."""
    ctx = build_context(settings, manager)
    modules = [importlib.import_module(name) for name in TABS]

    with gr.Blocks(title="GenAI Studio", delete_cache=CACHE_CLEANUP) as demo:
        gr.Markdown("# GenAI Studio")
        registered = None
        browser = ctx.identity.browser_state()
        if browser is not None:  # each browser is an owner: its id comes with the page
            register = ctx.identity.register_browser
            registered = demo.load(register, browser, browser, api_visibility="private", queue=False)
            demo.unload(ctx.identity.forget_session)
        build_tabs(ctx, modules, registered)
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=1)
    open_heavy_events(demo, settings)
    guard.guard_inputs(demo)
    guard.busy_message(demo)
    if settings.retention_limits() != (0.0, 0.0):
        _prune_periodically(ctx.history)
    demo.studio = ctx  # the other front doors (/v1) serve through the same context
    return demo


def _api_routes(ctx: StudioContext, settings: Settings) -> list:
    """The /v1 routes (FastAPI(routes=...): served beside Gradio's own), or none when off, or
    when the studio is reachable from other machines without API keys (config.check refuses
    that from the command line; a Settings built by hand gets no open /v1 either)."""
    if not settings.openai_api:
        return []
    if not settings.loopback and not settings.api_key_names():
        log.warning("not serving /v1 on %s: no --api-keys", settings.host)
        return []
    from genai_studio.api.openai_server import OpenAIServer

    return OpenAIServer(settings, ctx.manager, ctx.history, ctx.voices).routes()


def launch(demo: gr.Blocks, settings: Settings, **overrides: object):
    """Launch with the studio's safety settings: accounts, upload limit, no traceback to users,
    no monitoring for visitors, no request from other web sites, and no folder of results
    served by path; with `settings.openai_api`, the OpenAI HTTP API at /v1 on the same server."""
    ctx: StudioContext = demo.studio
    accounts = ctx.identity.accounts
    middleware = [
        Middleware(OriginGuard, loopback=settings.loopback, public_hosts=settings.public_hosts),
        Middleware(ResultFileGuard, delivery=ctx.delivery, accounts=accounts is not None),
    ]
    options: dict[str, object] = dict(
        server_name=settings.host,
        server_port=settings.port,
        share=settings.share,
        auth=None if accounts is None else accounts.check,
        mcp_server=settings.mcp,
        max_file_size=f"{settings.max_upload_mb}mb",
        show_error=False,  # gr.Error messages still show; raw exceptions never reach users
        enable_monitoring=False,  # /monitoring would tell anyone what everyone runs
        app_kwargs={"middleware": middleware, "routes": _api_routes(ctx, settings)},
        i18n=i18n(),
        theme=THEME,
        css=send_to.CSS,
        # Gradio's reachability probe gives the whole page 3 s and aborts start-up when a busy
        # machine answers slower (seen in CI). The startup-events call that follows it, with no
        # time limit, already proves the server answers.
        _frontend=False,
    )
    options.update(overrides)
    return demo.launch(**options)
