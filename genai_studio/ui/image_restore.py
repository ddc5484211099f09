"""Restore sub-tab: old photos in one place. Find the damage (scratches, dust, tears) as a
mask the user sees and corrects with the brush, then fill it with the studio's inpainting
and, if asked, colorize and upscale the result; each step is shown before/after and saved in
History."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from genai_studio import images
from genai_studio.backends.image.damage import detect_damage
from genai_studio.backends.image.inpaint_request import METHODS as FILL_METHODS
from genai_studio.pipelines.restore import COLOUR_METHODS, UPSCALES, RestorePlan, Step, build_restore_plan
from genai_studio.ui import image_inpaint  # noqa: F401 - registers the fill-method labels used here
from genai_studio.ui.common import HEAVY, StudioContext, TabHandle, model_choices, strings, tr, user_errors
from genai_studio.ui.image_colorize import HINT_COLOURS, REFERENCES
from genai_studio.ui.image_tab import (
    CheckedImage,
    SubTabs,
    before_after_outputs,
    editor_parts,
    paint_editor,
    photo_examples,
    run_controls,
    save_result,
    stream_before_after,
    wire_run,
)

TASK = "restore"
DETECTOR = "damage-detect"  # the model name History shows for the automatic mask
ASSETS = Path(__file__).resolve().parents[2] / "assets" / "images"
EXAMPLES = (
    ASSETS / "restore" / "camera_damaged.jpg",
    ASSETS / "restore" / "chelsea_damaged.jpg",
    ASSETS / "inpaint" / "astronaut_scratched.jpg",
)
MASK_COLOUR = "#ff00ff"  # the damage as painted on the photo: magenta, seldom in old photos
MASK_RGBA = (255, 0, 255, 170)  # the automatic mask: the same magenta, the photo showing through

strings(
    {
        "restore.tab": ("Restore", "修复"),
        "restore.intro": (
            "For scanned old photos. **Find damage** marks scratches, dust and tears in magenta: "
            "paint over what it missed, erase what is not damage, then **Restore** fills the marked "
            "areas and, if you choose, colorizes the photo (with colour hints or a reference photo) "
            "and enlarges it 2 or 4 times. Each step is saved in History with its before and after.",
            "用于扫描的老照片。**查找损伤**会用洋红色标出划痕、灰尘和撕裂：涂上遗漏的部分，擦掉不是损伤的部分，"
            "然后**修复**会填补标出的区域，并可按需上色（用颜色提示或参考照片）和放大 2 或 4 倍。"
            "每一步都会连同前后对比保存到历史中。",
        ),
        "restore.editor": (
            "Photo: damage in magenta (paint or erase to correct)",
            "照片：洋红色为损伤（可涂抹或擦除修正）",
        ),
        "restore.sensitivity": (
            "Sensitivity (higher finds fainter damage)",
            "灵敏度（越高越能发现细微损伤）",
        ),
        "restore.find": ("Find damage", "查找损伤"),
        "restore.fill_model": ("Fill model", "填补模型"),
        "restore.fill_method": ("Fill method", "填补方法"),
        "restore.colour_method": ("Colorize", "上色"),
        "restore.colour.none": ("No (keep the photo's colours)", "不上色（保持原有颜色）"),
        "restore.colour.hints": ("From colour hints", "按颜色提示"),
        "restore.colour.reference": ("From a reference photo", "按参考照片"),
        "restore.colour_model": ("Colorize model", "上色模型"),
        "restore.hints": ("Colour hints: paint colours on the photo", "颜色提示：在照片上涂色"),
        "restore.reference": ("Reference colour photo", "参考彩色照片"),
        "restore.references": ("Reference photos", "参考照片"),
        "restore.upscale": ("Upscale (last step)", "放大（最后一步）"),
        "restore.upscale.none": ("No (keep the photo's size)", "不放大（保持原尺寸）"),
        "restore.upscale_model": ("Upscale model", "放大模型"),
        "restore.run": ("Restore", "修复"),
        "restore.examples": ("Damaged photos", "受损照片"),
        "restore.steps": ("Every step", "每一步"),
    }
)


def _mask_layer(mask: np.ndarray) -> np.ndarray:
    """An RGBA brush layer showing `mask` (bool H, W) in magenta, transparent elsewhere."""
    layer = np.zeros((*mask.shape, 4), np.uint8)
    layer[mask] = MASK_RGBA
    return layer


def _overlay(photo: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The photo with `mask` painted over it, for History's after image."""
    alpha = MASK_RGBA[3] / 255
    out = photo.astype(np.float32)
    out[mask] = out[mask] * (1 - alpha) + np.array(MASK_RGBA[:3]) * alpha
    return np.rint(out).astype(np.uint8)


def _summary(step: Step, params: dict[str, Any]) -> str:
    """History's line for a step: its name and how it ran (the fill method, the scale)."""
    how = params.get("method") or (f"x{params['scale']}" if step.name == "upscale" else "")
    return f"{step.name}: {how}" if how else step.name


def _appended(stream: Generator[tuple, None, Any], *extra: Any) -> Generator[tuple, None, Any]:
    """`stream`'s updates with `extra` outputs added to each; returns what `stream` returns.
    Closing this closes `stream` (and so the job it runs)."""
    with closing(stream):
        try:
            while True:
                yield (*next(stream), *extra)
        except StopIteration as finished:
            return finished.value


def build(ctx: StudioContext, parent: SubTabs) -> TabHandle | None:
    fill_specs = ctx.settings.inpaint_models
    colour_specs = ctx.settings.colorize_models
    upscale_specs = ctx.settings.upscale_models
    if not fill_specs:  # nothing can mend the damage
        return None

    @user_errors
    def find_damage(
        request: gr.Request, editor: dict[str, Any] | None, sensitivity: float
    ) -> tuple[Any, Any, str, str]:
        """Find scratches, dust and tears on a scanned photo and mark them as a brush layer.

        Args:
            editor: the photo: {"background": image, "layers": [...], "composite": image}
                (earlier layers are replaced by the damage found).
            sensitivity: 0-1; higher finds fainter damage, and more that is not damage.
        Returns:
            the photo with the damage as its brush layer (magenta, correct it with the brush
            and the eraser), the same photo for painting colour hints on, a status line, and
            the damage as a mask image (white = damaged), which Restore adds to the layers.
        """
        owner = ctx.owner(request)
        background, _ = editor_parts(editor)
        photo = np.asarray(images.load_image(background, field="The photo"))
        found = detect_damage(photo, sensitivity)
        mask = found.mask
        params = {"step": "detect", **found.params(), "damage_share": round(float(mask.mean()), 4)}
        files = {
            "input.png": images.png_bytes(photo),
            "mask.png": images.png_bytes((mask * 255).astype(np.uint8)),
        }
        summary = f"damage found: {mask.mean():.1%} of the photo"
        entry, _ = save_result(ctx, owner, TASK, DETECTOR, params, _overlay(photo, mask), summary, files)
        shares = {kind: f"{getattr(found, kind).mean():.1%}" for kind in ("scratches", "dust", "tears")}
        painted = {"background": photo, "layers": [_mask_layer(mask)], "composite": None}
        for_hints = {"background": photo, "layers": [], "composite": None}
        message = (
            f"Found damage on {mask.mean():.1%} of the photo (scratches {shares['scratches']}, "
            f"dust {shares['dust']}, tears {shares['tears']}). Correct the mask, then Restore."
        )
        # the mask also goes to the mask upload: a browser drops a brush layer set by the server
        # once the user paints on it, and the damage found must not be lost with it
        return painted, for_hints, message, ctx.deliver(owner, entry, "mask.png")

    def step_files(plan: RestorePlan, step: Step) -> dict[str, bytes]:
        if step.name == "fill":
            return {"mask.png": images.png_bytes((plan.mask * 255).astype(np.uint8))}
        return {}

    @user_errors
    def restore_photo(
        request: gr.Request,
        editor: dict[str, Any] | None,
        mask: str | None,
        fill_model: str,
        fill_method: str,
        colour_method: str,
        colour_model: str | None,
        hints: dict[str, Any] | None,
        reference: str | None,
        upscale: str,
        upscale_model: str | None,
    ) -> Iterator[tuple[Any, Any, str, Any]]:
        """Restore an old photo: fill the marked damage, then colorize and upscale if asked.

        Args:
            editor: the photo with the damage painted on it (as `find_damage` returns it):
                {"background": image, "layers": [brush layers], "composite": image}.
            mask: an optional mask image, white where the photo is damaged; added to the layers.
            fill_model: an inpainting model spec from the list the server offers.
            fill_method: auto, telea, ns or patchmatch (classic models).
            colour_method: none, hints (colours painted on `hints`) or reference (colours of `reference`).
            colour_model: a colorization model spec from the list the server offers.
            hints: the photo with colour hints painted on it (method "hints").
            reference: a colour photo of a similar scene (method "reference").
            upscale: none, x2 or x4: enlarge the result as the last step (progress per tile).
            upscale_model: a super-resolution model spec from the list the server offers.
        Returns:
            (before, after) of the latest step, its result as a PNG with the settings embedded,
            a status line, and every step's result in order.
        """
        owner = ctx.owner(request)
        background, layers = editor_parts(editor)
        _, hint_layers = editor_parts(hints)
        plan = build_restore_plan(
            ctx.settings,
            image=background,
            mask_layers=layers,
            mask_upload=mask,
            fill_model=fill_model,
            fill_method=fill_method,
            colour_method=colour_method,
            colour_model=colour_model,
            hint_layers=hint_layers,
            reference=reference,
            upscale=upscale,
            upscale_model=upscale_model,
        )
        shown: list[tuple[np.ndarray, str]] = [(plan.image, "photo")]
        current = plan.image
        for number, step in enumerate(plan.steps, start=1):
            stream = stream_before_after(
                ctx,
                owner,
                TASK,
                step.model,
                step.request_for(current),
                current,
                lambda params, step=step: _summary(step, params),
                lambda step=step: step_files(plan, step),
                plan.params(step),
            )
            done = yield from _appended(stream, gr.skip())
            if done is None:  # the step ended without a result
                return
            current, path = done
            shown.append((current, step.name))
            status = f"Step {number} of {len(plan.steps)} ({step.name}) done."
            yield gr.skip(), gr.skip(), status, list(shown)
        yield (plan.image, current), path, f"Restored in {len(plan.steps)} step(s).", list(shown)

    with gr.Tab(tr("restore.tab"), id=TASK):
        gr.Markdown(tr("restore.intro"))
        with gr.Row():
            with gr.Column(scale=3):
                editor = paint_editor(
                    tr("restore.editor"),
                    gr.Brush(colors=[MASK_COLOUR], color_mode="fixed", default_size=10),
                    eraser_size=14,
                )
                photo_examples([path for path in EXAMPLES if path.is_file()], editor, tr("restore.examples"))
            with gr.Column(scale=2):
                sensitivity = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label=tr("restore.sensitivity"))
                find = gr.Button(tr("restore.find"), variant="secondary")
                with gr.Accordion(tr("inpaint.mask"), open=False):
                    mask = CheckedImage(
                        label=tr("inpaint.mask"),
                        show_label=False,
                        type="filepath",
                        sources=("upload",),
                        height=160,
                    )
                fill_model = gr.Dropdown(
                    model_choices(ctx, fill_specs), value=fill_specs[0], label=tr("restore.fill_model")
                )
                fill_method = gr.Radio(
                    [(tr(f"inpaint.method.{name}"), name) for name in FILL_METHODS],
                    value="auto",
                    label=tr("restore.fill_method"),
                )
                colour_method = gr.Radio(
                    [
                        (tr(f"restore.colour.{name}"), name)
                        for name in COLOUR_METHODS
                        if colour_specs or name == "none"
                    ],
                    value="none",
                    label=tr("restore.colour_method"),
                )
                colour_model = gr.Dropdown(
                    model_choices(ctx, colour_specs),
                    value=colour_specs[0] if colour_specs else None,
                    label=tr("restore.colour_model"),
                    visible=len(colour_specs) > 1,
                )
                with gr.Accordion(tr("restore.hints"), open=False):
                    hints = paint_editor(
                        tr("restore.hints"),
                        gr.Brush(colors=HINT_COLOURS, color_mode="defaults", default_size=12),
                        eraser_size=16,
                    )
                with gr.Accordion(tr("restore.reference"), open=False):
                    reference = CheckedImage(
                        label=tr("restore.reference"),
                        type="filepath",
                        sources=("upload", "clipboard"),
                        height=180,
                    )
                    photo_examples(sorted(REFERENCES.glob("*.jpg")), reference, tr("restore.references"))
                upscale = gr.Radio(
                    [(tr("restore.upscale.none"), "none")] + [(f"×{n[1:]}", n) for n in UPSCALES[1:]],
                    value="none",
                    label=tr("restore.upscale"),
                    visible=bool(upscale_specs),
                )
                upscale_model = gr.Dropdown(
                    model_choices(ctx, upscale_specs),
                    value=upscale_specs[0] if upscale_specs else None,
                    label=tr("restore.upscale_model"),
                    visible=len(upscale_specs) > 1,
                )
                run, stop, status = run_controls(tr("restore.run"))
        before_after, download, sent = before_after_outputs()
        steps = gr.Gallery(label=tr("restore.steps"), columns=4, height=220, type="numpy")

        find.click(
            find_damage,
            inputs=[editor, sensitivity],
            outputs=[editor, hints, status, mask],
            api_name="find_damage",
            concurrency_id=HEAVY,
            show_progress="minimal",
        )
        wire_run(
            run,
            stop,
            restore_photo,
            inputs=[
                editor,
                mask,
                fill_model,
                fill_method,
                colour_method,
                colour_model,
                hints,
                reference,
                upscale,
                upscale_model,
            ],
            outputs=[before_after, download, status, steps],
            api_name="restore_photo",
        )
        reference.change(
            lambda picked, current: "reference" if picked else current,
            inputs=[reference, colour_method],
            outputs=colour_method,
            api_visibility="private",
            queue=False,
        )

    return parent.handle(
        TASK,
        (TASK,),
        {
            "sensitivity": sensitivity,
            "fill_model": fill_model,
            "fill_method": fill_method,
            "colour_method": colour_method,
            "colour_model": colour_model,
            "upscale": upscale,
            "upscale_model": upscale_model,
        },
        image_input=editor,
        result=sent,
    )
