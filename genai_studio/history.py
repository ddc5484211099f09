"""Every result saved on disk with its parameters, per owner, newest first, across restarts.

Layout: `<root>/<owner key>/<time>-<task>-<id>/` holding `entry.json` and the output files
under fixed names. Every read and write takes an `Owner`, so one owner can never list, read
or delete another's results. Entries are written in a hidden staging folder and renamed into
place, so a crash never leaves half an entry listed; staging left by a process that died is
removed when the store opens. Retention (age and size per owner) prunes the oldest first and
never touches an entry still being written.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import stat
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genai_studio.owners import Owner

log = logging.getLogger(__name__)

# <date>-<time>-<microseconds>-<task>-<random>: sorting ids sorts entries by time
_ENTRY_ID = re.compile(r"^(\d{8}-\d{6})-\d{6}-([a-z_]+)-[0-9a-f]{8}$")
_FILE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_STAGING = re.compile(r"^\.tmp-(?P<host>[^-]+)-(?P<pid>\d+)-(?P<life>\d+)-")
ENTRY_FILE = "entry.json"
LEGACY_OWNER = Owner.local()  # entries from before owners existed were made at the machine
STALE_STAGING_S = 24 * 3600  # staging of another host is only removed once this old


@dataclass(frozen=True)
class Entry:
    id: str
    task: str
    created: float
    model: str
    params: dict[str, Any]
    summary: str
    files: tuple[str, ...]
    folder: Path
    owner_key: str

    def file(self, name: str) -> Path:
        if name not in self.files:
            raise KeyError(name)
        return self.folder / name


@dataclass(frozen=True)
class Retention:
    """Per-owner limits set by the operator; 0 means no limit."""

    days: float = 0.0
    megabytes: float = 0.0


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32] or "host"


def _started(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot, from /proc), or None where that
    cannot be read (not Linux, or no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rpartition(")")[2].split()[19])  # field 22, counted after the command name


_LIFE = _started(os.getpid()) or 0  # tells this process from an earlier one with the same pid


def _writer_alive(pid: int, life: int) -> bool:
    """Whether the process that named a staging folder (`pid`, started at `life`) still runs.
    A pid alone is not enough: a restarted container gives its server the same pid again."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    started = _started(pid)
    return started is None or started == life


def _plain(path: Path, kind: int = stat.S_IFREG) -> bool:
    """A regular file (or folder) and not a link: a link placed in the history folder could
    point anywhere, another owner's results or /etc/passwd."""
    try:
        return stat.S_IFMT(os.lstat(path).st_mode) == kind
    except OSError:
        return False


def _folder_bytes(folder: Path) -> int:
    total = 0
    with os.scandir(folder) as items:
        for item in items:
            if item.is_file(follow_symlinks=False):
                total += item.stat(follow_symlinks=False).st_size
    return total


class History:
    """Folder-backed store of results, partitioned by owner. Safe for threads and processes
    sharing the folder: writes are renames, reads skip what is unreadable."""

    def __init__(self, root: Path, retention: Retention = Retention()) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.retention = retention
        self._removal_listeners: list[Callable[[str, str], None]] = []
        self._adopt_legacy_entries()
        self._remove_dead_staging()

    # -- writing -------------------------------------------------------------------------
    def save(
        self,
        owner: Owner,
        task: str,
        model: str,
        params: dict[str, Any],
        summary: str,
        files: dict[str, bytes | Path] | None = None,
    ) -> Entry:
        """Store one result of `owner`. `files` maps fixed names (never user text) to bytes or
        a path. Retention is applied to the owner afterwards, never to this entry."""
        files = files or {}
        for name in files:
            if not _FILE_NAME.match(name) or name == ENTRY_FILE:
                raise ValueError(f"bad history file name {name!r}")
        created = time.time()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(created))
        entry_id = f"{stamp}-{int(created * 1e6) % 1_000_000:06d}-{task}-{uuid.uuid4().hex[:8]}"
        folder = self._owner_dir(owner)
        folder.mkdir(parents=True, exist_ok=True)
        staging = folder / f".tmp-{_host()}-{os.getpid()}-{_LIFE}-{entry_id}"
        staging.mkdir()
        try:
            for name, content in files.items():
                if isinstance(content, bytes):
                    (staging / name).write_bytes(content)
                else:
                    shutil.copyfile(content, staging / name)
            record = {
                "id": entry_id,
                "task": task,
                "created": created,
                "model": model,
                "params": params,
                "summary": summary,
                "files": sorted(files),
            }
            text = json.dumps(record, ensure_ascii=False, indent=1, default=str)
            (staging / ENTRY_FILE).write_text(text, encoding="utf-8", errors="surrogatepass")
            os.replace(staging, folder / entry_id)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        log.info("saved %s", entry_id)
        self.prune(owner, keep=entry_id)
        return self._read(folder / entry_id, owner.key)

    # -- reading -------------------------------------------------------------------------
    def page(
        self, owner: Owner, task: str | None = None, offset: int = 0, limit: int | None = None
    ) -> tuple[list[Entry], int]:
        """A page of `owner`'s entries, newest first, optionally of one task, and how many
        there are in all. Only the page's entries are read from disk (an unreadable one is
        skipped and the next one fills its place)."""
        ids = self._ids(owner, task)
        found: list[Entry] = []
        for entry_id in ids[offset:]:
            if limit is not None and len(found) >= limit:
                break
            entry = self._try_read(self._owner_dir(owner) / entry_id, owner.key)
            if entry is not None:
                found.append(entry)
        return found, len(ids)

    def entries(self, owner: Owner, limit: int | None = None) -> list[Entry]:
        """All (or the newest `limit`) of `owner`'s entries, newest first."""
        return self.page(owner, limit=limit)[0]

    def tasks(self, owner: Owner) -> list[str]:
        """The tasks `owner` has results of, from the folder names alone."""
        return sorted({match.group(2) for match in self._matches(owner)})

    def get(self, owner: Owner, entry_id: str) -> Entry | None:
        """`owner`'s entry with this id, or None (ids are checked: no path comes from a user)."""
        if not isinstance(entry_id, str) or not _ENTRY_ID.match(entry_id):
            return None
        return self._try_read(self._owner_dir(owner) / entry_id, owner.key)

    # -- removing ------------------------------------------------------------------------
    def on_removal(self, listener: Callable[[str, str], None]) -> None:
        """Call `listener(owner_key, entry_id)` whenever an entry is deleted or pruned, so
        copies made elsewhere (files handed to a browser) go with it."""
        self._removal_listeners.append(listener)

    def delete(self, owner: Owner, entry_id: str) -> bool:
        """Remove one of `owner`'s entries from disk; False if there was none."""
        if self.get(owner, entry_id) is None:
            return False
        self._remove(owner.key, entry_id)
        return True

    def delete_all(self, owner: Owner) -> int:
        """Remove every entry of `owner` from disk; returns how many there were."""
        ids = self._ids(owner, None)
        for entry_id in ids:
            self._remove(owner.key, entry_id)
        return len(ids)

    def prune(self, owner: Owner, now: float | None = None, keep: str | None = None) -> list[str]:
        """Apply the retention limits to `owner`: entries older than the age limit, then the
        oldest beyond the size limit. Only complete entries are candidates; `keep` (the entry
        just saved) and the newest entry always stay. Returns the removed ids."""
        days, megabytes = self.retention.days, self.retention.megabytes
        if not days and not megabytes:
            return []
        now = time.time() if now is None else now
        ids = self._ids(owner, None)  # newest first
        removed: list[str] = []
        if days:
            cutoff = time.strftime("%Y%m%d-%H%M%S", time.localtime(now - days * 86400))
            removed += [i for i in ids[1:] if i != keep and _ENTRY_ID.match(i).group(1) < cutoff]
        if megabytes:
            budget, used = megabytes * 2**20, 0
            for index, entry_id in enumerate(ids):
                if entry_id in removed:
                    continue
                try:
                    used += _folder_bytes(self._owner_dir(owner) / entry_id)
                except OSError:
                    continue
                if used > budget and index > 0 and entry_id != keep:
                    removed.append(entry_id)
        for entry_id in removed:
            self._remove(owner.key, entry_id)
        if removed:
            log.info("retention removed %d entries of one owner", len(removed))
        return removed

    def prune_all(self, now: float | None = None) -> int:
        """Apply retention to every owner (at start-up and periodically)."""
        owners = [Owner(p.name, "") for p in self.root.iterdir() if p.is_dir() and Owner.is_key(p.name)]
        return sum(len(self.prune(owner, now)) for owner in owners)

    # -- internals -------------------------------------------------------------------------
    def _owner_dir(self, owner: Owner) -> Path:
        return self.root / owner.key

    def _matches(self, owner: Owner) -> list[re.Match[str]]:
        folder = self._owner_dir(owner)
        if not _plain(folder, stat.S_IFDIR):
            return []  # none yet, or a link to someone else's folder
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return []
        return [match for name in names if (match := _ENTRY_ID.match(name))]

    def _ids(self, owner: Owner, task: str | None) -> list[str]:
        matches = self._matches(owner)
        return sorted((m.group(0) for m in matches if task in (None, m.group(2))), reverse=True)

    def _remove(self, owner_key: str, entry_id: str) -> None:
        folder = self.root / owner_key / entry_id
        # renamed out of the listing first, so no reader sees a half-deleted entry
        doomed = folder.with_name(f".del-{uuid.uuid4().hex[:8]}-{entry_id}")
        try:
            os.replace(folder, doomed)
        except FileNotFoundError:
            return
        shutil.rmtree(doomed, ignore_errors=True)
        for listener in self._removal_listeners:
            listener(owner_key, entry_id)
        log.info("removed %s", entry_id)

    def _read(self, folder: Path, owner_key: str) -> Entry:
        record = json.loads((folder / ENTRY_FILE).read_text(encoding="utf-8", errors="surrogatepass"))
        return Entry(
            id=record["id"],
            task=record["task"],
            created=float(record["created"]),
            model=record.get("model", ""),
            params=dict(record.get("params", {})),
            summary=str(record.get("summary", "")),
            files=tuple(record.get("files", ())),
            folder=folder,
            owner_key=owner_key,
        )

    def _try_read(self, folder: Path, owner_key: str) -> Entry | None:
        if not (_plain(folder.parent, stat.S_IFDIR) and _plain(folder, stat.S_IFDIR)):
            return None
        if not _plain(folder / ENTRY_FILE):
            log.warning("skipping history entry %s: no entry file of its own", folder.name)
            return None
        try:
            entry = self._read(folder, owner_key)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("skipping unreadable history entry %s: %s", folder.name, exc)
            return None
        if entry.id != folder.name or not all(_plain(folder / name) for name in entry.files):
            log.warning("skipping incomplete history entry %s", folder.name)
            return None
        return entry

    def _adopt_legacy_entries(self) -> None:
        """Entries saved before results had owners sit at the top level: they were made by
        the person at the machine, so they move under the local owner."""
        legacy = [p for p in self.root.iterdir() if _ENTRY_ID.match(p.name)]
        if legacy:
            target = self._owner_dir(LEGACY_OWNER)
            target.mkdir(exist_ok=True)
            for folder in legacy:
                os.replace(folder, target / folder.name)
            log.info("moved %d entries from before owners under the local owner", len(legacy))

    def _remove_dead_staging(self) -> None:
        """Staging and half-deleted folders left by a process that died (SIGKILL, power loss)."""
        host, now = _host(), time.time()
        for owner_dir in (p for p in self.root.iterdir() if p.is_dir() and Owner.is_key(p.name)):
            for item in owner_dir.iterdir():
                if item.name.startswith(".del-"):
                    shutil.rmtree(item, ignore_errors=True)
                    continue
                match = _STAGING.match(item.name)
                if not match:
                    continue
                mine = match.group("host") == host
                dead = mine and not _writer_alive(int(match.group("pid")), int(match.group("life")))
                if dead or now - item.stat().st_mtime > STALE_STAGING_S:
                    shutil.rmtree(item, ignore_errors=True)
                    log.info("removed an interrupted write: %s", item.name)
