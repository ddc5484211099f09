"""Send to, in a real browser: a result goes on to another tab in one click, lands in that tab's
input, and changes nothing else there, nor in the tab it came from; History sends an entry's
output back to its tab."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genai_studio.history import Entry
from genai_studio.owners import Owner
from tests.e2e.test_browser import browser, open_studio  # noqa: F401 - `browser` is a fixture

pytestmark = pytest.mark.browser

REFERENCES = Path(__file__).resolve().parents[2] / "assets" / "images" / "reference"


def eventually(check: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def field(page, label: str, exact: bool = False):
    """The visible input labelled `label` (tabs seen before stay in the page, hidden)."""
    return page.get_by_label(label, exact=exact).filter(visible=True)


def selected_tabs(page) -> list[str]:
    return page.locator("[role=tab][aria-selected=true]:visible").all_inner_texts()


def send(page, target: str, words: str = "Send to:") -> None:
    """Click `target` in the visible Send-to row that starts with `words`."""
    row = page.locator(".send-to:visible").filter(has_text=words)
    row.get_by_role("button", name=target, exact=True).click()


def newest(studio, task: str) -> Entry | None:
    """The page's newest `task` result, as the server saved it (a loopback studio's owner is local)."""
    entries, _ = studio.demo.studio.history.page(Owner.local(), task=task, limit=1)
    return entries[0] if entries else None


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_a_text_goes_to_speech_and_music_and_a_history_entry_back_to_text(browser, studio):  # noqa: F811
    page = open_studio(browser, studio, "en-US")
    page.get_by_role("tab", name="Speech").click()
    field(page, "number input for Speed").fill("1.5")  # settings of the receiving tabs,
    field(page, "number input for Speed").press("Enter")  # which sending must not touch
    page.get_by_role("tab", name="Music").click()
    field(page, "Seed (-1: random)").fill("1234")
    page.get_by_role("tab", name="Text").click()
    prompt = "Write two sentences about a red kite over a harbour."
    field(page, "Your text").fill(prompt)
    page.get_by_text("Advanced settings").click()
    field(page, "number input for Max new tokens").fill("24")
    field(page, "number input for Max new tokens").press("Enter")
    page.get_by_role("button", name="Generate", exact=True).click()
    made = lambda: getattr(newest(studio, "text"), "params", {}).get("prompt") == prompt  # noqa: E731
    assert eventually(made, 90)
    reply = newest(studio, "text").file("output.txt").read_text()  # as saved: exactly what was made
    bot = page.locator(".message.bot, [data-testid='bot']").last
    assert eventually(lambda: bot.inner_text().split() == reply.split())  # the page shows all of it

    send(page, "Speak")
    assert eventually(lambda: selected_tabs(page) == ["Speech", "Speak"]), selected_tabs(page)
    spoken = field(page, "Text", exact=True)
    assert eventually(lambda: spoken.input_value() == reply), spoken.input_value()
    assert field(page, "number input for Speed").input_value() == "1.5"

    page.get_by_role("tab", name="Text").click()
    send(page, "Music")
    assert eventually(lambda: selected_tabs(page) == ["Music"]), selected_tabs(page)
    music_prompt = field(page, "Prompt", exact=True)
    assert eventually(lambda: music_prompt.input_value() == reply), music_prompt.input_value()
    assert field(page, "Seed (-1: random)").input_value() == "1234"

    page.get_by_role("tab", name="Text").click()  # the sender is as it was
    assert field(page, "Your text").input_value() == prompt
    system_prompt = field(page, "System prompt").input_value()

    page.get_by_role("tab", name="History").click()
    page.locator("#history-gallery img").first.click()
    shown = page.locator("textarea:visible")
    assert eventually(lambda: reply in shown.evaluate_all("boxes => boxes.map(box => box.value)"))  # open
    send(page, "Text", "Send output to:")
    assert eventually(lambda: selected_tabs(page) == ["Text"]), selected_tabs(page)
    box = field(page, "Your text")
    assert eventually(lambda: box.input_value() == reply), box.input_value()
    assert field(page, "System prompt").input_value() == system_prompt  # not the entry's settings


def test_an_image_goes_to_another_tool_and_a_history_entry_back_to_its_tool(browser, studio, tmp_path):  # noqa: F811
    photo = tmp_path / "cat.png"  # small: the test is about where it goes, not about upscaling
    Image.open(REFERENCES / "chelsea.jpg").resize((96, 64)).save(photo)
    page = open_studio(browser, studio, "en-US")
    page.get_by_role("tab", name="Image").click()
    page.get_by_role("tab", name="Colorize").click()  # settings of the receiving tab, kept through a send:
    field(page, "Reference photo").check()
    page.get_by_role("button", name="coffee", exact=True).filter(visible=True).click()  # its reference
    page.get_by_role("tab", name="Upscale").click()
    with page.expect_file_chooser() as chooser:
        page.get_by_text("Click to Upload").filter(visible=True).first.click()
    chooser.value.set_files(photo)
    field(page, "×2").check()
    page.get_by_role("button", name="Upscale", exact=True).filter(visible=True).click()
    result_link = page.locator("a[href$='result.png']:visible")
    result_link.wait_for(timeout=90_000)
    upscaled = newest(studio, "upscale")
    assert upscaled.id in result_link.get_attribute("href")

    before = getattr(newest(studio, "colorize"), "id", None)
    send(page, "Colorize")  # into a photo editor
    assert eventually(lambda: selected_tabs(page) == ["Image", "Colorize"]), selected_tabs(page)
    assert eventually(lambda: page.get_by_text("Upload an image").filter(visible=True).count() == 0)
    assert field(page, "Reference photo").is_checked()
    page.get_by_role("button", name="Colorize", exact=True).filter(visible=True).click()  # on what was sent
    assert eventually(lambda: getattr(newest(studio, "colorize"), "id", before) != before, 90)
    colorized = newest(studio, "colorize")
    assert colorized.params["method"] == "reference"  # with its own settings, as they were
    np.testing.assert_array_equal(pixels(colorized.file("input.png")), pixels(upscaled.file("result.png")))

    page.get_by_role("tab", name="Upscale").click()
    page.get_by_text("Advanced settings").filter(visible=True).click()
    field(page, "Prompt (diffusion upscaler)").fill("kept")  # Upscale's own, kept through the send
    page.get_by_role("tab", name="History").click()
    page.locator("#history-gallery img").nth(1).click()  # the upscaled photo: the colorized one is newer
    its_photo = page.locator(f"img[src*='{upscaled.id}'][src$='result.png']:visible")  # History's viewer,
    assert eventually(lambda: its_photo.count() == 1)  # then Upscale's input once sent there
    send(page, "Upscale", "Send output to:")  # the entry's own tool
    assert eventually(lambda: selected_tabs(page) == ["Image", "Upscale"]), selected_tabs(page)
    assert eventually(lambda: its_photo.count() == 1)
    assert field(page, "Prompt (diffusion upscaler)").input_value() == "kept"
    assert field(page, "×2").is_checked()


def test_speech_and_music_go_to_story_as_its_tracks(browser, studio):  # noqa: F811
    page = open_studio(browser, studio, "en-US")
    page.get_by_role("tab", name="Story", exact=True).click()
    length = field(page, "Length in seconds (5-600)")
    length.fill("45")  # Story's own setting, which the sends must not touch
    page.get_by_text("Your own tracks (used instead of making them)").click()  # where the tracks land

    def held(entry: Entry):
        """The visible players' download links to `entry`'s file (players stream from blobs)."""
        return page.locator(f"a[href*='{entry.id}']:visible")

    page.get_by_role("tab", name="Speech").click()
    field(page, "Text", exact=True).fill("The fox looked at the river and took a breath.")
    page.get_by_role("button", name="Generate", exact=True).filter(visible=True).click()
    assert eventually(lambda: newest(studio, "speech") is not None, 90)
    spoken = newest(studio, "speech")
    assert eventually(lambda: held(spoken).count() > 0, 30)  # delivered to this page
    send(page, "Story")
    assert eventually(lambda: selected_tabs(page) == ["Story"]), selected_tabs(page)
    narration = page.locator("#story-narration-track")
    assert eventually(lambda: narration.locator(f"a[href*='{spoken.id}']").count() == 1)

    page.get_by_role("tab", name="Music").click()
    field(page, "Prompt", exact=True).fill("calm piano lullaby")
    page.get_by_role("button", name="Generate", exact=True).filter(visible=True).click()
    assert eventually(lambda: newest(studio, "music") is not None, 120)
    scored = newest(studio, "music")
    assert eventually(lambda: held(scored).count() > 0, 30)
    send(page, "Story")
    assert eventually(lambda: selected_tabs(page) == ["Story"]), selected_tabs(page)
    music = page.locator("#story-music-track")
    assert eventually(lambda: music.locator(f"a[href*='{scored.id}']").count() == 1)
    assert narration.locator(f"a[href*='{spoken.id}']").count() == 1  # still there, beside the music
    assert field(page, "Length in seconds (5-600)").input_value() == "45"
