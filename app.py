"""GenAI Studio entry point: settings from the environment and flags, then launch.

python app.py --help
"""

from __future__ import annotations

import logging
import sys

from genai_studio import config


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = config.parse(argv)
    except config.SettingsError as exc:
        print(f"app.py: {exc}", file=sys.stderr)
        return 2
    from genai_studio.backends.preload import default_hub_models, preload
    from genai_studio.backends.text import llama_runtime
    from genai_studio.serving.service import models_for
    from genai_studio.ui.app import build_app, launch

    llama_runtime.prove_in_background(settings.cache_dir)
    manager = models_for(settings)
    demo = build_app(settings, manager)  # imports `spaces` (ZeroGPU wants it before torch)
    if settings.preloading:
        preload(manager, default_hub_models(settings))
    launch(demo, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
