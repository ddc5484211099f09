"""Take the README screenshot: the studio in Chromium after one streamed text reply.

.venv/bin/python scripts/screenshot.py [assets/screenshot.png]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright

from genai_studio.config import Settings
from genai_studio.ui.app import build_app, launch
from tests.conftest import free_port
from tests.e2e.test_browser import CHROMIUM, FLAGS


def main(target: str = "assets/screenshot.png") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(output_dir=Path(tmp), port=free_port())
        demo = build_app(settings)
        launch(demo, settings, prevent_thread_lock=True, quiet=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto(f"http://127.0.0.1:{settings.port}/", wait_until="networkidle")
            page.get_by_label("Your text").fill("A short poem about a lighthouse keeper who finds a map.")
            page.get_by_role("button", name="Generate", exact=True).click()
            page.locator(".message.bot").last.wait_for(timeout=60_000)
            time.sleep(4)  # let the reply grow
            page.screenshot(path=target)
            browser.close()
        demo.close()
    print(f"wrote {target}")


if __name__ == "__main__":
    main(*sys.argv[1:])
