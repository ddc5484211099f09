"""The Space front matter preloads what the studio preloads: each tab's default hub model."""

from __future__ import annotations

from genai_studio.backends.image.hub_colorize import DEFAULT_CONTROLNET
from genai_studio.backends.image.hub_style import DEFAULT_IP_ADAPTER, IP_ADAPTER_FOLDER, IP_ADAPTER_WEIGHTS
from genai_studio.backends.preload import default_hub_models
from genai_studio.config import Settings, with_hub_models
from tests.unit.test_project import front_matter

EXTRA_DEFAULTS = {"sd-colorize": DEFAULT_CONTROLNET, "sd-style": DEFAULT_IP_ADAPTER}  # `base|extra` specs


def repos_of(spec: str) -> list[str]:
    backend, _, ref = spec.partition(":")
    base, _, extra = ref.partition("|")
    return [base, extra or EXTRA_DEFAULTS[backend]] if backend in EXTRA_DEFAULTS else [base]


def preloaded() -> dict[str, list[str]]:
    """repo id -> the files listed for it ([] for the whole repository)."""
    found = {}
    for line in front_matter()["preload_from_hub"]:
        repo, _, files = line.partition(" ")
        found[repo] = files.split(",") if files else []
    return found


def test_every_default_hub_model_is_preloaded_on_the_space():
    wanted = {
        repo
        for spec in default_hub_models(with_hub_models(Settings(hub_models="on")))
        for repo in repos_of(spec)
    }
    listed = preloaded()
    assert wanted == set(listed)
    assert set(listed) <= set(front_matter()["models"])  # each is also credited on the Space page


def test_the_ip_adapter_files_listed_are_the_ones_the_style_backend_loads():
    files = preloaded()[DEFAULT_IP_ADAPTER]
    assert f"{IP_ADAPTER_FOLDER}/{IP_ADAPTER_WEIGHTS}" in files
    assert f"{IP_ADAPTER_FOLDER}/image_encoder/model.safetensors" in files
