"""Handing result files to their owner, and to nobody else.

The output folder is never served. A file reaches a browser as the output of its owner's own
request: it is linked into Gradio's upload cache (which Gradio serves) at
`studio-results/<owner key>/<entry id>/<random>/<name>`, a path nobody can guess. With
accounts, `ResultFileGuard` also refuses such a path to any logged-in user but its owner.
Deleting or pruning an entry removes its delivered copies too: deleted means gone.

Gradio's file route also fetches http(s) URLs for whoever asks (public addresses only, since
6.x); the studio never hands out a URL, so `ResultFileGuard` refuses them all: the studio is
nobody's proxy.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from gradio import utils as gradio_utils

from genai_studio.history import Entry
from genai_studio.owners import Owner

FOLDER = "studio-results"
FILE_ROUTES = ("/gradio_api/file=", "/gradio_api/file/", "/file=", "/file/")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")  # a scheme (one letter is a Windows drive)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        # no second copy on disk when both are on one filesystem; a link is linked as itself
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copyfile(source, target)


class Delivery:
    """Where an owner's result files are exposed to Gradio's file route."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root or Path(gradio_utils.get_upload_folder()) / FOLDER).resolve()

    def path(self, owner: Owner, entry: Entry, name: str) -> str:
        """A servable path of `entry`'s file `name`, made once per entry and owner."""
        source = entry.file(name)
        return self._place(owner, entry, name, lambda staging: _link_or_copy(source, staging))

    def derived(self, owner: Owner, entry: Entry, name: str, make: Callable[[], bytes]) -> str:
        """A servable file made from `entry` (a thumbnail), made once and removed with it."""
        return self._place(owner, entry, name, lambda staging: staging.write_bytes(make()))

    def _place(self, owner: Owner, entry: Entry, name: str, write: Callable[[Path], None]) -> str:
        if entry.owner_key != owner.key:
            raise PermissionError("an entry is delivered only to its owner")
        entry_dir = self.root / owner.key / entry.id
        folders = [p for p in entry_dir.iterdir() if p.is_dir()] if entry_dir.is_dir() else []
        folder = folders[0] if folders else entry_dir / secrets.token_hex(16)
        target = folder / name
        if target.is_file():
            return str(target)
        folder.mkdir(parents=True, exist_ok=True)
        staging = folder / f".{name}.{secrets.token_hex(4)}"
        write(staging)
        os.replace(staging, target)
        return str(target)

    def forget(self, owner_key: str, entry_id: str) -> None:
        """Remove every delivered copy of an entry (called when it is deleted or pruned)."""
        shutil.rmtree(self.root / owner_key / entry_id, ignore_errors=True)

    def owner_key_of(self, requested: str) -> str | None:
        """The owner key of a delivered file named by a file route's path, else None. The path
        is taken as Gradio takes it (made absolute, not decoded a second time), then resolved."""
        try:
            relative = Path(os.path.abspath(requested)).resolve().relative_to(self.root)
        except (ValueError, OSError):
            return None
        return relative.parts[0] if relative.parts else None


def _file_route_path(scope) -> str | None:
    """What a request asks Gradio's file route for (None: it is not for that route). The
    path is the one the router sees: decoded once by the server, the mount prefix removed."""
    path, root = scope.get("path", ""), scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    for route in FILE_ROUTES:
        if path.startswith(route):
            return path[len(route) :]
    return None


class ResultFileGuard:
    """ASGI middleware on Gradio's file route: no URL is ever fetched, a path that names the
    results folder must resolve inside it, and with accounts a delivered result is served to
    its owner only (Gradio's own login check already refuses visitors not logged in)."""

    def __init__(self, app, delivery: Delivery, accounts: bool) -> None:
        self.app = app
        self.delivery = delivery
        self.accounts = accounts

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and not self._allowed(scope):
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"9")]})
            await send({"type": "http.response.body", "body": b"Not found"})
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope) -> bool:
        requested = _file_route_path(scope)
        if requested is None:
            return True
        if _URL.match(requested):
            return False
        owner_key = self.delivery.owner_key_of(requested)
        if owner_key is None:
            # elsewhere Gradio's own checks apply; a path through the results folder that does
            # not resolve inside it is a trick (encodings, case, dot segments): refused
            return FOLDER not in {part.lower() for part in re.split(r"[/\\]", requested)}
        return not self.accounts or owner_key == self._requester_key(scope)

    @staticmethod
    def _requester_key(scope) -> str | None:
        """The owner key of the logged-in user making the request, from Gradio's cookie."""
        app = scope.get("app")
        cookies: dict[str, str] = {}
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    key, _, val = part.strip().partition("=")
                    cookies[key] = val
        cookie_id = getattr(app, "cookie_id", None)
        token = cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
        user = getattr(app, "tokens", {}).get(token) if token else None
        return Owner.for_user(user).key if user else None
