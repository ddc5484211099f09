"""The Inpaint sub-tab driven through gradio_client against the launched studio."""

from __future__ import annotations

import re

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image
from skimage import data

from genai_studio import images
from genai_studio.config import Settings
from genai_studio.history import History
from genai_studio.owners import Owner
from tests.conftest import free_port, running_studio
from tests.e2e.test_browser import browser, open_studio  # noqa: F401 - the shared browser fixture
from tests.unit.test_images import png_header_only

API = "/inpaint_image"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inpaint-inputs")
    photo = data.coffee()  # 400x600, not square
    Image.fromarray(photo).save(folder / "photo.png")
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[150:230, 250:350] = 255
    Image.fromarray(mask).save(folder / "mask.png")
    layer = np.zeros((*photo.shape[:2], 4), np.uint8)  # a brush layer: painted = opaque
    layer[100:104, 50:550] = (255, 255, 255, 255)
    Image.fromarray(layer, "RGBA").save(folder / "layer.png")
    (folder / "empty.png").write_bytes(b"")
    (folder / "fake.png").write_bytes(b"this is not a picture at all" * 20)
    (folder / "bomb.png").write_bytes(png_header_only(20000, 20000))
    Image.new("RGB", (1, 1)).save(folder / "dot.png")
    Image.new("L", (300, 300), 255).save(folder / "square.png")
    rotated = Image.fromarray(photo)  # stored 600x400, shown (EXIF "rotate 90 CW") as 400x600
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated.save(folder / "rotated.jpg", quality=95, exif=exif.tobytes())
    Image.fromarray(np.ascontiguousarray(np.rot90(mask, -1))).save(folder / "rotated_mask.png")
    grey16 = (np.asarray(Image.fromarray(photo).convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    Image.fromarray(grey16).save(folder / "grey16.png")
    Image.fromarray(photo).convert("CMYK").save(folder / "cmyk.jpg", quality=95)
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    rgba[:50, :50, 3] = 0  # a transparent corner: composited over white
    Image.fromarray(rgba, "RGBA").save(folder / "rgba.png")
    return {"photo": photo, "mask": mask, "dir": folder}


def studio_history(studio):
    return History(studio.settings.history_dir).entries(Owner.local())


def editor(path, layers=()):
    layer_files = [handle_file(str(p)) for p in layers]
    return {"background": handle_file(str(path)), "layers": layer_files, "composite": None}


def call(client, editor_value, mask=None, method="auto", seed=7):
    return client.predict(
        editor_value,
        None if mask is None else handle_file(str(mask)),
        "classic-inpaint",
        method,
        "",
        "",
        25,
        7.5,
        1.0,
        seed,
        api_name=API,
    )


def test_fill_with_an_uploaded_mask_returns_a_png_with_settings(studio, files):
    folder = files["dir"]
    (before, after), png, status = call(studio.client, editor(folder / "photo.png"), folder / "mask.png")
    result = np.asarray(Image.open(png))
    assert png.endswith(".png") and result.shape == files["photo"].shape  # the photo's own size
    hole = files["mask"] > 0
    assert np.array_equal(result[~hole], files["photo"][~hole])
    params = images.read_png_params(png)
    assert params["method"] == "patchmatch" and params["seed"] == 7 and params["model"] == "classic-inpaint"
    assert "patchmatch" in status and before and after
    history = studio.client.predict("inpaint", 1, api_name="/list_history")
    assert history["entries"] and all(entry["task"] == "inpaint" for entry in history["entries"])


def test_brush_layers_make_the_mask(studio, files):
    folder = files["dir"]
    _, png, status = call(studio.client, editor(folder / "photo.png", [folder / "layer.png"]), method="auto")
    assert "patchmatch" in status  # a 4-pixel stroke on a 600 px photo: filled at full size
    assert images.read_png_params(png)["masked_share"] > 0


@pytest.mark.parametrize(
    ("background", "mask", "message"),
    [
        ("photo.png", None, "mask is empty"),
        ("empty.png", "mask.png", "empty file"),
        ("fake.png", "mask.png", "not an image"),
        ("bomb.png", "mask.png", "too large"),
        ("dot.png", None, "too small: 1x1"),
        ("photo.png", "square.png", "same shape"),
    ],
)
def test_bad_input_gets_a_clear_message_and_server_keeps_serving(studio, files, background, mask, message):
    folder = files["dir"]
    with pytest.raises(Exception, match=message):
        call(studio.client, editor(folder / background), None if mask is None else folder / mask)
    _, png, _ = call(studio.client, editor(folder / "photo.png"), folder / "mask.png", method="telea")
    assert Image.open(png).size == (600, 400)


@pytest.mark.parametrize("name", ["grey16.png", "cmyk.jpg", "rgba.png"])
def test_unusual_photos_are_converted_to_rgb(studio, files, name):
    folder = files["dir"]
    _, png, _ = call(studio.client, editor(folder / name), folder / "mask.png", method="telea")
    result = np.asarray(Image.open(png))
    assert result.shape == files["photo"].shape
    if name == "grey16.png":  # scaled from 16 bits, not clipped to white
        assert 60 < result.mean() < 200 and np.ptp(result[..., 0]) > 150
    elif name == "rgba.png":
        assert result[:50, :50].min() == 255
        assert np.array_equal(result[300:, :200], files["photo"][300:, :200])
    else:
        assert np.abs(result[300:].astype(int) - files["photo"][300:]).mean() < 12


def test_exif_rotated_photo_is_filled_as_shown(studio, files):
    folder = files["dir"]
    photo, mask = editor(folder / "rotated.jpg"), folder / "rotated_mask.png"
    _, png, _ = call(studio.client, photo, mask, method="telea")
    assert Image.open(png).size == (400, 600)


@pytest.mark.browser
def test_painting_with_the_brush_in_a_browser_fills_the_stroke(browser, studio):  # noqa: F811
    """Pick the example photo, drop its mask, paint over the spoon with the brush, Fill."""
    page = open_studio(browser, studio, "en-US")
    page.get_by_role("tab", name="Image").click()
    page.get_by_role("tab", name="Inpaint").click()
    page.locator("tr.tr-body").first.click()  # the coffee photo and its spoon mask
    page.get_by_role("button", name="Or upload a mask").click()
    page.get_by_role("button", name="Remove Image").click()
    page.get_by_role("button", name="Brush", exact=True).click()
    canvas = page.locator("canvas").first.bounding_box()
    scale = min(canvas["width"] / 600, canvas["height"] / 400)  # the photo is 600x400, centred
    left = canvas["x"] + (canvas["width"] - 600 * scale) / 2
    top = canvas["y"] + (canvas["height"] - 400 * scale) / 2
    page.mouse.move(left + 340 * scale, top + 260 * scale)
    page.mouse.down()
    for step in range(20):
        page.mouse.move(left + (340 + 3 * step) * scale, top + (260 + 3 * step) * scale, steps=2)
    page.mouse.up()
    page.get_by_role("button", name="Fill", exact=True).click()
    page.get_by_text(re.compile(r"Filled with (patchmatch|telea)")).wait_for(timeout=60_000)
    entry = next(e for e in studio_history(studio) if e.task == "inpaint")
    mask = np.asarray(Image.open(entry.file("mask.png"))) > 0
    assert entry.params["width"] == 600 and mask[260:300, 340:400].mean() > 0.5 and mask.mean() < 0.1


@pytest.fixture(scope="module")
def sd_studio(tmp_path_factory):
    """A second studio whose first inpainting model is a tiny random SD pipeline on disk."""
    from tests.backends.tiny_diffusers import tiny_sd

    root = tmp_path_factory.mktemp("sd-studio")
    spec = f"sd-inpaint:{tiny_sd(root, inpaint=True)}"
    settings = Settings(port=free_port(), output_dir=root / "out", inpaint_models=(spec, "classic-inpaint"))
    with running_studio(settings) as studio:
        yield studio.client, spec


def test_diffusion_model_streams_previews_and_keeps_the_photo_outside_the_hole(sd_studio, files):
    client, spec = sd_studio
    folder = files["dir"]
    inputs = (editor(folder / "photo.png"), handle_file(str(folder / "mask.png")), spec, "auto")
    job = client.submit(*inputs, "a red apple", "", 2, 5.0, 1.0, 9, api_name=API)
    _, png, status = job.result()
    steps = [out for out in job.outputs() if str(out[2]).startswith("Step")]
    previews = [out for out in steps if isinstance(out[0], (list, tuple))]
    assert len(previews) >= 2 and all(out[0][1] for out in previews) and "Inpainted" in status
    result = np.asarray(Image.open(png))
    hole = files["mask"] > 0
    assert result.shape == files["photo"].shape and np.array_equal(result[~hole], files["photo"][~hole])
    assert images.read_png_params(png)["model"] == spec


def test_diffusion_model_accepts_a_full_mask(sd_studio, files):
    client, spec = sd_studio
    folder = files["dir"]
    Image.new("L", (600, 400), 255).save(folder / "full.png")
    inputs = (editor(folder / "photo.png"), handle_file(str(folder / "full.png")), spec, "auto")
    _, png, _ = client.predict(*inputs, "a beach", "", 2, 5.0, 1.0, 1, api_name=API)
    assert Image.open(png).size == (600, 400)
