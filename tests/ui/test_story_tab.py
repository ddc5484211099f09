"""The Story tab through gradio_client against the launched studio, on the embedded models:
the whole story, each step alone, Stop in each step, a script or a narration of your own,
and bad inputs."""

from __future__ import annotations

import time
from pathlib import Path

import pyloudnorm
import pytest
import soundfile as sf
import srt
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from bench.story import ducking_db
from genai_studio.history import History
from genai_studio.owners import Owner

SCRIPT = "The lighthouse keeper climbs the stairs. The lamp turns, and the ships sail home."
VOICE = ("hibari", "heart", "auto", 1.0)
MUSIC = ("composer", "auto", "auto", 0, 5)  # model, mood, genre, tempo, seed


def whole(idea="", script=SCRIPT, seconds=10, narration=None, music=None):
    return (idea, script, seconds, "smollm2", *VOICE, *MUSIC, narration, music)


def story_entries(studio, step=None):
    entries = History(studio.settings.history_dir).entries(Owner.local())
    return [e for e in entries if e.task == "story" and (step is None or e.params.get("step") == step)]


def test_a_whole_story_from_an_idea_is_drafted_narrated_scored_mixed_and_saved(studio):
    before = len(story_entries(studio))
    job = studio.client.submit(
        *whole(idea="a 5-second ad for a bakery", script="", seconds=5), api_name="/make_story"
    )
    script, narration, music, mixed, files, status, *ids = job.result(timeout=240)
    assert status.startswith("Done:") and script.strip()
    assert [Path(f).name for f in files] == ["story.wav", "story.mp3", "story.srt", "script.txt"]
    assert [e.params["step"] for e in story_entries(studio)[:4]] == ["mix", "score", "narrate", "draft"]
    assert len(story_entries(studio)) == before + 4
    entry = story_entries(studio, "mix")[0]
    assert entry.id == ids[2]
    for control in ("idea", "script", "seconds", "text_model", "speech_model", "voice", "language", "speed"):
        assert control in entry.params, control
    assert entry.params["mood"] == "auto" and entry.params["seed"] == 5 and entry.params["script"] == script
    mix, rate = sf.read(mixed, dtype="float64")
    assert abs(pyloudnorm.Meter(rate).integrated_loudness(mix) + 16) < 1.0
    voice, voice_rate = sf.read(narration, dtype="float64")
    bed, _ = sf.read(music, dtype="float64")
    assert ducking_db(mix, bed, voice, voice_rate, rate, 3.0) >= 10
    assert Path(files[3]).read_text().strip() == script.strip()
    assert len(list(srt.parse(Path(files[2]).read_text()))) >= 1


def test_each_step_alone_then_mix_them(studio):
    client = studio.client
    script, status = client.predict(
        "a bedtime story about a fox", 5, "smollm2", 1.0, 3, api_name="/story_draft"
    )
    assert script.strip() and status.startswith("Drafted:")
    narration, status, narration_id, cleared = client.predict(SCRIPT, *VOICE, api_name="/story_narrate")
    assert status.startswith("Narrated:") and cleared is None
    music, status, music_id, _ = client.predict(
        SCRIPT, 10, narration_id, None, *MUSIC, api_name="/story_score"
    )
    assert status.startswith("Scored:")
    voice_s = sf.info(narration).duration
    assert abs(sf.info(music).duration - (voice_s + 7.0)) < 0.1  # the narration plus lead-in and lead-out
    mixed, files, status, mix_id = client.predict(
        SCRIPT, narration_id, None, music_id, None, api_name="/story_mix"
    )
    assert status.startswith("Done:") and abs(sf.info(mixed).duration - sf.info(music).duration) < 0.01
    cues = list(srt.parse(Path(files[2]).read_text()))
    assert [c.content.replace("\n", " ") for c in cues] == [
        "The lighthouse keeper climbs the stairs.",
        "The lamp turns, and the ships sail home.",
    ]
    assert cues[0].start.total_seconds() > 3.0  # after the music's lead-in
    entry = story_entries(studio, "mix")[0]
    assert (
        entry.id == mix_id
        and entry.params["speech_model"] == "hibari"
        and entry.params["music_model"] == "composer"
    )
    assert "Proposed" in client.predict(SCRIPT, api_name="/story_propose")


def test_a_script_of_your_own_skips_the_draft(studio):
    drafts = len(story_entries(studio, "draft"))
    script, *_, status, _, _, _ = studio.client.predict(*whole(), api_name="/make_story")
    assert status.startswith("Done:") and script == SCRIPT
    assert len(story_entries(studio, "draft")) == drafts
    assert story_entries(studio, "mix")[0].params["script"] == SCRIPT


def test_a_narration_track_of_your_own_is_used_instead_of_narrating(studio):
    _, wav, *_ = studio.client.predict(SCRIPT, "hibari", "heart", "en-us", 1.2, api_name="/generate_speech")
    narrations = len(story_entries(studio, "narrate"))
    result = studio.client.predict(*whole(narration=handle_file(wav)), api_name="/make_story")
    status, files = result[5], result[4]
    assert status.startswith("Done:")
    assert len(story_entries(studio, "narrate")) == narrations  # nothing narrated here
    entry = story_entries(studio, "mix")[0]
    assert entry.params["narration_given"] and entry.params["mix"]["subtitles"] == "timed"  # recognised
    assert abs(sf.info(files[0]).duration - (sf.info(wav).duration + 7.0)) < 0.05
    assert len(list(srt.parse(Path(files[2]).read_text()))) == 2


def wait_for(job, text, seconds=90):
    deadline = time.monotonic() + seconds
    while not any(text in str(out) for out in job.outputs()):
        assert time.monotonic() < deadline and not job.done(), job.outputs()[-1:]
        time.sleep(0.02)


LONG_SCRIPT = " ".join(
    f"Wave number {i} rolls in from the grey sea and breaks on the rocks." for i in range(40)
)


@pytest.mark.parametrize(
    ("endpoint", "args", "progress", "step"),
    [
        (
            "/story_draft",
            ("a ten-minute saga of a kingdom under the sea", 600, "smollm2", 1.0, 1),
            "Drafting",
            "draft",
        ),
        ("/story_narrate", (LONG_SCRIPT, *VOICE), "Narrating: sentence", "narrate"),
        ("/story_score", ("", 600, "", None, *MUSIC), "Scoring:", "score"),
    ],
)
def test_stop_ends_a_step_within_it_and_saves_nothing(studio, endpoint, args, progress, step):
    client = studio.new_client()  # its own session: Stop stops only this session's step
    saved = len(story_entries(studio, step))
    job = client.submit(*args, api_name=endpoint)
    wait_for(job, progress)
    assert client.predict(api_name="/stop_story") == "Stopping…"
    started = time.monotonic()
    outputs = job.result(timeout=60)
    assert time.monotonic() - started < 10
    assert "nothing was saved" in str(outputs)
    assert len(story_entries(studio, step)) == saved


def test_stop_in_the_whole_story_stops_in_the_step_it_is_at(studio):
    client = studio.new_client()
    saved = len(story_entries(studio, "narrate"))
    job = client.submit(*whole(script=LONG_SCRIPT, seconds=600), api_name="/make_story")
    wait_for(job, "Narrating: sentence")
    client.predict(api_name="/stop_story")
    assert "Stopped during the narration: nothing was saved." in job.result(timeout=60)[5]
    assert len(story_entries(studio, "narrate")) == saved
    assert "No story step is running." in client.predict(api_name="/stop_story")


BAD = [
    (whole(idea="", script=""), "Write an idea"),
    (whole(script="x" * 100_000), "Script is too long: 100,000 characters"),
    (whole(seconds=0), "Length .seconds. must be between 5 and 600"),
    (whole(seconds=7200), "Length .seconds. must be between 5 and 600"),
]


def test_bad_stories_give_clear_messages_and_the_server_keeps_serving(studio):
    saved = len(story_entries(studio))
    for args, message in BAD:
        with pytest.raises(AppError, match=message):
            studio.client.predict(*args, api_name="/make_story")
    with pytest.raises(AppError, match="There is no narration yet"):
        studio.client.predict(SCRIPT, "", None, "", None, api_name="/story_mix")
    with pytest.raises(AppError, match="There is no narrate step"):
        studio.client.predict(SCRIPT, "../../etc/passwd", None, "", None, api_name="/story_mix")
    with pytest.raises(AppError, match="The script is empty"):
        studio.client.predict("", *VOICE, api_name="/story_narrate")
    assert len(story_entries(studio)) == saved
    assert "Proposed" in studio.client.predict("Still here.", api_name="/story_propose")
