"""Who a result belongs to: one small value decided at the edge and carried inward.

A front door (the UI, /v1, MCP) turns what it knows of the caller (an account, a browser's
secret id, an API session, an API key) into an `Owner`; the history store takes one on every
read and write. The key is a hash of that secret, so it can name a folder without revealing
or accepting the secret itself, and no user string ever becomes a path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_KEY = re.compile(r"^(local|[a-z]-[0-9a-f]{32})$")


def _digest(kind: str, secret: str) -> str:
    return f"{kind}-" + hashlib.sha256(f"{kind}:{secret}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class Owner:
    """`key` names the owner's history folder; `label` is how the owner is shown to themselves."""

    key: str
    label: str

    def __post_init__(self) -> None:
        if not _KEY.match(self.key):
            raise ValueError(f"not an owner key: {self.key!r}")

    @classmethod
    def local(cls) -> Owner:
        """The person at the machine: the one owner of a studio on loopback without accounts."""
        return cls("local", "this machine")

    @classmethod
    def for_user(cls, name: str) -> Owner:
        """A logged-in account (the UI's accounts, or a named API key)."""
        return cls(_digest("u", name), name)

    @classmethod
    def for_browser(cls, token: str) -> Owner:
        """A browser without an account, by the secret id kept in its local storage."""
        return cls(_digest("b", token), "this browser")

    @classmethod
    def for_session(cls, session_hash: str) -> Owner:
        """An API caller without a browser or account: one owner per API session."""
        return cls(_digest("s", session_hash), "this API session")

    @classmethod
    def for_api_key(cls, key: str) -> Owner:
        """A caller of /v1 with an API key that names no account."""
        return cls(_digest("k", key), "this API key")

    @staticmethod
    def is_key(value: str) -> bool:
        """True if `value` has the form of an owner key (for folders found on disk)."""
        return bool(_KEY.match(value))
