"""The voice mixer and voice samples, in the Speech tab's settings.

Listen plays a short sample of the picked voice (made once, then cached). The mixer blends two
or three Kokoro voices by weight, lets the user hear the blend, and saves it under a name of
their own (`my:NAME`, private to its owner), offered from then on in Speech, narration and
Story, and usable as `voice` in /v1/audio/speech.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from genai_studio.backends.speech.kokoro_voices import MAX_MIX_VOICES, mix_of_rows
from genai_studio.inputs import choice
from genai_studio.ui.common import HEAVY, StudioContext, strings, tr, user_errors
from genai_studio.ui.speech_common import labelled_choices, voice_dropdown, voice_options
from genai_studio.voice_samples import sample

strings(
    {
        "voices.listen": ("▶ Listen to this voice", "▶ 试听这个声音"),
        "voices.sample": ("Voice sample", "声音样本"),
        "voices.mixer": ("Voice mixer: blend voices into your own", "声音混合：把几个声音调成你自己的"),
        "voices.mixer.help": (
            "Pick two or three Kokoro voices of one language and their weights (2 and 1: two thirds "
            "and one third), listen, then save the blend under a name. Your voices are yours alone; "
            "use them as `my:NAME`, or write a mix directly as a voice: `af_bella(2)+am_adam(1)`.",
            "选两到三个同一语言的 Kokoro 声音及其权重（2 和 1：三分之二和三分之一），试听，再起名保存。"
            "你的声音只有你能用；用 `my:名字` 调用，或直接把混合写成声音：`af_bella(2)+am_adam(1)`。",
        ),
        "voices.weight": ("Weight", "权重"),
        "voices.name": ("Name of your voice", "你的声音的名字"),
        "voices.try": ("▶ Listen to the mix", "▶ 试听混合"),
        "voices.save": ("Save as my voice", "保存为我的声音"),
        "voices.delete": ("Delete this saved voice", "删除这个已保存的声音"),
        **{f"voices.part.{n}": (f"Voice {n}", f"声音 {n}") for n in range(1, MAX_MIX_VOICES + 1)},
    }
)


@dataclass
class Mixer:
    """The mixer's controls; `connect` wires them to the tab's model and voice pickers."""

    spec: str  # the model that takes mixes (Kokoro)
    sample_audio: gr.Audio
    rows: list[gr.components.Component]  # voice, weight, voice, weight...
    name: gr.Textbox
    try_button: gr.Button
    save_button: gr.Button
    delete_button: gr.Button
    status: gr.Markdown


def mixing_spec(ctx: StudioContext, specs: tuple[str, ...]) -> str | None:
    """The first configured model that takes voice mixes, or None (then there is no mixer)."""
    return next((spec for spec in specs if ctx.manager.backend_for(spec).mixes), None)


def build_listen() -> tuple[gr.Button, gr.Audio]:
    """The Listen button and the player of samples, under the voice picker."""
    listen = gr.Button(tr("voices.listen"), size="sm")
    return listen, gr.Audio(label=tr("voices.sample"), type="numpy", interactive=False, autoplay=True)


def build(ctx: StudioContext, specs: tuple[str, ...], sample_audio: gr.Audio) -> Mixer | None:
    """The mixer, when a configured model takes mixes (else None); it plays into `sample_audio`."""
    spec = mixing_spec(ctx, specs)
    if spec is None:
        return None
    stock = labelled_choices(ctx.manager.backend_for(spec).voices())
    rows: list[gr.components.Component] = []
    with gr.Accordion(tr("voices.mixer"), open=False):
        gr.Markdown(tr("voices.mixer.help"))
        for n in range(1, MAX_MIX_VOICES + 1):
            with gr.Row():
                default = {1: "af_heart", 2: "bf_emma"}.get(n)
                # any value reaches the handler, whose mix check says what is wrong in a line
                # (Gradio's own refusal would list all 49 voices)
                rows.append(
                    gr.Dropdown(
                        stock, value=default, label=tr(f"voices.part.{n}"), scale=3, allow_custom_value=True
                    )
                )
                rows.append(gr.Slider(0, 10, value=1, step=0.5, label=tr("voices.weight"), scale=2))
        name = gr.Textbox(label=tr("voices.name"), max_length=40)
        with gr.Row():
            try_button = gr.Button(tr("voices.try"), size="sm")
            save_button = gr.Button(tr("voices.save"), size="sm", variant="primary")
            delete_button = gr.Button(tr("voices.delete"), size="sm", variant="stop")
        status = gr.Markdown()
    return Mixer(spec, sample_audio, rows, name, try_button, save_button, delete_button, status)


def connect_listen(
    ctx: StudioContext, specs: tuple[str, ...], listen: gr.Button, audio: gr.Audio, model, voice
) -> None:
    """Listen: a sample of the picked voice of the picked model."""

    @user_errors
    def voice_sample(request: gr.Request, model: str, voice: str) -> tuple[int, Any]:
        """A short sample of a voice (made once, then cached), to hear it before choosing it.

        Args:
            model: a speech model spec from the list the server offers.
            voice: a voice of that model, a mix such as af_bella(2)+am_adam(1), or my:NAME.
        Returns:
            The sample: one or two sentences in the voice's own language.
        """
        spec = choice(model, field="Model", options=specs)
        owner = ctx.owner(request)
        resolved = ctx.voices.resolve(owner, voice)
        return sample(ctx.manager.for_owner(owner), ctx.settings.cache_dir, spec, resolved)

    listen.click(
        voice_sample,
        inputs=[model, voice],
        outputs=audio,
        api_name="voice_sample",
        concurrency_id=HEAVY,
    )


def connect(
    ctx: StudioContext, specs: tuple[str, ...], mixer: Mixer, model: gr.Dropdown, voice: gr.Dropdown
) -> None:
    @user_errors
    def mix_sample(
        request: gr.Request,
        voice1: str,
        weight1: float,
        voice2: str,
        weight2: float,
        voice3: str,
        weight3: float,
    ) -> tuple[tuple[int, Any], str]:
        """Hear a blend of two or three Kokoro voices before saving it.

        Args:
            voice1: a Kokoro voice id (e.g. af_bella).
            weight1: its weight: a positive number, relative to the others.
            voice2: a second voice of the same language ("" for none).
            weight2: its weight.
            voice3: a third voice ("" for none).
            weight3: its weight.
        Returns:
            A sample of the blend, and its mix written as a voice (e.g. af_heart(0.5)+bf_emma(0.5)).
        """
        mix = mix_of_rows([(voice1, weight1), (voice2, weight2), (voice3, weight3)])
        audio = sample(
            ctx.manager.for_owner(ctx.owner(request)), ctx.settings.cache_dir, mixer.spec, mix.spec
        )
        return audio, f"Mix: `{mix.spec}`"

    @user_errors
    def save_voice(
        request: gr.Request,
        name: str,
        voice1: str,
        weight1: float,
        voice2: str,
        weight2: float,
        voice3: str,
        weight3: float,
    ) -> tuple[str, gr.Dropdown, str]:
        """Save a blend of Kokoro voices under a name of your own; only you can see and use it.

        Args:
            name: the voice's name (letters, digits, spaces, - or ', at most 40 characters).
            voice1: a Kokoro voice id (e.g. af_bella).
            weight1: its weight: a positive number, relative to the others.
            voice2: a second voice of the same language ("" for none).
            weight2: its weight.
            voice3: a third voice ("" for none).
            weight3: its weight.
        Returns:
            A status line, the voice picker set to the new voice (my:NAME), and the model that speaks it.
        """
        owner = ctx.owner(request)
        mix = mix_of_rows([(voice1, weight1), (voice2, weight2), (voice3, weight3)])
        saved = ctx.voices.save(owner, name, mix.spec)
        voices, _ = voice_options(ctx, mixer.spec, owner)
        return f"Saved {saved}: `{mix.spec}`", voice_dropdown(voices, saved), mixer.spec

    @user_errors
    def delete_voice(request: gr.Request, model: str, voice: str) -> tuple[str, gr.Dropdown]:
        """Delete one of your saved voices (the one picked as the voice).

        Args:
            model: the speech model picked.
            voice: your saved voice, as my:NAME.
        Returns:
            A status line and the voice picker without it.
        """
        owner = ctx.owner(request)
        spec = choice(model, field="Model", options=specs)
        ctx.voices.delete(owner, voice)
        voices, _ = voice_options(ctx, spec, owner)
        return f"Deleted {voice}.", voice_dropdown(voices, None)

    mixer.try_button.click(
        mix_sample,
        inputs=mixer.rows,
        outputs=[mixer.sample_audio, mixer.status],
        api_name="mix_voices",
        concurrency_id=HEAVY,
    )
    mixer.save_button.click(
        save_voice,
        inputs=[mixer.name, *mixer.rows],
        outputs=[mixer.status, voice, model],
        api_name="save_voice",
    )
    mixer.delete_button.click(
        delete_voice, inputs=[model, voice], outputs=[mixer.status, voice], api_name="delete_voice"
    )
