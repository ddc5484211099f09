"""Who is asking: the owner of a Gradio event, decided once from its request.

- With accounts, the logged-in user.
- Without accounts on loopback, the one person at the machine.
- Elsewhere (a Space, a LAN), each browser: an unguessable id kept in its local storage
  (gr.BrowserState), registered for the page's session when the page loads, so a person
  keeps their history across reloads and restarts and nobody else sees it. API callers
  without a browser get an owner per API session (an MCP client: per MCP session where the
  transport has one, else per call).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections import OrderedDict
from pathlib import Path

import gradio as gr

from genai_studio.accounts import Accounts
from genai_studio.config import Settings
from genai_studio.errors import StudioError
from genai_studio.owners import Owner

log = logging.getLogger(__name__)

BROWSER_KEY = "genai-studio-owner"  # the localStorage entry
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
MAX_SESSIONS = 100_000  # remembered page sessions; the oldest are forgotten first


class NotLoggedIn(StudioError):
    """An event without a user in a studio with accounts (should not get past Gradio)."""


def _browser_secret(output_dir: Path) -> str:
    """The key the browser id is encrypted with in local storage: the same across restarts,
    or every browser would lose its id (and its history) when the server restarts."""
    path = output_dir / ".browser-secret"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        output_dir.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(24)
        path.write_text(secret)
        path.chmod(0o600)
        return secret


class Identity:
    """Maps a Gradio request to its Owner, following the studio's settings."""

    def __init__(self, settings: Settings) -> None:
        self.accounts = Accounts.from_settings(settings.auth, settings.auth_file)
        self.per_browser = self.accounts is None and not settings.loopback
        self._settings = settings
        self._browsers: OrderedDict[str, Owner] = OrderedDict()  # session hash -> owner

    def owner(self, request: gr.Request | None) -> Owner:
        """The owner of the event `request` belongs to."""
        if self.accounts is not None:
            username = getattr(request, "username", None)
            if not username:
                raise NotLoggedIn("Log in to use the studio.")
            return Owner.for_user(username)
        if not self.per_browser:
            return Owner.local()
        session = getattr(request, "session_hash", None) or ""
        if session in self._browsers:
            return self._browsers[session]
        headers = getattr(request, "headers", None) or {}
        if headers.get("x-gradio-user") == "mcp":
            # Gradio's MCP server is stateless and relays every client through one loopback
            # session: only an MCP session id (when the transport has one) tells clients
            # apart, else each call owns its results alone (they come back in the reply).
            return Owner.for_session("mcp:" + (headers.get("mcp-session-id") or secrets.token_hex(16)))
        if not session:
            raise NotLoggedIn("This request has no session: use the page or gradio_client.")
        return Owner.for_session(session)

    # -- browsers ------------------------------------------------------------------------
    def browser_state(self) -> gr.BrowserState | None:
        """The component holding each browser's id; None when owners are not per browser."""
        if not self.per_browser:
            return None
        return gr.BrowserState(
            None, storage_key=BROWSER_KEY, secret=_browser_secret(self._settings.output_dir)
        )

    def register_browser(self, token: object, request: gr.Request) -> str:
        """On page load: the browser's id (a new one if it has none or a malformed one)
        becomes the owner of this page's session; the id goes back to local storage."""
        if not isinstance(token, str) or not _TOKEN.match(token):
            token = secrets.token_urlsafe(32)
        session = getattr(request, "session_hash", None)
        if session:
            self._browsers[session] = Owner.for_browser(token)
            self._browsers.move_to_end(session)
            while len(self._browsers) > MAX_SESSIONS:
                self._browsers.popitem(last=False)
        return token

    def forget_session(self, request: gr.Request) -> None:
        """When a page closes, its session is no longer anyone's."""
        self._browsers.pop(getattr(request, "session_hash", None) or "", None)
