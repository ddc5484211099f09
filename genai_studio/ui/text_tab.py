"""Text tab: write, continue, rewrite and brainstorm with a language model, streamed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from genai_studio.backends.base import Progress, Result
from genai_studio.backends.text.request import MODE_NAMES, MODES, build_request
from genai_studio.inputs import choice
from genai_studio.ui import dictation, send_to
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

TASK = "text"
MAX_TURNS_KEPT = 8  # earlier turns sent back to the model; older ones stay on screen only
UPDATE_EVERY_S = 0.04  # 25 page updates a second: smooth to read, cheap for the CPU the model uses

strings(
    {
        "text.tab": ("Text", "文本"),
        "text.intro": (
            "Write, continue, rewrite or brainstorm. Tokens appear as the model makes them; "
            "Stop ends generation at once.",
            "写作、续写、改写或头脑风暴。文字随模型生成逐字出现；点击停止立即结束。",
        ),
        "text.mode": ("Mode", "模式"),
        "text.mode.write": ("Write", "写作"),
        "text.mode.continue": ("Continue", "续写"),
        "text.mode.rewrite": ("Rewrite", "改写"),
        "text.mode.brainstorm": ("Brainstorm", "头脑风暴"),
        "text.system": ("System prompt", "系统提示词"),
        "text.prompt": ("Your text", "你的文字"),
        "text.prompt.placeholder": (
            "A short story about a lighthouse keeper who finds a map…",
            "一个关于灯塔看守人发现一张地图的短篇故事……",
        ),
        "text.conversation": ("Conversation", "对话"),
        "text.max_new_tokens": ("Max new tokens", "最多生成的词元数"),
        "text.temperature": ("Temperature", "温度"),
        "text.top_p": ("Top-p", "Top-p"),
        "text.repetition_penalty": ("Repetition penalty", "重复惩罚"),
    }
)

Conversation = list[dict[str, Any]]


def _message_text(content: Any) -> str:
    """Chatbot content is a string, or (as Gradio 6 sends it back) a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _turns(conversation: Conversation) -> list[tuple[str, str]]:
    """(user, assistant) pairs from the chat, most recent MAX_TURNS_KEPT only."""
    pairs: list[tuple[str, str]] = []
    pending_user: str | None = None
    for message in conversation or []:
        if not isinstance(message, dict):
            continue
        text = _message_text(message.get("content"))
        if message.get("role") == "user":
            pending_user = text
        elif message.get("role") == "assistant" and pending_user is not None:
            pairs.append((pending_user, text))
            pending_user = None
    return pairs[-MAX_TURNS_KEPT:]


def build(ctx: StudioContext) -> list[TabHandle]:
    specs = ctx.settings.text_models

    @user_errors
    def generate_text(
        request: gr.Request,
        prompt: str,
        mode: str,
        system_prompt: str,
        model: str,
        max_new_tokens: float,
        temperature: float,
        top_p: float,
        seed: float,
        conversation: Conversation | None,
        repetition_penalty: float = 1.1,
    ) -> Iterator[Conversation]:
        """Generate text with a language model and stream it token by token.

        Args:
            prompt: the user's text: a request, or the text to continue or rewrite.
            mode: one of write, continue, rewrite, brainstorm (frames the prompt).
            system_prompt: instructions for the model; empty for none.
            model: a model spec from the list the server offers.
            max_new_tokens: most tokens to generate.
            temperature: 0 for deterministic output, higher for more variety (max 2).
            top_p: nucleus sampling threshold (0.01-1).
            seed: -1 for a random seed, or a fixed seed to repeat a result.
            conversation: earlier messages of this session (role/content dicts).
            repetition_penalty: 1 for none; above 1 discourages repeating (max 2).
        Returns:
            The conversation with the new reply, streamed as it grows.
        """
        owner = ctx.owner(request)
        choice(model, field="Model", options=specs)
        conversation = list(conversation or [])
        job = build_request(
            ctx.settings,
            prompt=prompt,
            mode=mode,
            system_prompt=system_prompt,
            history=_turns(conversation),
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            top_p=top_p,
            seed=seed,
            repetition_penalty=repetition_penalty,
        )
        conversation += [{"role": "user", "content": prompt}, {"role": "assistant", "content": ""}]
        chosen = {"prompt": prompt, "mode": mode, "system_prompt": system_prompt, "model": model}
        reported: dict[str, Any] = {}
        reply = ""
        finished = failed = False
        try:
            for batch in ctx.manager.for_owner(owner).run_batched(model, job, every=UPDATE_EVERY_S):
                for item in batch:
                    if isinstance(item, Progress) and item.partial:
                        reply += item.partial
                    elif isinstance(item, Result):
                        reply, finished, reported = item.output, True, item.params
                conversation[-1] = {"role": "assistant", "content": reply}
                yield conversation
        except Exception:  # the model failed (its worker crashed...): half a reply is not a result
            failed = True
            raise
        finally:  # saved on Stop too: nothing the user saw is lost
            if finished or (reply and not failed):
                params = {**job.params(), "stopped": not finished, **reported, **chosen}
                files = {"output.txt": reply.encode("utf-8", "surrogatepass")}
                ctx.history.save(owner, TASK, model, params=params, summary=reply[:120], files=files)

    def clear_conversation() -> Conversation:
        """Start a new conversation: earlier turns are no longer sent to the model.

        Returns:
            An empty conversation.
        """
        return []

    def system_prompt_for(mode: str) -> str:
        return MODES[mode].system_prompt if mode in MODES else ""

    with gr.Tab(tr("text.tab"), id=TASK):
        gr.Markdown(tr("text.intro"))
        with gr.Row():
            with gr.Column(scale=2):
                conversation = gr.Chatbot(
                    label=tr("text.conversation"), height=460, buttons=["copy", "copy_all"]
                )
                sent = send_to.slot(conversation)
                prompt = gr.Textbox(
                    label=tr("text.prompt"), placeholder=tr("text.prompt.placeholder"), lines=4
                )
                dictation.attach(ctx, prompt, "dictate", ctx.settings.max_prompt_chars)
                generate, stop = run_buttons()
                clear = gr.Button(tr("common.clear"), size="sm")
            with gr.Column(scale=1):
                mode = gr.Radio(
                    [(tr(f"text.mode.{name}"), name) for name in MODE_NAMES],
                    value="write",
                    label=tr("text.mode"),
                )
                model = gr.Dropdown(model_choices(ctx, specs), value=specs[0], label=tr("common.model"))
                system_prompt = gr.Textbox(
                    value=MODES["write"].system_prompt, label=tr("text.system"), lines=4
                )
                with gr.Accordion(tr("common.advanced"), open=False):
                    max_new_tokens = gr.Slider(
                        1, ctx.settings.max_new_tokens, value=256, step=1, label=tr("text.max_new_tokens")
                    )
                    temperature = gr.Slider(0.0, 2.0, value=0.7, step=0.05, label=tr("text.temperature"))
                    top_p = gr.Slider(0.01, 1.0, value=0.95, step=0.01, label=tr("text.top_p"))
                    repetition_penalty = gr.Slider(
                        1.0, 2.0, value=1.1, step=0.05, label=tr("text.repetition_penalty")
                    )
                    seed = gr.Number(value=-1, precision=0, label=tr("common.seed"))

        # repetition_penalty last: API callers written before it existed keep working
        inputs = [prompt, mode, system_prompt, model, max_new_tokens, temperature, top_p, seed, conversation]
        inputs += [repetition_penalty]
        run_options = dict(
            fn=generate_text,
            inputs=inputs,
            outputs=conversation,
            concurrency_id=HEAVY,
            show_progress="minimal",
        )
        on_click = generate.click(api_name="generate_text", **run_options)
        on_submit = prompt.submit(api_visibility="private", **run_options)
        stop.click(None, cancels=[on_click, on_submit], api_visibility="private")
        clear.click(clear_conversation, outputs=conversation, api_name="clear_conversation", queue=False)
        mode.input(system_prompt_for, mode, system_prompt, api_visibility="private", queue=False)

    return [
        TabHandle(
            tab_id=TASK,
            tasks=(TASK,),
            controls={
                "prompt": prompt,
                "mode": mode,
                "system_prompt": system_prompt,
                "model": model,
                "max_new_tokens": max_new_tokens,
                "temperature": temperature,
                "top_p": top_p,
                "seed": seed,
                "repetition_penalty": repetition_penalty,
            },
            receivers={"text": prompt},  # text sent here is the prompt: continue or rewrite it
            results={"text": sent},  # the last reply
        )
    ]
