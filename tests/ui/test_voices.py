"""Voices through the real server: Kokoro in the Speech tab, an unknown voice refused, mixes,
saved voices (private per owner), voice samples, voices per role in Story, and /v1."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import soundfile as sf
from gradio_client.exceptions import AppError
from openai import BadRequestError, OpenAI

from genai_studio.config import Settings
from genai_studio.history import History
from genai_studio.owners import Owner
from tests.conftest import free_port, running_studio
from tests.ui.test_narration_tab import wait_for_progress

ENDPOINT = "/generate_speech"


def entry_for(studio, text, task="speech"):
    entries = History(studio.settings.history_dir).entries(Owner.local())
    return next(e for e in entries if e.task == task and e.params.get("text", e.params.get("script")) == text)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Hi.", "hibari", "not a choice", "auto", 1.0), "no voice 'not a choice'"),  # was replaced silently
        (("你好。", "hibari", "not a choice", "auto", 1.0), "no voice 'not a choice'"),
        (("Hi.", "kokoro", "not a choice", "auto", 1.0), "no Kokoro voice 'not a choice'"),
        (("Hi.", "kokoro", "", "en-us", 1.0), "empty"),
        (("Hi.", "kokoro", "af_bella(0)+am_adam(1)", "en-us", 1.0), "positive"),
        (("Hi.", "kokoro", "af_bella(-1)+am_adam(1)", "auto", 1.0), "positive"),
        (("Hi.", "kokoro", "af_bella+zf_xiaobei", "auto", 1.0), "one language"),
        (("Hi.", "kokoro", "af_bella", "zh", 1.0), "speaks English"),
        (("Hi.", "kokoro", "my:Nobody", "en-us", 1.0), "no saved voice named 'Nobody'"),
    ],
)
def test_unknown_voices_and_bad_mixes_are_errors_never_replaced(studio, args, message):
    with pytest.raises(AppError, match=message):
        studio.client.predict(*args, api_name=ENDPOINT)


def test_kokoro_speaks_a_mix_and_auto_picks_a_voice_of_the_texts_language(studio):
    text = "A blended voice reads this line."
    _, wav_path, status, *_ = studio.client.predict(
        text, "kokoro", "af_heart(2)+bm_george(1)", "auto", 1.0, api_name=ENDPOINT
    )
    audio, rate = sf.read(wav_path, dtype="float32")
    assert rate == 24_000 and 1.0 < audio.size / rate < 8.0 and "1 sentences" in status
    entry = entry_for(studio, text)
    assert (
        entry.params["voice"] == "af_heart(0.6667)+bm_george(0.3333)" and entry.params["language"] == "en-us"
    )
    chinese = "你好，欢迎。"
    studio.client.predict(chinese, "kokoro", "bf_emma", "auto", 1.0, api_name=ENDPOINT)
    entry = entry_for(studio, chinese)
    assert entry.params["model"] == "kokoro" and entry.params["voice"] == "zf_xiaobei"
    assert entry.params["language"] == "zh"


def test_the_picker_labels_kokoro_voices_and_says_it_is_slower(studio):
    voice, language = studio.client.predict("kokoro", "af_heart", "auto", api_name="/speech_options")
    labels = dict((value, label) for label, value in voice["choices"])
    assert len(labels) == 49 and labels["bm_george"] == "George · English (UK) · man"
    assert "beta" in labels["ff_siwis"]
    assert [value for _, value in language["choices"]][:4] == ["auto", "en-us", "en-gb", "zh"]
    assert "higher quality, slower than hibari" in studio.demo.studio.manager.backend_for("kokoro").label


def test_a_voice_sample_is_made_once_then_cached(studio):
    path = studio.client.predict("kokoro", "bf_emma", api_name="/voice_sample")
    audio, rate = sf.read(path, dtype="float32")
    assert rate == 24_000 and 2.0 < audio.size / rate < 10.0
    cached = list((studio.settings.cache_dir / "voice-samples").glob("*.wav"))
    again = studio.client.predict("kokoro", "bf_emma", api_name="/voice_sample")
    assert sf.read(again, dtype="float32")[0].size == audio.size
    assert list((studio.settings.cache_dir / "voice-samples").glob("*.wav")) == cached
    with pytest.raises(AppError, match="no voice 'nobody'"):
        studio.client.predict("hibari", "nobody", api_name="/voice_sample")


def test_a_saved_mix_is_used_in_speech_and_refused_when_empty(studio):
    status, voice, model = studio.client.predict(
        "Warm narrator", "af_heart", 1, "bf_emma", 1, None, 1, api_name="/save_voice"
    )
    assert "my:Warm narrator" in status and voice["value"] == "my:Warm narrator" and model == "kokoro"
    text = "My own voice says hello."
    studio.client.predict(text, "kokoro", "my:Warm narrator", "auto", 1.0, api_name=ENDPOINT)
    assert entry_for(studio, text).params["voice"] == "af_heart(0.5)+bf_emma(0.5)"
    for rows, message in (
        ((None, 1, None, 1, None, 1), "empty"),
        (("af_heart", 0, None, 1, None, 1), "positive"),
        (("af_heart", 1, "zf_xiaobei", 1, None, 1), "one language"),
    ):
        with pytest.raises(AppError, match=message):
            studio.client.predict("Another", *rows, api_name="/save_voice")
    with pytest.raises(AppError, match="must be letters"):
        studio.client.predict("../../etc", "af_heart", 1, None, 1, None, 1, api_name="/save_voice")


def test_story_roles_get_their_voices(studio):
    script = "The door opened.\nTom: Good morning, everyone.\n“Hello,” said Mira."
    roles = ("Tom", "am_michael", "Mira", "bf_emma", "", None)
    _, status, entry_id, _ = studio.client.predict(
        script, "kokoro", "af_heart", "auto", 1.0, *roles, api_name="/story_narrate"
    )
    assert status.startswith("Narrated")
    entry = History(studio.settings.history_dir).get(Owner.local(), entry_id)
    assert entry.params["roles"] == {
        "narrator": "af_heart",
        "characters": {"Tom": "am_michael", "Mira": "bf_emma"},
    }
    with pytest.raises(AppError, match="Pick a voice for Tom"):
        studio.client.predict(script, "kokoro", "af_heart", "auto", 1.0, "Tom", None, "", None, "", None,
                              api_name="/story_narrate")  # fmt: skip
    with pytest.raises(AppError, match="speaks Chinese"):
        studio.client.predict(script, "kokoro", "af_heart", "en-us", 1.0, "Tom", "zf_xiaobei", "", None, "",
                              None, api_name="/story_narrate")  # fmt: skip


def test_a_narration_with_roles_stops_and_continues_with_its_voices(studio):
    chapter = "Mira: Wait for me.\nTom turned. “Hurry,” he said.\nThe end came quickly."
    roles = ("Mira", "bf_emma", "Tom", "am_michael", None, None)
    client = studio.new_client()
    job = client.submit(chapter, "kokoro", "af_heart", "en-us", 1.0, *roles, api_name="/narrate")
    wait_for_progress(job, seconds=180)  # Kokoro loads first
    client.predict(api_name="/stop_narration")
    _, _, status, entry_id = job.result(timeout=240)
    stopped = History(studio.settings.history_dir).get(Owner.local(), entry_id)
    characters = {"Mira": "bf_emma", "Tom": "am_michael"}
    assert stopped.params["roles"] == {"narrator": "af_heart", "characters": characters}
    assert stopped.params["sentences"] == 5  # Mira's line, "Tom turned.", the quote, "he said.", the end
    if stopped.params["stopped"]:  # Stop came before the last sentence: continue with the same roles
        _, _, status, done_id = client.predict(entry_id, api_name="/continue_narration")
        done = History(studio.settings.history_dir).get(Owner.local(), done_id)
        assert status.startswith("Done: 5 sentences") and done.params["roles"] == stopped.params["roles"]


def test_openai_speech_takes_every_voice_and_mixes_and_lists_them(studio):
    client = OpenAI(base_url=f"{studio.url}v1", api_key="any")
    speech = client.audio.speech.create(
        model="kokoro", voice="af_bella(2)+am_adam(1)", input="Hello from a mix.", response_format="wav"
    )
    assert speech.content[:4] == b"RIFF" and len(speech.content) > 20_000
    with pytest.raises(BadRequestError, match="no voice 'alloy'"):
        client.audio.speech.create(model="hibari", voice="alloy", input="Hi.")
    with pytest.raises(BadRequestError, match="one language"):
        client.audio.speech.create(model="kokoro", voice="af_bella+zf_xiaobei", input="Hi.")
    listed = httpx.get(f"{studio.url}v1/audio/voices", params={"model": "kokoro"}, timeout=30).json()
    voices = {voice["id"]: voice["language"] for voice in listed["voices"]}
    assert listed["mixes"] and voices["bm_george"] == "en-gb" and voices["zf_xiaobei"] == "zh"
    assert len([v for v in voices if not v.startswith("my:")]) == 49
    card = httpx.get(f"{studio.url}v1/models/kokoro", timeout=30).json()
    assert "af_heart" in card["voices"] and "zh" in card["languages"]


def test_saved_voices_are_private_between_owners(tmp_path):
    settings = Settings(port=free_port(), output_dir=tmp_path, host="0.0.0.0")
    with running_studio(settings) as studio:
        ann, bob = studio.new_client(download_files=False), studio.new_client(download_files=False)
        ann.predict("Secret", "af_heart", 1, "bm_george", 3, None, 1, api_name="/save_voice")
        with pytest.raises(AppError, match="no saved voice named 'Secret'"):
            bob.predict("Hi.", "kokoro", "my:Secret", "en-us", 1.0, api_name=ENDPOINT)
        voices, _ = bob.predict("kokoro", "af_heart", "auto", api_name="/speech_options")
        assert not [value for _, value in voices["choices"] if value.startswith("my:")]
        voices, _ = ann.predict("kokoro", "af_heart", "auto", api_name="/speech_options")
        assert "my:Secret" in [value for _, value in voices["choices"]]
        assert Path(tmp_path / "voices").is_dir() and len(list((tmp_path / "voices").iterdir())) == 1
