"""Image loading, masks, working resolution and PNG metadata, on real photos and hostile files."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from skimage import data

from genai_studio import images
from genai_studio.errors import InvalidInput


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return data.astronaut()


def _encoded(image: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def test_loads_a_real_photo_from_path(tmp_path, astronaut):
    path = tmp_path / "astronaut.jpg"
    Image.fromarray(astronaut).save(path, quality=95)
    image = images.load_image(str(path))
    assert image.mode == "RGB" and image.size == (512, 512)
    assert np.abs(np.asarray(image, dtype=int) - astronaut).mean() < 4


def test_zero_byte_file(tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(InvalidInput, match="empty file"):
        images.load_image(str(empty))


def test_truncated_file(tmp_path, astronaut):
    path = tmp_path / "cut.jpg"
    path.write_bytes(_encoded(Image.fromarray(astronaut), "JPEG")[:5000])
    with pytest.raises(InvalidInput, match="damaged or truncated"):
        images.load_image(str(path))


def test_disguised_file(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(b"<html><script>alert(1)</script></html>" * 10)
    with pytest.raises(InvalidInput, match="not an image"):
        images.load_image(str(path))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge size but holds one compressed row: a decompression bomb."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + payload))
        return struct.pack(">I", len(payload)) + kind + payload + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * (width + 1)))
        + chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(20000, 20000))
    with pytest.raises(InvalidInput, match="too large"):
        images.load_image(str(path))


def test_huge_array_is_refused():
    with pytest.raises(InvalidInput, match="too large"):
        images.load_image(np.zeros((20000, 20000), dtype=np.uint8))


def test_one_pixel_image():
    with pytest.raises(InvalidInput, match="too small: 1x1"):
        images.load_image(_encoded(Image.new("RGB", (1, 1))))


def test_cmyk_jpeg_becomes_rgb(astronaut):
    cmyk = Image.fromarray(astronaut).convert("CMYK")
    image = images.load_image(_encoded(cmyk, "JPEG", quality=95))
    assert image.mode == "RGB"
    assert np.abs(np.asarray(image, dtype=int) - astronaut).mean() < 12


def test_16_bit_greyscale_is_scaled_not_clipped():
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (32, 1))
    image = images.load_image(_encoded(Image.fromarray(ramp)))
    grey = np.asarray(image)[:, :, 0]
    assert grey.min() == 0 and grey.max() == 255 and np.all(np.diff(grey[0].astype(int)) >= 0)


def test_rgba_is_composited_over_white():
    rgba = np.zeros((32, 32, 4), dtype=np.uint8)
    rgba[:, :16] = (255, 0, 0, 255)  # left half opaque red, right half transparent
    image = np.asarray(images.load_image(_encoded(Image.fromarray(rgba, "RGBA"))))
    assert tuple(image[0, 0]) == (255, 0, 0) and tuple(image[0, 31]) == (255, 255, 255)


def test_palette_image_with_transparency():
    palette = Image.new("P", (20, 20), 0)
    palette.putpalette([0, 0, 255] + [0, 255, 0] * 255)
    palette.info["transparency"] = 0
    image = images.load_image(_encoded(palette, transparency=0))
    assert tuple(np.asarray(image)[0, 0]) == (255, 255, 255)


def test_exif_rotation_is_applied():
    wide = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    image = images.load_image(_encoded(wide, "JPEG", exif=exif.tobytes()))
    assert image.size == (20, 40)


def test_float_and_16_bit_arrays():
    assert np.asarray(images.load_image(np.ones((20, 20, 3)))).min() == 255
    assert np.asarray(images.load_image(np.full((20, 20), 65535, dtype=np.uint16))).min() == 255
    with pytest.raises(InvalidInput, match="NaN"):
        images.load_image(np.full((20, 20), np.nan))


def test_missing_input():
    with pytest.raises(InvalidInput, match="missing"):
        images.load_image(None)


# -- masks --------------------------------------------------------------------------------------


def test_mask_from_editor_layers_unions_painted_pixels():
    first = np.zeros((40, 60, 4), dtype=np.uint8)
    first[5:10, 5:10] = (255, 255, 255, 200)
    second = np.zeros((40, 60, 4), dtype=np.uint8)
    second[20:25, 30:40] = (0, 0, 0, 255)
    mask = images.mask_from_layers([Image.fromarray(first), Image.fromarray(second)], (60, 40))
    assert mask.sum() == 25 + 50


def test_uploaded_mask_white_marks_the_hole_and_scales_with_same_aspect():
    mask = np.zeros((50, 100), dtype=np.uint8)
    mask[10:20, 10:30] = 255
    fitted = images.mask_from_upload(_encoded(Image.fromarray(mask)), (200, 100))
    assert fitted.shape == (100, 200) and fitted.sum() == 4 * 200


def test_mask_of_another_shape_is_refused():
    with pytest.raises(InvalidInput, match="same shape"):
        images.fit_mask(np.ones((50, 50), dtype=bool), (200, 100))


def test_empty_and_full_masks():
    with pytest.raises(InvalidInput, match="empty"):
        images.check_mask(np.zeros((20, 20), dtype=bool))
    with pytest.raises(InvalidInput, match="covers 100%"):
        images.check_mask(np.ones((20, 20), dtype=bool))
    assert images.check_mask(np.ones((20, 20), dtype=bool), allow_full=True).all()


# -- working resolution -----------------------------------------------------------------------


def test_region_processes_a_large_photo_at_working_size_and_keeps_the_rest(astronaut):
    big = np.asarray(Image.fromarray(astronaut).resize((2048, 2048)))
    mask = np.zeros(big.shape[:2], dtype=bool)
    mask[900:1300, 800:1000] = True
    region = images.plan_region(mask, working_size=256)
    assert max(region.work_size) == 256
    seen: list[tuple[int, ...]] = []

    def fill(crop: np.ndarray, crop_mask: np.ndarray) -> np.ndarray:
        seen.append(crop.shape)
        assert crop_mask.shape == crop.shape[:2] and crop_mask.any()
        out = crop.copy()
        out[crop_mask] = (0, 255, 0)
        return out

    result = images.fill_at_working_size(big, mask, fill, working_size=256)
    assert result.shape == big.shape and max(seen[0][:2]) == 256
    assert np.array_equal(result[~mask], big[~mask])  # untouched outside the hole
    inner = result[950:1250, 850:950].reshape(-1, 3).mean(axis=0)
    assert inner[1] > 240 and inner[0] < 15


def test_a_fill_at_full_size_replaces_thin_damage_entirely(astronaut):
    """No ramp at full size: a 1-2 px scratch is all edge, and a ramp would keep half of it."""
    mask = np.zeros(astronaut.shape[:2], dtype=bool)
    mask[100:400, 200] = mask[250, 50:450] = mask[300:302, 60:300] = True

    def fill(crop: np.ndarray, crop_mask: np.ndarray) -> np.ndarray:
        out = crop.copy()
        out[crop_mask] = (0, 255, 0)
        return out

    result = images.fill_at_working_size(astronaut, mask, fill, working_size=1024)
    assert np.array_equal(result[mask], np.tile((0, 255, 0), (mask.sum(), 1)))
    assert np.array_equal(result[~mask], astronaut[~mask])


def test_region_of_a_small_image_is_not_scaled(astronaut):
    mask = np.zeros((512, 512), dtype=bool)
    mask[200:220, 200:260] = True
    region = images.plan_region(mask, working_size=1024, multiple=8)
    left, _, right, _ = region.box
    assert region.scale == pytest.approx(1.0, abs=0.05) and right - left <= 512


def test_fit_within_never_upscales():
    small = Image.new("RGB", (100, 50))
    assert images.fit_within(small, 400).size == (100, 50)
    assert images.fit_within(Image.new("RGB", (4000, 3000)), 1000).size == (1000, 750)


# -- output -------------------------------------------------------------------------------------


def test_png_keeps_pixels_and_parameters(tmp_path, astronaut):
    params = {"method": "patchmatch", "seed": 3, "prompt": "月亮"}
    path = images.save_png(astronaut, tmp_path / "out" / "result.png", params)
    assert np.array_equal(np.asarray(Image.open(path)), astronaut)
    assert images.read_png_params(path) == params
    assert images.read_png_params(images.png_bytes(astronaut)) == {}
