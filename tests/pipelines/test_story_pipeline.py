"""The Story pipeline through a real ModelManager and the embedded text, speech and music
models: its checks before anything runs, each step alone, Stop inside each step, and the
mix's levels measured on the audio it writes."""

from __future__ import annotations

import threading
from pathlib import Path

import pyloudnorm
import pytest
import soundfile as sf
import srt

from bench.recognise import wer
from bench.story import ducking_db
from genai_studio.backends.manager import ModelManager
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput
from genai_studio.narration import NarrationProgress
from genai_studio.pipelines import story

SCRIPT = (
    "Every morning at five, the bakery on Elm Street wakes up. "
    "Warm bread, fresh croissants and a smile are waiting for you.\n\n"
    "Come in today. Your breakfast is ready."
)
PLAN = dict(
    idea="",
    script_text=SCRIPT,
    seconds=10,
    text_model="smollm2",
    speech_model="hibari",
    voice="heart",
    language="auto",
    speed=1.0,
    music_model="composer",
    mood="auto",
    genre="auto",
    tempo=0,
    seed=7,
)


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    return Settings(output_dir=tmp_path_factory.mktemp("story"), max_new_tokens=256, llama_threads=1)


@pytest.fixture(scope="module")
def manager(settings) -> ModelManager:
    return ModelManager(settings)


@pytest.fixture(scope="module")
def voice(manager, settings, tmp_path_factory) -> story.Voice:
    spec, request = story.speech_request(
        manager,
        settings.speech_models,
        model="hibari",
        voice="heart",
        language="auto",
        speed=1.0,
        text=SCRIPT,
    )
    items = list(
        story.narrate_script(manager, spec, request, tmp_path_factory.mktemp("n"), threading.Event())
    )
    assert sum(isinstance(i, NarrationProgress) for i in items) == len(story.script(SCRIPT).sentences)
    return items[-1]


@pytest.fixture(scope="module")
def music(manager, settings, voice) -> story.Score:
    seconds = story.music_seconds(voice.track.seconds)
    requests = story.music_requests(settings, seconds, story.MusicChoices(), SCRIPT, seed=3)
    *_, done = story.score(manager, "composer", requests, threading.Event())
    return done


def plan_of(settings, manager, **changes):
    return story.build_story_plan(settings, manager, **{**PLAN, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"script_text": "", "idea": "  "}, "Write an idea"),
        ({"script_text": "x" * 100_000}, "Script is too long: 100,000 characters"),
        ({"seconds": 0}, "Length .seconds. must be between 5 and 600"),
        ({"seconds": 7200}, "Length .seconds. must be between 5 and 600"),
        ({"script_text": "word " * 1900, "speed": 0.5}, "about 21 minutes to read"),
        ({"voice": "nobody", "language": "en-us"}, "no voice 'nobody'"),
        ({"mood": "grumpy"}, "Mood must be one of"),
        ({"narration_path": "/etc/passwd"}, "not audio"),
    ],
)
def test_bad_values_are_refused_before_any_model_runs(settings, changes, message):
    untouched = ModelManager(settings)
    with pytest.raises(InvalidInput, match=message):
        plan_of(settings, untouched, **changes)
    assert untouched.resident() == []


def test_chinese_text_gets_a_chinese_voice_on_auto(manager, settings):
    spec, request = story.speech_request(
        manager, settings.speech_models, model="hibari", voice="heart", language="auto", speed=1.0,
        text="从前，有一只小狐狸住在河边。",
    )  # fmt: skip
    assert spec != "hibari" and request.language in ("zh", "cmn")


@pytest.mark.parametrize(
    ("text", "mood", "genre"),
    [
        (
            "A bedtime story: the moon hums and the little fox falls asleep, quiet and soft.",
            "calm",
            "classical",
        ),
        ("Fresh bread today! Our bakery welcomes you with a smile.", "happy", "lofi"),
        ("The brave hero began a quest across the kingdom to face the dragon.", "epic", "cinematic"),
        ("Nothing here says anything.", "calm", "ambient"),
        ("月亮出来了，小狐狸安静地睡着了，做了一个梦。", "calm", "ambient"),
    ],
)
def test_the_music_proposal_follows_the_words_and_says_why(text, mood, genre):
    proposal = story.propose(text)
    assert (proposal.mood, proposal.genre) == (mood, genre)
    assert 40 <= proposal.tempo <= 240 and proposal.why
    assert story.MusicChoices("sad", "auto", 0).resolved(text)[0] == "sad"  # the user's choice wins


def test_a_draft_is_tidied_to_the_narrators_words_and_about_the_length():
    raw = (
        "**Title: Morning Bread**\n\n(Soft music plays)\n\nNarrator: The oven is warm. [SFX: bell] "
        "The bread is golden. The street is still asleep. We are already here for you.\n\nA bread is golden! "
        "And then the"
    )
    assert (
        story.tidy(raw, 100)
        == "The oven is warm. The bread is golden. The street is still asleep. We are already here for you."
    )
    assert story.tidy(raw, 8) == "The oven is warm. The bread is golden."


def test_draft_writes_a_script_near_the_asked_length(manager, settings):
    request = story.draft_request(settings, "a 20-second ad for a bakery", 20, 1.0, seed=1)
    items = list(story.draft(manager, "smollm2", request, 50, threading.Event()))
    done = items[-1]
    assert isinstance(done, story.Draft) and all(isinstance(i, str) for i in items[:-1])
    assert 1 <= story.spoken_units(done.script) <= 63  # at most 1.25x the 50 words asked
    assert "**" not in done.script and "Narrator:" not in done.script


def test_stop_within_the_draft_keeps_no_draft(manager, settings):
    request = story.draft_request(settings, "a two-minute bedtime story about a fox", 120, 1.0, seed=1)
    cancel = threading.Event()
    items = []
    for item in story.draft(manager, "smollm2", request, 300, cancel):
        items.append(item)
        cancel.set()
    assert len(items) == 1 and isinstance(items[0], str)


def test_narration_has_timed_cues_for_every_sentence(voice):
    assert [c.text for c in voice.cues] == list(story.script(SCRIPT).sentences)
    assert 0 < voice.cues[0].start < voice.cues[-1].end <= voice.track.seconds
    assert 5 < voice.track.seconds < 20


def test_stop_within_the_narration_keeps_no_voice(manager, settings, tmp_path):
    spec, request = story.speech_request(
        manager,
        settings.speech_models,
        model="hibari",
        voice="heart",
        language="en-us",
        speed=1.0,
        text=SCRIPT,
    )
    cancel = threading.Event()
    items = []
    for item in story.narrate_script(manager, spec, request, tmp_path, cancel):
        items.append(item)
        cancel.set()
    assert len(items) == 1 and isinstance(items[0], NarrationProgress)


def test_long_music_is_several_jobs_joined(manager, settings):
    requests = story.music_requests(settings, 22, story.MusicChoices("calm", "ambient", 80), "", 5, longest=8)
    assert len(requests) == 4 and [r.seed for r in requests] == [5, 6, 7, 8]
    *progress, done = story.score(manager, "composer", requests, threading.Event())
    assert isinstance(done, story.Score) and progress
    assert abs(done.track.seconds - 22) < 0.05 and done.track.audio.shape[1] == 2
    assert done.params["genre"] == "ambient" and done.params["tempo"] == 80


def test_stop_within_the_score_keeps_no_music(manager, settings):
    requests = story.music_requests(settings, 60, story.MusicChoices(), "", 5, longest=30)
    cancel = threading.Event()
    items = []
    for item in story.score(manager, "composer", requests, cancel):
        items.append(item)
        cancel.set()
    assert len(items) == 1 and isinstance(items[0], story.ScoreProgress)


def test_the_mix_ducks_the_music_at_least_10_db_and_is_at_minus_16_lufs(voice, music, tmp_path):
    items = list(story.mix_story(voice, music.track, SCRIPT, tmp_path, threading.Event()))
    done = items[-1]
    assert isinstance(done, story.Mixed)
    assert {p.name for p in done.files.values()} == {"story.wav", "story.mp3", "story.srt", "script.txt"}
    mix, rate = sf.read(done.files[story.WAV], dtype="float64")
    assert rate == 44_100 and mix.shape[1] == 2
    assert abs(len(mix) / rate - (voice.track.seconds + 7.0)) < 0.01
    assert abs(pyloudnorm.Meter(rate).integrated_loudness(mix) + 16) < 1.0
    depth = ducking_db(mix, music.track.audio, voice.track.audio, voice.track.rate, rate, 3.0)
    assert depth >= 10, depth
    assert done.params["ducked_db"] >= 10
    cues = list(srt.parse(done.files[story.SRT].read_text()))
    assert [c.content.replace("\n", " ") for c in cues] == [c.text for c in voice.cues]
    assert abs(cues[0].start.total_seconds() - (voice.cues[0].start + 3.0)) < 0.002
    assert done.files[story.SCRIPT].read_text().strip() == SCRIPT
    mp3, _ = sf.read(done.files[story.MP3])
    assert abs(len(mp3) / rate - len(mix) / rate) < 0.2


def test_stop_within_the_mix_writes_nothing(voice, music, tmp_path):
    cancel = threading.Event()
    items = []
    for item in story.mix_story(voice, music.track, SCRIPT, tmp_path, cancel):
        items.append(item)
        cancel.set()
    assert all(isinstance(i, story.MixProgress) for i in items) and len(items) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_narration_track_of_your_own_gets_approximate_cues(voice, tmp_path):
    path = tmp_path / "mine.wav"
    sf.write(path, voice.track.audio, voice.track.rate)
    track = story.read_track(str(path), field="The narration track")
    cues = story.approximate_cues(SCRIPT, track)
    assert [c.text for c in cues] == [c.text for c in voice.cues]
    assert abs(cues[0].start - voice.cues[0].start) < 0.1 and abs(cues[-1].end - voice.cues[-1].end) < 0.1


def test_a_narration_track_of_your_own_gets_cues_timed_by_the_recogniser(manager, settings, voice, tmp_path):
    heard, text = story.given_voice(manager, settings, voice.track, SCRIPT, tmp_path, threading.Event())
    assert text == SCRIPT and heard.params["recognised_by"] == "whisper"
    assert [c.text for c in heard.cues] == [c.text for c in voice.cues]  # the script's words
    for cue, truth in zip(heard.cues, voice.cues, strict=True):  # the voice's own timing, as heard
        assert abs(cue.start - truth.start) < 0.3 and abs(cue.end - truth.end) < 0.4, (cue, truth)
    unscripted, said = story.given_voice(manager, settings, voice.track, "", tmp_path, threading.Event())
    assert wer(SCRIPT, said) <= 0.15 and " ".join(c.text for c in unscripted.cues) == said
    assert list(tmp_path.iterdir()) == []  # the copy the recogniser read is gone


def test_run_story_with_a_script_skips_the_draft_and_runs_the_rest(manager, settings, tmp_path):
    plan = plan_of(settings, manager)
    steps = [u.step for u in story.run_story(settings, manager, plan, tmp_path, threading.Event())]
    assert "draft" not in steps and steps[-1] == "mix"
    assert steps.index("narrate") < steps.index("score") < steps.index("mix")
    assert Path(tmp_path / story.WAV).is_file()
