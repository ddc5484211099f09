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

from genai_studio import devices
from genai_studio.accounts import Accounts, AccountsError

ENV_PREFIX = "STUDIO_"
_SWITCHES = ("hub_models", "preload_models")  # on | off | auto settings

# Offered after the embedded defaults when --hub-models is on, or auto on a machine with CUDA
# (weights download on first use). Field name -> specs; the first of each is the tab's default
# hub model (preloaded on ZeroGPU, listed under preload_from_hub in space.yaml).
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
    "listen_models": (
        "faster-whisper:Systran/faster-whisper-large-v3",
        "faster-whisper:Systran/faster-whisper-small",
    ),
}


MIN_API_KEY_CHARS = 8


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
    openai_api: bool = True  # serve the OpenAI HTTP API at /v1
    api_keys: str = ""  # /v1 bearer keys: "key,name:key" or a file of such lines; needed off loopback
    public_hosts: tuple[str, ...] = ()  # names browsers reach the studio by through a proxy (a Space's)
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    output_dir: Path = Path("outputs")
    cache_dir: Path = field(default_factory=_default_cache_dir)
    text_models: tuple[str, ...] = ("smollm2",)
    speech_models: tuple[str, ...] = ("hibari", "zh-fastspeech2", "kokoro", "espeak")
    music_models: tuple[str, ...] = ("composer",)
    inpaint_models: tuple[str, ...] = ("classic-inpaint",)
    colorize_models: tuple[str, ...] = ("classic-colorize",)
    style_models: tuple[str, ...] = ("neural-style", "classic-style")
    text_to_image_models: tuple[str, ...] = ()  # no embedded model: the tab shows with a hub spec
    upscale_models: tuple[str, ...] = ("esrgan",)
    listen_models: tuple[str, ...] = ("whisper",)
    hub_models: str = "auto"  # on | off | auto (on where CUDA is): also offer RECOMMENDED_HUB_MODELS
    preload_models: str = "auto"  # on | off | auto (on on ZeroGPU): load default hub models before serving
    remote_api_key: str = ""  # bearer key for `openai:` text specs
    memory_budget_mb: int = 12_000  # models resident at once, estimated
    max_upload_mb: int = 50
    queue_size: int = 32
    max_prompt_chars: int = 20_000
    max_new_tokens: int = 2048
    max_listen_minutes: float = 60.0  # the longest recording transcribed at once
    llama_threads: int = 0  # 0: one per physical core
    history_page_size: int = 24  # results on one page of the History tab
    max_clip_seconds: float = 15.0  # longest video clip Colorize and Style take
    retention_days: float = -1.0  # results older than this are pruned; 0 keeps them; -1: auto
    retention_mb: float = -1.0  # per owner, oldest pruned first beyond this; 0: no limit; -1: auto
    # serving: models in worker processes under the fair scheduler (genai_studio/serving)
    model_workers: bool = True  # False: every model runs inside the web process (no isolation)
    workers_per_model: int = 2  # processes one model may have at once (jobs of one model side by side)
    max_active_jobs: int = 4  # jobs holding a worker at once (running or paused); the rest wait in turn
    cpu_slots: int = 0  # cores shared out among running jobs; 0: this machine's
    max_waiting_per_owner: int = 4  # jobs one owner may have waiting at once
    owner_jobs_per_day: int = 0  # jobs per owner per UTC day; 0: no limit
    owner_seconds_per_day: float = 0.0  # compute seconds per owner per UTC day; 0: no limit
    crash_limit: int = 3  # crashes within 10 minutes that mark a model unavailable
    stop_grace_s: float = 3.0  # after Stop, seconds a job has to end before its worker is killed

    @property
    def history_dir(self) -> Path:
        return self.output_dir / "history"

    @property
    def voices_dir(self) -> Path:
        """The voices users mixed and named, per owner (genai_studio.voice_library)."""
        return self.output_dir / "voices"

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

    def api_key_names(self) -> dict[str, str]:
        """The /v1 keys: key -> account name ("" for a key that names no account).

        `api_keys` is a comma-separated list, or the path of a file with one entry a line
        (blank lines and # comments skipped); an entry is `key` or `name:key`.
        """
        value = self.api_keys.strip()
        if not value:
            return {}
        path = Path(value)
        if path.is_file():
            try:
                lines = path.read_text().splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise SettingsError(f"cannot read the API key file {path}: {exc}") from exc
            entries = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
        elif "/" in value and "," not in value:
            raise SettingsError(f"the API key file {path} does not exist")
        else:
            entries = [part.strip() for part in value.split(",") if part.strip()]
        keys: dict[str, str] = {}
        for entry in entries:
            name, _, key = entry.rpartition(":")
            if len(key) < MIN_API_KEY_CHARS or any(c.isspace() for c in key):
                raise SettingsError(
                    f"API keys must be at least {MIN_API_KEY_CHARS} characters without spaces "
                    f"(entries are key or name:key); got an entry of {len(key)} characters"
                )
            if key in keys:
                raise SettingsError("the same API key is listed twice")
            keys[key] = name.strip()
        return keys

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
        if self.openai_api and not self.loopback and not self.api_key_names():
            raise SettingsError(
                f"Refusing to serve the OpenAI API on {self.host} without API keys: set --api-keys "
                "(a comma list or a file of key or name:key lines), or --no-openai-api."
            )
        if not 1 <= self.port <= 65535:
            raise SettingsError(f"port must be 1-65535, got {self.port}")
        if not self.text_models:
            raise SettingsError("at least one text model is needed")
        for name in _SWITCHES:
            switch(getattr(self, name), name)
        for name in ("workers_per_model", "max_active_jobs", "max_waiting_per_owner", "crash_limit"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.cpu_slots < 0 or self.stop_grace_s <= 0:
            raise SettingsError("cpu_slots must be 0 or more and stop_grace_s more than 0")
        return self

    @property
    def preloading(self) -> bool:
        """Whether the default hub models load before the studio serves (ZeroGPU needs it)."""
        return switch(self.preload_models, "preload_models") == "on"


_ON = {"1", "true", "yes", "on"}
_OFF = {"0", "false", "no", "off"}


def switch(value: str, name: str) -> str:
    """An on | off | auto setting, also spelled 1/true/yes or 0/false/no, as "on", "off" or "auto"."""
    word = str(value).strip().lower()
    if word in _ON:
        return "on"
    if word in _OFF:
        return "off"
    if word == "auto":
        return "auto"
    raise SettingsError(f"{name} must be on, off or auto, got {value!r}")


_HELP = {
    "host": "address to listen on (0.0.0.0 for every interface)",
    "port": "port to listen on",
    "share": "open a public Gradio share link (needs --auth)",
    "auth": "accounts: user:password pairs, comma-separated (each user sees only their results)",
    "auth_file": "one user:password per line (hash a password: python -m genai_studio.accounts USER)",
    "mcp": "serve the API events as MCP tools (--no-mcp to turn off)",
    "openai_api": "serve the OpenAI HTTP API at /v1 (--no-openai-api to turn off)",
    "public_hosts": "host names browsers use to reach the studio through a proxy that may rewrite "
    "the Host header (on a Space: $SPACE_HOST); pages from these origins are the studio's own",
    "api_keys": "bearer keys for /v1: key,name:key or a file of such lines (needed beyond loopback)",
    "device": "auto, cpu, cuda, cuda:N or mps",
    "output_dir": "folder for results and history",
    "cache_dir": "folder for weights the set-up prepares (the upscaler's, Whisper's), outside the clone",
    "text_models": "comma-separated text model specs, first is the default",
    "speech_models": "comma-separated speech model specs",
    "music_models": "comma-separated music model specs",
    "inpaint_models": "comma-separated inpainting model specs",
    "colorize_models": "comma-separated colorization model specs",
    "style_models": "comma-separated style-transfer model specs",
    "text_to_image_models": "comma-separated text-to-image model specs (none by default: GPU advised)",
    "upscale_models": "comma-separated super-resolution model specs",
    "listen_models": "comma-separated speech recognition model specs",
    "hub_models": "on, off or auto (on where CUDA is): also offer the recommended hub models "
    "(internet; downloads on first use)",
    "preload_models": "on, off or auto (on on ZeroGPU): load each tab's default hub model before serving",
    "remote_api_key": "API key sent to OpenAI-compatible servers (openai: specs)",
    "memory_budget_mb": "estimated memory that resident models may use",
    "max_upload_mb": "largest upload accepted",
    "queue_size": "most requests waiting in the queue",
    "max_prompt_chars": "longest text prompt accepted",
    "max_new_tokens": "most tokens one text request may ask for",
    "max_listen_minutes": "longest recording transcribed at once, in minutes",
    "llama_threads": "llama.cpp threads (0: one per physical core)",
    "history_page_size": "results on one page of the History tab",
    "model_workers": "run each model in a worker process of its own (--no-model-workers: in the web process)",
    "workers_per_model": "worker processes one model may have at once",
    "max_active_jobs": "jobs holding a worker at once; the others wait, taken in turn across users",
    "cpu_slots": "cores the scheduler shares out among running jobs (0: this machine's)",
    "max_waiting_per_owner": "jobs one user may have waiting at once",
    "owner_jobs_per_day": "jobs per user per UTC day (0: no limit)",
    "owner_seconds_per_day": "compute seconds per user per UTC day (0: no limit)",
    "crash_limit": "crashes within 10 minutes that mark a model unavailable",
    "stop_grace_s": "seconds a stopped job has to end before its worker process is killed",
    "max_clip_seconds": "longest video clip Colorize and Style take, in seconds",
    "retention_days": "prune results older than this many days (0 keeps them; default 0 on loopback, else 7)",
    "retention_mb": "prune each owner's oldest results beyond this many MB (0: no limit; "
    "default 0 on loopback, else 500)",
}


def _convert(raw: str, default: object) -> object:
    """`raw` as the type of the field's default."""
    if isinstance(default, bool):
        return raw.strip().lower() in _ON
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
    if "SPACE_ID" in environ:  # on a Hugging Face Space the app must listen on every interface;
        base = replace(base, host="0.0.0.0", openai_api=False)  # /v1 there needs keys: opt in
        if environ.get("SPACE_HOST"):  # user-space.hf.space: the name the Space's pages come from
            base = replace(base, public_hosts=(environ["SPACE_HOST"],))
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
        elif f.name in _SWITCHES:  # a bare flag still means on, as when these were booleans
            parser.add_argument(flag, nargs="?", const="on", default=None, help=_HELP.get(f.name))
        else:
            parser.add_argument(flag, default=None, help=_HELP.get(f.name))
    args = parser.parse_args(argv)
    changes = {}
    for f in fields(Settings):
        value = getattr(args, f.name)
        if value is not None:
            default = getattr(settings, f.name)
            changes[f.name] = value if isinstance(value, bool) else _convert(value, default)
    return resolve(replace(settings, **changes), environ).check()


def resolve(settings: Settings, environ: dict[str, str] | None = None) -> Settings:
    """Settle the auto switches for this machine, then offer the hub models if they are on.

    hub_models auto: on where models would run on CUDA (`devices.cuda_present`, which does not
    import torch), off on a CPU. preload_models auto: on on ZeroGPU, which only gives a
    request a GPU for models loaded before the studio serves.
    """
    environ = dict(os.environ if environ is None else environ)
    hub = switch(settings.hub_models, "hub_models")
    if hub == "auto":
        hub = "on" if devices.runs_on_cuda(settings.device, environ) else "off"
    preload = switch(settings.preload_models, "preload_models")
    if preload == "auto":
        preload = "on" if devices.on_zero_gpu(environ) else "off"
    return with_hub_models(replace(settings, hub_models=hub, preload_models=preload))


def with_hub_models(settings: Settings) -> Settings:
    """Append the recommended hub specs to each model list when `hub_models` is on.

    They come after the embedded models, which stay each tab's default even on a GPU: the
    first click works at once, without a download of gigabytes or a reachable hub, and the
    same request means the same model on every machine (History, API callers). An operator
    who wants a hub model first lists it first (e.g. STUDIO_TEXT_MODELS).
    """
    if switch(settings.hub_models, "hub_models") != "on":
        return settings
    extended = {
        name: tuple(dict.fromkeys(getattr(settings, name) + specs))
        for name, specs in RECOMMENDED_HUB_MODELS.items()
    }
    return replace(settings, **extended)
