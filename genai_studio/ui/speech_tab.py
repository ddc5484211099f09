"""Speech tab: text to speech, streamed sentence by sentence, with a tagged WAV and subtitles.

The first sentence plays while the rest is made; Stop ends synthesis between sentences.
Subtitles (SRT and WebVTT) are timed from the audio each sentence actually took. A second
mode narrates a whole chapter into one WAV and MP3 (see `narration_ui`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import gradio as gr

from genai_studio.audio_files import SpeechTags, wav_bytes
from genai_studio.backends.base import Progress, Result
from genai_studio.backends.speech import auto_language
from genai_studio.backends.speech.backend import EarlyPart, Unheard
from genai_studio.backends.speech.request import MAX_SPEED, MAX_TEXT_CHARS, MIN_SPEED
from genai_studio.inputs import choice
from genai_studio.subtitles import CueTimeline, to_srt, to_webvtt, voiced_range
from genai_studio.ui import narration_ui, send_to, voice_mixer
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
from genai_studio.ui.speech_common import (
    checked_request,
    follow_model,
    labelled_choices,
    voice_dropdown,
    voice_options,
)

TASK = "speech"
WAV_NAME = "speech.wav"
SRT_NAME = "speech.srt"
VTT_NAME = "speech.vtt"
SPEAK = "speak"  # the sub-tab of short texts; narration_ui adds the long-form one

strings(
    {
        "speech.tab": ("Speech", "语音"),
        "speech.intro": (
            f"Turn text into speech (up to {MAX_TEXT_CHARS:,} characters). Audio starts playing after "
            "the first sentence while the rest is made; the full WAV is ready to download at the end. "
            "hibari speaks English, fast; Kokoro-82M has 49 voices (English US and UK, Mandarin, five "
            "more in beta), higher quality but slower; espeak-ng speaks 100+ languages.",
            f"把文字转成语音（最多 {MAX_TEXT_CHARS:,} 个字符）。第一句合成后即开始播放，其余部分边播边生成；"
            "结束后可下载完整的 WAV。hibari 说英语，速度快；Kokoro-82M 有 49 个声音（美式和英式英语、"
            "普通话，另有五种语言为测试版），音质更好但更慢；espeak-ng 支持一百多种语言。",
        ),
        "speech.text": ("Text", "文本"),
        "speech.text.placeholder": (
            "Once upon a time, a lighthouse keeper found a map. It led to the sea.",
            "从前，一位灯塔看守人发现了一张地图。它指向大海。",
        ),
        "speech.voice": ("Voice", "声音"),
        "speech.language": ("Language", "语言"),
        "speech.speed": ("Speed", "语速"),
        "speech.audio": ("Speech", "语音"),
        "speech.file": ("Full recording (WAV)", "完整录音（WAV）"),
        "speech.srt": ("Subtitles (SRT)", "字幕（SRT）"),
        "speech.vtt": ("Subtitles (WebVTT)", "字幕（WebVTT）"),
        "speech.mode.speak": ("Speak", "朗读"),
    }
)

EXAMPLES = {  # label (the same in both languages) -> text, model, language
    "English · hibari": ["The quick brown fox jumps over the lazy dog. Then it naps.", "hibari", "en-us"],
    "English · Kokoro": [
        "Good evening, and welcome to the late news. Here are tonight's stories.",
        "kokoro",
        "auto",
    ],
    "中文 · espeak-ng": ["你好，欢迎来到创作工作室。今天我们一起写一个故事。", "espeak", "cmn"],
    "中文 · FastSpeech2": ["会议定于2026年12月2日下午3:15开始，门票12.5元。", "zh-fastspeech2", "auto"],
}


def build(ctx: StudioContext) -> list[TabHandle]:
    specs = ctx.settings.speech_models

    @user_errors
    def generate_speech(
        request: gr.Request, text: str, model: str, voice: str, language: str, speed: float
    ) -> Iterator[tuple[Any, Any, str, Any, Any]]:
        """Speak text aloud, streaming one audio chunk per sentence, then the full WAV and subtitles.

        Args:
            text: what to say, up to 5,000 characters (English and Chinese punctuation split sentences).
            model: a speech model spec from the list the server offers (e.g. hibari, kokoro, espeak).
            voice: a voice id of that model (hibari: heart; kokoro: af_heart, bf_emma, zf_xiaobei... or
                a mix such as af_bella(2)+am_adam(1), or one of your saved voices, my:NAME; espeak:
                default or a variant such as m3). An unknown voice is an error.
            language: "auto" (mostly Chinese text goes to a Chinese voice, other text to an English one)
                or a language id of that model (hibari: en-us; zh-fastspeech2: zh; espeak: cmn, fr, ja...).
            speed: 0.5 (slow) to 2.0 (fast); 1.0 is the voice's own pace.
        Returns:
            Audio chunks as they are made, then the tagged WAV of the whole text, a status line,
            and subtitles of it as SRT and WebVTT (one cue per sentence, or per clause of a long one).
        """
        owner = ctx.owner(request)
        voice = ctx.voices.resolve(owner, voice)
        if language == auto_language.AUTO and isinstance(text, str):
            choice(model, field="Model", options=specs)
            model, voice, language = auto_language.resolve(
                text, model, voice, specs, auto_language.options_of(ctx.manager.backend_for)
            )
        job = checked_request(ctx, specs, model, text=text, voice=voice, language=language, speed=speed)
        job = dataclasses.replace(job, early_parts=True)  # the first clause is heard sooner
        timeline: CueTimeline | None = None
        sentences = iter(job.sentences)
        unheard = Unheard()
        for item in ctx.manager.for_owner(owner).run(model, job):
            if isinstance(item, Progress) and item.partial is not None:
                rate, new = unheard.of(item.partial)
                if not isinstance(item.partial, EarlyPart):  # one per sentence, in order, all of it
                    chunk, sentence = item.partial[1], next(sentences)
                    timeline = timeline or CueTimeline(rate)
                    if chunk.size:
                        timeline.speech(sentence, chunk.size, voiced_range(chunk))
                if new.size:
                    yield wav_bytes(rate, new), gr.skip(), item.message, gr.skip(), gr.skip()
            elif isinstance(item, Result):
                rate, audio = item.output
                cues = timeline.cues if timeline else []
                tags = SpeechTags(text=job.text, voice=job.voice, model=item.params["model"])
                entry = ctx.history.save(
                    owner,
                    TASK,
                    model,
                    params={**item.params, "model": model},
                    summary=job.text[:120],
                    files={
                        WAV_NAME: wav_bytes(rate, audio, tags),
                        SRT_NAME: to_srt(cues).encode(),
                        VTT_NAME: to_webvtt(cues).encode(),
                    },
                )
                done = f"{item.params['seconds']:.1f} s of audio, {len(job.sentences)} sentences"
                wav, srt, vtt = (ctx.deliver(owner, entry, name) for name in (WAV_NAME, SRT_NAME, VTT_NAME))
                yield gr.skip(), wav, done, srt, vtt

    @user_errors
    def speech_options(
        request: gr.Request, model: str, voice: str, language: str
    ) -> tuple[gr.Dropdown, gr.Dropdown]:
        """The voices (with your saved ones) and languages of a speech model, keeping the current
        ones when it has them."""
        choice(model, field="Model", options=specs)
        voices, languages = voice_options(ctx, model, ctx.owner(request))
        return voice_dropdown(voices, voice), voice_dropdown(languages, language)

    if not specs:  # no speech model configured: the tab is absent
        return []
    with gr.Tab(tr("speech.tab"), id=TASK):
        voices, languages = voice_options(ctx, specs[0])
        with gr.Row():
            with gr.Column(scale=2), gr.Tabs() as modes:
                with gr.Tab(tr("speech.mode.speak"), id=SPEAK):
                    gr.Markdown(tr("speech.intro"))
                    text = gr.Textbox(
                        label=tr("speech.text"),
                        placeholder=tr("speech.text.placeholder"),
                        lines=6,
                        max_length=MAX_TEXT_CHARS,
                    )
                    generate, stop = run_buttons()
                    audio = gr.Audio(
                        label=tr("speech.audio"), streaming=True, autoplay=True, interactive=False
                    )
                    status = gr.Textbox(label=tr("common.status"), interactive=False)
                    wav_file = gr.File(label=tr("speech.file"), interactive=False)
                    sent = send_to.slot(wav_file)
                    with gr.Row():
                        srt_file = gr.File(label=tr("speech.srt"), interactive=False)
                        vtt_file = gr.File(label=tr("speech.vtt"), interactive=False)
                narration = narration_ui.build(ctx, specs)
            with gr.Column(scale=1, elem_id="speech-settings"):
                model = gr.Dropdown(model_choices(ctx, specs), value=specs[0], label=tr("common.model"))
                voice = gr.Dropdown(
                    labelled_choices(voices),
                    value=next(iter(voices), None),
                    label=tr("speech.voice"),
                    allow_custom_value=True,  # History may restore another model's voice first
                )
                language = gr.Dropdown(
                    labelled_choices(languages),
                    value=next(iter(languages), None),
                    label=tr("speech.language"),
                    allow_custom_value=True,
                )
                speed = gr.Slider(MIN_SPEED, MAX_SPEED, value=1.0, step=0.05, label=tr("speech.speed"))
                listen, sample_audio = voice_mixer.build_listen()
                mixer = voice_mixer.build(ctx, specs, sample_audio)
        offered = {label: row for label, row in EXAMPLES.items() if row[1] in specs}
        if offered:
            gr.Examples(list(offered.values()), inputs=[text, model, language], example_labels=list(offered))

        on_click = generate.click(
            generate_speech,
            inputs=[text, model, voice, language, speed],
            outputs=[audio, wav_file, status, srt_file, vtt_file],
            api_name="generate_speech",
            concurrency_id=HEAVY,
            show_progress="minimal",
        )
        stop.click(None, cancels=[on_click], api_visibility="private")
        narration.connect(model, voice, language, speed)
        voice_mixer.connect_listen(ctx, specs, listen, sample_audio, model, voice)
        if mixer is not None:
            voice_mixer.connect(ctx, specs, mixer, model, voice)
        follow_model(ctx, specs, model, [voice], on_change=False)  # speech_options does the change
        model.change(
            speech_options,
            inputs=[model, voice, language],
            outputs=[voice, language],
            api_name="speech_options",
            queue=False,
        )

    # The model last: History sets these in this order, and the model's change event (which
    # refreshes the voice and language choices) must see the restored voice and language.
    shared = {"voice": voice, "language": language, "speed": speed, "model": model}
    return [
        TabHandle(
            tab_id=TASK,
            tasks=(TASK,),
            controls={"text": text, **shared},
            subtab=(modes, SPEAK),
            receivers={"text": text},
            results={"speech": sent},
        ),
        narration_ui.handle(narration, TASK, modes, shared),
    ]
