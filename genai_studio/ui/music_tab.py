"""Music tab: a prompt (and optional explicit settings) to music, streamed as it renders.

Shows what it understood from the prompt before and while generating, so the user can
correct it with the controls; the WAV and the MIDI score are downloadable and saved to History.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from genai_studio.audio_files import wav_bytes
from genai_studio.backends.base import Progress, Result
from genai_studio.backends.music.plan import MAX_BPM, MAX_SECONDS
from genai_studio.backends.music.request import (
    AUTO,
    GENRES,
    KEY_CHOICES,
    MAX_PROMPT_CHARS,
    MOOD_CHOICES,
    build_request,
    make_plan,
)
from genai_studio.inputs import choice
from genai_studio.ui import send_to
from genai_studio.ui.common import (
    HEAVY,
    StudioContext,
    TabHandle,
    model_choices,
    run_buttons,
    strings,
    tr,
    user_errors,
)

TASK = "music"
WAV_NAME = "music.wav"
MIDI_NAME = "music.mid"

strings(
    {
        "music.tab": ("Music", "音乐"),
        "music.intro": (
            "Describe the music: genre, mood, tempo (bpm or words like slow), key, length (5-120 s) and "
            "instruments. The settings on the right override the prompt. Audio plays as it renders; "
            "the WAV and the MIDI score can be downloaded.",
            "描述你想要的音乐：风格、情绪、速度（bpm 或“慢/快”等词）、调性、时长（5-120 秒）和乐器。"
            "右侧的设置会覆盖提示词。音频边生成边播放，完成后可下载 WAV 和 MIDI 乐谱。",
        ),
        "music.prompt": ("Prompt", "提示词"),
        "music.prompt.placeholder": (
            "calm jazz in F major, 90 bpm, 20 seconds, saxophone and piano",
            "平静的爵士乐，F 大调，90 bpm，20 秒，萨克斯和钢琴",
        ),
        "music.understood": (
            "**What I understood** (change it with the settings on the right)",
            "**我理解的内容**（可用右侧设置修改）",
        ),
        "music.genre": ("Genre", "风格"),
        "music.mood": ("Mood", "情绪"),
        "music.key": ("Key", "调性"),
        "music.tempo": ("Tempo in bpm (0: from the prompt)", "速度 bpm（0：按提示词）"),
        "music.seconds": ("Length in seconds (0: from the prompt)", "时长（秒，0：按提示词）"),
        "music.audio": ("Music", "音乐"),
        "music.wav": ("Audio (WAV)", "音频（WAV）"),
        "music.midi": ("Score (MIDI)", "乐谱（MIDI）"),
    }
)

EXAMPLES = [
    ["calm jazz in F major, 90 bpm, 20 seconds, saxophone and piano"],
    ["upbeat electronic dance track in A minor, 128 bpm, 30 s"],
    ["sad piano waltz in D minor, slow, 40 seconds"],
    ["epic orchestral trailer music, 1 minute"],
    ["欢快的民谣，G 大调，小提琴和吉他，20 秒"],
]


def build(ctx: StudioContext) -> list[TabHandle]:
    specs = ctx.settings.music_models

    @user_errors
    def understand_music(prompt: str, genre: str, mood: str, tempo: float, key: str, seconds: float) -> str:
        """What the composer understands from a prompt and settings, without making any music.

        Args:
            prompt: a description, e.g. "calm jazz in F major, 90 bpm, 20 seconds, saxophone".
            genre: "auto" (from the prompt) or one of pop, rock, jazz, blues, folk, classical,
                electronic, ambient, hiphop, lofi, bossa, waltz, cinematic.
            mood: "auto" or one of happy, sad, calm, energetic, dark, romantic, mysterious, epic, playful.
            tempo: beats per minute, 40-240; 0 takes it from the prompt.
            key: "auto" or a key such as "C major", "F# minor", "Bb major".
            seconds: length, 5-120; 0 takes it from the prompt.
        Returns:
            Markdown listing genre, mood, tempo, key, length and instruments, with where each came from.
        """
        _, plan = make_plan(
            ctx.settings, prompt=prompt, genre=genre, mood=mood, tempo=tempo, key=key, seconds=seconds
        )
        return plan.summary()

    @user_errors
    def generate_music(
        request: gr.Request,
        prompt: str,
        model: str,
        genre: str,
        mood: str,
        tempo: float,
        key: str,
        seconds: float,
        seed: float,
    ) -> Iterator[tuple[Any, ...]]:
        """Make music from a prompt; audio streams in chunks, then the WAV and MIDI files.

        Args:
            prompt: a description, e.g. "sad piano ballad in A minor, slow, 30 seconds".
            model: a music model spec from the list the server offers (e.g. composer).
            genre: "auto" or a genre (see understand_music); overrides the prompt.
            mood: "auto" or a mood (see understand_music); overrides the prompt.
            tempo: beats per minute, 40-240; 0 takes it from the prompt.
            key: "auto" or a key such as "C major" or "F# minor".
            seconds: length, 5-120 (MusicGen: up to 30); 0 takes it from the prompt.
            seed: -1 for a random seed; the same seed and settings make the same music.
        Returns:
            Audio chunks as they are made, what was understood, the WAV and MIDI files, a status line.
        """
        owner = ctx.owner(request)
        choice(model, field="Model", options=specs)
        ctx.manager.available_backend(model)  # say why a model cannot run before any work
        job = build_request(
            ctx.settings,
            prompt=prompt,
            genre=genre,
            mood=mood,
            tempo=tempo,
            key=key,
            seconds=seconds,
            seed=seed,
        )
        yield gr.skip(), job.plan.summary(), None, None, "Starting…"
        for item in ctx.manager.for_owner(owner).run(model, job):
            if isinstance(item, Progress) and item.partial is not None:
                rate, chunk = item.partial
                yield wav_bytes(rate, chunk), gr.skip(), gr.skip(), gr.skip(), item.message
            elif isinstance(item, Result):
                output = item.output
                files = {WAV_NAME: output.wav_bytes()}
                if output.midi:
                    files[MIDI_NAME] = output.midi
                entry = ctx.history.save(
                    owner,
                    TASK,
                    model,
                    params={**item.params, **job.choices(), "model": model},
                    summary=(job.prompt or job.plan.description())[:120],
                    files=files,
                )
                status = f"{output.seconds:.1f} s · seed {job.seed}"
                status += " · stopped" if item.params.get("stopped") else ""
                status += f" · {item.info}" if item.info else ""
                midi_path = ctx.deliver(owner, entry, MIDI_NAME) if output.midi else None
                yield gr.skip(), gr.skip(), ctx.deliver(owner, entry, WAV_NAME), midi_path, status

    if not specs:  # no music model configured: the tab is absent
        return []
    with gr.Tab(tr("music.tab"), id=TASK):
        gr.Markdown(tr("music.intro"))
        with gr.Row():
            with gr.Column(scale=2):
                prompt = gr.Textbox(
                    label=tr("music.prompt"),
                    placeholder=tr("music.prompt.placeholder"),
                    lines=3,
                    max_length=MAX_PROMPT_CHARS,
                )
                with gr.Group():
                    gr.Markdown(tr("music.understood"), padding=True)
                    understood = gr.Markdown(padding=True)
                generate, stop = run_buttons()
                audio = gr.Audio(label=tr("music.audio"), streaming=True, autoplay=True, interactive=False)
                status = gr.Textbox(label=tr("common.status"), interactive=False)
                with gr.Row():
                    wav_file = gr.File(label=tr("music.wav"), interactive=False)
                    midi_file = gr.File(label=tr("music.midi"), interactive=False)
                sent = send_to.slot(wav_file)
            with gr.Column(scale=1):
                model = gr.Dropdown(model_choices(ctx, specs), value=specs[0], label=tr("common.model"))
                genre = gr.Dropdown(list(GENRES), value=AUTO, label=tr("music.genre"))
                mood = gr.Dropdown(list(MOOD_CHOICES), value=AUTO, label=tr("music.mood"))
                key = gr.Dropdown(list(KEY_CHOICES), value=AUTO, label=tr("music.key"))
                tempo = gr.Slider(0, MAX_BPM, value=0, step=1, label=tr("music.tempo"))
                seconds = gr.Slider(0, MAX_SECONDS, value=0, step=1, label=tr("music.seconds"))
                seed = gr.Number(value=-1, precision=0, label=tr("common.seed"))
        gr.Examples(EXAMPLES, inputs=[prompt])

        plan_inputs = [prompt, genre, mood, tempo, key, seconds]
        gr.on(
            [prompt.change, genre.change, mood.change, tempo.change, key.change, seconds.change],
            understand_music,
            inputs=plan_inputs,
            outputs=understood,
            api_name="understand_music",
            queue=False,
            show_progress="hidden",
        )
        on_click = generate.click(
            generate_music,
            inputs=[prompt, model, genre, mood, tempo, key, seconds, seed],
            outputs=[audio, understood, wav_file, midi_file, status],
            api_name="generate_music",
            concurrency_id=HEAVY,
            show_progress="minimal",
        )
        stop.click(None, cancels=[on_click], api_visibility="private")

    controls = {"prompt": prompt, "model": model, "genre": genre, "mood": mood, "tempo": tempo}
    controls |= {"key": key, "seconds": seconds, "seed": seed}
    return [
        TabHandle(
            tab_id=TASK,
            tasks=(TASK,),
            controls=controls,
            receivers={"text": prompt},  # text sent here is the prompt
            results={"music": sent},
        )
    ]
