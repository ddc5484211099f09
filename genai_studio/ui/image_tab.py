"""Image tab: one gr.Tab holding a sub-tab per image task (inpaint, colorize, style...).

Each sub-tab module has `build(ctx, parent: SubTabs) -> TabHandle | None` (None: its task
has no model configured, so it builds nothing) and is listed, one line each, in SUBTABS.
The helpers here are what every image sub-tab shares: image inputs that check uploads
with the studio's own messages (CheckedImage, CheckedImageEditor), the controls and wiring
of a run (model list, Run/Stop, before/after slider, example photos), and streaming a
backend's run into that slider, saving the result as a PNG (parameters embedded) in
History, which is also the file users download.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import gradio as gr
import numpy as np
from gradio import image_utils
from PIL import Image

from genai_studio import images
from genai_studio.backends.base import Progress, Result
from genai_studio.errors import InvalidInput
from genai_studio.history import Entry
from genai_studio.owners import Owner
from genai_studio.ui import send_to
from genai_studio.ui.common import HEAVY, ResultSlot, StudioContext, TabHandle, model_choices, strings, tr

TAB_ID = "image"
RESULT_FILE = "result.png"

# One line per sub-tab, in display order.
SUBTABS: list[str] = [
    "genai_studio.ui.image_inpaint",
    "genai_studio.ui.image_colorize",
    "genai_studio.ui.image_style",
    "genai_studio.ui.image_generate",
    "genai_studio.ui.image_upscale",
    "genai_studio.ui.image_restore",
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

    def handle(
        self,
        subtab_id: str,
        tasks: tuple[str, ...],
        controls: dict[str, Any],
        image_input: gr.components.Component | None,
        result: ResultSlot,
    ) -> TabHandle:
        """The sub-tab's handle: an image sent here lands in `image_input` (None: it takes none);
        `result` is its PNG, sent on to the other sub-tabs."""
        return TabHandle(
            tab_id=self.tab_id,
            tasks=tasks,
            controls=controls,
            subtab=(self.tabs, subtab_id),
            receivers={"image": image_input} if image_input is not None else {},
            results={"image": result},
        )


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


def paint_editor(label: str, brush: gr.Brush, eraser_size: int) -> CheckedImageEditor:
    """The photo to paint on: one brush layer, no crop or rotate, sent as lossless PNG so the
    painted colours and every untouched pixel arrive exactly as they were; a mask layer set by
    the server lines up with the photo whatever its size."""
    return CheckedImageEditor(
        label=label,
        type="filepath",
        format="png",
        brush=brush,
        eraser=gr.Eraser(default_size=eraser_size),
        layers=False,
        transforms=(),
        sources=("upload", "clipboard"),
        height=520,
        # the editor places a layer the server sends centred in the largest it has drawn, its
        # starting canvas included: at the default 800x800 a smaller photo's damage mask was
        # shown shifted. No photo is smaller than this one, so layers land where they belong.
        canvas_size=(images.MIN_SIDE, images.MIN_SIDE),
    )


def save_result(
    ctx: StudioContext,
    owner: Owner,
    task: str,
    model: str,
    params: dict[str, Any],
    result: Image.Image | np.ndarray,
    summary: str,
    extra_files: dict[str, bytes] | None = None,
) -> tuple[Entry, Path]:
    """Store `result` in `owner`'s History as a PNG carrying `params`; returns the entry and
    the PNG's delivered path (serve that for download: Gradio would re-encode an image
    output as WebP)."""
    png = images.png_bytes(result, {"task": task, "model": model, **params})
    files = {RESULT_FILE: png, **(extra_files or {})}
    entry = ctx.history.save(owner, task, model, params, summary, files=files)
    return entry, ctx.deliver(owner, entry, RESULT_FILE)


def editor_parts(editor: Any) -> tuple[Any, list[Any]]:
    """(background, brush layers) from a gr.ImageEditor value (a dict), or a plain image."""
    if isinstance(editor, dict):
        return editor.get("background"), list(editor.get("layers") or [])
    return editor, []


def preview_pair(before: np.ndarray, partial: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(before, partial) at the partial's size, so a small step preview lines up in the slider."""
    if before.shape[:2] != partial.shape[:2]:
        before = cv2.resize(before, partial.shape[1::-1], interpolation=cv2.INTER_AREA)
    return before, partial


def stream_before_after(
    ctx: StudioContext,
    owner: Owner,
    task: str,
    model: str,
    request: Any,
    before: np.ndarray,
    summary: Callable[[dict[str, Any]], str],
    extra_files: Callable[[], dict[str, bytes]],
    extra_params: dict[str, Any] | None = None,
) -> Generator[tuple[Any, Any, str], None, tuple[np.ndarray, str] | None]:
    """Run `request` on `model`, streaming (slider, download, status) updates: step previews
    beside `before`, then the result saved in `owner`'s History with `before` and `extra_files()`.
    `summary` makes the History line from the result's params (`extra_params` added to them).
    Returns (the result, its PNG's delivered path) for a pipeline's next step, or None if none came."""
    output = None
    for item in ctx.manager.for_owner(owner).run(model, request):
        if isinstance(item, Progress):
            slider = preview_pair(before, item.partial) if isinstance(item.partial, np.ndarray) else gr.skip()
            yield slider, gr.skip(), item.message
        elif isinstance(item, Result):
            params = {**(extra_params or {}), **item.params, "model": model}
            extra = {"input.png": images.png_bytes(before), **extra_files()}
            _, path = save_result(ctx, owner, task, model, params, item.output, summary(params), extra)
            yield (before, item.output), path, item.info or "Done."
            output = item.output, path
    return output


def model_dropdown(ctx: StudioContext, specs: Sequence[str]) -> gr.Dropdown:
    """The sub-tab's model list, the first configured model selected."""
    return gr.Dropdown(model_choices(ctx, specs), value=specs[0] if specs else None, label=tr("common.model"))


def run_controls(label: str) -> tuple[gr.Button, gr.Button, gr.Markdown]:
    """A row with the Run and Stop buttons, and the status line under it."""
    with gr.Row():
        run = gr.Button(label, variant="primary")
        stop = gr.Button(tr("common.stop"), variant="stop")
    return run, stop, gr.Markdown()


def before_after_outputs() -> tuple[gr.ImageSlider, gr.File, ResultSlot]:
    """A row with the before/after slider and the result's PNG download, then the PNG's Send-to row."""
    with gr.Row():
        slider = gr.ImageSlider(label=tr("image.before_after"), type="numpy", max_height=640)
        download = gr.File(label=tr("image.download"), interactive=False)
    return slider, download, send_to.slot(download)


def photo_examples(paths: Sequence[Path], target: gr.components.Component, label: str) -> None:
    """Clickable example photos (named by file stem) that fill `target`; nothing if none."""
    if paths:
        gr.Examples(
            [[str(path)] for path in paths],
            inputs=[target],
            example_labels=[path.stem for path in paths],
            label=label,
        )


def wire_run(
    run: gr.Button,
    stop: gr.Button,
    fn: Callable[..., Any],
    inputs: list[Any],
    outputs: list[Any],
    api_name: str,
) -> None:
    """Run `fn` on the heavy queue (one model run at a time), Stop cancelling it."""
    on_run = run.click(
        fn,
        inputs=inputs,
        outputs=outputs,
        api_name=api_name,
        concurrency_id=HEAVY,
        show_progress="minimal",
    )
    stop.click(None, cancels=[on_run], api_visibility="private")


def build(ctx: StudioContext) -> list[TabHandle]:
    """The Image tab; returns one handle per sub-tab (History reuses their settings)."""
    modules = [importlib.import_module(name) for name in SUBTABS]
    with gr.Tab(tr("image.tab"), id=TAB_ID), gr.Tabs() as tabs:
        parent = SubTabs(tabs)
        built = [module.build(ctx, parent) for module in modules]
    return [handle for handle in built if handle is not None]
