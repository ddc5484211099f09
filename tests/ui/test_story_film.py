"""The Story tab's Film step through gradio_client against the launched studio, on the embedded
models: a story made from a user's script, then filmed with the user's pictures; saved to
History with its poster; Stop; bad inputs."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import soundfile as sf
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from genai_studio.config import Settings
from genai_studio.history import History
from genai_studio.owners import Owner

SCRIPT = "The keeper climbs the stairs.\n\nThe lamp turns, and the ships sail home."
STORY = (
    "",
    SCRIPT,
    10,
    "smollm2",
    "hibari",
    "heart",
    "auto",
    1.0,
    "composer",
    "auto",
    "auto",
    0,
    5,
    None,
    None,
)
FILM = (
    "",
    "",
    "16:9",
    360,
    "burned",
    "#203050",
    None,
)  # title, end, format, resolution, subtitles, colour, image


def story_entries(studio, step):
    entries = History(studio.settings.history_dir).entries(Owner.local())
    return [e for e in entries if e.task == "story" and e.params.get("step") == step]


@pytest.fixture(scope="module")
def mixed(studio):
    """A story mixed from a script of two paragraphs: (its History id, its WAV)."""
    result = studio.client.predict(*STORY, api_name="/make_story")
    assert result[5].startswith("Done:"), result[5]
    return result[8], result[3]


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("film-pictures")
    made = []
    for index, (size, colour) in enumerate([((900, 600), (200, 60, 60)), ((500, 800), (60, 160, 80))]):
        made.append(folder / f"picture-{index}.jpg")
        Image.new("RGB", size, colour).save(made[-1])
    return made


def duration(path: str) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", path],
        capture_output=True,
        check=True,
    ).stdout
    info = json.loads(out)
    assert {s["codec_name"] for s in info["streams"]} == {"h264", "aac"}
    return float(info["format"]["duration"])


def test_a_story_is_filmed_with_your_pictures_and_saved_with_its_poster(studio, mixed, pictures):
    mix_id, wav = mixed
    before = len(story_entries(studio, "film"))
    given = [handle_file(str(p)) for p in pictures]
    video, poster, files, status, film_id = studio.client.predict(
        mix_id, given, *FILM, api_name="/story_film"
    )
    assert status.startswith("Done:") and "2 pictures" in status, status
    video_path = video["video"] if isinstance(video, dict) else video
    assert abs(duration(video_path) - sf.info(wav).duration) <= 0.2
    assert Image.open(poster).size == (640, 360)
    assert [Path(f).name for f in files] == ["film.mp4", "poster.png", "film.srt"]
    entries = story_entries(studio, "film")
    assert len(entries) == before + 1 and entries[0].id == film_id
    entry = entries[0]
    assert entry.params["mix_entry"] == mix_id and entry.params["script"] == SCRIPT
    assert entry.params["aspect"] == "16:9" and entry.params["film"]["pictures_used"] == 2
    listed = studio.client.predict("story", 1, api_name="/list_history")["entries"]
    assert listed[0]["id"] == film_id and "film.mp4" in listed[0]["files"]


def test_no_pictures_gives_cards_and_soft_subtitles_a_track(studio, mixed):
    mix_id, _ = mixed
    settings = ("My story", "Goodnight", "9:16", 360, "soft", "#102040", None)
    video, _, _, status, _ = studio.client.predict(mix_id, [], *settings, api_name="/story_film")
    assert status.startswith("Done:") and "0 pictures" in status
    video_path = video["video"] if isinstance(video, dict) else video
    streams = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,width,height",
            "-of",
            "json",
            video_path,
        ],
        capture_output=True,
        check=True,
    ).stdout
    kinds = json.loads(streams)["streams"]
    assert [s["codec_type"] for s in kinds] == ["video", "audio", "subtitle"]
    assert (kinds[0]["width"], kinds[0]["height"]) == (360, 640)


def test_stop_ends_the_render_and_saves_nothing(studio, mixed, pictures):
    mix_id, _ = mixed
    client = studio.new_client()
    before = len(story_entries(studio, "film"))
    settings = ("", "", "16:9", 1080, "burned", "#000000", None)
    job = client.submit(mix_id, [handle_file(str(p)) for p in pictures], *settings, api_name="/story_film")
    deadline = time.monotonic() + 60
    while not any("Drawing shot" in str(out) for out in job.outputs()):
        assert time.monotonic() < deadline and not job.done(), job.outputs()[-1:]
        time.sleep(0.05)
    assert client.predict(api_name="/stop_story") == "Stopping…"
    started = time.monotonic()
    assert "Stopped: the film was not saved." in str(job.result(timeout=30))
    assert time.monotonic() - started < 5
    assert len(story_entries(studio, "film")) == before


def test_bad_film_requests_give_clear_messages(studio, mixed, tmp_path):
    mix_id, _ = mixed
    with pytest.raises(AppError, match="There is no mixed story yet"):
        studio.client.predict("", [], *FILM, api_name="/story_film")
    with pytest.raises(AppError, match="There is no mixed story yet"):
        studio.client.predict("../../etc/passwd", [], *FILM, api_name="/story_film")
    narration_id = story_entries(studio, "narrate")[0].id
    with pytest.raises(AppError, match="not a mixed story"):
        studio.client.predict(narration_id, [], *FILM, api_name="/story_film")
    with pytest.raises(AppError, match="4:3"):  # Gradio refuses a choice not offered, naming it
        studio.client.predict(
            mix_id, [], "", "", "4:3", 360, "burned", "#000000", None, api_name="/story_film"
        )
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not an image at all")
    with pytest.raises(AppError, match="not an image this studio can read"):
        studio.client.predict(mix_id, [], *FILM[:-1], handle_file(str(broken)), api_name="/story_film")
    *_, status, _ = studio.client.predict(mix_id, [handle_file(str(broken))], *FILM, api_name="/story_film")
    assert "Picture 1" in status and "left out" in status and "title cards are shown instead" in status
    with pytest.raises(AppError, match="No text-to-image model is offered here"):
        studio.client.predict(mix_id, [], *FILM, True, None, "", 2, api_name="/story_film")


@pytest.mark.slow
def test_with_a_text_to_image_model_each_paragraph_gets_a_picture_of_one_look(tmp_path):
    """A studio of its own offering a tiny random-weight Stable Diffusion (the real sd-txt2img
    backend, loaded by path): no pictures given, one is made per paragraph with the same seed
    and look, and filmed."""
    from tests.conftest import free_port, running_studio
    from tests.ui.test_image_generate import _tiny_text_to_image_pipeline

    _tiny_text_to_image_pipeline().save_pretrained(tmp_path / "tiny-sd")
    spec = f"sd-txt2img:{tmp_path / 'tiny-sd'}"
    settings = Settings(text_to_image_models=(spec,), port=free_port(), output_dir=tmp_path / "out")
    with running_studio(settings) as studio:
        mix_id = studio.client.predict(*STORY, api_name="/make_story")[8]
        *_, status, film_id = studio.client.predict(
            mix_id,
            [],
            *FILM,
            True,
            spec,
            "a watercolour",
            2,
            api_name="/story_film",
        )
        assert status.startswith("Done:") and "2 pictures" in status, status
        entry = History(settings.history_dir).get(Owner.local(), film_id)
        assert entry.params["generated"] is True and entry.params["film"]["pictures_used"] == 2
