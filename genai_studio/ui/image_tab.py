"""Image tab: one gr.Tab holding a sub-tab per image task (inpaint, colorize, style...).

Each sub-tab module has `build(ctx, parent: SubTabs) -> TabHandle | None` (None: its task
has no model configured, so it builds nothing) and is listed, one line each, in SUBTABS.
The helpers here are what every image sub-tab shares: image inputs that check uploads
with the studio's own messages (CheckedImage, CheckedImageEditor), and saving a result as
a PNG (parameters embedded) in History, which is also the file users download.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from gradio import image_utils
from PIL import Image

from genai_studio import images
from genai_studio.errors import InvalidInput
from genai_studio.history import Entry
from genai_studio.ui.common import StudioContext, TabHandle, strings, tr

TAB_ID = "image"
RESULT_FILE = "result.png"

# One line per sub-tab, in display order.
SUBTABS: list[str] = [
    "genai_studio.ui.image_inpaint",
    "genai_studio.ui.image_colorize",
    "genai_studio.ui.image_style",
    "genai_studio.ui.image_generate",
]

strings(
    {
        "image.tab": ("Image", "图像"),
        "image.before_after": ("Before / after", "处理前 / 处理后"),
        "image.download": ("Result as PNG (settings embedded)", "结果 PNG（内含设置）"),
        "image.status": ("Status", "状态"),
    }
)


@dataclass(frozen=True)
class SubTabs:
    """The Image tab's gr.Tabs, handed to each sub-tab so History can select it."""

    tabs: gr.Tabs
    tab_id: str = TAB_ID

    def handle(self, subtab_id: str, tasks: tuple[str, ...], controls: dict[str, Any]) -> TabHandle:
        return TabHandle(tab_id=self.tab_id, tasks=tasks, controls=controls, subtab=(self.tabs, subtab_id))


def _open_upload(file: Any, field: str) -> Image.Image | None:
    """Decode an upload with the studio's checks before Gradio does, so a damaged, disguised
    or oversized file gets a clear message instead of a generic processing error."""
    source = getattr(file, "path", file)
    if source is None:
        return None
    try:
        return images.open_image(source, field=field)
    except InvalidInput as exc:
        raise gr.Error(str(exc), print_exception=False) from None


class CheckedImageEditor(gr.ImageEditor):
    """gr.ImageEditor whose background and layers are decoded by `images.open_image`: clear
    messages for bad files, the EXIF rotation applied (as the browser shows the photo),
    16-bit and CMYK converted as `images.to_rgb` documents, and passed on as lossless PNG."""

    is_template = True  # the browser shows a plain ImageEditor

    def convert_and_format_image(self, file: Any, flatten_on_white: bool = False) -> Any:
        image = _open_upload(file, "The image")
        if image is None:
            return None
        image = images.to_rgb(image) if flatten_on_white else image.convert("RGBA")  # layers keep alpha
        return image_utils.format_image(image, self.type, self.GRADIO_CACHE, name="image", format="png")


class CheckedImage(gr.Image):
    """gr.Image whose upload is checked by `images.open_image`; with type="filepath" the
    original file is passed on untouched (so `images.load_image` handles alpha, EXIF, 16-bit)."""

    is_template = True

    def preprocess(self, payload: Any) -> Any:
        if payload is None:
            return None
        _open_upload(payload, "The uploaded image")
        if self.type == "filepath" and payload.path and not (payload.url or "").startswith("data:"):
            return str(payload.path)
        return super().preprocess(payload)


def save_result(
    ctx: StudioContext,
    task: str,
    model: str,
    params: dict[str, Any],
    result: Image.Image | np.ndarray,
    summary: str,
    extra_files: dict[str, bytes] | None = None,
) -> tuple[Entry, Path]:
    """Store `result` in History as a PNG carrying `params`; returns the entry and the PNG's
    path (serve that path for download: Gradio would re-encode an image output as WebP)."""
    png = images.png_bytes(result, {"task": task, "model": model, **params})
    entry = ctx.history.save(task, model, params, summary, files={RESULT_FILE: png, **(extra_files or {})})
    return entry, entry.file(RESULT_FILE)


def build(ctx: StudioContext) -> list[TabHandle]:
    """The Image tab; returns one handle per sub-tab (History reuses their settings)."""
    modules = [importlib.import_module(name) for name in SUBTABS]
    with gr.Tab(tr("image.tab"), id=TAB_ID), gr.Tabs() as tabs:
        parent = SubTabs(tabs)
        built = [module.build(ctx, parent) for module in modules]
    return [handle for handle in built if handle is not None]
