"""Accounts: users and their passwords, from `--auth` pairs and an `--auth-file`.

Passwords may be stored hashed (PBKDF2-SHA256, the standard library's): make a line with
`python -m genai_studio.accounts USER` (asks for the password) and put it in the file.
Each user is an owner of their own results.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import os
import sys
from pathlib import Path

HASH_PREFIX = "pbkdf2_sha256$"
ITERATIONS = 310_000  # OWASP's figure for PBKDF2-SHA256


class AccountsError(ValueError):
    """An accounts setting that cannot be used (message says which line and why)."""


def hash_password(password: str, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """`pbkdf2_sha256$<iterations>$<salt>$<hash>` for storing in an accounts file."""
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    encode = base64.b64encode
    return f"{HASH_PREFIX}{iterations}${encode(salt).decode()}${encode(digest).decode()}"


def _matches(stored: str, password: str) -> bool:
    if not stored.startswith(HASH_PREFIX):
        return hmac.compare_digest(stored.encode(), password.encode())
    _, iterations, salt, digest = stored.split("$")
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def _parse_line(line: str, where: str) -> tuple[str, str]:
    user, sep, password = line.strip().partition(":")
    if not sep or not user.strip() or not password:
        raise AccountsError(f"{where}: expected user:password, got {line.strip()[:40]!r}")
    if password.startswith(HASH_PREFIX) and len(password.split("$")) != 4:
        raise AccountsError(f"{where}: the hashed password of {user.strip()!r} is malformed")
    return user.strip(), password


class Accounts:
    """Who may log in. `check` is what Gradio calls on every login."""

    def __init__(self, pairs: dict[str, str]) -> None:
        self._passwords = pairs

    @classmethod
    def from_settings(cls, auth: str, auth_file: str) -> Accounts | None:
        """Accounts from comma-separated pairs and/or a file; None when there are none."""
        pairs: dict[str, str] = {}
        for index, item in enumerate(part for part in auth.split(",") if part.strip()):
            user, password = _parse_line(item, f"--auth pair {index + 1}")
            pairs[user] = password
        if auth_file:
            try:
                lines = Path(auth_file).read_text().splitlines()
            except OSError as exc:
                raise AccountsError(f"--auth-file {auth_file}: {exc.strerror or exc}") from exc
            for number, line in enumerate(lines, 1):
                if line.strip() and not line.lstrip().startswith("#"):
                    user, password = _parse_line(line, f"{auth_file} line {number}")
                    pairs[user] = password
            if not pairs:
                raise AccountsError(f"--auth-file {auth_file} has no accounts")
        return cls(pairs) if pairs else None

    @property
    def users(self) -> list[str]:
        return sorted(self._passwords)

    def check(self, user: str, password: str) -> bool:
        """True if `password` is `user`'s; takes as long for unknown users as for known ones."""
        stored = self._passwords.get(user)
        if stored is None:
            _matches(hash_password("x", salt=b"0" * 16), password)
            return False
        return _matches(stored, password)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or ":" in argv[0]:
        print("usage: python -m genai_studio.accounts USER  (prints a line for --auth-file)", file=sys.stderr)
        return 2
    password = getpass.getpass(f"password for {argv[0]}: ") if sys.stdin.isatty() else sys.stdin.readline()
    password = password.rstrip("\n")
    if not password:
        print("empty password refused", file=sys.stderr)
        return 2
    print(f"{argv[0]}:{hash_password(password)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
