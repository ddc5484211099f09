"""Voice input: a microphone under a text box; what is said is transcribed by the studio's
default recogniser and added to the box's text when the recording stops."""

from __future__ import annotations

import gradio as gr

from genai_studio.backends.base import Result
from genai_studio.backends.listen.request import build_request
from genai_studio.backends.listen.transcript import join
from genai_studio.backends.speech import auto_language
from genai_studio.errors import InvalidInput
from genai_studio.inputs import clean_text
from genai_studio.ui.common import HEAVY, StudioContext, strings, tr, user_errors

strings({"listen.dictate": ("Dictate with the microphone", "用麦克风口述")})


def attach(ctx: StudioContext, target: gr.Textbox, api_name: str, max_chars: int) -> gr.Audio | None:
    """A microphone that dictates into `target` (None when no recogniser is configured)."""
    specs = ctx.settings.listen_models
    if not specs:
        return None

    @user_errors
    def dictate(request: gr.Request, recording: str | None, text: str = "") -> tuple[str, None]:
        """Dictate: transcribe a short microphone recording and add what was said to a text.

        Args:
            recording: the recording (any audio format).
            text: the text so far ("" for none); what was said is added at its end.
        Returns:
            The text with what was said added, and an empty recording (ready for the next one).
        """
        owner = ctx.owner(request)  # who is asking is settled at the edge, as for every event
        so_far = clean_text(text, field="Text", max_chars=max_chars, allow_empty=True).rstrip()
        job = build_request(ctx.settings, media_path=recording, name="dictation")
        results = [
            item for item in ctx.manager.for_owner(owner).run(specs[0], job) if isinstance(item, Result)
        ]
        heard = results[-1].output.text if results else ""
        if not heard:
            raise InvalidInput(results[-1].info if results and results[-1].info else "Nothing was heard.")
        return join([so_far, heard], auto_language.detect(so_far + heard)), None

    recording = gr.Audio(
        sources=["microphone"], type="filepath", format="wav", label=tr("listen.dictate"), elem_id=api_name
    )
    recording.stop_recording(
        dictate,
        inputs=[recording, target],
        outputs=[target, recording],
        api_name=api_name,
        concurrency_id=HEAVY,
        show_progress="minimal",
    )
    return recording
