"""The Story film in a real browser: a picture sent from History to the Story's pictures, the
story made and filmed from the page, and the MP4 played by Chromium's own <video> element
(its duration read, no error, time advancing), in the Film step and in History's player."""

from __future__ import annotations

import pytest
import soundfile as sf
from PIL import Image

from genai_studio.images import png_bytes
from genai_studio.owners import Owner
from tests.e2e.test_browser import browser, open_studio  # noqa: F401 - `browser` is a fixture
from tests.e2e.test_browser_send_to import eventually, field, newest, selected_tabs, send

pytestmark = pytest.mark.browser

SCRIPT = "The keeper climbs the stairs.\n\nThe lamp turns, and the ships sail home."

# Resolves once the <video> has its metadata and has played a little (muted: no autoplay rule
# stops it), or at once with the media error; then what the element says.
PLAY = """async (video) => {
  video.muted = true;
  const ready = new Promise((done) => {
    if (video.readyState >= 1) done();
    video.addEventListener('loadedmetadata', () => done(), {once: true});
    video.addEventListener('error', () => done(), {once: true});
  });
  await ready;
  if (!video.error) {
    await video.play().catch(() => {});
    const start = performance.now();
    while (video.currentTime < 0.5 && !video.error && performance.now() - start < 15000) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {duration: video.duration, error: video.error && video.error.code,
          played: video.currentTime, width: video.videoWidth, height: video.videoHeight};
}"""


def test_a_story_is_filmed_from_the_page_and_plays_in_chromium(browser, studio):  # noqa: F811
    picture = Image.new("RGB", (480, 320), (200, 60, 60))
    studio.demo.studio.history.save(
        Owner.local(), "upscale", "esrgan", {"scale": 2}, "a red picture", {"result.png": png_bytes(picture)}
    )
    page = open_studio(browser, studio, "en-US")
    pictures = page.locator("#film-pictures")

    def names() -> int:
        return "".join(pictures.inner_text().split()).count("result.png")

    for count in (1, 2):  # sent twice: added to the pictures, not replacing them
        page.get_by_role("tab", name="History").click()
        page.locator("#history-gallery img").first.click()
        send(page, "Story", "Send output to:")  # History's picture into the Story's pictures
        assert eventually(lambda: selected_tabs(page) == ["Story"]), selected_tabs(page)
        assert eventually(lambda count=count: names() == count), pictures.inner_text()

    field(page, "Script (drafted from the idea, or your own: used as it is)").fill(SCRIPT)
    field(page, "Length in seconds (5-600)").fill("10")
    page.get_by_role("button", name="Make it all").click()
    status = field(page, "Status").first
    assert eventually(lambda: "Done:" in status.input_value(), 120), status.input_value()
    mixed = newest(studio, "story")
    assert mixed.params["step"] == "mix"

    page.get_by_label("360p (quick look)").check()
    page.locator("#film-render").click()
    film_status = page.locator("#film-status textarea")
    assert eventually(lambda: "Done:" in film_status.input_value(), 90), film_status.input_value()
    assert "2 pictures" in film_status.input_value()
    filmed = newest(studio, "story")
    assert filmed.params["step"] == "film" and filmed.params["mix_entry"] == mixed.id
    seconds = sf.info(mixed.file("story.wav")).duration

    shown = page.locator("#film-video video")
    shown.wait_for(timeout=10_000)
    played = shown.evaluate(PLAY)
    assert played["error"] is None, played
    assert abs(played["duration"] - seconds) <= 0.2, played
    assert played["played"] >= 0.5 and (played["width"], played["height"]) == (640, 360), played

    page.get_by_role("tab", name="History").click()
    page.locator("#history-gallery img").first.click()  # the film: its poster is the thumbnail
    in_history = page.locator("#history-video video")
    in_history.wait_for(timeout=10_000)
    again = in_history.evaluate(PLAY)
    assert again["error"] is None and abs(again["duration"] - seconds) <= 0.2, again
