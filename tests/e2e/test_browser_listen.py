"""The microphone in a real browser: Chromium's fake capture device plays a WAV the studio's own
voice made, the page records it, and the Listen tab (and dictation in the Text tab) hear it."""

from __future__ import annotations

import re
import time

import pytest
import soundfile as sf

from bench.recognise import wer
from tests.backends.listen_helpers import ENGLISH, spoken_wav
from tests.e2e.test_browser import CHROMIUM, FLAGS, goto

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def microphone(tmp_path_factory):
    """Chromium whose microphone says ENGLISH (then says it again: the file loops)."""
    from playwright.sync_api import sync_playwright

    said = spoken_wav(tmp_path_factory.mktemp("mic") / "said.wav", "hibari", ENGLISH)
    fake = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*FLAGS, *fake, f"--use-file-for-fake-audio-capture={said}"],
        )
        yield browser, sf.info(said).duration
        browser.close()


def record(page, component: str, seconds: float) -> None:
    """Record `seconds` of the microphone in the audio component with this elem_id."""
    recorder = page.locator(f"#{component}")
    recorder.get_by_role("button", name="Record", exact=True).click()
    time.sleep(seconds)
    recorder.locator("button.stop-button").click()


def test_a_microphone_recording_is_transcribed(microphone, studio):
    browser, seconds = microphone
    page = browser.new_context(viewport={"width": 1280, "height": 900}, permissions=["microphone"]).new_page()
    goto(page, studio.url)
    page.get_by_role("tab", name="Listen").click()
    record(page, "listen-record", seconds + 0.5)
    page.locator("#listen-record [aria-label='Download']").wait_for(timeout=20_000)  # uploaded
    page.get_by_role("button", name="Transcribe", exact=True).click()
    transcript = page.locator("#listen-transcript textarea")
    page.wait_for_function(
        "el => /lighthouse/i.test(el.value)", arg=transcript.element_handle(), timeout=120_000
    )
    heard = transcript.input_value()
    assert wer(ENGLISH, heard[: len(ENGLISH) + 20]) <= 0.2, heard
    assert re.match(r"\[00:00\.\d → ", page.locator("#listen-segments textarea").input_value())


@pytest.mark.slow  # /dictate itself runs in the default suite (tests/ui/test_listen_tab.py)
def test_dictation_writes_into_the_text_prompt(microphone, studio):
    browser, seconds = microphone
    page = browser.new_context(viewport={"width": 1280, "height": 900}, permissions=["microphone"]).new_page()
    goto(page, studio.url)
    prompt = page.get_by_label("Your text")
    prompt.fill("Continue this:")
    record(page, "dictate", seconds + 0.5)
    page.wait_for_function("el => /lighthouse/i.test(el.value)", arg=prompt.element_handle(), timeout=120_000)
    text = prompt.input_value()
    assert text.startswith("Continue this: ") and wer(ENGLISH, text.removeprefix("Continue this:")) <= 0.3, (
        text
    )
