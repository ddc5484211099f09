"""Story tab: an idea (or a script) to a short narrated piece with music ducked under the voice.

One button per step (Draft, Narrate, Score, Mix) and one that runs every step still needed
(Make it all); each streams progress and stops at Stop, this session's only. A step's result
is saved to History as it is done, a stopped step saves nothing. A narration or music track
the user gives (uploaded, or sent from another tab) is used instead of making that step's.
The steps themselves are genai_studio.pipelines.story; this module only wires them. The last
step, Film (the mixed story as an MP4 with pictures), is ui/story_film.py.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gradio as gr

from genai_studio.backends.music.plan import MAX_BPM
from genai_studio.backends.music.request import AUTO, GENRES, MOOD_CHOICES
from genai_studio.backends.speech.request import MAX_SPEED, MIN_SPEED
from genai_studio.errors import InvalidInput
from genai_studio.inputs import bounded_number, choice
from genai_studio.narration import NarrationProgress
from genai_studio.pipelines import story
from genai_studio.ui import story_film
from genai_studio.ui.common import (
    HEAVY,
    StudioContext,
    TabHandle,
    model_choices,
    strings,
    tr,
    user_errors,
)
from genai_studio.ui.speech_common import (
    follow_model,
    labelled_choices,
    resolved_cast,
    role_rows,
    voice_dropdown,
    voice_options,
)
from genai_studio.ui.story_records import MIX_FILES, TASK, StoryRecords, mix_status

strings(
    {
        "story.tab": ("Story", "故事"),
        "story.intro": (
            "A short narrated piece from one idea: **Draft** writes the script (edit it, or paste your "
            "own), **Narrate** speaks it, **Score** makes music for it from the mood it proposes, "
            "**Mix** ducks the music under the voice and exports WAV, MP3, subtitles and the script. "
            "**Make it all** runs every step still needed. A narration or music track of your own is "
            "used instead of making one.",
            "用一个想法做一段带旁白的短作品：**起草**写出脚本（可修改，或粘贴你自己的），**朗读**把它读出来，"
            "**配乐**按建议的情绪为它作曲，**混音**在人声出现时压低音乐，并导出 WAV、MP3、字幕和脚本。"
            "**一键完成**会运行尚需的每一步。你自己的旁白或音乐音轨会代替生成的那一步。",
        ),
        "story.idea": ("Idea", "想法"),
        "story.idea.placeholder": (
            "a 30-second ad for a bakery that opens at dawn",
            "一家黎明时分开门的面包店的 30 秒广告",
        ),
        "story.script": (
            "Script (drafted from the idea, or your own: used as it is)",
            "脚本（由想法起草，或用你自己的：原样使用）",
        ),
        "story.seconds": ("Length in seconds (5-600)", "时长（秒，5-600）"),
        "story.text_model": ("Text model", "文本模型"),
        "story.speech_model": ("Voice model", "语音模型"),
        "story.music_model": ("Music model", "音乐模型"),
        "story.tempo": ("Tempo in bpm (0: proposed)", "速度 bpm（0：按建议）"),
        "story.draft": ("Draft", "起草"),
        "story.narrate": ("Narrate", "朗读"),
        "story.score": ("Score", "配乐"),
        "story.mix": ("Mix", "混音"),
        "story.all": ("Make it all", "一键完成"),
        "story.narration": ("Narration", "旁白"),
        "story.music": ("Music", "音乐"),
        "story.mixed": ("Story (mixed)", "故事（混音）"),
        "story.files": ("Files (WAV, MP3, SRT, script)", "文件（WAV、MP3、SRT、脚本）"),
        "story.own": ("Your own tracks (used instead of making them)", "你自己的音轨（代替生成）"),
        "story.narration_track": ("Your narration track", "你的旁白音轨"),
        "story.music_track": ("Your music track", "你的音乐音轨"),
    }
)


def _stopped(step: str) -> str:
    return f"Stopped during the {step}: nothing was saved."


def build(ctx: StudioContext) -> list[TabHandle]:
    settings, manager = ctx.settings, ctx.manager
    if not (settings.text_models and settings.speech_models and settings.music_models):
        return []  # a story needs all three kinds of model
    jobs: dict[str, threading.Event] = {}  # session -> the cancel event of its running step

    @contextmanager
    def running(request: gr.Request) -> Iterator[threading.Event]:
        """This session's cancel event while a step runs (Stop sets it; so does leaving)."""
        session = request.session_hash or ""
        cancel = threading.Event()
        jobs[session] = cancel
        try:
            yield cancel
        finally:
            cancel.set()
            if jobs.get(session) is cancel:
                del jobs[session]

    records = StoryRecords(ctx)

    # -- the steps -----------------------------------------------------------------------
    @user_errors
    def story_draft(
        request: gr.Request, idea: str, seconds: float, text_model: str, speed: float, seed: float
    ) -> Iterator[tuple[Any, str]]:
        """Draft a story's script from an idea with the text model, streamed as it is written.

        Args:
            idea: what the story is, e.g. "a 30-second ad for a bakery" (up to 2,000 characters).
            seconds: the length to aim at, 5-600 (about 3 words a second of speech).
            text_model: a text model spec from the list the server offers.
            speed: the narration speed the script is written for, 0.5-2.
            seed: -1 for a random seed.
        Returns:
            The script as it grows, then tidied (titles, stage directions cut), and a status line.
        """
        owner = ctx.owner(request)
        length, wish = story.check_length(seconds), story.check_idea(idea)
        spec = choice(text_model, field="Text model", options=settings.text_models)
        pace = bounded_number(speed, field="Speed", low=MIN_SPEED, high=MAX_SPEED)
        chosen_seed = story.check_seed(seed)
        job = story.draft_request(settings, wish, length, pace, chosen_seed)
        units = story.target_units(length, pace, story.is_chinese(wish))
        choices = {"idea": wish, "seconds": length, "text_model": spec, "speed": pace, "seed": chosen_seed}
        with running(request) as cancel:
            for item in story.draft(manager.for_owner(owner), spec, job, units, cancel):
                if isinstance(item, story.Draft):
                    records.saved_draft(owner, item, choices, spec)
                    about = story.estimated_seconds(item.script, pace)
                    yield (
                        item.script,
                        f"Drafted: {story.spoken_units(item.script)} words, about {about:.0f} s.",
                    )
                    return
                yield item, "Drafting…"
            stopped = cancel.is_set()
        if stopped:
            yield "", _stopped("draft")

    @user_errors
    def story_narrate(
        request: gr.Request,
        script: str,
        speech_model: str,
        voice: str,
        language: str,
        speed: float,
        character1: str | None = None,
        voice1: str | None = None,
        character2: str | None = None,
        voice2: str | None = None,
        character3: str | None = None,
        voice3: str | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's way to ask for a progress bar
    ) -> Iterator[tuple[Any, ...]]:
        """Narrate a story's script with a speech model (long-form narration, -16 LUFS).

        Args:
            script: the words to say, up to 10,000 characters (blank lines: a pause).
            speech_model: a speech model spec from the list the server offers.
            voice: the narrator's voice: a voice id of that model, a mix (kokoro), or my:NAME.
            language: "auto" (Chinese text gets a Chinese voice) or a language id of that model.
            speed: 0.5 (slow) to 2.0 (fast).
            character1: a character's name ("" for none): lines "NAME: ..." and quoted text next
                to the name are spoken in the character's voice; other quotes go to the last
                character who spoke, else the first.
            voice1: that character's voice (of the same model).
            character2: a second character's name ("" for none).
            voice2: its voice.
            character3: a third character's name ("" for none).
            voice3: its voice.
        Returns:
            The narration (WAV), a status line, the History id of this narration (for story_mix
            and story_score), and an empty narration-track input (a new narration replaces it).
        """
        owner = ctx.owner(request)
        text = story.check_script(script)
        if not text:
            raise InvalidInput(
                "The script is empty: press Draft to write one from the idea, or paste your own."
            )
        roles = (character1, voice1, character2, voice2, character3, voice3)
        narrator, cast = resolved_cast(ctx, owner, voice, roles)
        spec, job = story.speech_request(
            manager,
            settings.speech_models,
            model=speech_model,
            voice=narrator,
            language=language,
            speed=speed,
            text=text,
            cast=cast,
        )
        choices = {"script": text, "speech_model": speech_model, "voice": voice, "language": language}
        choices["speed"] = job.speed
        if job.cast is not None:
            choices["roles"] = job.cast.params()
        with running(request) as cancel, tempfile.TemporaryDirectory(prefix="story-") as workdir:
            for item in story.narrate_script(manager.for_owner(owner), spec, job, Path(workdir), cancel):
                if isinstance(item, NarrationProgress):
                    progress((item.done, item.total), desc="Narrating", unit="sentences")
                    yield gr.skip(), f"Narrating: sentence {item.done} of {item.total}", gr.skip(), gr.skip()
                    continue
                entry = records.saved_voice(owner, item, choices, text)
                status = f"Narrated: {item.track.seconds:.1f} s, {len(item.cues)} cues."
                yield ctx.deliver(owner, entry, story.NARRATION_WAV), status, entry.id, None
                return
        yield gr.skip(), _stopped("narration"), gr.skip(), gr.skip()

    @user_errors
    def story_score(
        request: gr.Request,
        script: str,
        seconds: float,
        narration_entry: str,
        narration_track: str | None,
        music_model: str,
        mood: str,
        genre: str,
        tempo: float,
        seed: float,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> Iterator[tuple[Any, ...]]:
        """Make music for a story: as long as its narration plus a lead-in and a lead-out.

        Args:
            script: the story's script: the mood, genre and tempo are proposed from its words.
            seconds: the story's length, 5-600, used when there is no narration yet.
            narration_entry: the History id story_narrate returned ("" for none).
            narration_track: a narration audio file of your own (used instead of the entry).
            music_model: a music model spec from the list the server offers.
            mood: "auto" (proposed) or happy, sad, calm, energetic, dark, romantic, mysterious, epic, playful.
            genre: "auto" (proposed) or a genre (see understand_music).
            tempo: beats per minute, 40-240; 0 takes the proposed one.
            seed: -1 for a random seed.
        Returns:
            The music (WAV), a status line, the History id of this music (for story_mix), and an
            empty music-track input (the new music replaces it).
        """
        owner = ctx.owner(request)
        text = story.check_script(script)
        music = story.check_music(mood, genre, tempo)
        chosen_seed = story.check_seed(seed)
        spec = choice(music_model, field="Music model", options=settings.music_models)
        manager.available_backend(spec)
        length = asked = story.check_length(seconds)
        if narration_track or narration_entry:
            voice, *_ = records.voice_of(owner, text, narration_entry, narration_track)
            length = voice.track.seconds
        jobs_ = story.music_requests(settings, story.music_seconds(length), music, text, chosen_seed)
        choices = {"music_model": spec, "mood": music.mood, "genre": music.genre, "tempo": music.tempo}
        choices |= {"seed": chosen_seed, "seconds": asked}
        with running(request) as cancel:
            for item in story.score(manager.for_owner(owner), spec, jobs_, cancel):
                if isinstance(item, story.ScoreProgress):
                    progress((item.seconds_done, item.seconds), desc="Scoring", unit="s")
                    yield (
                        gr.skip(),
                        f"Scoring: {item.seconds_done:.0f} of {item.seconds:.0f} s",
                        gr.skip(),
                        gr.skip(),
                    )
                    continue
                entry = records.saved_score(owner, item, choices, text)
                p = item.params
                status = f"Scored: {p['seconds']:.1f} s of {p['mood']} {p['genre']} at {p['tempo']} bpm."
                yield ctx.deliver(owner, entry, story.MUSIC_WAV), status, entry.id, None
                return
        yield gr.skip(), _stopped("scoring"), gr.skip(), gr.skip()

    @user_errors
    def story_mix(
        request: gr.Request,
        script: str,
        narration_entry: str,
        narration_track: str | None,
        music_entry: str,
        music_track: str | None,
    ) -> Iterator[tuple[Any, ...]]:
        """Mix a story: music ducked under the voice, faded, -16 LUFS; WAV, MP3, SRT and script.

        Args:
            script: the story's script (saved beside the mix; the subtitles of a narration track
                of your own are its sentences, timed by the recogniser; "" subtitles what is heard).
            narration_entry: the History id story_narrate returned ("" when giving a track).
            narration_track: a narration audio file of your own (used instead of the entry).
            music_entry: the History id story_score returned ("" when giving a track).
            music_track: a music audio file of your own (looped or cut to length).
        Returns:
            The mixed story (WAV), its files (WAV, MP3, SRT, script), a status line, and its History id.
        """
        owner = ctx.owner(request)
        text = story.check_script(script)
        if not narration_track:  # the steps in their order: a missing narration is said first
            records.voice_of(owner, text, narration_entry, None)
        music, music_params = records.music_of(owner, music_entry, music_track)
        with running(request) as cancel, tempfile.TemporaryDirectory(prefix="story-") as workdir:
            if narration_track:
                yield gr.skip(), gr.skip(), "Listening to the narration to time its subtitles…", gr.skip()
            given = records.voice_of(owner, text, narration_entry, narration_track, (Path(workdir), cancel))
            if given is None:
                yield gr.skip(), gr.skip(), _stopped("mix"), gr.skip()
                return
            voice, voice_params, text = given
            choices = {**voice_params, **music_params}
            for item in story.mix_story(voice, music, text, Path(workdir), cancel):
                if isinstance(item, story.MixProgress):
                    yield gr.skip(), gr.skip(), item.message, gr.skip()
                    continue
                entry = records.saved_mix(owner, item, choices, text)
                files = [ctx.deliver(owner, entry, name) for name in MIX_FILES]
                yield files[0], files, mix_status(item), entry.id
                return
        yield gr.skip(), gr.skip(), _stopped("mix"), gr.skip()

    @user_errors
    def make_story(
        request: gr.Request,
        idea: str,
        script: str,
        seconds: float,
        text_model: str,
        speech_model: str,
        voice: str,
        language: str,
        speed: float,
        music_model: str,
        mood: str,
        genre: str,
        tempo: float,
        seed: float,
        narration_track: str | None,
        music_track: str | None,
        character1: str | None = None,
        voice1: str | None = None,
        character2: str | None = None,
        voice2: str | None = None,
        character3: str | None = None,
        voice3: str | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> Iterator[tuple[Any, ...]]:
        """Make a whole story: draft (unless a script is given), narrate (unless a narration
        track is given), score (unless a music track is given) and mix; each step is saved.

        Args:
            idea: what the story is (needed when there is no script).
            script: your own script, used as it is ("" to draft one from the idea).
            seconds: the length to aim at, 5-600.
            text_model: a text model spec from the list the server offers.
            speech_model: a speech model spec from the list the server offers.
            voice: a voice id of that model.
            language: "auto" or a language id of that model.
            speed: 0.5-2.
            music_model: a music model spec from the list the server offers.
            mood: "auto" (proposed from the script) or a mood (see story_score).
            genre: "auto" (proposed from the script) or a genre.
            tempo: 40-240 bpm, 0 for the proposed one.
            seed: -1 for a random seed (the text and the music).
            narration_track: a narration audio file of your own, or None.
            music_track: a music audio file of your own, or None.
            character1: a character's name ("" for none): lines "NAME: ..." and quoted text next
                to the name are spoken in the character's voice; other quotes go to the last
                character who spoke, else the first.
            voice1: that character's voice (of the same model).
            character2: a second character's name ("" for none).
            voice2: its voice.
            character3: a third character's name ("" for none).
            voice3: its voice.
        Returns:
            The script, the narration, the music, the mixed story (WAV), its files (WAV, MP3,
            SRT, script), a status line, and the History ids of the narration, music and mix.
        """
        owner = ctx.owner(request)
        roles = (character1, voice1, character2, voice2, character3, voice3)
        narrator, cast = resolved_cast(ctx, owner, voice, roles)
        plan = story.build_story_plan(
            settings,
            manager,
            idea=idea,
            script_text=script,
            seconds=seconds,
            text_model=text_model,
            speech_model=speech_model,
            voice=narrator,
            language=language,
            speed=speed,
            music_model=music_model,
            mood=mood,
            genre=genre,
            tempo=tempo,
            seed=seed,
            narration_path=narration_track,
            music_path=music_track,
            cast=cast,
        )
        choices = plan.params()
        text, step = plan.script, "story"
        skip = gr.skip()
        # what the last yield repeats, so an API caller has every result in one answer
        made: dict[str, tuple[Any, Any]] = {"narration": (skip, skip), "music": (skip, skip)}
        with running(request) as cancel, tempfile.TemporaryDirectory(prefix="story-") as workdir:
            for update in story.run_story(settings, manager.for_owner(owner), plan, Path(workdir), cancel):
                item, step = update.item, update.step
                if isinstance(item, str):
                    yield item, skip, skip, skip, skip, "Drafting…", skip, skip, skip
                elif isinstance(item, story.Draft):
                    text = item.script
                    records.saved_draft(owner, item, choices, plan.text_model)
                    yield text, skip, skip, skip, skip, "Drafted; narrating…", skip, skip, skip
                elif isinstance(item, NarrationProgress):
                    progress((item.done, item.total), desc="Narrating", unit="sentences")
                    status = f"Narrating: sentence {item.done} of {item.total}"
                    yield skip, skip, skip, skip, skip, status, skip, skip, skip
                elif isinstance(item, story.Voice):
                    entry = records.saved_voice(owner, item, choices, text)
                    made["narration"] = ctx.deliver(owner, entry, story.NARRATION_WAV), entry.id
                    yield (
                        skip,
                        made["narration"][0],
                        skip,
                        skip,
                        skip,
                        "Narrated; scoring…",
                        entry.id,
                        skip,
                        skip,
                    )
                elif isinstance(item, story.ScoreProgress):
                    progress((item.seconds_done, item.seconds), desc="Scoring", unit="s")
                    status = f"Scoring: {item.seconds_done:.0f} of {item.seconds:.0f} s"
                    yield skip, skip, skip, skip, skip, status, skip, skip, skip
                elif isinstance(item, story.Score):
                    entry = records.saved_score(owner, item, choices, text)
                    made["music"] = ctx.deliver(owner, entry, story.MUSIC_WAV), entry.id
                    yield skip, skip, made["music"][0], skip, skip, "Scored; mixing…", skip, entry.id, skip
                elif isinstance(item, story.MixProgress):
                    yield skip, skip, skip, skip, skip, item.message, skip, skip, skip
                elif isinstance(item, story.Mixed):
                    entry = records.saved_mix(owner, item, choices, text)
                    files = [ctx.deliver(owner, entry, name) for name in MIX_FILES]
                    (narrated, narration_id), (scored, music_id) = made["narration"], made["music"]
                    yield (
                        text,
                        narrated,
                        scored,
                        files[0],
                        files,
                        mix_status(item),
                        narration_id,
                        music_id,
                        entry.id,
                    )
                    return
        named = {"draft": "draft", "narrate": "narration", "score": "scoring", "mix": "mix"}
        yield skip, skip, skip, skip, skip, _stopped(named.get(step, step)), skip, skip, skip

    def stop_story(request: gr.Request) -> str:
        """Stop this session's running story step at once; a stopped step saves nothing."""
        cancel = jobs.get(request.session_hash or "")
        if cancel is None:
            return "No story step is running."
        cancel.set()
        return "Stopping…"

    @user_errors
    def story_propose(script: str) -> str:
        """The mood, genre and tempo proposed for a script's music, and which words led to them.

        Args:
            script: the story's script.
        Returns:
            Markdown: the proposal and why.
        """
        return story.propose(story.check_script(script)).summary()

    @user_errors
    def story_voices(
        request: gr.Request, model: str, voice: str, language: str
    ) -> tuple[gr.Dropdown, gr.Dropdown]:
        """The voices (with your saved ones) and languages of a speech model, keeping the current
        ones when it has them."""
        choice(model, field="Voice model", options=settings.speech_models)
        voices, languages = voice_options(ctx, model, ctx.owner(request))
        return voice_dropdown(voices, voice), voice_dropdown(languages, language)

    # -- the page ------------------------------------------------------------------------
    speech_specs, first_voices, first_languages = (
        settings.speech_models,
        *voice_options(ctx, settings.speech_models[0]),
    )
    with gr.Tab(tr("story.tab"), id=TASK):
        gr.Markdown(tr("story.intro"))
        with gr.Row():
            with gr.Column(scale=2):
                idea = gr.Textbox(
                    label=tr("story.idea"),
                    placeholder=tr("story.idea.placeholder"),
                    lines=2,
                    max_length=story.MAX_IDEA_CHARS,
                )
                script = gr.Textbox(label=tr("story.script"), lines=8, max_length=story.MAX_SCRIPT_CHARS)
                proposed = gr.Markdown(story.propose("").summary())
                with gr.Row():
                    draft_button = gr.Button(tr("story.draft"))
                    narrate_button = gr.Button(tr("story.narrate"))
                    score_button = gr.Button(tr("story.score"))
                    mix_button = gr.Button(tr("story.mix"))
                with gr.Row():
                    all_button = gr.Button(tr("story.all"), variant="primary")
                    stop_button = gr.Button(tr("common.stop"), variant="stop")
                status = gr.Textbox(label=tr("common.status"), interactive=False)
                with gr.Row():
                    narration = gr.Audio(label=tr("story.narration"), type="filepath", interactive=False)
                    music = gr.Audio(label=tr("story.music"), type="filepath", interactive=False)
                mixed = gr.Audio(label=tr("story.mixed"), type="filepath", interactive=False)
                files = gr.File(label=tr("story.files"), file_count="multiple", interactive=False)
            with gr.Column(scale=1):
                # a Number, not a Slider: a length out of bounds gets the story's own message
                seconds = gr.Number(value=30, precision=0, label=tr("story.seconds"))
                text_model = gr.Dropdown(
                    model_choices(ctx, settings.text_models),
                    value=settings.text_models[0],
                    label=tr("story.text_model"),
                )
                speech_model = gr.Dropdown(
                    model_choices(ctx, speech_specs), value=speech_specs[0], label=tr("story.speech_model")
                )
                voice = gr.Dropdown(
                    labelled_choices(first_voices),
                    value=next(iter(first_voices), None),
                    label=tr("speech.voice"),
                    allow_custom_value=True,  # History may restore another model's voice first
                )
                language = gr.Dropdown(
                    labelled_choices(first_languages),
                    value=AUTO,
                    label=tr("speech.language"),
                    allow_custom_value=True,
                )
                speed = gr.Slider(MIN_SPEED, MAX_SPEED, value=1.0, step=0.05, label=tr("speech.speed"))
                roles = role_rows(first_voices)
                music_model = gr.Dropdown(
                    model_choices(ctx, settings.music_models),
                    value=settings.music_models[0],
                    label=tr("story.music_model"),
                )
                mood = gr.Dropdown(list(MOOD_CHOICES), value=AUTO, label=tr("music.mood"))
                genre = gr.Dropdown(list(GENRES), value=AUTO, label=tr("music.genre"))
                tempo = gr.Slider(0, MAX_BPM, value=0, step=1, label=tr("story.tempo"))
                seed = gr.Number(value=-1, precision=0, label=tr("common.seed"))
                with gr.Accordion(tr("story.own"), open=False):
                    narration_track = gr.Audio(
                        label=tr("story.narration_track"),
                        type="filepath",
                        sources=["upload"],
                        elem_id="story-narration-track",
                    )
                    music_track = gr.Audio(
                        label=tr("story.music_track"),
                        type="filepath",
                        sources=["upload"],
                        elem_id="story-music-track",
                    )
        narration_entry = gr.Textbox(visible=False)  # History ids of this session's last steps
        music_entry = gr.Textbox(visible=False)
        story_entry = gr.Textbox(visible=False)

        heavy = {"concurrency_id": HEAVY, "show_progress": "minimal"}
        film = story_film.build(ctx, running, story_entry, stop_story, heavy)  # the last step
        draft_button.click(
            story_draft,
            inputs=[idea, seconds, text_model, speed, seed],
            outputs=[script, status],
            api_name="story_draft",
            **heavy,
        )
        narrate_button.click(
            story_narrate,
            inputs=[script, speech_model, voice, language, speed, *roles],
            outputs=[narration, status, narration_entry, narration_track],
            api_name="story_narrate",
            **heavy,
        )
        score_button.click(
            story_score,
            inputs=[script, seconds, narration_entry, narration_track, music_model, mood, genre, tempo, seed],
            outputs=[music, status, music_entry, music_track],
            api_name="story_score",
            **heavy,
        )
        mix_button.click(
            story_mix,
            inputs=[script, narration_entry, narration_track, music_entry, music_track],
            outputs=[mixed, files, status, story_entry],
            api_name="story_mix",
            **heavy,
        )
        all_button.click(
            make_story,
            inputs=[
                *(idea, script, seconds, text_model, speech_model, voice, language, speed, music_model),
                *(mood, genre, tempo, seed, narration_track, music_track),
                *roles,
            ],
            outputs=[
                script,
                narration,
                music,
                mixed,
                files,
                status,
                narration_entry,
                music_entry,
                story_entry,
            ],
            api_name="make_story",
            **heavy,
        )
        stop_button.click(stop_story, outputs=status, api_name="stop_story", queue=False)
        script.change(
            story_propose,
            inputs=script,
            outputs=proposed,
            api_name="story_propose",
            queue=False,
            show_progress="hidden",
        )
        follow_model(ctx, speech_specs, speech_model, [voice], on_change=False)  # story_voices does it
        follow_model(ctx, speech_specs, speech_model, roles[1::2])
        speech_model.change(
            story_voices,
            inputs=[speech_model, voice, language],
            outputs=[voice, language],
            api_name="story_voices",
            queue=False,
        )

    controls = {"idea": idea, "script": script, "seconds": seconds, "text_model": text_model}
    # the speech model after its voice and language (see TabHandle)
    controls |= {"voice": voice, "language": language, "speed": speed, "speech_model": speech_model}
    controls |= {"music_model": music_model, "mood": mood, "genre": genre, "tempo": tempo, "seed": seed}
    controls |= film.controls
    receivers = {"text": script, "speech": narration_track, "music": music_track, "image": film.pictures}
    handle = TabHandle(TASK, (TASK,), controls, receivers=receivers, results={"image": film.poster})
    return [handle]
