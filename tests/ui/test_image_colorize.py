"""The Colorize sub-tab through gradio_client against the launched studio."""

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

ENDPOINT = "/colorize_photo"
REFERENCES = Path(__file__).resolve().parents[2] / "assets" / "images" / "reference"


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> tuple[Path, Path, np.ndarray]:
    """A black-and-white photo and a brush layer of hints sampled from its true colours."""
    folder = tmp_path_factory.mktemp("colorize-ui")
    truth = data.chelsea()
    grey_path = folder / "grey.png"
    Image.fromarray(truth).convert("L").save(grey_path)
    layer = np.zeros((*truth.shape[:2], 4), dtype=np.uint8)
    rng = np.random.default_rng(0)
    for y, x in zip(rng.integers(0, 300, 40), rng.integers(0, 451, 40), strict=True):
        layer[max(0, y - 2) : y + 3, max(0, x - 2) : x + 3] = (*truth[y, x], 255)
    layer_path = folder / "layer.png"
    Image.fromarray(layer, "RGBA").save(layer_path)
    return grey_path, layer_path, truth


def editor(background: Path, layers: list[Path]) -> dict:
    return {
        "background": handle_file(str(background)),
        "layers": [handle_file(str(path)) for path in layers],
        "composite": handle_file(str(background)),
    }


def args(editor_value, method="hints", reference=None, model="classic-colorize"):
    return [editor_value, method, reference, model, "", "", 20, 7.5, -1]


def test_hints_give_a_colour_png_with_settings_and_a_history_entry(studio, photo):
    grey_path, layer_path, truth = photo
    _, png_path, status = studio.client.predict(*args(editor(grey_path, [layer_path])), api_name=ENDPOINT)
    assert "Colorized from hints" in status
    result = np.asarray(Image.open(png_path).convert("RGB"))
    assert result.shape == truth.shape
    grey = np.asarray(Image.open(grey_path).convert("RGB"))
    assert np.abs(result.astype(int) - truth).mean() < np.abs(grey.astype(int) - truth).mean()
    params = images.read_png_params(png_path)
    assert params["task"] == "colorize" and params["method"] == "hints" and params["hint_colours"] > 5
    saved = History(studio.settings.history_dir).entries(Owner.local())
    entry = next(e for e in saved if e.task == "colorize")
    assert {"result.png", "input.png", "hints.png"} <= set(entry.files)


def test_reference_photo_from_the_shipped_examples(studio, photo):
    grey_path, _, truth = photo
    reference = handle_file(str(REFERENCES / "chelsea.jpg"))
    _, png_path, status = studio.client.predict(
        *args(editor(grey_path, []), method="reference", reference=reference), api_name=ENDPOINT
    )
    result = np.asarray(Image.open(png_path).convert("RGB"))
    assert "reference" in status and result.shape == truth.shape
    assert images.read_png_params(png_path)["reference_size"] == "451x300"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"layers": []}, "No colour hints"),
        ({"method": "reference"}, "No reference photo"),
        ({"model": "sd-nothing"}, "Model must be one of|not in the list"),
        ({"method": "paint-by-magic"}, "Method must be one of|not in the list"),
    ],
)
def test_bad_requests_get_clear_messages(studio, photo, change, message):
    grey_path, layer_path, _ = photo
    value = editor(grey_path, change.get("layers", [layer_path]))
    request = args(value, method=change.get("method", "hints"), model=change.get("model", "classic-colorize"))
    with pytest.raises(AppError, match=message):
        studio.client.predict(*request, api_name=ENDPOINT)


def test_corrupt_uploads_get_clear_messages_and_the_server_keeps_serving(studio, photo, tmp_path):
    grey_path, layer_path, _ = photo
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(AppError, match=r"damaged|not an image"):
        studio.client.predict(
            *args(editor(grey_path, []), "reference", handle_file(str(broken))), api_name=ENDPOINT
        )
    with pytest.raises(AppError, match=r"damaged|not an image"):
        studio.client.predict(*args(editor(broken, [])), api_name=ENDPOINT)
    _, png_path, _ = studio.client.predict(*args(editor(grey_path, [layer_path])), api_name=ENDPOINT)
    assert Path(png_path).stat().st_size > 0
