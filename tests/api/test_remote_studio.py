"""Studio B whose every tab uses studio A's /v1 as its engine: the remote backends against a
real server (A, launched here with its embedded models), driven through B's own UI API."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import soundfile as sf
from gradio_client import handle_file
from PIL import Image

from genai_studio.backends.image.remote_openai import RemoteInpaint
from genai_studio.backends.manager import ModelManager
from genai_studio.backends.speech.request import build_request as speech_request
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput, ModelUnavailable
from genai_studio.owners import Owner
from genai_studio.ui.text_tab import _message_text
from tests.conftest import free_port, running_studio

KEY = "sk-front-0123456789"


@pytest.fixture(scope="module")
def studios(tmp_path_factory):
    a = Settings(port=free_port(), output_dir=tmp_path_factory.mktemp("a"), api_keys=f"front:{KEY}")
    with running_studio(a) as worker:
        v1 = f"{worker.url}v1"
        b = Settings(
            port=free_port(),
            output_dir=tmp_path_factory.mktemp("b"),
            remote_api_key=KEY,
            text_models=(f"openai:{v1}",),
            speech_models=(f"openai-speech:{v1}#hibari",),
            music_models=(f"openai-music:{v1}",),
            inpaint_models=(f"openai-inpaint:{v1}#classic-inpaint",),
        )
        with running_studio(b) as front:
            yield worker, front


def test_text_tab_streams_through_the_other_studio(studios):
    worker, front = studios
    spec = front.settings.text_models[0]
    job = front.client.submit(
        "Name a colour.", "write", "", spec, 12, 0.0, 1.0, 1, [], api_name="/generate_text"
    )
    updates = [_message_text(update[-1]["content"]) for update in job]
    assert len(set(updates)) >= 3 and updates[-1].strip()  # streamed, not one block
    made_on_a = worker.demo.studio.history.entries(Owner.for_user("front"))[0]
    assert made_on_a.file("output.txt").read_text() == updates[-1]


def test_speech_tab_speaks_with_the_other_studios_voices(studios):
    _, front = studios
    spec = front.settings.speech_models[0]
    voice, language = front.client.predict(spec, "", "", api_name="/speech_options")
    assert voice["value"] == "heart"  # from A's /v1/models/hibari
    assert language["value"] == "auto" and "en-us" in [value for _, value in language["choices"]]
    assert voice["choices"] == [["Heart (American English, female)", "heart"]]
    _, wav_path, status, *_subtitles = front.client.predict(
        "One sentence here. And a second one.", spec, "heart", "en-us", 1.0, api_name="/generate_speech"
    )
    audio, rate = sf.read(wav_path)
    assert rate == 24_000 and len(audio) / rate > 1.5 and "2 sentences" in status


def test_music_tab_composes_on_the_other_studio(studios):
    _, front = studios
    spec = front.settings.music_models[0]
    *_, wav_path, _midi, status = front.client.predict(
        "calm piano", spec, "auto", "auto", 0, "auto", 6, 5, api_name="/generate_music"
    )
    audio, rate = sf.read(wav_path)
    assert abs(len(audio) / rate - 6) < 1.5 and np.abs(audio).max() > 0.01, status


def test_inpaint_tab_fills_on_the_other_studio(studios, tmp_path):
    _, front = studios
    photo = np.full((120, 180, 3), (30, 160, 90), np.uint8)
    mask = np.zeros((120, 180), np.uint8)
    mask[58:62, 10:170] = 255
    photo[mask > 0] = 255
    Image.fromarray(photo).save(tmp_path / "photo.png")
    Image.fromarray(mask).save(tmp_path / "mask.png")
    editor = {"background": handle_file(str(tmp_path / "photo.png")), "layers": [], "composite": None}
    _, png, _ = front.client.predict(
        editor, handle_file(str(tmp_path / "mask.png")), front.settings.inpaint_models[0],
        "auto", "", "", 25, 7.5, 1.0, 1, api_name="/inpaint_image",
    )  # fmt: skip
    result = np.asarray(Image.open(png).convert("RGB"))
    assert result.shape == photo.shape
    assert np.array_equal(result[mask == 0], photo[mask == 0])
    assert np.abs(result[59:61, 20:160].astype(int) - (30, 160, 90)).max() < 30


def test_the_other_studios_refusals_and_absence_are_clear(studios):
    worker, front = studios
    backend = RemoteInpaint(f"{worker.url}v1#classic-inpaint", front.settings)
    backend.load("cpu")
    from genai_studio.backends.image.inpaint_request import InpaintRequest

    full = InpaintRequest(image=np.zeros((32, 32, 3), np.uint8), mask=np.ones((32, 32), bool))
    with pytest.raises(InvalidInput, match="refused the request: The mask covers 100%"):
        list(backend.run(full, threading.Event()))
    gone = ModelManager(front.settings)
    with pytest.raises(ModelUnavailable, match="did not answer"):
        list(gone.run(f"openai-speech:http://127.0.0.1:{free_port()}/v1", _hello()))


def _hello():
    return speech_request(text="Hello.", voice="alloy", language="auto", voices={"alloy": "a"},
                          languages={"auto": "a"})  # fmt: skip


def test_stop_on_the_front_stops_the_worker(studios):
    worker, front = studios
    from genai_studio.backends.music.request import build_request

    a_history, a_manager = worker.demo.studio.history, worker.demo.studio.manager
    made_before = len([e for e in a_history.entries(Owner.for_user("front")) if e.task == "music"])
    long_piece = build_request(front.settings, prompt="epic orchestral", seconds=120, seed=1)
    cancel = threading.Event()
    items = ModelManager(front.settings).run(front.settings.music_models[0], long_piece, cancel)
    assert "Sent to" in next(items).message
    while not a_manager.busy():  # A has the job
        time.sleep(0.01)
    cancel.set()
    assert list(items) == []  # stopped: no result
    deadline = time.monotonic() + 30
    while a_manager.busy() and time.monotonic() < deadline:
        time.sleep(0.05)
    music = [e for e in a_history.entries(Owner.for_user("front")) if e.task == "music"]
    if len(music) > made_before:  # A keeps what it made before the stop, as its UI does
        assert music[0].params["stopped"] is True and music[0].params["seconds"] == 120
        assert sf.info(str(music[0].file("music.wav"))).duration < 100
