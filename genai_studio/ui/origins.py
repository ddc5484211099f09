"""Requests made by other web sites, refused before Gradio sees them.

Gradio 6.31 answers a cross-origin request on any Host but localhost with
`Access-Control-Allow-Origin: <that origin>` and `Allow-Credentials: true`, and its login
cookie is SameSite=None: on a deployed studio, any page a logged-in user visits could read
their results. On localhost it sends no CORS header, but still runs what it was sent (an
upload, a queued job). And a page on a name that resolves to 127.0.0.1 (DNS rebinding) is
same-origin to a loopback studio. So the studio refuses any request whose Origin is not the
host it was sent to, and a loopback studio answers only to loopback names. Clients that are
not browsers (gradio_client, MCP, /v1 callers) send no Origin and are not affected.

Behind a proxy the host a request was sent to may reach the studio as X-Forwarded-Host or
not at all (a proxy that rewrites Host), so the operator's public host names (on a Hugging
Face Space, the SPACE_HOST it sets) also count as the studio's own.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from genai_studio.config import is_loopback

REFUSAL = b"Requests from other web sites are not accepted."


def _hostname(netloc: str) -> str | None:
    try:
        return urlsplit(f"//{netloc.strip()}").hostname
    except ValueError:
        return None


def _origin_hostname(origin: str) -> str | None:
    try:
        return urlsplit(origin.strip()).hostname if "://" in origin else None  # "null": none
    except ValueError:
        return None


class OriginGuard:
    """ASGI middleware: requests from the studio's own pages only (its host, or one of
    `public_hosts`), and loopback names only when `loopback`."""

    def __init__(self, app, loopback: bool, public_hosts: tuple[str, ...] = ()) -> None:
        self.app = app
        self.loopback = loopback
        self.public_hosts = {name for name in map(_hostname, public_hosts) if name}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket") and not self._allowed(scope):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(REFUSAL)).encode())]
            await send({"type": "http.response.start", "status": 403, "headers": headers})
            await send({"type": "http.response.body", "body": REFUSAL})
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope) -> bool:
        headers: dict[str, str] = {}
        for name, value in scope.get("headers", []):
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        host = _hostname(headers.get("host", ""))
        if self.loopback and not (host and is_loopback(host)):
            return False  # a name that only resolves here: DNS rebinding
        origin = headers.get("origin")
        if origin is None:
            return True
        # behind a proxy the browser's host may come as X-Forwarded-Host (the first one)
        forwarded = _hostname(headers.get("x-forwarded-host", "").split(",")[0])
        sender = _origin_hostname(origin)
        return sender is not None and sender in {host, forwarded, *self.public_hosts}
