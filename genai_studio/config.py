"""Settings: the one place that reads the environment and the command line.

Everything else receives a `Settings` object, so tests can build one by hand and the UI,
the API and the CLI all see the same configuration.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from genai_studio.accounts import Accounts, AccountsError

ENV_PREFIX = "STUDIO_"

# Offered in addition to the embedded defaults with --hub-models (for machines with a GPU and
# internet; weights download on first use). Field name -> specs.
RECOMMENDED_HUB_MODELS: dict[str, tuple[str, ...]] = {
    "text_models": (
        "transformers:HuggingFaceTB/SmolLM2-1.7B-Instruct",
        "transformers:Qwen/Qwen2.5-1.5B-Instruct",
    ),
    "speech_models": ("vits:facebook/mms-tts-eng", "bark:suno/bark-small"),
    "music_models": ("musicgen:facebook/musicgen-small", "musicgen:facebook/musicgen-medium"),
    "inpaint_models": ("sd-inpaint:stable-diffusion-v1-5/stable-diffusion-inpainting",),
    "colorize_models": ("sd-colorize:stable-diffusion-v1-5/stable-diffusion-v1-5",),
    "style_models": ("sd-style:stable-diffusion-v1-5/stable-diffusion-v1-5",),
    "text_to_image_models": ("sd-txt2img:stable-diffusion-v1-5/stable-diffusion-v1-5",),
    "upscale_models": ("sd-upscale:stabilityai/stable-diffusion-x4-upscaler",),
}


class SettingsError(ValueError):
    """A configuration that cannot be served safely (for example a share link without auth)."""


def _default_cache_dir() -> Path:
    """Where the set-up keeps weights it fetches from package registries (not in the clone)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "genai-studio"


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _split_models(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """How the studio runs. Model lists hold model specs: `backend` or `backend:reference`.

    The first spec of each list is the tab's default. Only the specs listed here can be
    picked in the UI: users never type a server path or a hub id.
    """

    host: str = "127.0.0.1"
    port: int = 7860
    share: bool = False
    auth: str = ""  # "user:password[,user:password...]"; accounts are required when share is on
    auth_file: str = ""  # a file with one user:password (or user:hashed password) per line
    mcp: bool = True  # serve every API event as an MCP tool at /gradio_api/mcp/
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    output_dir: Path = Path("outputs")
    cache_dir: Path = field(default_factory=_default_cache_dir)
    text_models: tuple[str, ...] = ("smollm2",)
    speech_models: tuple[str, ...] = ("hibari", "espeak")
    music_models: tuple[str, ...] = ("composer",)
    inpaint_models: tuple[str, ...] = ("classic-inpaint",)
    colorize_models: tuple[str, ...] = ("classic-colorize",)
    style_models: tuple[str, ...] = ("classic-style",)
    text_to_image_models: tuple[str, ...] = ()  # no embedded model: the tab shows with a hub spec
    upscale_models: tuple[str, ...] = ("esrgan",)
    hub_models: bool = False  # also offer RECOMMENDED_HUB_MODELS
    remote_api_key: str = ""  # bearer key for `openai:` text specs
    memory_budget_mb: int = 12_000  # models resident at once, estimated
    max_upload_mb: int = 50
    queue_size: int = 32
    max_prompt_chars: int = 20_000
    max_new_tokens: int = 2048
    llama_threads: int = 0  # 0: one per physical core
    history_page_size: int = 24  # results on one page of the History tab
    retention_days: float = -1.0  # results older than this are pruned; 0 keeps them; -1: auto
    retention_mb: float = -1.0  # per owner, oldest pruned first beyond this; 0: no limit; -1: auto

    @property
    def history_dir(self) -> Path:
        return self.output_dir / "history"

    @property
    def loopback(self) -> bool:
        """Listening only on this machine (and no share link): one person, at the machine."""
        return not self.share and is_loopback(self.host)

    @property
    def has_accounts(self) -> bool:
        return bool(self.auth or self.auth_file)

    def retention_limits(self) -> tuple[float, float]:
        """(days, megabytes) per owner: keep everything on loopback; 7 days and 500 MB when
        shared (a Space, a LAN, a share link), unless the operator set them."""
        shared_default = (0.0, 0.0) if self.loopback else (7.0, 500.0)
        days = shared_default[0] if self.retention_days < 0 else self.retention_days
        megabytes = shared_default[1] if self.retention_mb < 0 else self.retention_mb
        return days, megabytes

    def check(self) -> Settings:
        """Refuse configurations that would be unsafe or cannot work."""
        if self.share and not self.has_accounts:
            raise SettingsError(
                "Refusing to open a public share link without accounts: "
                "set --auth user:password (or --auth-file FILE)."
            )
        try:
            Accounts.from_settings(self.auth, self.auth_file)
        except AccountsError as exc:
            raise SettingsError(str(exc)) from exc
        if not 1 <= self.port <= 65535:
            raise SettingsError(f"port must be 1-65535, got {self.port}")
        if not self.text_models:
            raise SettingsError("at least one text model is needed")
        return self


_HELP = {
    "host": "address to listen on (0.0.0.0 for every interface)",
    "port": "port to listen on",
    "share": "open a public Gradio share link (needs --auth)",
    "auth": "accounts: user:password pairs, comma-separated (each user sees only their results)",
    "auth_file": "one user:password per line (hash a password: python -m genai_studio.accounts USER)",
    "mcp": "serve the API events as MCP tools (--no-mcp to turn off)",
    "device": "auto, cpu, cuda, cuda:N or mps",
    "output_dir": "folder for results and history",
    "cache_dir": "folder for weights the set-up fetches (the upscaler's), outside the clone",
    "text_models": "comma-separated text model specs, first is the default",
    "speech_models": "comma-separated speech model specs",
    "music_models": "comma-separated music model specs",
    "inpaint_models": "comma-separated inpainting model specs",
    "colorize_models": "comma-separated colorization model specs",
    "style_models": "comma-separated style-transfer model specs",
    "text_to_image_models": "comma-separated text-to-image model specs (none by default: GPU advised)",
    "upscale_models": "comma-separated super-resolution model specs",
    "hub_models": "also offer the recommended hub models (GPU and internet; downloads on first use)",
    "remote_api_key": "API key sent to OpenAI-compatible servers (openai: specs)",
    "memory_budget_mb": "estimated memory that resident models may use",
    "max_upload_mb": "largest upload accepted",
    "queue_size": "most requests waiting in the queue",
    "max_prompt_chars": "longest text prompt accepted",
    "max_new_tokens": "most tokens one text request may ask for",
    "llama_threads": "llama.cpp threads (0: one per physical core)",
    "history_page_size": "results on one page of the History tab",
    "retention_days": "prune results older than this many days (0 keeps them; default 0 on loopback, else 7)",
    "retention_mb": "prune each owner's oldest results beyond this many MB (0: no limit; "
    "default 0 on loopback, else 500)",
}


def _convert(raw: str, default: object) -> object:
    """`raw` as the type of the field's default."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, Path):
        return Path(raw)
    if isinstance(default, tuple):
        return _split_models(raw)
    return raw


def from_env(environ: dict[str, str] | None = None, base: Settings | None = None) -> Settings:
    """Settings from STUDIO_* environment variables on top of `base` (defaults)."""
    environ = dict(os.environ if environ is None else environ)
    base = base or Settings()
    if "SPACE_ID" in environ:  # on a Hugging Face Space the app must listen on every interface
        base = replace(base, host="0.0.0.0")
    changes: dict[str, object] = {}
    for f in fields(Settings):
        raw = environ.get(ENV_PREFIX + f.name.upper())
        if raw is not None:
            try:
                changes[f.name] = _convert(raw, getattr(base, f.name))
            except ValueError as exc:
                raise SettingsError(f"{ENV_PREFIX}{f.name.upper()}: {exc}") from exc
    return replace(base, **changes)


def parse(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Settings from the environment, overridden by command-line flags, then checked."""
    settings = from_env(environ)
    parser = argparse.ArgumentParser(prog="app.py", description="GenAI Studio")
    for f in fields(Settings):
        flag = "--" + f.name.replace("_", "-")
        default = getattr(settings, f.name)
        if isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None)
        else:
            parser.add_argument(flag, default=None, help=_HELP.get(f.name))
    args = parser.parse_args(argv)
    changes = {}
    for f in fields(Settings):
        value = getattr(args, f.name)
        if value is not None:
            default = getattr(settings, f.name)
            changes[f.name] = value if isinstance(value, bool) else _convert(value, default)
    return with_hub_models(replace(settings, **changes)).check()


def with_hub_models(settings: Settings) -> Settings:
    """Append the recommended hub specs to each model list when `hub_models` is on."""
    if not settings.hub_models:
        return settings
    extended = {
        name: tuple(dict.fromkeys(getattr(settings, name) + specs))
        for name, specs in RECOMMENDED_HUB_MODELS.items()
    }
    return replace(settings, **extended)
