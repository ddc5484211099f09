"""/v1/images/generations on a studio with a text-to-image model (a tiny random-weight Stable
Diffusion saved to a temp dir, loaded by path), and another studio's Generate tab using it."""

from __future__ import annotations

import base64
import io

import numpy as np
import openai
import pytest
from PIL import Image

from genai_studio.config import Settings
from tests.conftest import free_port, running_studio
from tests.ui.test_image_generate import _tiny_text_to_image_pipeline

pytestmark = pytest.mark.slow  # torch and diffusers load: about a minute here


@pytest.fixture(scope="module")
def studios(tmp_path_factory):
    root = tmp_path_factory.mktemp("txt2img-api")
    _tiny_text_to_image_pipeline().save_pretrained(root / "tiny-sd")
    a = Settings(
        port=free_port(), output_dir=root / "a", text_to_image_models=(f"sd-txt2img:{root / 'tiny-sd'}",)
    )
    with running_studio(a) as worker:
        spec = a.text_to_image_models[0]
        b = Settings(
            port=free_port(),
            output_dir=root / "b",
            text_to_image_models=(f"openai-txt2img:{worker.url}v1#{spec}",),
        )
        with running_studio(b) as front:
            yield worker, front


def image_of(answer) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(answer.data[0].b64_json))).convert("RGB"))


def test_generations_come_at_the_asked_size_and_repeat_with_the_seed(studios):
    worker, _ = studios
    client = openai.OpenAI(base_url=f"{worker.url}v1", api_key="local", max_retries=0, timeout=300)
    spec = worker.settings.text_to_image_models[0]
    options = dict(model=spec, prompt="a lighthouse", size="320x256", extra_body={"steps": 2, "seed": 7})
    first, again = image_of(client.images.generate(**options)), image_of(client.images.generate(**options))
    assert first.shape == (256, 320, 3) and np.array_equal(first, again) and first.std() > 0
    with pytest.raises(openai.BadRequestError, match="Width must be between 256 and 2,048"):
        client.images.generate(model=spec, prompt="x", size="100x256")


def test_the_front_studios_generate_tab_paints_on_the_worker(studios):
    worker, front = studios
    client = openai.OpenAI(base_url=f"{worker.url}v1", api_key="local", max_retries=0, timeout=300)
    spec = worker.settings.text_to_image_models[0]
    direct = image_of(
        client.images.generate(model=spec, prompt="a fox", size="256x256", extra_body={"steps": 2, "seed": 3})
    )
    _, png, status = front.client.predict(
        "a fox", "", 256, 256, 2, 7.5, 3, front.settings.text_to_image_models[0], api_name="/generate_image"
    )
    assert np.array_equal(np.asarray(Image.open(png).convert("RGB")), direct), status
