"""Pictures for a story's film from a text-to-image model (where one is configured: a GPU), one
per paragraph, all with one look: each prompt is the paragraph's first sentence followed by the
same description of the look, and every picture is made with the same seed. Each picture is an
ordinary text-to-image job through the ModelManager, so Stop and the queue hold as in the
Generate sub-tab."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from genai_studio.backends.base import Result
from genai_studio.backends.image.hub_diffusers_txt2img import build_text_to_image_request
from genai_studio.backends.manager import ModelManager
from genai_studio.backends.speech.sentences import split_sentences
from genai_studio.pipelines.story import job_event

LOOK = "a cinematic illustration, soft light, one consistent colour palette"
SIZES = {"16:9": (768, 432), "9:16": (432, 768), "1:1": (512, 512)}  # multiples of 8
MAX_PROMPT_CHARS = 300


@dataclass(frozen=True)
class PictureProgress:
    done: int
    total: int


def prompts(paragraphs: Sequence[str], look: str) -> list[str]:
    """One prompt a paragraph: its first sentence (shortened), then the shared look."""
    found = []
    for paragraph in paragraphs:
        sentences = split_sentences(paragraph)
        words = (sentences[0] if sentences else paragraph)[:MAX_PROMPT_CHARS]
        found.append(f"{words}, {look.strip() or LOOK}")
    return found


def generate_pictures(
    manager: ModelManager,
    spec: str,
    paragraphs: Sequence[str],
    look: str,
    aspect: str,
    seed: int,
    steps: int,
    workdir: Path,
    cancel: threading.Event,
) -> Iterator[PictureProgress | list[Path]]:
    """Progress after each picture, then their paths (PNG in `workdir`); nothing once stopped."""
    width, height = SIZES[aspect]
    requests = [
        build_text_to_image_request(prompt=prompt, width=width, height=height, steps=steps, seed=seed)
        for prompt in prompts(paragraphs, look)
    ]  # all checked before the first runs
    made: list[Path] = []
    for number, request in enumerate(requests, start=1):
        picture = None
        with job_event(cancel) as job, closing(manager.run(spec, request, job)) as items:
            for item in items:
                if isinstance(item, Result):
                    picture = item.output
        if cancel.is_set() or picture is None:
            return
        path = workdir / f"picture-{number:03d}.png"
        image = picture if isinstance(picture, Image.Image) else Image.fromarray(np.asarray(picture))
        image.convert("RGB").save(path)
        made.append(path)
        yield PictureProgress(number, len(requests))
    yield made
