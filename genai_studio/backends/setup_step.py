"""The command line of a set-up step that prepares a model's files in the studio's cache
(`python -m genai_studio.backends.speech.zh_assets`...), as scripts/setup.sh runs each: it says
where the files are, or why they could not be prepared (exit code 1)."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path

from genai_studio import config

log = logging.getLogger(__name__)


def main(
    argv: list[str] | None,
    *,
    description: str,
    prepare: Callable[[Path], Path],
    what: str,
    errors: tuple[type[BaseException], ...],
    check: tuple[Callable[[Path], bool], Callable[[Path], Path]] | None = None,
) -> int:
    """`check` (is_ready, folder) adds `--check`: only say whether the files are ready."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--cache-dir", type=Path, default=None, help="default: the studio's cache_dir")
    if check is not None:
        parser.add_argument("--check", action="store_true", help="only say whether they are ready")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    cache_dir = args.cache_dir or config.from_env().cache_dir
    if check is not None and args.check:
        is_ready, folder = check
        ready = is_ready(cache_dir)
        print(f"{what} {'ready' if ready else 'missing'} in {folder(cache_dir)}")
        return 0 if ready else 1
    try:
        folder = prepare(cache_dir)
    except errors as exc:
        log.error("%s could not be prepared: %s", what, exc)
        return 1
    log.info("%s ready in %s", what, folder)
    return 0
