"""The Style sub-tab through gradio_client against the launched studio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image
from skimage import data

from genai_studio import images
from genai_studio.history import History
from genai_studio.owners import Owner

ENDPOINT = "/stylize_photo"
STYLES = Path(__file__).resolve().parents[2] / "assets" / "images" / "reference" / "styles"


@pytest.fixture(scope="module")
def content(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("style-ui") / "cat.jpg"
    Image.fromarray(data.chelsea()).save(path, quality=95)
    return path


def args(
    content_path,
    style=None,
    look="style-image",
    strength=1.0,
    keep=False,
    work_side=256,
    model="classic-style",
):
    style_file = handle_file(str(style)) if style else None
    return [handle_file(str(content_path)), style_file, look, model, strength, keep, work_side]


TAIL = ["", "", 20, 5.0, 0.8, 7]  # prompt, negative prompt, steps, guidance, style weight, seed


def test_style_image_streams_previews_then_a_png_with_settings(studio, content):
    job = studio.client.submit(*args(content, STYLES / "swirling-strokes.jpg"), *TAIL, api_name=ENDPOINT)
    _, png_path, status = job.result(timeout=120)
    previews = [out for out in job.outputs()[:-1] if out[0]]
    assert len(previews) >= 3, "each synthesis step should stream a preview"
    assert "Styled (style-image)" in status
    result = np.asarray(Image.open(png_path).convert("RGB"))
    assert result.shape == data.chelsea().shape
    params = images.read_png_params(png_path)
    assert params["task"] == "style" and params["seed"] == 7 and params["work_side"] == 256
    entry = next(e for e in History(studio.settings.history_dir).entries(Owner.local()) if e.task == "style")
    assert {"result.png", "input.png", "style.png"} <= set(entry.files)


def test_learned_default_mixes_two_styles_at_full_size(studio, content):
    defaults = studio.client.view_api(return_format="dict", print_info=False)["named_endpoints"][ENDPOINT]
    model = next(p for p in defaults["parameters"] if p["parameter_name"] == "model")
    assert model["parameter_default"] == "neural-style"  # the learned network is the default
    second = handle_file(str(STYLES / "stained-glass.jpg"))
    _, png_path, status = studio.client.predict(
        *args(content, STYLES / "swirling-strokes.jpg", strength=0.8, model="neural-style"),
        *TAIL,
        second,  # the settings added after the original ones: style2, blend, full size, method
        0.3,
        True,
        "detail",
        api_name=ENDPOINT,
    )
    assert "Styled (style-image)" in status
    assert np.asarray(Image.open(png_path).convert("RGB")).shape == data.chelsea().shape
    params = images.read_png_params(png_path)
    assert params["model"] == "neural-style" and params["style_blend"] == 0.3
    assert params["full_size"] is True and params["full_size_method"] == "detail"
    entry = next(e for e in History(studio.settings.history_dir).entries(Owner.local()) if e.task == "style")
    assert {"result.png", "input.png", "style.png", "style2.png"} <= set(entry.files)


def test_quick_look_with_kept_colours(studio, content):
    _, png_path, status = studio.client.predict(
        *args(content, look="watercolour", strength=0.7, keep=True), *TAIL, api_name=ENDPOINT
    )
    params = images.read_png_params(png_path)
    assert params["look"] == "watercolour" and params["keep_colours"] is True and params["strength"] == 0.7
    assert "watercolour" in status


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"look": "style-image"}, "No style image"),
        ({"look": "glitter"}, "Look must be one of|not in the list"),
        ({"model": "sd-nothing"}, "Model must be one of|not in the list"),
        ({"look": "fixed-02"}, "needs the learned model"),  # classic-style has no fixed styles
    ],
)
def test_bad_requests_get_clear_messages(studio, content, change, message):
    with pytest.raises(AppError, match=message):
        studio.client.predict(*args(content, **change), *TAIL, api_name=ENDPOINT)


def test_a_disguised_style_file_gets_a_clear_message(studio, content, tmp_path):
    fake = tmp_path / "style.jpg"
    fake.write_bytes(b"<html>not a picture</html>" * 20)
    with pytest.raises(AppError, match="not an image"):
        studio.client.predict(*args(content, fake), *TAIL, api_name=ENDPOINT)
