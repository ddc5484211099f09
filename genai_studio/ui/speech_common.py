"""What the tabs that speak (Speech's two modes, Story) share: checking a request for a model,
the voice and language pickers (with the owner's saved voices), and the voices per role."""

from __future__ import annotations

from collections import Counter
from typing import Any

import gradio as gr

from genai_studio.backends.speech import auto_language
from genai_studio.backends.speech.request import MAX_TEXT_CHARS, SpeechRequest, request_for
from genai_studio.backends.speech.roles import MAX_CHARACTERS, MAX_NAME_CHARS, Cast, build_cast
from genai_studio.inputs import choice
from genai_studio.owners import Owner
from genai_studio.ui.common import StudioContext, strings, tr

strings(
    {
        "speech.roles": ("Voices per role (narrator: the voice above)", "角色声音（旁白：上面的声音）"),
        "speech.roles.help": (
            "Each line of dialogue is spoken by its character's voice: a line that starts with the "
            "name and a colon (`Mira: Run!`), or quoted text next to the name (“Run!” said Mira). "
            "Quotes without a name go to the last character who spoke, else the first.",
            "每句对白由其角色的声音读出：以“名字：”开头的行（`米拉：快跑！`），或名字旁边的引号内文字"
            "（“快跑！”米拉说）。没有名字的引号归上一个说话的角色，否则归第一个角色。",
        ),
        **{f"speech.role.name.{n}": (f"Character {n}", f"角色 {n}") for n in range(1, MAX_CHARACTERS + 1)},
        **{
            f"speech.role.voice.{n}": (f"Voice of character {n}", f"角色 {n} 的声音")
            for n in range(1, MAX_CHARACTERS + 1)
        },
    }
)


def checked_request(
    ctx: StudioContext,
    specs: tuple[str, ...],
    model: object,
    *,
    text: object,
    voice: object,
    language: object,
    speed: object,
    max_chars: int = MAX_TEXT_CHARS,
    cast: Cast | None = None,
) -> SpeechRequest:
    """The request for `model`, which must be offered and able to run here; every value is
    checked against that model's voices and languages (InvalidInput otherwise). Voices are
    already resolved (`resolved_voice`): a saved voice's name is its mix by now."""
    spec = choice(model, field="Model", options=specs)
    backend = ctx.manager.available_backend(spec)
    return request_for(
        backend, text=text, voice=voice, language=language, speed=speed, max_chars=max_chars, cast=cast
    )


def voice_options(
    ctx: StudioContext, spec: str, owner: Owner | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """A model's voices (with `owner`'s saved voices where the model takes mixes), and its
    languages after "auto" (the default: see auto_language)."""
    backend = ctx.manager.backend_for(spec)
    voices = backend.voices()
    if owner is not None and backend.mixes:
        voices = {**voices, **ctx.voices.choices(owner)}
    return voices, {auto_language.AUTO: auto_language.AUTO_NAME, **backend.languages()}


def resolved_cast(
    ctx: StudioContext, owner: Owner, narrator: object, roles: tuple
) -> tuple[object, Cast | None]:
    """(the narrator's voice, the cast or None) from the form's voice and its role rows
    (name, voice, name, voice...), every `my:` voice resolved to the owner's mix."""
    narrator = ctx.voices.resolve(owner, narrator)
    pairs = [(roles[i], ctx.voices.resolve(owner, roles[i + 1])) for i in range(0, len(roles), 2)]
    cast = build_cast(narrator, pairs)
    return narrator, cast if cast.characters else None


def role_rows(voices: dict[str, str]) -> list[gr.components.Component]:
    """Up to three (name, voice) rows in a closed accordion: the inputs, name then voice."""
    rows: list[gr.components.Component] = []
    with gr.Accordion(tr("speech.roles"), open=False):
        gr.Markdown(tr("speech.roles.help"))
        for n in range(1, MAX_CHARACTERS + 1):
            with gr.Row():
                name = gr.Textbox("", label=tr(f"speech.role.name.{n}"), max_length=MAX_NAME_CHARS)
                voice = gr.Dropdown(
                    labelled_choices(voices),
                    value=None,
                    label=tr(f"speech.role.voice.{n}"),
                    allow_custom_value=True,  # a mix typed in, or a saved voice
                )
            rows += [name, voice]
    return rows


def labelled_choices(options: dict[str, str]) -> list[tuple[str, str]]:
    """(label, id) pairs; a name several ids share (French for fr and fr-fr) gets its id added."""
    names = Counter(options.values())
    return [(f"{name} · {key}" if names[name] > 1 else name, key) for key, name in options.items()]


def voice_dropdown(options: dict[str, str], current: Any) -> gr.Dropdown:
    """Choices for a model; the current value stays if the model has it (History reuse)."""
    default = next(iter(options), None)
    return gr.Dropdown(choices=labelled_choices(options), value=current if current in options else default)


def follow_model(
    ctx: StudioContext,
    specs: tuple[str, ...],
    model: gr.Dropdown,
    dropdowns: list[gr.components.Component],
    on_change: bool = True,
) -> None:
    """Each voice dropdown offers the picked model's voices (and the owner's saved ones where the
    model takes mixes): refreshed when it is opened (what was typed stays) and, `on_change`,
    when the model changes (a voice the new model lacks is cleared)."""

    def options(request: gr.Request, spec: str) -> dict[str, str] | None:
        return voice_options(ctx, spec, ctx.owner(request))[0] if spec in specs else None

    def opened(request: gr.Request, spec: str) -> gr.Dropdown:
        voices = options(request, spec)
        return gr.Dropdown() if voices is None else gr.Dropdown(choices=labelled_choices(voices))

    def changed(request: gr.Request, spec: str, current: str) -> gr.Dropdown:
        voices = options(request, spec)
        if voices is None:
            return gr.Dropdown()
        return gr.Dropdown(choices=labelled_choices(voices), value=current if current in voices else None)

    hidden = {"queue": False, "api_visibility": "private", "show_progress": "hidden"}
    for dropdown in dropdowns:
        dropdown.focus(opened, inputs=model, outputs=dropdown, **hidden)
        if on_change:
            model.change(changed, inputs=[model, dropdown], outputs=dropdown, **hidden)
