"""Every result saved on disk with its parameters, listed newest first, across restarts.

Each entry is a folder `<time>-<task>-<id>/` holding `entry.json` and the output files
under fixed names. Entries are written in a hidden temporary folder and renamed into
place, so a crash never leaves half an entry behind.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# <date>-<time>-<microseconds>-<task>-<random>: sorting ids sorts entries by time
_ENTRY_ID = re.compile(r"^\d{8}-\d{6}-\d{6}-[a-z_]+-[0-9a-f]{8}$")
_FILE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
ENTRY_FILE = "entry.json"


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

    def file(self, name: str) -> Path:
        if name not in self.files:
            raise KeyError(name)
        return self.folder / name


class History:
    """Folder-backed store of results. Safe for one process with several threads."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def save(
        self,
        task: str,
        model: str,
        params: dict[str, Any],
        summary: str,
        files: dict[str, bytes | Path] | None = None,
    ) -> Entry:
        """Store one result. `files` maps fixed names (never user text) to bytes or a path."""
        files = files or {}
        for name in files:
            if not _FILE_NAME.match(name) or name == ENTRY_FILE:
                raise ValueError(f"bad history file name {name!r}")
        created = time.time()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(created))
        entry_id = f"{stamp}-{int(created * 1e6) % 1_000_000:06d}-{task}-{uuid.uuid4().hex[:8]}"
        staging = self.root / f".tmp-{entry_id}"
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
            (staging / ENTRY_FILE).write_text(json.dumps(record, ensure_ascii=False, indent=1, default=str))
            os.replace(staging, self.root / entry_id)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        log.info("saved %s", entry_id)
        return self._read(self.root / entry_id)

    def _read(self, folder: Path) -> Entry:
        record = json.loads((folder / ENTRY_FILE).read_text())
        return Entry(
            id=record["id"],
            task=record["task"],
            created=float(record["created"]),
            model=record.get("model", ""),
            params=dict(record.get("params", {})),
            summary=str(record.get("summary", "")),
            files=tuple(record.get("files", ())),
            folder=folder,
        )

    def entries(self, limit: int | None = None) -> list[Entry]:
        """Entries newest first; unreadable folders are skipped with a warning."""
        folders = sorted((p for p in self.root.iterdir() if _ENTRY_ID.match(p.name)), reverse=True)
        found: list[Entry] = []
        for folder in folders:
            if limit is not None and len(found) >= limit:
                break
            try:
                found.append(self._read(folder))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("skipping unreadable history entry %s: %s", folder.name, exc)
        return found

    def get(self, entry_id: str) -> Entry | None:
        """The entry with this id, or None (ids are checked: no path ever comes from a user)."""
        if not isinstance(entry_id, str) or not _ENTRY_ID.match(entry_id):
            return None
        folder = self.root / entry_id
        try:
            return self._read(folder)
        except (OSError, ValueError, KeyError, TypeError):
            return None
