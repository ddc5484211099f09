"""The Story tab's last step, Film: the mixed story as an MP4 with the user's pictures (uploaded,
or sent from an image tool or History), a slow pan or zoom over each, subtitles burned in or
as a soft track, in 16:9, 9:16 or 1:1. Saved to History (the poster is its thumbnail).
The drawing and encoding are genai_studio.pipelines.film; this module only wires them.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import gradio as gr

from genai_studio.errors import InvalidInput
from genai_studio.history import Entry
from genai_studio.inputs import bounded_int, choice
from genai_studio.owners import Owner
from genai_studio.pipelines import film, film_pictures, story
from genai_studio.subtitles import from_srt
from genai_studio.ui import send_to
from genai_studio.ui.common import ResultSlot, StudioContext, model_choices, strings, tr, user_errors
from genai_studio.ui.image_tab import CheckedImage

TASK = "story"
FILM_FILES = (film.FILM, film.POSTER, film.FILM_SRT)
RESOLUTION_CHOICES = [("720p", 720), ("1080p", 1080), ("360p (quick look)", 360)]

strings(
    {
        "film.title": ("Film", "影片"),
        "film.intro": (
            "The mixed story as a short film: your pictures in order, one per paragraph, each with a "
            "slow pan or zoom, cross-fades, a title and an end card, subtitles and the story's sound. "
            "Without pictures, each paragraph gets a card over the background you pick.",
            "把混音后的故事做成短片：你的图片按顺序每段一张，缓慢平移或缩放，交叉淡化，片头和片尾卡，"
            "字幕和故事的声音。没有图片时，每段用一张卡片，背景由你选择。",
        ),
        "film.pictures": ("Pictures (in order: one per paragraph)", "图片（按顺序：每段一张）"),
        "film.name": ("Title (blank: the script's first sentence)", "标题（留空：脚本第一句）"),
        "film.end": ("End card (blank: “The End”)", "片尾卡（留空：“完”）"),
        "film.aspect": ("Format", "画幅"),
        "film.resolution": ("Resolution", "分辨率"),
        "film.subtitles": ("Subtitles", "字幕"),
        "film.subtitles.burned": ("Burned in", "烧录在画面上"),
        "film.subtitles.soft": ("Soft track (players can turn it off)", "软字幕轨（播放器可关闭）"),
        "film.subtitles.none": ("None", "无"),
        "film.background": ("Background colour (for cards)", "背景颜色（用于卡片）"),
        "film.background_image": ("Background image (for cards, optional)", "背景图片（用于卡片，可选）"),
        "film.render": ("Render the film", "渲染影片"),
        "film.generate.title": (
            "Pictures from the script (text-to-image model)",
            "由脚本生成图片（文生图模型）",
        ),
        "film.generate": (
            "With no pictures given, make one per paragraph with one look",
            "未提供图片时，为每段生成一张风格一致的图片",
        ),
        "film.image_model": ("Picture model", "图片模型"),
        "film.look": ("Look of every picture", "所有图片的风格"),
        "film.steps": ("Steps per picture", "每张图片的步数"),
        "film.video": ("Film", "影片"),
        "film.poster": ("Poster", "海报"),
        "film.files": ("Files (MP4, poster, subtitles)", "文件（MP4、海报、字幕）"),
    }
)


@dataclass(frozen=True)
class FilmPanel:
    """What the Story tab's handle takes from the Film step."""

    controls: dict[str, gr.components.Component]
    pictures: gr.File
    poster: ResultSlot


def mix_entry(ctx: StudioContext, owner: Owner, entry_id: object) -> Entry:
    """The caller's own mixed story with this id."""
    entry = ctx.history.get(owner, entry_id) if isinstance(entry_id, str) and entry_id else None
    if entry is None:
        raise InvalidInput(
            "There is no mixed story yet: press Mix (or Make it all) first, then Render the film."
        )
    if entry.task != TASK or entry.params.get("step") != "mix" or story.WAV not in entry.files:
        raise InvalidInput(
            "That History id is not a mixed story of yours: mix the story, then render the film."
        )
    return entry


def build(
    ctx: StudioContext,
    running: Callable[[gr.Request], AbstractContextManager[threading.Event]],
    story_entry: gr.Textbox,
    stop: Callable[[gr.Request], str],
    heavy: dict[str, Any],
) -> FilmPanel:
    """The Film step, inside the Story tab: `story_entry` holds the mix's History id, `running`
    gives this session's cancel event (the story's Stop sets it)."""

    @user_errors
    def story_film(
        request: gr.Request,
        mix_id: str,
        pictures: list[str] | None,
        title: str,
        end_text: str,
        aspect: str,
        resolution: float,
        subtitles: str,
        background: str,
        background_image: str | None,
        generate: bool = False,
        image_model: str | None = None,
        look: str = "",
        steps: float = 25,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's way to ask for a progress bar
    ) -> Iterator[tuple[Any, ...]]:
        """Render a mixed story as an MP4 film (H.264 + AAC) with pictures, motion and subtitles.

        Args:
            mix_id: the History id make_story or story_mix returned for the mixed story.
            pictures: image files in order, one per paragraph (none: a card per paragraph);
                at most 500; a damaged one is left out, more than the film's length holds are
                left out (each shows at least 2 s).
            title: the title card's words ("" for the script's first sentence).
            end_text: the end card's words ("" for "The End").
            aspect: "16:9", "9:16" or "1:1".
            resolution: the frame's shorter side: 720 or 1080 (360 or 480 for a quick look).
            subtitles: "burned" (drawn on the frames), "soft" (a track players can turn off) or "none".
            background: the cards' background colour, "#rrggbb".
            background_image: an image for the cards' background, or None.
            generate: with no pictures given, make one per paragraph with a text-to-image model.
            image_model: that model's spec, from the list the server offers (a GPU's).
            look: the look every generated picture shares ("" for a cinematic illustration).
            steps: denoising steps per generated picture.
        Returns:
            The film (MP4), its poster (PNG), its files (MP4, poster, SRT), a status line, and
            the film's History id.
        """
        owner = ctx.owner(request)
        entry = mix_entry(ctx, owner, mix_id)
        script = entry.file(story.SCRIPT).read_text(encoding="utf-8") if story.SCRIPT in entry.files else ""
        cues = from_srt(entry.file(story.SRT).read_text(encoding="utf-8")) if story.SRT in entry.files else []
        plan = film.build_film_plan(
            audio=entry.file(story.WAV),
            cues=cues,
            script=script,
            pictures=pictures,
            title=title,
            end_text=end_text,
            aspect=aspect,
            resolution=resolution,
            subtitles=subtitles,
            background=background,
            background_image=background_image,
        )
        skip = gr.skip()
        with running(request) as cancel, tempfile.TemporaryDirectory(prefix="film-") as workdir:
            if generate and not plan.pictures:
                made = None
                if not ctx.settings.text_to_image_models:
                    raise InvalidInput(
                        "No text-to-image model is offered here (one needs a GPU): give pictures of "
                        "your own, or turn Generate off to get a card per paragraph."
                    )
                spec = choice(image_model, field="Picture model", options=ctx.settings.text_to_image_models)
                count = bounded_int(steps, field="Steps", low=1, high=100)
                seed = secrets.randbelow(2**31)
                models = ctx.manager.for_owner(owner)
                for item in film_pictures.generate_pictures(
                    models, spec, plan.paragraphs or (plan.title,), look, plan.aspect, seed, count,
                    Path(workdir), cancel,
                ):  # fmt: skip
                    if isinstance(item, film_pictures.PictureProgress):
                        progress((item.done, item.total), desc="Making pictures", unit="pictures")
                        yield skip, skip, skip, f"Making pictures: {item.done} of {item.total}", skip
                    else:
                        made = item
                if made is None:
                    yield skip, skip, skip, "Stopped: the film was not saved.", skip
                    return
                plan = replace(plan, pictures=tuple(made))
            for item in film.render_film(plan, Path(workdir), cancel):
                if isinstance(item, film.FilmProgress):
                    if item.frames:
                        progress((item.frames_done, item.frames), desc="Rendering", unit="frames")
                    left = f", about {item.seconds_left:.0f} s left" if item.seconds_left else ""
                    yield skip, skip, skip, f"{item.message}{left}", skip
                    continue
                params = {**entry.params, "step": "film", "mix_entry": entry.id, "film": item.params}
                params |= {
                    "title": title,
                    "end_text": end_text,
                    "aspect": aspect,
                    "resolution": plan.resolution,
                }
                params |= {"subtitles": subtitles, "background": background, "generated": generate}
                saved = ctx.history.save(
                    owner, TASK, "story-film", params, f"film: {plan.title}"[:120], item.files
                )
                delivered = [ctx.deliver(owner, saved, name) for name in FILM_FILES]
                width, height = plan.size
                status = f"Done: {plan.seconds:.1f} s at {width}x{height}, {item.params['pictures_used']} "
                status += f"pictures, rendered in {item.params['render_s']:.0f} s."
                if item.notes:
                    status += " " + " ".join(item.notes)
                yield delivered[0], delivered[1], delivered, status, saved.id
                return
        yield skip, skip, skip, "Stopped: the film was not saved.", skip

    with gr.Accordion(tr("film.title"), open=True):
        gr.Markdown(tr("film.intro"))
        with gr.Row():
            with gr.Column(scale=2):
                pictures = gr.File(
                    label=tr("film.pictures"),
                    file_count="multiple",
                    file_types=["image"],
                    elem_id="film-pictures",
                )
                image_specs = ctx.settings.text_to_image_models
                with gr.Accordion(tr("film.generate.title"), open=False, visible=bool(image_specs)):
                    generate = gr.Checkbox(value=bool(image_specs), label=tr("film.generate"))
                    image_model = gr.Dropdown(
                        model_choices(ctx, image_specs),
                        value=image_specs[0] if image_specs else None,
                        label=tr("film.image_model"),
                    )
                    look = gr.Textbox(value=film_pictures.LOOK, label=tr("film.look"), max_lines=1)
                    steps = gr.Slider(1, 100, value=25, step=1, label=tr("film.steps"))
                with gr.Row():
                    title = gr.Textbox(label=tr("film.name"), max_lines=1, max_length=film.MAX_TITLE_CHARS)
                    end_text = gr.Textbox(label=tr("film.end"), max_lines=1, max_length=film.MAX_TITLE_CHARS)
                with gr.Row():
                    render = gr.Button(tr("film.render"), variant="primary", elem_id="film-render")
                    stop_button = gr.Button(tr("common.stop"), variant="stop")
                status = gr.Textbox(label=tr("common.status"), interactive=False, elem_id="film-status")
                video = gr.Video(label=tr("film.video"), interactive=False, elem_id="film-video")
            with gr.Column(scale=1):
                aspect = gr.Radio(list(film.ASPECTS), value="16:9", label=tr("film.aspect"))
                resolution = gr.Radio(RESOLUTION_CHOICES, value=720, label=tr("film.resolution"))
                subtitles = gr.Radio(
                    [(tr(f"film.subtitles.{mode}"), mode) for mode in film.SUBTITLES],
                    value="burned",
                    label=tr("film.subtitles"),
                )
                background = gr.ColorPicker(value="#181c30", label=tr("film.background"))
                background_image = CheckedImage(  # a bad upload is said in words, never as a path
                    label=tr("film.background_image"), type="filepath", sources=["upload"], height=160
                )
                poster = gr.Image(label=tr("film.poster"), interactive=False, type="filepath", format="png")
                sent = send_to.slot(poster)
                files = gr.File(label=tr("film.files"), file_count="multiple", interactive=False)
        film_entry = gr.Textbox(visible=False)
    render.click(
        story_film,
        inputs=[
            *(story_entry, pictures, title, end_text, aspect, resolution, subtitles, background),
            *(background_image, generate, image_model, look, steps),
        ],
        outputs=[video, poster, files, status, film_entry],
        api_name="story_film",
        **heavy,
    )
    stop_button.click(stop, outputs=status, api_name="film_stop", api_visibility="private", queue=False)
    controls = {"title": title, "end_text": end_text, "aspect": aspect, "resolution": resolution}
    controls |= {"subtitles": subtitles, "background": background}
    return FilmPanel(controls=controls, pictures=pictures, poster=sent)
