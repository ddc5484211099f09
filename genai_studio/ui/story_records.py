"""The Story tab's steps in History: each step's result saved under its owner, and a step's
result found again (by its History id) for the next step, or the user's own track instead."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import soundfile as sf

from genai_studio.audio_files import wav_bytes
from genai_studio.errors import InvalidInput
from genai_studio.history import Entry
from genai_studio.owners import Owner
from genai_studio.pipelines import story
from genai_studio.subtitles import cues_from_json, cues_to_json
from genai_studio.ui.common import StudioContext

TASK = "story"
DRAFT_TXT = "output.txt"  # the name History shows as text
MIX_FILES = (story.WAV, story.MP3, story.SRT, story.SCRIPT)


class StoryRecords:
    """Story steps saved to, and read back from, each owner's History."""

    def __init__(self, ctx: StudioContext) -> None:
        self.ctx = ctx

    def save(
        self, owner: Owner, step: str, model: str, params: dict[str, Any], summary: str, files: dict
    ) -> Entry:
        return self.ctx.history.save(
            owner, TASK, model, params={**params, "step": step}, summary=summary, files=files
        )

    def own_entry(self, owner: Owner, entry_id: object, step: str, names: tuple[str, ...]) -> Entry | None:
        """The caller's story entry of `step` with these files, or None when no id is given."""
        if not entry_id:
            return None
        entry = self.ctx.history.get(owner, entry_id) if isinstance(entry_id, str) else None
        if (
            entry is None
            or entry.task != TASK
            or entry.params.get("step") != step
            or not set(names) <= set(entry.files)
        ):
            raise InvalidInput(
                f"There is no {step} step among your stories with that id: run {step.title()} again."
            )
        return entry

    def voice_of(
        self,
        owner: Owner,
        text: str,
        entry_id: object,
        track_path: object,
        heard_in: tuple[Path, threading.Event] | None = None,
    ) -> tuple[story.Voice, dict[str, Any], str] | None:
        """The narration, its settings and its script: the user's track if given (subtitled by
        the recogniser when `heard_in` gives a work folder and a cancel event, None once stopped;
        without, no subtitles), else the narrate step's entry."""
        if track_path:
            track = story.read_track(track_path, field="The narration track")
            if heard_in is None:  # only its length is wanted (scoring)
                return story.Voice(track, ()), {"narration_given": True}, text
            given = story.given_voice(
                self.ctx.manager.for_owner(owner), self.ctx.settings, track, text, *heard_in
            )
            return None if given is None else (given[0], given[0].params, given[1])
        entry = self.own_entry(owner, entry_id, "narrate", (story.NARRATION_WAV, story.CUES_JSON))
        if entry is None:
            raise InvalidInput("There is no narration yet: press Narrate, or give a narration track.")
        audio, rate = sf.read(entry.file(story.NARRATION_WAV), dtype="float32")
        cues = tuple(cues_from_json(entry.file(story.CUES_JSON).read_text(encoding="utf-8")))
        return story.Voice(story.Track(audio, rate), cues, {"model": entry.model}), entry.params, text

    def music_of(
        self, owner: Owner, entry_id: object, track_path: object
    ) -> tuple[story.Track, dict[str, Any]]:
        if track_path:
            return story.read_track(track_path, field="The music track"), {"music_given": True}
        entry = self.own_entry(owner, entry_id, "score", (story.MUSIC_WAV,))
        if entry is None:
            raise InvalidInput("There is no music yet: press Score, or give a music track.")
        audio, rate = sf.read(entry.file(story.MUSIC_WAV), dtype="float32")
        return story.Track(audio, rate), entry.params

    def saved_draft(self, owner: Owner, done: story.Draft, choices: dict[str, Any], model: str) -> Entry:
        params = {**choices, "script": done.script, "draft": done.params}
        return self.save(owner, "draft", model, params, done.script[:120], {DRAFT_TXT: done.script.encode()})

    def saved_voice(self, owner: Owner, voice: story.Voice, choices: dict[str, Any], text: str) -> Entry:
        files = {
            story.NARRATION_WAV: wav_bytes(voice.track.rate, voice.track.audio),
            story.CUES_JSON: cues_to_json(voice.cues).encode(),
        }
        params = {**choices, "script": text, "narration": voice.params}
        return self.save(owner, "narrate", str(voice.params.get("model")), params, text[:120], files)

    def saved_score(self, owner: Owner, done: story.Score, choices: dict[str, Any], text: str) -> Entry:
        files = {story.MUSIC_WAV: wav_bytes(done.track.rate, done.track.audio)}
        params = {**choices, "script": text, "music": done.params}
        summary = (
            f"music: {done.params.get('mood')} {done.params.get('genre')}, {done.params.get('tempo')} bpm"
        )
        return self.save(owner, "score", str(done.params.get("model")), params, summary, files)

    def saved_mix(self, owner: Owner, done: story.Mixed, choices: dict[str, Any], text: str) -> Entry:
        params = {**choices, "script": text, "mix": done.params}
        return self.save(owner, "mix", "story-mix", params, text[:120] or "story", dict(done.files))


def mix_status(done: story.Mixed) -> str:
    p = done.params
    return (
        f"Done: {p['seconds']:.1f} s at {p['measured_lufs']:g} LUFS, music {p['ducked_db']:g} dB "
        f"lower under the voice than in its pauses."
    )
