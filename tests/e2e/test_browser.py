"""The studio in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import re
import shutil
import time

import pytest

from genai_studio.config import Settings
from tests.conftest import free_port, running_studio

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


def open_studio(browser, studio, locale: str):
    page = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900}).new_page()
    goto(page, studio.url)
    return page


def goto(page, url: str | None = None) -> None:
    """Open (or reload) the studio and wait until it is drawn. Not "networkidle": the page
    keeps a heartbeat connection open for its session state."""
    if url is None:
        page.reload(wait_until="domcontentloaded")
    else:
        page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("tab", name=re.compile("^(History|历史)$")).wait_for(timeout=60_000)


def test_text_streams_into_the_page_and_stop_stops(browser, studio):
    page = open_studio(browser, studio, "en-US")
    page.get_by_label("Your text").fill("Tell a long story about a lighthouse keeper and a storm.")
    page.get_by_role("button", name="Generate", exact=True).click()
    bot = page.locator(".message.bot, [data-testid='bot']").last
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while len(set(seen)) < 4 and time.monotonic() < deadline:
        if bot.count():
            seen.append(bot.inner_text())
        time.sleep(0.05)
    assert len({s for s in seen if s.strip()}) >= 3, "the reply should grow while it is made"
    page.get_by_role("button", name="Stop", exact=True).click()
    time.sleep(1.0)
    after_stop = bot.inner_text()
    time.sleep(1.5)
    assert bot.inner_text() == after_stop, "text kept coming after Stop"


def test_chinese_browser_gets_chinese_labels(browser, studio):
    page = open_studio(browser, studio, "zh-CN")
    page.get_by_role("button", name="生成").first.wait_for(timeout=10_000)  # translated in the browser
    assert page.get_by_role("button", name="生成").first.is_visible()
    assert page.get_by_role("tab", name="历史").count() == 1


def test_history_puts_a_past_result_back_into_its_tab(browser, studio):
    prompt = "A limerick about a violet octopus."
    studio.client.predict(
        prompt,
        "brainstorm",
        "Answer in French.",
        "smollm2",
        12,
        0.3,
        0.9,
        4242,
        [],
        api_name="/generate_text",
    )
    page = open_studio(browser, studio, "en-US")
    page.get_by_role("tab", name="History").click()
    newest = page.locator("#history-gallery img").first
    newest.wait_for(timeout=10_000)
    newest.click()
    page.get_by_text("A limerick about a violet octopus", exact=False).first.wait_for(timeout=10_000)
    page.get_by_role("button", name="Use these settings again").click()
    text_box = page.get_by_label("Your text")
    text_box.wait_for(state="visible", timeout=10_000)
    deadline = time.monotonic() + 10
    while text_box.input_value() != prompt and time.monotonic() < deadline:
        time.sleep(0.1)
    assert text_box.input_value() == prompt
    assert page.get_by_label("System prompt").input_value() == "Answer in French."
    assert page.get_by_label("Brainstorm").is_checked()


def speak_in_the_page(page, words: str) -> None:
    page.get_by_role("tab", name="Speech").click()
    page.get_by_label("Text", exact=True).fill(words)
    page.get_by_role("button", name="Generate", exact=True).last.click()
    page.wait_for_function(  # the status line says how much audio was made
        "() => [...document.querySelectorAll('textarea, input')].some(e => e.value.includes('s of audio'))",
        timeout=60_000,
    )  # the full recording, ready


def history_count(page, expected: int) -> int:
    """The number of results the History tab lists, once it shows `expected` (or 10 s pass)."""
    page.get_by_role("tab", name="History").click()
    label = page.locator("#history-page")
    label.get_by_text(re.compile("results")).first.wait_for(timeout=10_000)  # "No results yet." too
    deadline = time.monotonic() + 10
    while True:
        found = re.search(r"([\d,]+) results", label.inner_text())
        count = int(found.group(1).replace(",", "")) if found else 0
        if count == expected or time.monotonic() > deadline:
            return count
        time.sleep(0.2)


def test_browsers_on_a_shared_studio_each_keep_their_own_history(browser, tmp_path):
    settings = Settings(port=free_port(), output_dir=tmp_path, host="0.0.0.0")
    first, second = (browser.new_context(locale="en-US") for _ in range(2))
    with running_studio(settings) as shared:
        ann = first.new_page()
        goto(ann, shared.url)
        speak_in_the_page(ann, "Only the first browser may hear this.")
        assert history_count(ann, 1) == 1
        bob = second.new_page()
        goto(bob, shared.url)
        assert history_count(bob, 0) == 0
        goto(ann)
        assert history_count(ann, 1) == 1
    with running_studio(settings) as restarted:  # same folder, same port: a server restart
        goto(ann, restarted.url)
        assert history_count(ann, 1) == 1
        goto(bob, restarted.url)
        assert history_count(bob, 0) == 0
        speak_in_the_page(bob, "And this one is the second browser's.")
        assert history_count(bob, 1) == 1
        goto(ann)
        assert history_count(ann, 1) == 1


def test_history_puts_a_narration_back_with_its_model_voice_and_speed(browser, studio):
    """The voice and language come back too, though the Speech tab starts on another model whose
    change of choices could have reset them."""
    chapter = "The keeper climbed the stairs.\n\nThe lamp was cold, and the sea was loud."
    studio.client.predict(chapter, "espeak", "m3", "en-us", 1.35, api_name="/narrate")
    page = open_studio(browser, studio, "en-US")
    page.get_by_role("tab", name="History").click()
    newest = page.locator("#history-gallery img").first
    newest.wait_for(timeout=10_000)
    newest.click()
    page.get_by_text('"paragraph_pause_s"').wait_for(timeout=10_000)  # the narration is open
    page.get_by_role("button", name="Use these settings again").click()
    chapter_box = page.get_by_label("Chapter")
    chapter_box.wait_for(state="visible", timeout=10_000)  # the narration sub-tab is open
    shown = page.locator("#speech-settings")
    restored = (chapter, "espeak-ng (embedded, 100+ languages)", "male3", "English (America)", "1.35")

    def now() -> tuple[str, ...]:
        names = ("Model", "Voice", "Language", "number input for Speed")
        return (chapter_box.input_value(), *(shown.get_by_label(name).input_value() for name in names))

    deadline = time.monotonic() + 10
    while now() != restored and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # and nothing changes them afterwards (the model's choices arriving)
    assert now() == restored
