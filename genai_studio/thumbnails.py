"""Small pictures of results for the History gallery: the image itself, the waveform of a
sound, a card for a text. Made on demand from an entry's files, so saving stays cheap."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SIZE = 256
_AUDIO_BLOCK = 1 << 16
_COLOURS = {"speech": (79, 70, 229), "music": (217, 119, 6)}  # indigo and amber, as the theme


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def of_image(path: Path) -> bytes:
    with Image.open(path) as image:
        image.thumbnail((SIZE, SIZE))
        return _png(image.convert("RGB"))


def of_audio(path: Path, task: str) -> bytes:
    """The waveform's envelope, read in blocks so a long narration costs little memory."""
    import soundfile

    peaks: list[float] = []
    with soundfile.SoundFile(path) as sound:
        step = max(1, sound.frames // SIZE)
        for block in sound.blocks(blocksize=min(step * 64, _AUDIO_BLOCK) or 1, dtype="float32"):
            mono = np.abs(block if block.ndim == 1 else block.mean(axis=1))
            peaks += [float(chunk.max()) for chunk in np.array_split(mono, max(1, len(mono) // step))]
    envelope = np.interp(np.linspace(0, max(len(peaks) - 1, 0), SIZE), np.arange(len(peaks)), peaks or [0.0])
    envelope = envelope / (envelope.max() or 1.0)
    card = Image.new("RGB", (SIZE, SIZE // 2), (248, 248, 252))
    draw = ImageDraw.Draw(card)
    middle, colour = SIZE // 4, _COLOURS.get(task, (71, 85, 105))
    for x, level in enumerate(envelope):
        half = max(1, int(level * (SIZE // 4 - 6)))
        draw.line([(x, middle - half), (x, middle + half)], fill=colour)
    return _png(card)


def of_text(task: str) -> bytes:
    """A plain card; the gallery's caption carries the words (the browser renders every script)."""
    card = Image.new("RGB", (SIZE, SIZE // 2), (238, 242, 255))
    draw = ImageDraw.Draw(card)
    for row in range(5):
        width = SIZE - 48 - (row * 37) % 70
        draw.rounded_rectangle([(24, 18 + row * 20), (24 + width, 26 + row * 20)], 4, fill=(165, 180, 252))
    return _png(card)


def thumbnail(task: str, files: dict[str, Path]) -> bytes:
    """The best picture for an entry with these files."""
    pictures = sorted((name for name in files if name.endswith(".png")), key=lambda n: n != "result.png")
    if pictures:
        return of_image(files[pictures[0]])
    for name, path in files.items():
        if name.endswith(".wav"):
            return of_audio(path, task)
    return of_text(task)
