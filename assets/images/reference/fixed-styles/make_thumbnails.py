"""Recreate the thumbnails of the 26 fixed styles shown in the Style tab (run once; the results
are committed): each style painted by the studio's own neural-style backend on the astronaut
photo of scikit-image at 384 pixels, shrunk to THUMB pixels.

.venv/bin/python assets/images/reference/fixed-styles/make_thumbnails.py
"""

import threading
from pathlib import Path

import cv2
from PIL import Image
from skimage import data

from genai_studio.backends.base import Result
from genai_studio.backends.image.embedded_neural_style import NeuralStyle
from genai_studio.backends.image.style_request import FIXED_LOOKS, build_style_request
from genai_studio.config import Settings

HERE = Path(__file__).parent
THUMB = 112


def main() -> None:
    settings = Settings()
    backend = NeuralStyle("", settings)
    backend.load("cpu")
    photo = cv2.resize(data.astronaut()[:440, 40:480], (384, 384), interpolation=cv2.INTER_AREA)
    for look in FIXED_LOOKS:
        request = build_style_request(settings, content=photo, look=look, full_size=False)
        result = list(backend.run(request, threading.Event()))[-1]
        assert isinstance(result, Result)
        thumb = cv2.resize(result.output, (THUMB, THUMB), interpolation=cv2.INTER_AREA)
        Image.fromarray(thumb).save(HERE / f"{look}.jpg", quality=85)


if __name__ == "__main__":
    main()
