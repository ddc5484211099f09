"""Image input and output shared by every image task: load and check uploads, read masks,
work on large photos at a working resolution, and save PNGs that carry their parameters.

Pure PIL / numpy / OpenCV: no torch, no Gradio, so backends, the UI and tests all use it.

Handling of unusual images (documented for users in the README):
- Transparency (RGBA, LA, palette with a transparent colour) is composited over white; use
  `alpha_of()` where transparent pixels mean something (an uploaded mask).
- CMYK, 16-bit, float, palette and greyscale images are converted to 8-bit RGB; 16-bit
  values are scaled (not clipped) to 0-255.
- The EXIF orientation is applied, so a phone photo is processed the way it is displayed.
- Animated images: the first frame is used.
"""

from __future__ import annotations

import io
import json
import logging
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from genai_studio.errors import InvalidInput

log = logging.getLogger(__name__)

MAX_PIXELS = 40_000_000  # a 4000x3000 photo is 12 MP; 40 MP is about 150 MB as RGB
MAX_SIDE = 12_000
MIN_SIDE = 16
# Decoders for formats users actually upload; exotic decoders are attack surface.
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF")
PNG_PARAMS_KEY = "parameters"

ImageSource = str | os.PathLike | bytes | Image.Image | np.ndarray


def _check_size(width: int, height: int, field: str, min_side: int) -> None:
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise InvalidInput(
            f"{field} is too large: {width}x{height} pixels. The limit is {MAX_PIXELS // 1_000_000} "
            f"megapixels and {MAX_SIDE:,} pixels a side; please downscale it first."
        )
    if width < min_side or height < min_side:
        raise InvalidInput(
            f"{field} is too small: {width}x{height} pixels. It needs at least {min_side}x{min_side}."
        )


def _open_file(
    source: str | os.PathLike | bytes, field: str, draft: tuple[int, int] | None = None
) -> Image.Image:
    """Open and fully decode an image file, turning every decoder failure into InvalidInput.
    With `draft` (w, h), a JPEG is decoded at the smallest scale still at least that size."""
    if isinstance(source, bytes):
        if not source:
            raise InvalidInput(f"{field} is an empty file (0 bytes): please upload the image again.")
        stream: Any = io.BytesIO(source)
    else:
        path = Path(source)
        try:
            if path.stat().st_size == 0:
                raise InvalidInput(f"{field} is an empty file (0 bytes): please upload the image again.")
        except FileNotFoundError:
            raise InvalidInput(f"{field} could not be found: please upload it again.") from None
        stream = path
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream, formats=FORMATS)
            _check_size(*image.size, field, min_side=1)  # before decoding: the header is enough
            image.seek(0)
            if draft is not None and image.format == "JPEG":
                image.draft("RGB", draft)
            image.load()
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(
            f"{field} is too large to decode safely; the limit is {MAX_PIXELS // 1_000_000} megapixels."
        ) from None
    except UnidentifiedImageError:
        raise InvalidInput(
            f"{field} is not an image this studio can read (PNG, JPEG, WebP, BMP, TIFF or GIF), "
            "even if its name says so."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        log.info("undecodable image: %s", exc)
        raise InvalidInput(
            f"{field} is damaged or truncated and cannot be decoded: please re-export it."
        ) from None
    return image


def _array_to_pil(array: np.ndarray, field: str) -> Image.Image:
    """A numpy image (H, W), (H, W, 3) or (H, W, 4) of uint8, uint16 or float in [0, 1]."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InvalidInput(
            f"{field} must be a greyscale, RGB or RGBA image, got an array of shape {array.shape}."
        )
    _check_size(array.shape[1], array.shape[0], field, min_side=1)
    if array.dtype == np.uint16:
        array = (array.astype(np.uint32) * 255 + 32767) // 65535
    elif np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise InvalidInput(f"{field} contains NaN or infinite values.")
        array = np.rint(np.clip(array, 0.0, 1.0) * 255)
    elif array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif array.dtype != np.uint8:
        array = np.clip(array, 0, 255)
    return Image.fromarray(np.ascontiguousarray(array.astype(np.uint8)))


def _high_depth_to_l(image: Image.Image) -> Image.Image:
    """16-bit ('I;16', 'I') and float ('F') greyscale to 8-bit, scaled rather than clipped."""
    values = np.asarray(image, dtype=np.float64)
    if image.mode == "F":
        top = 1.0 if values.max(initial=0.0) <= 1.0 else 255.0
    else:
        top = 65535.0 if values.max(initial=0) > 255 or image.mode.startswith("I;16") else 255.0
    return Image.fromarray(np.rint(np.clip(values / top, 0, 1) * 255).astype(np.uint8), "L")


def to_rgb(image: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """Any PIL mode to RGB; transparency is composited over `background`."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        image = _high_depth_to_l(image)
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (*background, 255))
        return Image.alpha_composite(flat, rgba).convert("RGB")
    return image.convert("RGB") if image.mode != "RGB" else image


def alpha_of(image: Image.Image) -> np.ndarray | None:
    """The alpha channel as uint8 (H, W), or None when the image has no transparency."""
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if "A" not in image.getbands():
        return None
    alpha = np.asarray(image.getchannel("A"))
    return alpha if alpha.min() < 255 else None


def open_image(
    source: ImageSource, *, field: str = "Image", draft: tuple[int, int] | None = None
) -> Image.Image:
    """Decode `source` with size checks and the EXIF rotation applied, keeping its mode
    (`draft`: a JPEG file may be decoded smaller, at least this size; see `_open_file`)."""
    if source is None or (isinstance(source, str) and not source.strip()):
        raise InvalidInput(f"{field} is missing: please upload an image.")
    if isinstance(source, np.ndarray):
        return _array_to_pil(source, field)
    if isinstance(source, Image.Image):
        _check_size(*source.size, field, min_side=1)
        image = source
    elif isinstance(source, (str, os.PathLike, bytes)):
        image = _open_file(source, field, draft)
    else:
        raise InvalidInput(f"{field} must be an image file, got {type(source).__name__}.")
    try:
        return ImageOps.exif_transpose(image) or image
    except (OSError, ValueError, SyntaxError, KeyError, TypeError):  # broken EXIF: keep pixels as stored
        log.info("ignoring unreadable EXIF in %s", field)
        return image


def load_image(
    source: ImageSource,
    *,
    field: str = "Image",
    min_side: int = MIN_SIDE,
    draft: tuple[int, int] | None = None,
) -> Image.Image:
    """An uploaded image as checked 8-bit RGB; raises InvalidInput with what to change."""
    image = open_image(source, field=field, draft=draft)
    _check_size(*image.size, field, min_side=min_side)
    return to_rgb(image)


# -- masks -------------------------------------------------------------------------------------


def mask_from_layers(layers: list[Any] | None, size: tuple[int, int]) -> np.ndarray:
    """Union of the painted (non-transparent) pixels of gr.ImageEditor brush layers.

    Returns a bool (H, W) array for an image of `size` (width, height); no layers: all False.
    """
    width, height = size
    mask = np.zeros((height, width), dtype=bool)
    for index, layer in enumerate(layers or []):
        if layer is None:
            continue
        image = open_image(layer, field=f"Brush layer {index + 1}")
        alpha = alpha_of(image)
        painted = alpha > 0 if alpha is not None else np.asarray(image.convert("L")) > 127
        mask |= fit_mask(painted, size, field="The brush layer")
    return mask


def mask_from_upload(source: ImageSource, size: tuple[int, int]) -> np.ndarray:
    """A mask image: white (brighter than mid-grey) marks the area to fill.

    If the mask has transparency, opaque pixels mark the area instead (a painted overlay).
    A mask of another size is scaled when its shape matches the image's within 1 %.
    """
    image = open_image(source, field="Mask")
    alpha = alpha_of(image)
    marked = alpha > 127 if alpha is not None else np.asarray(to_rgb(image).convert("L")) > 127
    return fit_mask(marked, size, field="The mask")


def fit_mask(mask: np.ndarray, size: tuple[int, int], *, field: str = "The mask") -> np.ndarray:
    """`mask` (bool H, W) at `size` (width, height): scaled if the aspect matches, else refused."""
    width, height = size
    mask_height, mask_width = mask.shape[:2]
    if (mask_width, mask_height) == (width, height):
        return mask.astype(bool)
    if abs(mask_width / mask_height - width / height) > 0.01 * (width / height):
        raise InvalidInput(
            f"{field} is {mask_width}x{mask_height} but the image is {width}x{height}: "
            "they need the same shape. Paint the mask on this image or upload a matching one."
        )
    resized = cv2.resize(mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
    return resized.astype(bool)


def check_mask(mask: np.ndarray, *, allow_full: bool = False) -> np.ndarray:
    """Refuse masks that cannot be filled: empty ones, and (unless `allow_full`) masks that
    leave almost nothing to copy from. Returns the mask."""
    share = float(mask.mean()) if mask.size else 0.0
    if not mask.any():
        raise InvalidInput(
            "The mask is empty: paint over the area to fill (or upload a mask where it is white)."
        )
    if share > 0.97 and not allow_full:
        raise InvalidInput(
            f"The mask covers {share:.0%} of the image, which leaves nothing to fill it from. "
            "Paint only the area to replace, or use a diffusion model, which can draw from the prompt."
        )
    return mask


# -- working resolution -------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    """A crop of a large image around the masked area, processed at `work_size`.

    `box` is (left, top, right, bottom) in the full image; `work_size` is (width, height)
    of the crop as the method sees it (smaller than the crop when the crop is too large).
    """

    box: tuple[int, int, int, int]
    work_size: tuple[int, int]

    @property
    def scale(self) -> float:
        return self.work_size[0] / (self.box[2] - self.box[0])

    def crop(self, image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The image (uint8 H, W, 3) and mask (bool) of the region, at the working size."""
        left, top, right, bottom = self.box
        crop = image[top:bottom, left:right]
        crop_mask = mask[top:bottom, left:right]
        if self.work_size == (right - left, bottom - top):
            return crop.copy(), crop_mask.copy()
        small = cv2.resize(crop, self.work_size, interpolation=cv2.INTER_AREA)
        # A pixel is to fill if any part of it was masked: the hole never shrinks.
        coverage = cv2.resize(crop_mask.astype(np.float32), self.work_size, interpolation=cv2.INTER_AREA)
        small_mask = coverage > 0
        return small, small_mask

    def paste(self, image: np.ndarray, mask: np.ndarray, result: np.ndarray, feather: int = 2) -> np.ndarray:
        """Blend the working-size `result` back into a copy of the full-resolution `image`.

        Pixels outside the mask keep their original values. A result made at a smaller working
        size is blurred by the enlargement: a `feather`-pixel ramp (at full resolution) inside
        the mask's edge hides that seam. One made at full size is pasted as it is: a ramp there
        would only bring back the damage along the edge (all of a thin scratch is edge).
        """
        left, top, right, bottom = self.box
        full = cv2.resize(result, (right - left, bottom - top), interpolation=cv2.INTER_CUBIC)
        region_mask = mask[top:bottom, left:right].astype(np.uint8)
        if feather > 0 and self.work_size != (right - left, bottom - top):
            weight = np.clip(cv2.distanceTransform(region_mask, cv2.DIST_L2, 3) / feather, 0.0, 1.0)
        else:
            weight = region_mask.astype(np.float32)
        original = image[top:bottom, left:right].astype(np.float32)
        blended = original + (full.astype(np.float32) - original) * weight[:, :, None]
        out = image.copy()
        out[top:bottom, left:right] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
        return out


def plan_region(
    mask: np.ndarray, working_size: int, *, context: float = 0.5, multiple: int = 1, upscale: bool = False
) -> Region:
    """Choose the crop around the mask and the size to process it at.

    The crop spans the mask's bounding box grown by `context` times its size on each side
    (at least 32 px), clipped to the image; it is scaled down so its longer side is at most
    `working_size` (or, with `upscale`, scaled to exactly that: diffusion models work badly
    far below their native size). `multiple` rounds the working size (e.g. 8 for
    latent-diffusion models; the aspect may then change by a few pixels).
    """
    height, width = mask.shape
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        rows, cols = np.array([0, height - 1]), np.array([0, width - 1])
    pad_y = max(32, int(context * (rows[-1] - rows[0] + 1)))
    pad_x = max(32, int(context * (cols[-1] - cols[0] + 1)))
    top, bottom = max(0, rows[0] - pad_y), min(height, rows[-1] + 1 + pad_y)
    left, right = max(0, cols[0] - pad_x), min(width, cols[-1] + 1 + pad_x)
    crop_w, crop_h = right - left, bottom - top
    scale = working_size / max(crop_w, crop_h)
    scale = scale if upscale else min(1.0, scale)
    work_w = max(multiple, round(crop_w * scale / multiple) * multiple)
    work_h = max(multiple, round(crop_h * scale / multiple) * multiple)
    return Region((int(left), int(top), int(right), int(bottom)), (work_w, work_h))


def fill_at_working_size(
    image: np.ndarray,
    mask: np.ndarray,
    fill: Callable[[np.ndarray, np.ndarray], np.ndarray],
    working_size: int,
) -> np.ndarray:
    """Run `fill(crop, crop_mask) -> crop` on the region around the mask and blend it back."""
    region = plan_region(mask, working_size)
    crop, crop_mask = region.crop(image, mask)
    return region.paste(image, mask, fill(crop, crop_mask))


def fit_within(image: Image.Image, max_side: int) -> Image.Image:
    """`image` scaled down (never up) so its longer side is at most `max_side`."""
    scale = max_side / max(image.size)
    if scale >= 1:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


# -- output ------------------------------------------------------------------------------------


def png_bytes(image: Image.Image | np.ndarray, params: dict[str, Any] | None = None) -> bytes:
    """Lossless PNG with `params` embedded as a JSON text chunk (see `read_png_params`)."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "GenAI Studio")
    if params:
        info.add_text(PNG_PARAMS_KEY, json.dumps(params, ensure_ascii=False, default=str))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info, compress_level=4)
    return buffer.getvalue()


def save_png(image: Image.Image | np.ndarray, path: Path, params: dict[str, Any] | None = None) -> Path:
    """Write `png_bytes(image, params)` to `path` (parent folders are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(image, params))
    return path


def read_png_params(source: str | os.PathLike | bytes) -> dict[str, Any]:
    """The parameters embedded by `png_bytes`, or {} when there are none."""
    image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    raw = image.info.get(PNG_PARAMS_KEY) if hasattr(image, "info") else None
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
