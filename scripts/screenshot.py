"""Take the README screenshots: the studio in Chromium after one streamed text reply, and the
History gallery after a few results of several tabs.

.venv/bin/python scripts/screenshot.py [assets/screenshot.png] [assets/screenshot-history.png]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gradio_client import Client, handle_file
from playwright.sync_api import sync_playwright

from genai_studio.config import Settings
from genai_studio.ui.app import build_app, launch
from tests.conftest import free_port
from tests.e2e.test_browser import CHROMIUM, FLAGS, goto

ROOT = Path(__file__).resolve().parents[1]


def make_results(url: str) -> None:
    """A few results of several tabs, made through the API as a user would in the page."""
    client = Client(url, verbose=False)
    client.predict(
        "The tide came in at dawn. The keeper lit the lamp.",
        "hibari",
        "heart",
        "en-us",
        1.0,
        api_name="/generate_speech",
    )
    client.predict(
        "a calm folk tune in D major, 20 seconds",
        "composer",
        "auto",
        "auto",
        0,
        "auto",
        0,
        3,
        api_name="/generate_music",
    )
    photo = handle_file(str(ROOT / "assets/images/reference/coffee.jpg"))
    style = handle_file(str(ROOT / "assets/images/reference/styles/swirling-strokes.jpg"))
    client.predict(
        photo,
        style,
        "style-image",
        "classic-style",
        1.0,
        False,
        384,
        "",
        "",
        20,
        5.0,
        0.8,
        1,
        api_name="/stylize_photo",
    )
    client.predict(
        "Two lines about a lighthouse keeper.",
        "write",
        "",
        "smollm2",
        48,
        0.7,
        0.95,
        7,
        [],
        api_name="/generate_text",
    )


def history(target: str, browser, url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    goto(page, url)
    page.get_by_role("tab", name="History").click()
    page.locator("#history-gallery img").nth(1).click()
    time.sleep(2)
    page.screenshot(path=target, full_page=True)


def main(
    target: str = "assets/screenshot.png", history_target: str = "assets/screenshot-history.png"
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(output_dir=Path(tmp), port=free_port())
        demo = build_app(settings)
        launch(demo, settings, prevent_thread_lock=True, quiet=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            goto(page, f"http://127.0.0.1:{settings.port}/")
            page.get_by_label("Your text").fill("A short poem about a lighthouse keeper who finds a map.")
            page.get_by_role("button", name="Generate", exact=True).click()
            page.locator(".message.bot").last.wait_for(timeout=60_000)
            time.sleep(4)  # let the reply grow
            page.screenshot(path=target)
            make_results(f"http://127.0.0.1:{settings.port}/")
            history(history_target, browser, f"http://127.0.0.1:{settings.port}/")
            browser.close()
        demo.close()
    print(f"wrote {target} and {history_target}")


if __name__ == "__main__":
    main(*sys.argv[1:])
