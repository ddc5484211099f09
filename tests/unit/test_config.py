from pathlib import Path

import pytest

from genai_studio.backends.registry import BACKENDS
from genai_studio.config import RECOMMENDED_HUB_MODELS, Settings, SettingsError, from_env, parse


def test_defaults_are_local_and_offline():
    settings = parse([], environ={})
    assert settings.host == "127.0.0.1"
    assert settings.share is False
    assert settings.text_models[0] == "smollm2"


def test_environment_then_flags_override():
    env = {"STUDIO_PORT": "9000", "STUDIO_TEXT_MODELS": "smollm2, gguf:/m/x.gguf", "STUDIO_SHARE": "no"}
    settings = parse(["--port", "9100", "--output-dir", "/tmp/o"], environ=env)
    assert settings.port == 9100
    assert settings.text_models == ("smollm2", "gguf:/m/x.gguf")
    assert settings.output_dir == Path("/tmp/o")
    assert settings.history_dir == Path("/tmp/o/history")


def test_share_without_accounts_is_refused_with_a_clear_message():
    with pytest.raises(SettingsError, match="without accounts"):
        parse(["--share"], environ={})
    shared = ["--share", "--auth", "ann:secret,bob:other", "--no-openai-api"]  # /v1 would need keys
    assert parse(shared, environ={}).has_accounts


def test_retention_keeps_everything_on_loopback_and_limits_a_shared_studio():
    assert parse([], environ={}).retention_limits() == (0.0, 0.0)
    assert from_env({"SPACE_ID": "someone/studio"}).retention_limits() == (7.0, 500.0)
    lan = parse(["--host", "0.0.0.0", "--retention-days", "2.5", "--no-openai-api"], environ={})
    assert lan.retention_limits() == (2.5, 500.0)
    assert parse(["--host", "::1"], environ={}).loopback


@pytest.mark.parametrize("auth", ["nopassword", ":x", "user:"])
def test_malformed_auth_is_refused(auth):
    with pytest.raises(SettingsError, match="user:password"):
        Settings(auth=auth).check()


def test_bad_numbers_in_environment_name_the_variable():
    with pytest.raises(SettingsError, match="STUDIO_PORT"):
        from_env({"STUDIO_PORT": "seventy"})
    with pytest.raises(SettingsError, match="port"):
        Settings(port=70000).check()


def test_space_listens_on_every_interface():
    assert from_env({"SPACE_ID": "someone/studio"}).host == "0.0.0.0"
    space = {"SPACE_ID": "someone/studio", "SPACE_HOST": "someone-studio.hf.space"}
    assert from_env(space).public_hosts == ("someone-studio.hf.space",)
    assert from_env({"STUDIO_PUBLIC_HOSTS": "a.example,b.example"}).public_hosts == ("a.example", "b.example")


def test_hub_models_are_offered_after_the_embedded_defaults():
    settings = parse(["--hub-models"], environ={})
    assert settings.text_models[0] == "smollm2"
    assert any(spec.startswith("transformers:") for spec in settings.text_models)
    assert all(
        spec.partition(":")[0] in BACKENDS
        for name in RECOMMENDED_HUB_MODELS
        for spec in getattr(settings, name)
    )
    assert parse(["--hub-models", "off"], environ={}).text_models == ("smollm2",)


def test_the_openai_api_beyond_loopback_needs_keys(tmp_path):
    with pytest.raises(SettingsError, match="without API keys"):
        parse(["--host", "0.0.0.0"], environ={})
    assert parse(["--host", "0.0.0.0", "--no-openai-api"], environ={}).openai_api is False
    assert parse(["--host", "::1"], environ={}).api_key_names() == {}
    keys = parse(["--host", "0.0.0.0", "--api-keys", "ann:sk-ann-12345678, sk-plain-1234"], environ={})
    assert keys.api_key_names() == {"sk-ann-12345678": "ann", "sk-plain-1234": ""}
    key_file = tmp_path / "keys.txt"
    key_file.write_text("# team\nbob:sk-bob-12345678\n\nsk-ci-123456789\n")
    assert Settings(api_keys=str(key_file)).api_key_names() == {
        "sk-bob-12345678": "bob",
        "sk-ci-123456789": "",
    }
    for bad in ("short", "ann:sk-one-12345678,bob:sk-one-12345678", str(tmp_path / "missing.txt")):
        with pytest.raises(SettingsError):
            Settings(api_keys=bad).api_key_names()
    assert from_env({"SPACE_ID": "someone/studio"}).openai_api is False
