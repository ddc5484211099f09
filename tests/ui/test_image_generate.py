"""The Generate (text-to-image) sub-tab through gradio_client, on a studio of its own whose
model is a tiny random-weight Stable Diffusion pipeline saved to a temp dir and loaded by path
through the real `sd-txt2img` backend."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image

from genai_studio import images
from genai_studio.config import Settings
from genai_studio.history import History
from genai_studio.owners import Owner
from tests.conftest import Studio, free_port, running_studio
from tests.e2e.test_browser import browser, open_studio  # noqa: F401 - the shared browser fixture

API = "/generate_image"


def _tiny_text_to_image_pipeline():
    """The shared tiny SD pipeline with a 4-level VAE (8x downsampling, as in real SD): with
    the shared 2-level VAE a 256-pixel image means 128x128 latents, minutes of attention here."""
    from diffusers import AutoencoderKL, StableDiffusionPipeline

    from tests.backends.tiny_diffusers import tiny_sd_pipeline

    vae = AutoencoderKL(
        block_out_channels=[8, 8, 8, 8],
        down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4,
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=256,
    )
    return StableDiffusionPipeline(**{**tiny_sd_pipeline().components, "vae": vae})


@pytest.fixture(scope="module")
def sd_studio(tmp_path_factory) -> Iterator[Studio]:
    """A studio offering one text-to-image model (its spec: settings.text_to_image_models[0])."""
    root = tmp_path_factory.mktemp("txt2img-studio")
    _tiny_text_to_image_pipeline().save_pretrained(root / "tiny-sd")
    settings = Settings(
        text_to_image_models=(f"sd-txt2img:{root / 'tiny-sd'}",), port=free_port(), output_dir=root / "out"
    )
    with running_studio(settings) as studio:
        yield studio


@pytest.fixture
def sd(sd_studio) -> tuple[Client, str, Settings]:
    """(client, model spec, settings) of the text-to-image studio."""
    return sd_studio.client, sd_studio.settings.text_to_image_models[0], sd_studio.settings


def ask(
    spec, prompt="a lighthouse at dusk", negative="", width=320, height=256, steps=4, guidance=5.0, seed=7
):
    """The endpoint's arguments in order."""
    return [prompt, negative, width, height, steps, guidance, seed, spec]


def test_previews_stream_then_a_png_of_the_asked_size_with_settings_in_history(sd):
    client, spec, settings = sd
    job = client.submit(*ask(spec, negative="blurry"), api_name=API)
    _, png, status = job.result(timeout=60)
    previews = [out for out in job.outputs()[:-1] if str(out[2]).startswith("Step") and out[0]]
    assert len(previews) >= 3, "every denoising step should stream a preview"
    assert status == "Generated 320×256 in 4 steps, seed 7."
    assert Image.open(png).size == (320, 256) and Image.open(png).format == "PNG"
    params = images.read_png_params(png)
    assert params["task"] == "text_to_image" and params["model"] == spec
    assert (params["prompt"], params["negative_prompt"]) == ("a lighthouse at dusk", "blurry")
    assert (params["width"], params["height"], params["steps"], params["seed"]) == (320, 256, 4, 7)
    entry = History(settings.history_dir).entries(Owner.local())[0]
    assert entry.task == "text_to_image" and entry.summary == "a lighthouse at dusk"
    assert entry.params["seed"] == 7 and "result.png" in entry.files


def test_a_random_seed_is_recorded_and_repeats_the_image(sd):
    client, spec, _ = sd
    _, first, _ = client.predict(*ask(spec, width=256, steps=2, seed=-1), api_name=API)
    seed = images.read_png_params(first)["seed"]
    assert isinstance(seed, int) and seed >= 0
    _, again, status = client.predict(*ask(spec, width=256, steps=2, seed=seed), api_name=API)
    assert f"seed {seed}" in status
    assert np.array_equal(np.asarray(Image.open(first)), np.asarray(Image.open(again)))


OUT_OF_BOUNDS = "less than minimum|greater than maximum|must be between"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"prompt": ""}, "Prompt is empty"),
        ({"prompt": " \n\t "}, "Prompt is empty"),
        ({"prompt": "x" * 20_000}, "Prompt is too long"),
        ({"width": 100_000}, OUT_OF_BOUNDS),
        ({"height": 16}, OUT_OF_BOUNDS),
        ({"steps": 10**9}, OUT_OF_BOUNDS),
        ({"steps": 0}, OUT_OF_BOUNDS),
        ({"guidance": -3}, OUT_OF_BOUNDS),
        ({"seed": 2**40}, "Seed must be between"),
        ({"spec": "sd-txt2img:/etc"}, "Model must be one of|not in the list"),
    ],
)
def test_bad_requests_get_clear_messages(sd, changes, message):
    client, spec, _ = sd
    with pytest.raises(AppError, match=message):
        client.predict(*ask(**{"spec": spec, **changes}), api_name=API)


def test_stop_ends_the_run_without_a_result_and_frees_the_worker(sd):
    client, spec, settings = sd
    history = History(settings.history_dir)
    saved_before = len(history.entries(Owner.local()))
    job = client.submit(*ask(spec, prompt="stop me", width=512, height=512, steps=150), api_name=API)
    deadline = time.monotonic() + 30
    while sum(bool(out[0]) for out in job.outputs()) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    job.cancel()
    stopped_at = time.monotonic()
    while not job.done() and time.monotonic() - stopped_at < 10:
        time.sleep(0.05)
    assert job.done()
    assert not any(str(out[2]).startswith("Generated") for out in job.outputs())
    started = time.monotonic()
    client.predict(*ask(spec, prompt="after stop", width=256, steps=1), api_name=API)
    assert time.monotonic() - started < 20, "Stop should free the worker at once"
    summaries = [entry.summary for entry in history.entries(Owner.local())]
    assert len(summaries) == saved_before + 1 and "stop me" not in summaries


def test_the_default_studio_has_no_generate_subtab(studio):
    api = studio.client.view_api(print_info=False, return_format="dict")
    assert API not in api["named_endpoints"]


@pytest.mark.browser
def test_history_puts_settings_back_and_the_button_generates_in_a_browser(browser, sd_studio):  # noqa: F811
    client, spec = sd_studio.client, sd_studio.settings.text_to_image_models[0]
    client.predict(*ask(spec, prompt="a violet octopus", width=264, steps=3, seed=99), api_name=API)
    page = open_studio(browser, sd_studio, "en-US")
    page.get_by_role("tab", name="History").click()
    newest = page.locator("#history-gallery img").first
    newest.wait_for(timeout=10_000)
    newest.click()
    page.get_by_text("a violet octopus").first.wait_for(timeout=10_000)  # its settings are shown
    page.get_by_role("button", name="Use these settings again").click()
    prompt = page.get_by_label("Prompt", exact=True).filter(visible=True)
    prompt.wait_for(timeout=10_000)
    deadline = time.monotonic() + 10
    while prompt.input_value() != "a violet octopus" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert prompt.input_value() == "a violet octopus"
    page.get_by_role("button", name="Generate", exact=True).filter(visible=True).click()
    page.get_by_text("Generated 264×256 in 3 steps, seed 99.").wait_for(timeout=30_000)
