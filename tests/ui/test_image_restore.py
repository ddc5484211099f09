"""The Restore sub-tab driven through gradio_client and a real browser against the launched
studio: find the damage, correct it, restore (and upscale), every step in its owner's History,
Stop, bad inputs."""

from __future__ import annotations

import io
import re
import time

import cv2
import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from bench.damage_synth import damage, square_photo
from bench.restore import TOLERANCE, precision_recall
from genai_studio import images
from genai_studio.config import Settings
from genai_studio.history import History
from genai_studio.owners import Owner
from tests.backends.test_upscale_embedded import skip_without_upscaler
from tests.conftest import free_port, running_studio
from tests.e2e.test_browser import browser, open_studio  # noqa: F401 - the shared browser fixture
from tests.ui.test_text_tab import OUT_OF_BOUNDS
from tests.unit.test_images import png_header_only

FIND, RESTORE = "/find_damage", "/restore_photo"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("restore-inputs")
    aged = damage(square_photo("chelsea", 384), ("scratches", "dust", "tears"), seed=6)
    grey = np.repeat(aged.image.mean(axis=2, keepdims=True).astype(np.uint8), 3, axis=2)
    Image.fromarray(grey).save(folder / "old.png")
    Image.fromarray(square_photo("coffee", 256)).save(folder / "reference.png")
    hole = np.zeros((384, 384), np.uint8)
    hole[80:300, 60:330] = 255  # a large hole: PatchMatch takes a while, long enough to Stop
    Image.fromarray(hole).save(folder / "hole.png")
    (folder / "empty.png").write_bytes(b"")
    (folder / "fake.png").write_bytes(b"this is not a picture at all" * 20)
    (folder / "bomb.png").write_bytes(png_header_only(20000, 20000))
    Image.new("RGB", (1, 1)).save(folder / "dot.png")
    Image.fromarray(grey[100:196, 140:236]).save(folder / "small.png")  # 96 x 96: one upscale tile
    Image.fromarray(grey[160:208, 92:292]).save(folder / "strip.png")  # 200 x 48: two upscale tiles
    Image.fromarray(np.pad(hole[80:110, 60:110], ((30, 36), (20, 26)))).save(folder / "small_hole.png")
    return {"dir": folder, "truth": aged.mask, "photo": grey}


def editor(path, layers=()):
    return {
        "background": handle_file(str(path)),
        "layers": [handle_file(str(p)) for p in layers],
        "composite": None,
    }


def local(file) -> str:
    """The downloaded path of an image the server returned (a path, or a file dict)."""
    return file["path"] if isinstance(file, dict) else file


def returned(value):
    """An editor value as the server returned it, sent back as the next input."""
    return editor(local(value["background"]), [local(layer) for layer in value["layers"]])


def restore(client, editor_value, mask=None, colour="none", reference=None, method="auto", upscale="none"):
    return client.submit(
        editor_value,
        None if mask is None else handle_file(str(mask)),
        "classic-inpaint",
        method,
        colour,
        "classic-colorize",
        None,
        None if reference is None else handle_file(str(reference)),
        upscale,
        "esrgan",
        api_name=RESTORE,
    )


def entries(studio, since: float):
    return [
        e
        for e in History(studio.settings.history_dir).entries(Owner.local())
        if e.task == "restore" and e.created >= since
    ]


def test_find_damage_then_restore_saves_every_step(studio, files):
    folder, started = files["dir"], time.time()
    painted, for_hints, status, mask_file = studio.client.predict(
        editor(folder / "old.png"), 0.5, api_name=FIND
    )
    assert status.startswith("Found damage on") and for_hints["layers"] == []
    layer = np.asarray(Image.open(local(painted["layers"][0])).convert("RGBA"))
    found = layer[:, :, 3] > 0
    assert np.array_equal(np.asarray(Image.open(local(mask_file)).convert("L")) > 127, found)
    precision, recall = precision_recall(found, files["truth"], TOLERANCE)
    assert precision > 0.4 and recall > 0.6, (precision, recall)

    job = restore(studio.client, returned(painted), colour="reference", reference=folder / "reference.png")
    (before, after), png, status, steps = job.result()
    assert status == "Restored in 2 step(s)." and [s["caption"] for s in steps] == [
        "photo",
        "fill",
        "colorize",
    ]
    result = np.asarray(Image.open(png))
    assert Image.open(local(before)).size == Image.open(local(after)).size == (384, 384)  # photo vs final
    assert result.shape == files["photo"].shape and np.ptp(result.astype(int), axis=2).mean() > 5
    saved = {e.params["step"]: e for e in entries(studio, started)}
    assert set(saved) == {"detect", "fill", "colorize"}
    fill = saved["fill"]
    assert fill.params["colour_method"] == "reference"
    assert fill.params["restore_steps"] == ["fill", "colorize"]
    mask = np.asarray(Image.open(fill.file("mask.png"))) > 0
    assert np.array_equal(mask, found)  # the mask filled is the one shown
    filled = np.asarray(Image.open(fill.file("result.png")))
    assert np.array_equal(filled[~mask], files["photo"][~mask])
    assert images.read_png_params(png)["step"] == "colorize"
    assert np.array_equal(np.asarray(Image.open(saved["colorize"].file("input.png"))), filled)


def test_an_uploaded_mask_is_restored_without_finding(studio, files):
    folder = files["dir"]
    _, png, status, steps = restore(studio.client, editor(folder / "old.png"), folder / "hole.png").result()
    assert status == "Restored in 1 step(s)." and len(steps) == 2
    assert Image.open(png).size == (384, 384)


def test_stop_during_the_fill_starts_no_further_step(studio, files):
    """A running step ends (an OpenCV or PatchMatch call is not interrupted, and what it made
    is kept in History); the colorize step after it never starts."""
    folder, started = files["dir"], time.time()
    client = Client(studio.url, verbose=False, httpx_kwargs={"timeout": 60})  # the fill keeps both cores busy
    job = restore(
        client, editor(folder / "old.png"), folder / "hole.png", "reference", folder / "reference.png"
    )
    stop_once_shown(job, "patchmatch", seconds=60)
    time.sleep(3.0)  # a colorize step would be saved within a second
    assert {e.params["step"] for e in entries(studio, started)} <= {"fill"}
    assert not any("Colorized" in str(out[2]) or "Restored" in str(out[2]) for out in job.outputs())
    quick = restore(client, editor(folder / "old.png"), folder / "hole.png", method="telea")
    assert quick.result(timeout=60)[2] == "Restored in 1 step(s)."  # Stop freed the worker


@pytest.fixture(scope="module")
def upscaler(studio):
    skip_without_upscaler(studio.settings.cache_dir)


def test_the_upscale_step_is_saved_in_its_owners_history_only(files, upscaler, tmp_path):
    """On a shared bind each API session is its own owner: the steps of one are not the other's."""
    folder = files["dir"]
    with running_studio(Settings(port=free_port(), output_dir=tmp_path, host="0.0.0.0")) as shared:
        mine, theirs = shared.new_client(), shared.new_client(download_files=False)
        small = editor(folder / "small.png")
        job = restore(mine, small, folder / "small_hole.png", method="telea", upscale="x2")
        (before, after), png, status, steps = job.result(timeout=300)
        assert status == "Restored in 2 step(s)."
        assert [s["caption"] for s in steps] == ["photo", "fill", "upscale"]
        assert any("Tile 1/1" in str(out[2]) for out in job.outputs()[:-1])  # progress per tile
        assert Image.open(local(before)).size == (96, 96) and Image.open(png).size == (192, 192)
        assert np.asarray(Image.open(local(after)).convert("RGB")).shape == (192, 192, 3)
        params = images.read_png_params(png)
        assert params["step"] == "upscale" and params["upscale"] == "x2" and params["scale"] == 2
        assert params["restore_steps"] == ["fill", "upscale"] and params["model"] == "esrgan"
        listed = mine.predict("restore", 1, api_name="/list_history")["entries"]
        assert [e["summary"] for e in listed] == ["upscale: x2", "fill: telea"]  # newest first
        assert theirs.predict("all", 1, api_name="/list_history")["total"] == 0
        with pytest.raises(Exception, match="no such result among yours"):
            theirs.predict(listed[0]["id"], api_name="/get_result")


def test_stop_during_the_upscale_saves_nothing_more(studio, files, upscaler):
    """Stop after the first of two tiles: the upscale ends without a result in History."""
    folder, started = files["dir"], time.time()
    client = Client(studio.url, verbose=False, httpx_kwargs={"timeout": 60})
    job = restore(client, editor(folder / "strip.png"), upscale="x2")
    stop_once_shown(job, "Tile 1/2", seconds=120)
    time.sleep(2.0)  # the second tile, started before Stop, ends unsaved
    assert entries(studio, started) == []
    assert not any("Tile 2/2" in str(out[2]) or "Restored" in str(out[2]) for out in job.outputs())
    quick = restore(client, editor(folder / "old.png"), folder / "hole.png", method="telea")
    assert quick.result(timeout=60)[2] == "Restored in 1 step(s)."  # Stop freed the worker


@pytest.mark.parametrize(
    ("background", "message"),
    [
        ("empty.png", "empty file"),
        ("fake.png", "not an image"),
        ("bomb.png", "too large"),
        ("dot.png", "too small: 1x1"),
    ],
)
def test_bad_photos_get_a_clear_message_and_the_server_keeps_serving(studio, files, background, message):
    folder = files["dir"]
    with pytest.raises(Exception, match=message):
        studio.client.predict(editor(folder / background), 0.5, api_name=FIND)
    with pytest.raises(Exception, match=message):
        restore(studio.client, editor(folder / background), folder / "hole.png").result()
    assert studio.client.predict(editor(folder / "old.png"), 0.5, api_name=FIND)[2].startswith("Found")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "Nothing to restore"),
        ({"colour": "hints"}, "No colour hints"),
        ({"colour": "reference"}, "No reference photo"),
        ({"colour": "sepia"}, r"Colorize must be one of|not in the list"),
        ({"upscale": "x8"}, r"Upscale must be one of|not in the list"),
    ],
)
def test_bad_choices_are_refused_before_anything_runs(studio, files, kwargs, message):
    with pytest.raises(Exception, match=message):
        restore(studio.client, editor(files["dir"] / "old.png"), **kwargs).result()


@pytest.mark.parametrize("value", [7, -1])
def test_bad_sensitivity_is_refused(studio, files, value):
    with pytest.raises(Exception, match=rf"{OUT_OF_BOUNDS}|Sensitivity must be"):
        studio.client.predict(editor(files["dir"] / "old.png"), value, api_name=FIND)


def open_restore(browser, studio):  # noqa: F811
    page = open_studio(browser, studio, "en-US")
    page.get_by_role("tab", name="Image").click()
    page.get_by_role("tab", name="Restore").click()
    return page


def find_in_browser(page) -> None:
    page.locator("canvas").filter(visible=True).first.wait_for(timeout=30_000)
    page.wait_for_timeout(2000)  # the photo reaches the editor's value after it is drawn
    page.get_by_role("button", name="Find damage").click()
    page.get_by_text(re.compile(r"Found damage on")).wait_for(timeout=60_000)
    page.wait_for_timeout(1000)  # the damage layer is drawn after the message


def stop_once_shown(job, words: str, seconds: float) -> None:
    """Press Stop as soon as the status says `words` (or after `seconds`); the job then ends
    within a minute."""
    deadline = time.monotonic() + seconds
    while not any(words in str(out[2]) for out in job.outputs()) and time.monotonic() < deadline:
        time.sleep(0.02)
    job.cancel()
    stopped_at = time.monotonic()
    while not job.done() and time.monotonic() - stopped_at < 60:
        time.sleep(0.05)
    assert job.done()


def magenta_on_screen(page, seconds: float = 20) -> np.ndarray:
    """The screen's magenta pixels once the damage layer is drawn (it comes some time after the
    message, later on a busy machine): the first screenshot with more than the brush button's."""
    deadline = time.monotonic() + seconds
    while True:
        shot = np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB")).astype(int)
        magenta = (shot[:, :, 0] > 160) & (shot[:, :, 1] < 110) & (shot[:, :, 2] > 160)
        if magenta.sum() > 1000 or time.monotonic() > deadline:
            return magenta
        page.wait_for_timeout(250)


def photo_on_screen(page, width: int, height: int) -> tuple[float, float, float]:
    """(left, top, zoom): where the editor's canvas shows photo pixel (0, 0), and its zoom
    (the editor centres the photo at the zoom it shows)."""
    canvas = page.locator("canvas").filter(visible=True).first.bounding_box()
    zoom = page.get_by_text(re.compile(r"^\d+%$")).filter(visible=True).first.inner_text()
    scale = int(zoom.rstrip("%")) / 100
    return (
        canvas["x"] + (canvas["width"] - width * scale) / 2,
        canvas["y"] + (canvas["height"] - height * scale) / 2,
        scale,
    )


def paint_row(page, size: tuple[int, int], x: int, y: int, length: int) -> None:
    """Paint a horizontal brush stroke over photo pixels (x..x+length, y)."""
    page.get_by_role("button", name="Brush", exact=True).first.click()
    left, top, scale = photo_on_screen(page, *size)
    page.mouse.move(left + x * scale, top + y * scale)
    page.mouse.down()
    for step in range(21):
        page.mouse.move(left + (x + length * step / 20) * scale, top + y * scale, steps=2)
    page.mouse.up()


def restore_in_browser(page, studio, started: float) -> tuple[np.ndarray, np.ndarray]:
    """Press Restore; (the damage found, the mask filled) as History saved them."""
    page.get_by_role("button", name="Restore", exact=True).click()
    page.get_by_text(re.compile(r"Restored in 1 step")).wait_for(timeout=90_000)
    saved = {e.params["step"]: e for e in entries(studio, started)}
    found = np.asarray(Image.open(saved["detect"].file("mask.png"))) > 0
    return found, np.asarray(Image.open(saved["fill"].file("mask.png"))) > 0


def near(mask: np.ndarray, pixels: int) -> np.ndarray:
    return cv2.dilate(mask.astype(np.uint8), np.ones((2 * pixels + 1,) * 2, np.uint8)) > 0


@pytest.mark.browser
def test_find_correct_and_restore_in_a_browser(browser, studio, files):  # noqa: F811
    """Pick the example photo, Find damage, paint one more stroke with the brush, Restore."""
    started = time.time()
    page = open_restore(browser, studio)
    page.get_by_text("camera_damaged").first.click()
    find_in_browser(page)
    paint_row(page, (512, 512), 60, 40, 120)
    found, filled = restore_in_browser(page, studio, started)
    assert filled[36:44, 70:170].mean() > 0.5, "the painted stroke is part of the mask filled"
    assert (filled & found).sum() > 0.9 * found.sum(), "and so is the damage found"
    stroke = np.zeros_like(found)
    stroke[30:50, 50:190] = True
    assert not (filled & ~near(found | stroke, 3)).any(), "and nothing else"


@pytest.mark.browser
def test_the_damage_shown_lies_on_the_photo_whatever_its_size(browser, studio, tmp_path):  # noqa: F811
    """An upload of 640x400: the magenta overlay is drawn over the damage found, not shifted
    (the editor once centred it in its 800x800 starting canvas), and a correction painted
    on it fills only what it covers."""
    aged = damage(square_photo("camera", 640), ("scratches", "tears"), seed=5)
    photo = np.ascontiguousarray(aged.image[120:520])  # camera is grey: no magenta of its own
    Image.fromarray(photo).save(tmp_path / "wide.png")
    started = time.time()
    page = open_restore(browser, studio)
    editor_block = page.locator(".block").filter(has_text="Photo: damage in magenta").last
    editor_block.locator("input[type=file]").first.set_input_files(str(tmp_path / "wide.png"))
    editor_block.get_by_text("Upload an image").wait_for(state="hidden", timeout=30_000)
    find_in_browser(page)
    magenta = magenta_on_screen(page)
    left, top, scale = photo_on_screen(page, 640, 400)
    box = (slice(round(top), round(top + 400 * scale)), slice(round(left), round(left + 640 * scale)))
    canvas = page.locator("canvas").filter(visible=True).first.bounding_box()
    inside_canvas = np.zeros_like(magenta)
    inside_canvas[
        round(canvas["y"]) : round(canvas["y"] + canvas["height"]),
        round(canvas["x"]) : round(canvas["x"] + canvas["width"]),
    ] = True
    inside_canvas[box] = False
    beside = (magenta & inside_canvas).sum()  # the toolbar's brush colour button is magenta too
    assert beside < 300, f"{beside} magenta pixels beside the photo: the damage is drawn shifted"
    paint_row(page, (640, 400), 300, 200, 100)
    found, filled = restore_in_browser(page, studio, started)
    ys, xs = np.nonzero(found)
    on_screen = magenta[np.rint(top + ys * scale).astype(int), np.rint(left + xs * scale).astype(int)]
    assert on_screen.mean() > 0.6, "the damage found is magenta where it lies on the photo"
    stroke = np.zeros_like(found)
    stroke[190:211, 290:411] = True
    assert filled[197:204, 310:390].mean() > 0.5, "the painted stroke is filled"
    assert not (filled & ~near(found | stroke, 3)).any(), "and nothing the user did not see marked"
