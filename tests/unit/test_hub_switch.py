"""--hub-models auto|on|off and --preload-models, and finding CUDA without torch.

This machine has no GPU, so "no CUDA" is tested for real. A GPU and ZeroGPU cannot exist
here: their presence is simulated by the environment ZeroGPU sets (SPACES_ZERO_GPU), a
fake /proc/driver/nvidia folder, a fake nvidia-smi, or by replacing `devices.cuda_present`,
as each test says.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from genai_studio import devices
from genai_studio.config import RECOMMENDED_HUB_MODELS, Settings, SettingsError, parse, switch

ZERO_GPU = {"SPACES_ZERO_GPU": "true"}  # what a ZeroGPU Space sets (simulated)
ROOT = Path(__file__).resolve().parents[2]


def hub_offered(settings: Settings) -> bool:
    return all(set(specs) <= set(getattr(settings, name)) for name, specs in RECOMMENDED_HUB_MODELS.items())


@pytest.mark.parametrize(
    ("raw", "mode"),
    [
        *[("1", "on"), ("true", "on"), ("ON", "on"), ("yes", "on")],
        *[("0", "off"), ("false", "off"), (" off ", "off"), ("no", "off")],
        *[("auto", "auto"), ("Auto", "auto")],
    ],
)
def test_switch_values_keep_the_old_boolean_spellings(raw, mode):
    assert switch(raw, "hub_models") == mode


@pytest.mark.parametrize("raw", ["maybe", "", "2"])
def test_a_bad_switch_value_names_the_variable(raw):
    with pytest.raises(SettingsError, match="hub_models must be on, off or auto"):
        parse([], environ={"STUDIO_HUB_MODELS": raw})
    with pytest.raises(SettingsError, match="preload_models"):
        Settings(preload_models=raw).check()


@pytest.mark.skipif(devices.cuda_present(), reason="this machine has a GPU")
def test_auto_on_this_cpu_machine_offers_the_embedded_models_only():
    assert devices.cuda_present({}) is False  # real: no NVIDIA driver here
    settings = parse([], environ={})
    assert settings.hub_models == "off" and settings.preload_models == "off"
    assert settings.text_models == ("smollm2",) and settings.text_to_image_models == ()
    assert not settings.preloading


def test_auto_with_cuda_offers_the_hub_models_after_the_embedded_ones(monkeypatch):
    monkeypatch.setattr(devices, "cuda_present", lambda environ=None: True)  # simulated GPU
    settings = parse([], environ={})
    assert settings.hub_models == "on" and hub_offered(settings)
    assert settings.text_models[0] == "smollm2" and settings.speech_models[0] == Settings().speech_models[0]
    assert settings.text_to_image_models == RECOMMENDED_HUB_MODELS["text_to_image_models"]
    assert settings.preload_models == "off"  # a dedicated GPU: models load on first use
    # the device setting decides: a CPU run on a GPU machine does not offer them
    assert not hub_offered(parse(["--device", "cpu"], environ={}))


def test_zero_gpu_offers_and_preloads_the_hub_models():
    settings = parse([], environ=ZERO_GPU)  # simulated ZeroGPU environment
    assert hub_offered(settings) and settings.preloading
    assert parse(["--preload-models", "off"], environ=ZERO_GPU).preloading is False


@pytest.mark.parametrize(
    ("argv", "environ", "offered"),
    [
        (["--hub-models"], {}, True),  # the bare flag of the boolean days
        (["--hub-models", "on"], {}, True),
        ([], {"STUDIO_HUB_MODELS": "1"}, True),
        ([], {"STUDIO_HUB_MODELS": "true"}, True),
        ([], {**ZERO_GPU, "STUDIO_HUB_MODELS": "0"}, False),
        (["--hub-models", "off"], ZERO_GPU, False),
        (["--hub-models", "false"], {"STUDIO_HUB_MODELS": "on"}, False),
    ],
)
def test_explicit_settings_win_over_detection(argv, environ, offered):
    assert hub_offered(parse(argv, environ=environ)) is offered


def test_cuda_is_found_in_the_nvidia_driver_folder(tmp_path):
    gpus = tmp_path / "gpus"  # a fake /proc/driver/nvidia/gpus (simulated driver)
    gpus.mkdir()
    assert devices.cuda_present({}, gpus) is False
    (gpus / "0000:00:1e.0").mkdir()
    assert devices.cuda_present({}, gpus) is True
    assert devices.cuda_present({"CUDA_VISIBLE_DEVICES": ""}, gpus) is False
    assert devices.cuda_present({"CUDA_VISIBLE_DEVICES": "-1"}, gpus) is False
    assert devices.cuda_present({"CUDA_VISIBLE_DEVICES": "0"}, gpus) is True


def test_without_the_driver_folder_nvidia_smi_answers(tmp_path):
    smi = tmp_path / "nvidia-smi"  # a fake nvidia-smi (simulated, as on WSL)
    missing = tmp_path / "no-such-folder"
    smi.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA T4 (UUID: GPU-0)'\n")
    smi.chmod(0o755)
    assert devices.cuda_present({"PATH": str(tmp_path)}, missing) is True
    smi.write_text("#!/bin/sh\necho 'No devices were found'\nexit 6\n")
    assert devices.cuda_present({"PATH": str(tmp_path)}, missing) is False
    assert devices.cuda_present({"PATH": str(tmp_path / "empty")}, missing) is False


def test_detection_imports_no_torch_and_is_fast():
    code = (
        "import sys, time; t = time.perf_counter(); from genai_studio import config;"
        "config.parse([]); print(round(time.perf_counter() - t, 3), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    seconds, torch_imported = out.stdout.split()
    assert torch_imported == "False"
    assert float(seconds) < 2.0, out.stdout
