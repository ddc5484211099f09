"""The studio's /v1 API driven by the official `openai` client against a launched studio."""

from __future__ import annotations

import io
import subprocess
import time

import httpx
import numpy as np
import openai
import pytest
import soundfile as sf
from PIL import Image

from genai_studio.config import Settings
from genai_studio.owners import Owner
from tests.conftest import free_port, running_studio

ALICE_KEY = "sk-alice-0123456789"
ANON_KEY = "sk-anon-0123456789"
COUNT = [{"role": "user", "content": "Count from 1 to 10, separated by commas."}]


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    settings = Settings(
        port=free_port(),
        output_dir=tmp_path_factory.mktemp("api-outputs"),
        max_new_tokens=512,
        max_upload_mb=1,
        api_keys=f"alice:{ALICE_KEY},{ANON_KEY}",
    )
    with running_studio(settings) as launched:
        yield launched


@pytest.fixture(scope="module")
def client(studio):
    return openai.OpenAI(base_url=f"{studio.url}v1", api_key=ALICE_KEY, max_retries=0, timeout=120)


ALICE = Owner.for_user("alice")


def history(studio, owner: Owner = ALICE):
    """The newest entries of `owner` (the store holds each owner's apart)."""
    return studio.demo.studio.history.entries(owner)


def test_models_are_the_configured_specs_per_task(client, studio):
    models = {model.id: model.model_extra["task"] for model in client.models.list()}
    assert models == {
        **{spec: "text" for spec in studio.settings.text_models},
        **{spec: "speech" for spec in studio.settings.speech_models},
        **{spec: "music" for spec in studio.settings.music_models},
        **{spec: "inpaint" for spec in studio.settings.inpaint_models},
        **{spec: "colorize" for spec in studio.settings.colorize_models},
        **{spec: "style" for spec in studio.settings.style_models},
        **{spec: "transcribe" for spec in studio.settings.listen_models},
    }


def test_chat_honours_stop_sequences_and_counts_tokens_as_llama_cpp_does(client, studio):
    from llama_cpp import Llama

    from genai_studio.backends.text import llama_runtime
    from genai_studio.backends.text.embedded_llama import smollm2_path

    answer = client.chat.completions.create(model="smollm2", messages=COUNT, temperature=0, max_tokens=40)
    text = answer.choices[0].message.content
    assert "3" in text and "5" in text, text
    stopped = client.chat.completions.create(
        model="smollm2", messages=COUNT, temperature=0, max_tokens=40, stop=["5"]
    )
    assert stopped.choices[0].message.content == text[: text.index("5")]
    assert stopped.choices[0].finish_reason == "stop"

    llama_runtime.load_cpu_backend(studio.settings.cache_dir)  # the same CPU kernels as the studio's
    llm = Llama(model_path=str(smollm2_path()), n_ctx=2048, verbose=False, n_threads=1)
    reference = llm.create_chat_completion(messages=COUNT, max_tokens=40, temperature=0)["usage"]
    assert answer.usage.prompt_tokens == reference["prompt_tokens"]
    made = len(llm.tokenize(text.encode(), add_bos=False, special=True))
    assert answer.usage.completion_tokens == made > 0
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + made
    assert stopped.usage.completion_tokens < made

    short = client.chat.completions.create(model="smollm2", messages=COUNT, temperature=0, max_tokens=3)
    assert short.choices[0].finish_reason == "length"


def test_chat_streams_the_same_text_with_usage_last(client):
    options = dict(model="smollm2", messages=COUNT, temperature=0, max_tokens=30, seed=3)
    whole = client.chat.completions.create(**options).choices[0].message.content
    chunks = list(
        client.chat.completions.create(**options, stream=True, stream_options={"include_usage": True})
    )
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) >= 5 and "".join(pieces) == whole
    assert chunks[-1].usage.completion_tokens > 0 and not chunks[-1].choices
    assert chunks[-2].choices[0].finish_reason in ("stop", "length")


def test_results_belong_to_the_key_owner(studio):
    anon = openai.OpenAI(base_url=f"{studio.url}v1", api_key=ANON_KEY, max_retries=0)
    anon.chat.completions.create(model="smollm2", messages=COUNT, max_tokens=4)
    made = history(studio, Owner.for_api_key(ANON_KEY))
    assert len(made) == 1 and made[0].params["door"] == "openai" and made[0].file("output.txt").read_text()
    assert history(studio) and made[0].id not in {entry.id for entry in history(studio)}  # alice's are hers
    assert not history(studio, Owner.local())  # nothing made through /v1 is anonymous


def test_speech_comes_as_playable_wav_and_mp3(client, tmp_path):
    text = "The lighthouse keeper found a map. It led to the sea."
    wav = client.audio.speech.create(model="hibari", voice="heart", input=text, response_format="wav")
    audio, rate = sf.read(io.BytesIO(wav.content))
    assert rate == 24_000 and 2.0 < len(audio) / rate < 8.0 and np.abs(audio).max() > 0.05

    mp3 = client.audio.speech.create(
        model="hibari", voice="heart", input=text, response_format="mp3", speed=1.5
    )
    assert mp3.response.headers["content-type"] == "audio/mpeg"
    decoded = subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", "pipe:0", "-f", "wav", "pipe:1"],
        input=mp3.content,
        capture_output=True,
        check=True,
    ).stdout
    fast, fast_rate = sf.read(io.BytesIO(decoded))
    assert 0.5 < (len(fast) / fast_rate) / (len(audio) / rate) < 0.85  # speed 1.5 is faster
    assert np.abs(fast).max() > 0.05

    with pytest.raises(openai.BadRequestError, match=r"no voice 'alloy'.*heart"):
        client.audio.speech.create(model="hibari", voice="alloy", input=text)


def _photo_and_mask(width=240, height=160):
    rng = np.random.default_rng(0)
    photo = np.full((height, width, 3), (40, 120, 200), np.uint8)
    photo += rng.integers(0, 20, photo.shape, dtype=np.uint8)
    mask = np.zeros((height, width), np.uint8)
    mask[70:76, 20:220] = 255  # a thin scratch
    photo[mask > 0] = (255, 255, 255)
    return photo, mask


def _png(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _decoded(answer) -> np.ndarray:
    import base64

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(answer.data[0].b64_json))).convert("RGB"))


def test_inpainting_edit_comes_back_at_the_input_size(client):
    photo, mask = _photo_and_mask()
    answer = client.images.edit(
        model="classic-inpaint", image=("photo.png", _png(photo)), mask=("mask.png", _png(mask)), prompt=""
    )
    result = _decoded(answer)
    assert result.shape == photo.shape
    assert np.array_equal(result[mask == 0], photo[mask == 0])
    core = result[72:74, 30:210].astype(int)  # the scratch's edge is feathered into the photo
    assert np.abs(core - (48, 128, 208)).max() < 40  # the blue around, not the white scratch

    # OpenAI's own convention: the transparent pixels of an RGBA mask are the ones to edit
    rgba = np.dstack([photo, np.where(mask > 0, 0, 255).astype(np.uint8)])
    transparent = client.images.edit(
        model="classic-inpaint", image=("photo.png", _png(photo)), mask=("mask.png", _png(rgba)), prompt=""
    )
    edited = _decoded(transparent)  # the same pixels kept and filled (auto's PatchMatch is seeded per call)
    assert np.array_equal(edited[mask == 0], photo[mask == 0])
    assert np.abs(edited[72:74, 30:210].astype(int) - (48, 128, 208)).max() < 40


def test_wrong_or_missing_key_is_refused(studio):
    for key in ("sk-wrong-0123456789", ALICE_KEY + "x"):
        with pytest.raises(openai.AuthenticationError, match="Incorrect API key"):
            openai.OpenAI(base_url=f"{studio.url}v1", api_key=key, max_retries=0).models.list()
    health = httpx.get(f"{studio.url}v1/health", timeout=10).json()  # for balancers: no key, nothing private
    assert health == {"status": "ok", "busy": False, "in_flight": 0}
    bare = httpx.get(f"{studio.url}v1/models", timeout=10)
    assert bare.status_code == 401 and bare.json()["error"]["code"] == "invalid_api_key"


def test_bad_requests_are_answered_in_the_openai_error_shape(client, studio):
    with pytest.raises(openai.BadRequestError, match="Temperature must be between 0 and 2") as caught:
        client.chat.completions.create(model="smollm2", messages=COUNT, temperature=9)
    assert caught.value.body["type"] == "invalid_request_error"
    with pytest.raises(openai.NotFoundError, match=r"gpt-4o.*smollm2"):
        client.chat.completions.create(model="gpt-4o", messages=COUNT)
    headers = {"Authorization": f"Bearer {ALICE_KEY}"}
    for path, body in [
        ("chat/completions", b"{not json"),
        ("chat/completions", b'{"model": "smollm2", "messages": [{"role": "user", "content": ""}]}'),
        ("audio/speech", b'{"model": "hibari", "input": "hi", "response_format": "ogg"}'),
        ("images/generations", b'{"prompt": "a fox"}'),
        ("chat/completions", b'{"messages": [{"role": ["user"], "content": "hi"}]}'),
        ("chat/completions", b'{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}'),
        (
            "chat/completions",
            b'{"messages": [{"role": "user", "content": "hi"}], "stream": true, "seed": 1e400}',
        ),
        ("audio/speech", b'{"model": "hibari", "input": ["hi"]}'),
        ("audio/music", b'{"prompt": "jazz", "tempo": "fast!"}'),
        ("nowhere", b"{}"),
    ]:
        response = httpx.post(f"{studio.url}v1/{path}", content=body, headers=headers, timeout=30)
        assert response.status_code in (400, 404), (path, response.text)
        error = response.json()["error"]
        assert set(error) == {"message", "type", "param", "code"} and error["message"], path
    too_big = b"\x89PNG" + bytes(2 * 2**20)
    with pytest.raises(openai.APIStatusError, match="too large: the limit is 1 MB") as caught:
        client.images.edit(model="classic-inpaint", image=("big.png", too_big), prompt="")
    assert caught.value.status_code == 413
    with pytest.raises(openai.BadRequestError, match="mask is empty"):
        client.images.edit(model="classic-inpaint", image=("p.png", _png(_photo_and_mask()[0])), prompt="")


def test_a_cancelled_stream_frees_the_worker(client, studio):
    long = [{"role": "user", "content": "Write a very long story about the sea, in many chapters."}]
    started = time.monotonic()
    stream = client.chat.completions.create(
        model="smollm2", messages=long, temperature=1.0, max_tokens=500, stream=True
    )
    seen = 0
    for chunk in stream:
        seen += bool(chunk.choices and chunk.choices[0].delta.content)
        if seen == 3:
            break
    per_token = (time.monotonic() - started) / 3  # an over-estimate: it includes reading the prompt
    stream.close()
    manager = studio.demo.studio.manager
    deadline = time.monotonic() + max(2.0, 20 * per_token)  # 500 tokens would take 25 times longer
    while manager.busy() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not manager.busy(), "the job went on after its client left"
    cancelled = history(studio)[0]
    assert cancelled.params["stopped"] is True and cancelled.file("output.txt").read_text()
    assert client.chat.completions.create(model="smollm2", messages=COUNT, max_tokens=5).choices
