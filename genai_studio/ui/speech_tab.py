"""Speech tab: text to speech, streamed sentence by sentence, with a tagged WAV to download.

The first sentence plays while the rest is made; Stop ends synthesis between sentences.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import gradio as gr

from genai_studio.backends.base import Progress, Result
from genai_studio.backends.speech.request import MAX_SPEED, MAX_TEXT_CHARS, MIN_SPEED, build_request
from genai_studio.backends.speech.wav import SpeechTags, wav_bytes
from genai_studio.inputs import choice
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

TASK = "speech"
WAV_NAME = "speech.wav"

strings(
    {
        "speech.tab": ("Speech", "语音"),
        "speech.intro": (
            f"Turn text into speech (up to {MAX_TEXT_CHARS:,} characters). Audio starts playing after "
            "the first sentence while the rest is made; the full WAV is ready to download at the end. "
            "hibari speaks English; espeak-ng speaks Mandarin and 100+ other languages.",
            f"把文字转成语音（最多 {MAX_TEXT_CHARS:,} 个字符）。第一句合成后即开始播放，其余部分边播边生成；"
            "结束后可下载完整的 WAV。hibari 说英语；espeak-ng 支持普通话等一百多种语言。",
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
    }
)

EXAMPLES = {  # label (the same in both languages) -> text, model, language
    "English · hibari": ["The quick brown fox jumps over the lazy dog. Then it naps.", "hibari", "en-us"],
    "中文 · espeak-ng": ["你好，欢迎来到创作工作室。今天我们一起写一个故事。", "espeak", "cmn"],
}


def _options(ctx: StudioContext, spec: str) -> tuple[dict[str, str], dict[str, str]]:
    backend = ctx.manager.backend_for(spec)
    return backend.voices(), backend.languages()


def _choices(options: dict[str, str]) -> list[tuple[str, str]]:
    """(label, id) pairs; a name several ids share (French for fr and fr-fr) gets its id added."""
    names = Counter(options.values())
    return [(f"{name} · {key}" if names[name] > 1 else name, key) for key, name in options.items()]


def _dropdown(options: dict[str, str], current: Any) -> gr.Dropdown:
    """Choices for a model; the current value stays if the model has it (History reuse)."""
    default = next(iter(options), None)
    return gr.Dropdown(choices=_choices(options), value=current if current in options else default)


def build(ctx: StudioContext) -> list[TabHandle]:
    specs = ctx.settings.speech_models

    @user_errors
    def generate_speech(
        request: gr.Request, text: str, model: str, voice: str, language: str, speed: float
    ) -> Iterator[tuple[Any, Any, str]]:
        """Speak text aloud, streaming one audio chunk per sentence, then the full WAV file.

        Args:
            text: what to say, up to 5,000 characters (English and Chinese punctuation split sentences).
            model: a speech model spec from the list the server offers (e.g. hibari, espeak).
            voice: a voice id of that model (hibari: heart; espeak: default or a variant such as m3).
            language: a language id of that model (hibari: en-us; espeak: en-us, cmn, fr, de, ja...).
            speed: 0.5 (slow) to 2.0 (fast); 1.0 is the voice's own pace.
        Returns:
            Audio chunks as they are made, then the tagged WAV of the whole text and a status line.
        """
        owner = ctx.owner(request)
        choice(model, field="Model", options=specs)
        backend = ctx.manager.available_backend(model)
        job = build_request(
            text=text,
            voice=voice,
            language=language,
            speed=speed,
            voices=backend.voices(),
            languages=backend.languages(),
        )
        for item in ctx.manager.run(model, job):
            if isinstance(item, Progress) and item.partial is not None:
                rate, chunk = item.partial
                yield wav_bytes(rate, chunk), gr.skip(), item.message
            elif isinstance(item, Result):
                rate, audio = item.output
                tags = SpeechTags(text=job.text, voice=job.voice, model=item.params["model"])
                entry = ctx.history.save(
                    owner,
                    TASK,
                    model,
                    params={**item.params, "model": model},
                    summary=job.text[:120],
                    files={WAV_NAME: wav_bytes(rate, audio, tags)},
                )
                done = f"{item.params['seconds']:.1f} s of audio, {len(job.sentences)} sentences"
                yield gr.skip(), ctx.deliver(owner, entry, WAV_NAME), done

    @user_errors
    def speech_options(model: str, voice: str, language: str) -> tuple[gr.Dropdown, gr.Dropdown]:
        """The voices and languages of a speech model, keeping the current ones when it has them."""
        choice(model, field="Model", options=specs)
        voices, languages = _options(ctx, model)
        return _dropdown(voices, voice), _dropdown(languages, language)

    if not specs:  # no speech model configured: the tab is absent
        return []
    with gr.Tab(tr("speech.tab"), id=TASK):
        gr.Markdown(tr("speech.intro"))
        voices, languages = _options(ctx, specs[0])
        with gr.Row():
            with gr.Column(scale=2):
                text = gr.Textbox(
                    label=tr("speech.text"),
                    placeholder=tr("speech.text.placeholder"),
                    lines=6,
                    max_length=MAX_TEXT_CHARS,
                )
                generate, stop = run_buttons()
                audio = gr.Audio(label=tr("speech.audio"), streaming=True, autoplay=True, interactive=False)
                status = gr.Textbox(label=tr("common.status"), interactive=False)
                wav_file = gr.File(label=tr("speech.file"), interactive=False)
            with gr.Column(scale=1):
                model = gr.Dropdown(model_choices(ctx, specs), value=specs[0], label=tr("common.model"))
                voice = gr.Dropdown(
                    _choices(voices),
                    value=next(iter(voices), None),
                    label=tr("speech.voice"),
                    allow_custom_value=True,  # History may restore another model's voice first
                )
                language = gr.Dropdown(
                    _choices(languages),
                    value=next(iter(languages), None),
                    label=tr("speech.language"),
                    allow_custom_value=True,
                )
                speed = gr.Slider(MIN_SPEED, MAX_SPEED, value=1.0, step=0.05, label=tr("speech.speed"))
        offered = {label: row for label, row in EXAMPLES.items() if row[1] in specs}
        if offered:
            gr.Examples(list(offered.values()), inputs=[text, model, language], example_labels=list(offered))

        on_click = generate.click(
            generate_speech,
            inputs=[text, model, voice, language, speed],
            outputs=[audio, wav_file, status],
            api_name="generate_speech",
            concurrency_id=HEAVY,
            concurrency_limit=1,
            show_progress="minimal",
        )
        stop.click(None, cancels=[on_click], api_visibility="private")
        model.change(
            speech_options,
            inputs=[model, voice, language],
            outputs=[voice, language],
            api_name="speech_options",
            queue=False,
        )

    return [
        TabHandle(
            tab_id=TASK,
            tasks=(TASK,),
            controls={"text": text, "model": model, "voice": voice, "language": language, "speed": speed},
        )
    ]
