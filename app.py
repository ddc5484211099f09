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
    from genai_studio.ui.app import build_app, launch

    launch(build_app(settings), settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
