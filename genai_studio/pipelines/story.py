"""Story: one idea to a short narrated piece with music under the voice.

Four steps, each an ordinary job of its own task run through the ModelManager (so the
queue bound, Stop and model residency hold as for any single tab):

1. draft: the text model writes a script of about the asked length (words per second of
   speech); a script the user gives is used as it is;
2. narrate: the long-form narration code speaks it (voice, language, speed; "auto" sends
   Chinese text to a Chinese voice as the Speech tab does);
3. score: music of the narration's length plus a lead-in and lead-out, from a mood, genre
   and tempo proposed from the script's words (`propose`, editable); pieces longer than one
   music job takes are several jobs joined by crossfades;
4. mix: the music ducked under the voice (genai_studio.mixing), faded in and out, the whole
   at -16 LUFS, written as WAV, MP3, SRT (cues moved by the lead-in) and the script.

Every step yields progress and returns without a result once `cancel` is set, within the
step as well as between steps; a stopped step leaves nothing for the caller to save.
Every user value is checked by `build_story_plan` before any model runs.
"""

from __future__ import annotations

import math
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from genai_studio import mixing
from genai_studio.audio_files import SPOKEN_WORD_LUFS, gain_to, limit_gain, loudness, mp3_bytes, open_wav
from genai_studio.backends.base import Progress, Result
from genai_studio.backends.manager import ModelManager
from genai_studio.backends.music.plan import MAX_BPM, MIN_BPM, MIN_SECONDS, MOODS
from genai_studio.backends.music.plan import MAX_SECONDS as MAX_MUSIC_JOB_S
from genai_studio.backends.music.request import AUTO, GENRES, MAX_SEED, MOOD_CHOICES, MusicRequest
from genai_studio.backends.music.request import build_request as build_music_request
from genai_studio.backends.music.styles import STYLES
from genai_studio.backends.speech import auto_language
from genai_studio.backends.speech.request import MAX_SPEED, MIN_SPEED, SpeechRequest, request_for
from genai_studio.backends.speech.roles import Cast
from genai_studio.backends.speech.sentences import is_speakable, split_sentences
from genai_studio.backends.text.request import Message, TextRequest
from genai_studio.backends.text.request import build_request as build_text_request
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput, ModelUnavailable
from genai_studio.inputs import bounded_int, bounded_number, choice, clean_text
from genai_studio.narration import Narration, NarrationProgress, narrate, script
from genai_studio.pipelines import heard
from genai_studio.subtitles import Cue, CueTimeline, to_srt

MIN_STORY_S, MAX_STORY_S = 5.0, 600.0  # a story is a short piece: up to ten minutes
MAX_IDEA_CHARS = 2_000
MAX_SCRIPT_CHARS = 10_000  # about ten minutes of speech
MAX_TRACK_S = MAX_STORY_S * 1.5  # a narration or music track given by the user
WORDS_PER_SECOND = 3.0  # English narration at speed 1 (hibari: 76 words in 25 s, bench/story.py)
HAN_PER_SECOND = 4.0  # Mandarin narration at speed 1, in characters
MIX_RATE = 44_100
LAYOUT, DUCKING = mixing.MixLayout(), mixing.Ducking()
CROSSFADE_S = 2.0  # between music jobs, and where a short music track loops
MAX_NEW_TOKENS_PER_WORD = 2.0
WAV, MP3, SRT, SCRIPT = "story.wav", "story.mp3", "story.srt", "script.txt"
NARRATION_WAV, CUES_JSON, MUSIC_WAV = "narration.wav", "narration-cues.json", "music.wav"
TIMED_BY = ("model", "recognised_by")  # a Voice's params naming what timed its cues: the voice or the ear

DRAFT_SYSTEM = (
    "You write scripts that one narrator reads aloud. Write only the words the narrator says: "
    "no title, no headings, no stage directions, no sound cues, no speaker names, no notes."
)
DRAFT_PROMPT = (
    "Write the narration for this: {idea}\n\nIt is read aloud in about {seconds:g} seconds, "
    "so it has about {words} words. End it with a complete sentence."
)
CONTINUE_PROMPT = "Go on with the narration: about {words} more words, ending with a complete sentence."
CONTINUE_PROMPT_ZH = "接着写旁白，再写大约 {words} 个字，以完整的句子结尾。"
DRAFT_ROUNDS = 4
SHORT_DRAFT = 0.7  # a draft under this share of the asked length is continued
MIN_ROUND_TOKENS = 16  # a continuation gets at least this many of the draft's tokens
DRAFT_PROMPT_ZH = (
    "为下面的内容写一段旁白：{idea}\n\n朗读时长约 {seconds:g} 秒，大约 {words} 个字。只写旁白本身，用中文。"
)


# -- checking ----------------------------------------------------------------------------


def check_length(seconds: object) -> float:
    return bounded_number(seconds, field="Length (seconds)", low=MIN_STORY_S, high=MAX_STORY_S)


def check_script(text: object) -> str:
    """The script as given (may be empty: then it is drafted from the idea)."""
    return clean_text(text, field="Script", max_chars=MAX_SCRIPT_CHARS, allow_empty=True).strip()


def check_idea(text: object, needed: bool = True) -> str:
    """The idea to draft from; `needed` when there is no script (nor narration) instead."""
    idea = clean_text(text, field="Idea", max_chars=MAX_IDEA_CHARS, allow_empty=True).strip()
    if needed and not is_speakable(idea):
        raise InvalidInput(
            "Write an idea for the story (e.g. “a 30-second ad for a bakery”), or paste a script."
        )
    return idea


def is_chinese(text: str) -> bool:
    return auto_language.detect(text) == "zh"


def spoken_units(text: str) -> int:
    """Words of English text, characters of Chinese text: what speech time is counted in."""
    if is_chinese(text):
        return len(re.findall(r"[\u3400-\u9fff]", text))
    return len(re.findall(r"\w+(?:['’]\w+)*", text))


def estimated_seconds(text: str, speed: float) -> float:
    """About how long `text` takes to say at `speed`."""
    rate = HAN_PER_SECOND if is_chinese(text) else WORDS_PER_SECOND
    return spoken_units(text) / (rate * speed)


# -- running a model job ------------------------------------------------------------------


@contextmanager
def job_event(cancel: threading.Event, poll_s: float = 0.05) -> Iterator[threading.Event]:
    """A fresh cancel event for one manager job, set as soon as the story's `cancel` is.

    The manager sets a job's event when the job ends, so the story's own event cannot be
    handed to a job; this one is, and the backend sees Stop at its next check (a token, a
    sentence, a second of music) instead of when it next yields something."""
    job, finished = threading.Event(), threading.Event()

    def follow() -> None:
        while not finished.is_set():
            if cancel.wait(poll_s):
                job.set()
                return

    threading.Thread(target=follow, name="story-stop", daemon=True).start()
    try:
        yield job
    finally:
        finished.set()


# -- 1. draft ----------------------------------------------------------------------------


def target_units(seconds: float, speed: float, chinese: bool) -> int:
    return max(1, round(seconds * speed * (HAN_PER_SECOND if chinese else WORDS_PER_SECOND)))


def draft_request(settings: Settings, idea: str, seconds: float, speed: float, seed: int) -> TextRequest:
    """The text request that drafts a script of about `seconds` from `idea`."""
    chinese = is_chinese(idea)
    units = target_units(seconds, speed, chinese)
    prompt = (DRAFT_PROMPT_ZH if chinese else DRAFT_PROMPT).format(idea=idea, seconds=seconds, words=units)
    tokens = min(settings.max_new_tokens, round(units * MAX_NEW_TOKENS_PER_WORD) + 48)
    return build_text_request(
        settings, prompt=prompt, system_prompt=DRAFT_SYSTEM, max_new_tokens=tokens, seed=seed
    )


_MARKUP = re.compile(r"\*\*|__|[*_`#]")
_BRACKETED = re.compile(r"\[[^\]]*\]|【[^】]*】")
_SPEAKER = re.compile(r"^\s*(?:narrator|voice[- ]?over|vo|announcer|旁白)\s*[:：]\s*", re.I)
_LABEL_LINE = re.compile(r"^\s*(?:title|script|scene|music|sfx|sound|标题)\s*[:：]", re.I)
_DIRECTION_LINE = re.compile(r"^\s*[(（].*[)）]\s*$")
_ENDS_SENTENCE = re.compile(r"[.!?…。！？”\"')）]\s*$")


def _gist(sentence: str) -> str:
    """A sentence's words without case, punctuation or articles: what makes two the same."""
    words = re.findall(r"\w+", sentence.lower())
    return " ".join(word for word in words if word not in ("a", "an", "the"))


def tidy(raw: str, units: int) -> str:
    """The narrator's words of a drafted `raw` text: markup, titles, stage directions, speaker
    names and repeated sentences dropped, an unfinished last sentence cut, and at most ~1.25x
    the asked length (whole sentences; the first is always kept)."""
    paragraphs: list[list[str]] = []
    seen: set[str] = set()
    for block in re.split(r"\n\s*\n", raw):
        kept = []
        for line in block.splitlines():
            line = _SPEAKER.sub("", _BRACKETED.sub("", _MARKUP.sub("", line))).strip()
            if line and not _LABEL_LINE.match(line) and not _DIRECTION_LINE.match(line):
                kept.append(line)
        sentences = []
        for sentence in split_sentences(" ".join(kept)):
            if _gist(sentence) not in seen:  # a small model repeats itself: once is enough
                seen.add(_gist(sentence))
                sentences.append(sentence)
        if sentences:
            paragraphs.append(sentences)
    limit, used, out = math.ceil(units * 1.25), 0, []
    for sentences in paragraphs:
        taken = []
        for sentence in sentences:
            size = spoken_units(sentence)
            if (out or taken) and used + size > limit:
                break
            taken.append(sentence)
            used += size
        if taken:
            out.append(taken)
        if len(taken) < len(sentences):
            break
    if sum(map(len, out)) > 1 and not _ENDS_SENTENCE.search(out[-1][-1]):
        out[-1].pop()  # the model ran out of tokens mid-sentence
        out = [sentences for sentences in out if sentences]
    joiner = "" if is_chinese(raw) else " "
    return "\n\n".join(joiner.join(sentences) for sentences in out)


@dataclass(frozen=True)
class Draft:
    script: str
    params: dict[str, Any]


def draft(
    manager: ModelManager, spec: str, request: TextRequest, units: int, cancel: threading.Event
) -> Iterator[str | Draft]:
    """The text so far as it streams (str), then the tidied Draft; nothing more once stopped.

    A small model often stops well short of the asked length: while the text is under
    SHORT_DRAFT of it and the model stopped by itself, it is asked to go on (the conversation
    so far sent back), at most DRAFT_ROUNDS times in all and within the first request's
    token budget, so a continued draft costs no more than one that ran to its limit."""
    text, params = "", {}
    budget = request.max_new_tokens  # every round together
    for round_ in range(DRAFT_ROUNDS):
        job_request, before = request, text
        if round_:
            more = units - spoken_units(text)
            ask = (CONTINUE_PROMPT_ZH if is_chinese(text) else CONTINUE_PROMPT).format(words=more)
            messages = (*request.messages, Message("assistant", text), Message("user", ask))
            job_request = replace(
                request, messages=messages, max_new_tokens=budget, seed=request.seed + round_
            )
        part = ""
        with (
            job_event(cancel) as job,
            closing(manager.run_batched(spec, job_request, job, every=0.1)) as batches,
        ):
            for batch in batches:
                for item in batch:
                    if isinstance(item, Progress) and item.partial:
                        part += item.partial
                    elif isinstance(item, Result):
                        part, params = item.output, item.params
                if cancel.is_set():
                    return
                text = (before + "\n\n" + part.strip()) if before else part
                yield text
        if cancel.is_set():
            return
        budget -= int(params.get("completion_tokens") or job_request.max_new_tokens)
        short = spoken_units(tidy(text, units)) < SHORT_DRAFT * units
        if params.get("finish_reason") != "stop" or not short or budget < MIN_ROUND_TOKENS:
            break
    written = tidy(text, units)
    if not is_speakable(written):
        raise ModelUnavailable(
            "The text model wrote nothing a narrator could read. Try again, or write the script yourself."
        )
    yield Draft(written, {**params, "rounds": round_ + 1})


# -- 2. narrate --------------------------------------------------------------------------


@dataclass(frozen=True)
class Track:
    """Audio at `rate`: mono or (samples, channels) float32."""

    audio: np.ndarray
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.audio) / self.rate


@dataclass(frozen=True)
class Voice:
    """The narration: its track and when each sentence is said (cues from the track's start)."""

    track: Track
    cues: tuple[Cue, ...]
    params: dict[str, Any] = field(default_factory=dict)


def speech_request(
    manager: ModelManager,
    specs: tuple[str, ...],
    *,
    model: object,
    voice: object,
    language: object,
    speed: object,
    text: str,
    cast: Cast | None = None,
) -> tuple[str, SpeechRequest]:
    """(model spec, checked request) for speaking `text`; language "auto" picks the model,
    voice and language from the text as the Speech tab does (auto_language.resolve). With a
    cast, each line of dialogue gets its character's voice (the narrator's is `voice`)."""
    spec = choice(model, field="Voice model", options=specs)
    if language == auto_language.AUTO:
        options = auto_language.options_of(manager.backend_for)
        spec, voice, language = auto_language.resolve(text, spec, str(voice), specs, options)
    backend = manager.available_backend(spec)
    request = request_for(
        backend, text=text, voice=voice, language=language, speed=speed, max_chars=MAX_SCRIPT_CHARS, cast=cast
    )
    return spec, request


def narrate_script(
    manager: ModelManager, spec: str, request: SpeechRequest, workdir: Path, cancel: threading.Event
) -> Iterator[NarrationProgress | Voice]:
    """Progress after each sentence, then the Voice; nothing more once stopped."""
    with job_event(cancel) as job:
        for item in narrate(manager, spec, request, workdir, job):
            if not isinstance(item, Narration):
                if not cancel.is_set():  # sentences made before Stop took effect are not shown
                    yield item
            elif not item.stopped and not cancel.is_set():
                audio, rate = sf.read(item.files["narration.wav"], dtype="float32")
                params = {**item.params, "model": spec}
                yield Voice(Track(mixing.mono(audio), rate), item.cues, params)


def approximate_cues(text: str, track: Track) -> tuple[Cue, ...]:
    """Cues for a narration the studio did not make, where no recogniser is configured: its
    sentences spread over the track's voiced span by their share of letters."""
    sentences = script(text).sentences if text else ()
    if not sentences:
        return ()
    speech = np.flatnonzero(mixing.speech_frames(track.audio, track.rate))
    if not speech.size:
        return ()
    frame = round(mixing.FRAME_S * track.rate)
    first, last = int(speech[0]) * frame, min(len(track.audio), (int(speech[-1]) + 1) * frame)
    weights = np.array([max(spoken_units(s), 1) for s in sentences], float)
    bounds = np.round(first + (last - first) * np.concatenate([[0], np.cumsum(weights)]) / weights.sum())
    timeline = CueTimeline(track.rate, first / track.rate)
    for sentence, start, end in zip(sentences, bounds[:-1], bounds[1:], strict=True):
        timeline.speech(sentence, int(end - start))
    return tuple(timeline.cues)


def given_voice(
    manager: ModelManager, settings: Settings, track: Track, text: str, workdir: Path, cancel: threading.Event
) -> tuple[Voice, str] | None:
    """A narration track of the user's own, with its subtitles timed by the recogniser (spread
    approximately where no recogniser is configured), and the script it says: `text`, or what
    was heard when there is none. None once stopped."""
    listen = settings.listen_models
    if not listen or not manager.backend_for(listen[0]).available().ready:
        return Voice(track, approximate_cues(text, track), {"narration_given": True}), text
    with job_event(cancel) as job:
        transcript = heard.transcribe_track(manager, settings, track.audio, track.rate, workdir, job)
    if transcript is None or cancel.is_set():
        return None
    params = {"narration_given": True, "recognised_by": listen[0]}
    cues = heard.onto_voice(heard.timed_cues(text, transcript), mixing.speech_frames(track.audio, track.rate))
    return Voice(track, cues, params), text or transcript.text


def read_track(path: object, *, field: str) -> Track:
    """A track the user gave (an uploaded or sent file): any format soundfile reads, at most
    MAX_TRACK_S long, not silent. Raises InvalidInput saying what is wrong."""
    if not isinstance(path, str | Path) or not str(path):
        raise InvalidInput(f"{field}: give an audio file.")
    try:
        with sf.SoundFile(path) as sound:
            if sound.frames / sound.samplerate > MAX_TRACK_S:
                minutes = sound.frames / sound.samplerate / 60
                raise InvalidInput(
                    f"{field} is {minutes:.1f} minutes long: at most {MAX_TRACK_S / 60:g} minutes."
                )
            audio = sound.read(dtype="float32", always_2d=True)
            rate = sound.samplerate
    except (sf.LibsndfileError, RuntimeError, OSError, TypeError):
        raise InvalidInput(
            f"{field}: this file is not audio the studio can read (WAV, FLAC, OGG, MP3)."
        ) from None
    if not audio.size or not np.isfinite(audio).all() or np.abs(audio).max() < 1e-4:
        raise InvalidInput(f"{field} is silent or empty.")
    return Track(audio[:, 0] if audio.shape[1] == 1 else audio, rate)


# -- 3. score ----------------------------------------------------------------------------

# Words in a script that suggest a mood, English and Chinese: the most frequent mood wins
# (the first listed breaks a tie); none found: calm, which sits under any voice.
STORY_MOODS: dict[str, tuple[str, ...]] = {
    "calm": ("bedtime", "sleep", "sleepy", "dream", "moon", "quiet", "gentle", "soft", "peace", "rest",
             "night", "lullaby", "calm", "slowly", "睡", "梦", "月亮", "安静", "温柔", "夜"),
    "happy": ("happy", "joy", "smile", "sunny", "fresh", "delicious", "welcome", "celebrate", "bright",
              "warm", "treat", "love it", "快乐", "开心", "笑", "阳光", "新鲜", "美味", "欢迎"),
    "playful": ("funny", "silly", "giggle", "joke", "play", "bounce", "splash", "tickle", "fun",
                "有趣", "调皮", "玩"),
    "sad": ("sad", "tears", "cry", "lonely", "alone", "lost", "goodbye", "miss", "grief", "悲伤",
            "眼泪", "哭", "孤单", "再见"),
    "mysterious": ("mystery", "secret", "strange", "shadow", "whisper", "hidden", "unknown", "fog",
                   "神秘", "秘密", "奇怪", "影子"),
    "dark": ("dark", "fear", "ghost", "monster", "scream", "danger", "blood", "storm", "黑暗", "害怕",
             "鬼", "怪物", "危险"),
    "epic": ("hero", "battle", "quest", "adventure", "brave", "victory", "kingdom", "dragon", "journey",
             "英雄", "冒险", "勇敢", "战斗", "龙"),
    "energetic": ("fast", "race", "run", "power", "now", "today only", "sale", "jump", "rush", "energy",
                  "快", "跑", "力量", "现在"),
    "romantic": ("love", "heart", "kiss", "together", "darling", "爱", "心", "一起"),
}  # fmt: skip
MOOD_GENRE = {
    "calm": "ambient",
    "happy": "pop",
    "playful": "folk",
    "sad": "classical",
    "mysterious": "cinematic",
    "dark": "cinematic",
    "epic": "cinematic",
    "energetic": "electronic",
    "romantic": "classical",
}
# Kinds of piece whose usual music beats the mood's genre.
KIND_GENRE: dict[str, tuple[str, ...]] = {
    "lofi": ("ad", "advert", "commercial", "bakery", "cafe", "coffee", "shop", "store", "brand",
             "product", "广告", "面包", "咖啡", "商店"),
    "classical": ("bedtime", "lullaby", "fairy tale", "once upon a time", "睡前", "童话", "从前"),
    "ambient": ("documentary", "science", "space", "planet", "ocean", "纪录", "科学", "太空", "海洋"),
}  # fmt: skip


@dataclass(frozen=True)
class Proposal:
    mood: str
    genre: str
    tempo: int
    why: str  # which words led to it, for the user

    def summary(self) -> str:
        return f"**Proposed**: {self.mood} {self.genre}, {self.tempo} bpm · {self.why}"


def _count(text: str, words: tuple[str, ...]) -> list[str]:
    found = []
    for word in words:
        pattern = rf"(?<![a-z]){re.escape(word)}(?![a-z])" if word.isascii() else re.escape(word)
        found += [word] * len(re.findall(pattern, text))
    return found


def propose(text: str) -> Proposal:
    """Mood, genre and tempo for music under `text`, from its words (see STORY_MOODS)."""
    lowered = text.lower()
    hits = {mood: _count(lowered, words) for mood, words in STORY_MOODS.items()}
    mood = max(hits, key=lambda name: len(hits[name])) if any(hits.values()) else "calm"
    kinds = {genre: _count(lowered, words) for genre, words in KIND_GENRE.items()}
    kind = max(kinds, key=lambda name: len(kinds[name])) if any(kinds.values()) else None
    genre = kind or MOOD_GENRE[mood]
    tempo = round(STYLES[genre].tempo * MOODS[mood].tempo_factor)
    reasons = []
    if hits[mood]:
        reasons.append(f"{mood} from " + ", ".join(f"“{w}”" for w in dict.fromkeys(hits[mood])))
    else:
        reasons.append("calm: no mood words found")
    if kind:
        reasons.append(f"{genre} from " + ", ".join(f"“{w}”" for w in dict.fromkeys(kinds[kind])))
    return Proposal(mood, genre, tempo, "; ".join(reasons))


@dataclass(frozen=True)
class MusicChoices:
    """The user's music settings: "auto" (or tempo 0) takes the proposal."""

    mood: str = AUTO
    genre: str = AUTO
    tempo: int = 0

    def resolved(self, text: str) -> tuple[str, str, int]:
        """(mood, genre, tempo) to compose: the user's where set, else the proposal's."""
        proposal = propose(text)
        mood = proposal.mood if self.mood == AUTO else self.mood
        genre = proposal.genre if self.genre == AUTO else self.genre
        tempo = self.tempo or round(STYLES[genre].tempo * MOODS[mood].tempo_factor)
        return mood, genre, tempo


def check_music(mood: object, genre: object, tempo: object) -> MusicChoices:
    mood = choice(mood or AUTO, field="Mood", options=MOOD_CHOICES)
    genre = choice(genre or AUTO, field="Genre", options=GENRES)
    bpm = bounded_int(tempo or 0, field="Tempo (bpm, 0: proposed)", low=0, high=MAX_BPM)
    if 0 < bpm < MIN_BPM:
        bounded_int(bpm, field="Tempo (bpm)", low=MIN_BPM, high=MAX_BPM)  # raises, with the range
    return MusicChoices(mood, genre, bpm)


def music_requests(
    settings: Settings,
    seconds: float,
    music: MusicChoices,
    text: str,
    seed: int,
    longest: float = MAX_MUSIC_JOB_S,
) -> list[MusicRequest]:
    """The music jobs for `seconds` of music: one, or several of at most `longest` seconds
    that overlap by CROSSFADE_S when joined (each with its own seed, the same plan)."""
    mood, genre, tempo = music.resolved(text)
    count = max(1, math.ceil((seconds - CROSSFADE_S) / (longest - CROSSFADE_S)))
    each = max(MIN_SECONDS, (seconds + (count - 1) * CROSSFADE_S) / count)
    return [
        build_music_request(
            settings,
            prompt="",
            genre=genre,
            mood=mood,
            tempo=tempo,
            seconds=round(each, 2),
            seed=(seed + i) % MAX_SEED,
        )
        for i in range(count)
    ]


@dataclass(frozen=True)
class ScoreProgress:
    seconds_done: float
    seconds: float


@dataclass(frozen=True)
class Score:
    track: Track  # stereo at MIX_RATE
    params: dict[str, Any]


def score(
    manager: ModelManager, spec: str, requests: list[MusicRequest], cancel: threading.Event
) -> Iterator[ScoreProgress | Score]:
    """Run the music jobs one after another and join them; nothing more once stopped."""
    total = sum(request.plan.seconds for request in requests)
    pieces, done, params = [], 0.0, {}
    for number, request in enumerate(requests, start=1):
        with job_event(cancel) as job, closing(manager.run(spec, request, job)) as items:
            for item in items:
                if cancel.is_set():
                    return
                if isinstance(item, Progress) and item.partial is not None:
                    rate, chunk = item.partial
                    done += len(chunk) / rate
                    yield ScoreProgress(round(done, 2), total)
                elif isinstance(item, Result):
                    output = item.output
                    pieces.append(mixing.stereo(mixing.resample(output.audio, output.sample_rate, MIX_RATE)))
                    params = params or {**item.params, **request.choices()}
        if cancel.is_set() or len(pieces) < number:
            return
    audio = mixing.join(pieces, MIX_RATE, CROSSFADE_S)
    params = {
        **params,
        "model": spec,
        "seeds": [r.seed for r in requests],
        "seconds": round(len(audio) / MIX_RATE, 3),
    }
    yield Score(Track(audio, MIX_RATE), params)


# -- 4. mix ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MixProgress:
    message: str


@dataclass(frozen=True)
class Mixed:
    files: dict[str, Path]
    params: dict[str, Any]


def ducking_depth_db(gain_db: np.ndarray, speech: np.ndarray, layout: mixing.MixLayout) -> float | None:
    """How much lower the music is while the voice speaks than in its pauses (the median gain
    over speech frames against frames at least 0.5 s from any speech, fades left out)."""
    frames_per_s = round(1 / mixing.FRAME_S)
    near = mixing.widen(speech, frames_per_s // 2, frames_per_s // 2)
    pause = ~near
    pause[: round(layout.fade_in_s * frames_per_s)] = False
    pause[len(pause) - round(layout.fade_out_s * frames_per_s) :] = False
    if not speech.any() or not pause.any():
        return None
    return round(float(np.median(gain_db[pause]) - np.median(gain_db[speech])), 2)


def mix_story(
    voice: Voice,
    music: Track,
    text: str,
    workdir: Path,
    cancel: threading.Event,
    layout: mixing.MixLayout = LAYOUT,
    ducking: mixing.Ducking = DUCKING,
) -> Iterator[MixProgress | Mixed]:
    """Write the mixed story's files to `workdir`; nothing more once stopped (no file kept)."""
    if voice.track.seconds > MAX_TRACK_S:
        raise InvalidInput(
            f"The narration is {voice.track.seconds / 60:.1f} minutes: at most {MAX_TRACK_S / 60:g}."
        )
    yield MixProgress("Placing the voice…")
    spoken = mixing.resample(mixing.mono(voice.track.audio), voice.track.rate, MIX_RATE)
    samples = round((layout.lead_in_s + layout.lead_out_s) * MIX_RATE) + len(spoken)
    bed = mixing.fit(
        mixing.stereo(mixing.resample(music.audio, music.rate, MIX_RATE)), samples, MIX_RATE, CROSSFADE_S
    )
    if cancel.is_set():
        return
    yield MixProgress("Ducking the music under the voice…")
    voice_lufs, music_lufs = loudness(spoken, MIX_RATE), loudness(bed, MIX_RATE)
    try:
        mixed, gain_db = mixing.mix(spoken, bed, MIX_RATE, voice_lufs, music_lufs, layout, ducking, cancel)
    except mixing.Cancelled:
        return
    yield MixProgress(f"Normalising to {SPOKEN_WORD_LUFS:g} LUFS…")
    out = limit_gain(mixed, gain_to(loudness(mixed, MIX_RATE), SPOKEN_WORD_LUFS))
    if cancel.is_set():
        return
    yield MixProgress("Writing WAV, MP3 and subtitles…")
    mp3 = mp3_bytes(out, MIX_RATE)
    if cancel.is_set():
        return
    files = {name: workdir / name for name in (WAV, MP3, SRT, SCRIPT)}
    with open_wav(files[WAV], MIX_RATE, channels=2) as wav:
        wav.write(out)
    files[MP3].write_bytes(mp3)
    lead = layout.lead_in_s
    cues = [Cue(round(c.start + lead, 3), round(c.end + lead, 3), c.text) for c in voice.cues]
    files[SRT].write_text(to_srt(cues), encoding="utf-8")
    files[SCRIPT].write_text(text + "\n" if text else "", encoding="utf-8")
    key = mixing.speech_frames(np.pad(spoken, (round(lead * MIX_RATE), 0)), MIX_RATE)
    key = np.pad(key, (0, max(0, len(gain_db) - len(key))))[: len(gain_db)]
    params = {
        "seconds": round(len(out) / MIX_RATE, 3),
        "lead_in_s": layout.lead_in_s,
        "lead_out_s": layout.lead_out_s,
        "fade_in_s": layout.fade_in_s,
        "fade_out_s": layout.fade_out_s,
        "music_gap_db": layout.music_gap_db,
        "duck_depth_db": ducking.depth_db,
        "duck_attack_s": ducking.attack_s,
        "duck_release_s": ducking.release_s,
        "duck_hold_s": ducking.hold_s,
        "ducked_db": ducking_depth_db(gain_db, key, layout),
        "target_lufs": SPOKEN_WORD_LUFS,
        "measured_lufs": round(loudness(out, MIX_RATE), 2),
        "subtitles": "timed"
        if voice.params.get("model") or voice.params.get("recognised_by")
        else "approximate",
    }
    yield Mixed(files, params)


# -- the whole ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StoryPlan:
    """Every checked setting of one story, and the tracks the user gave instead of steps."""

    idea: str
    script: str
    seconds: float
    text_model: str
    speech_model: str
    voice: str
    language: str
    speed: float
    music_model: str
    music: MusicChoices
    seed: int
    narration_track: Track | None = None
    music_track: Track | None = None
    cast: Cast | None = None  # voices per role (the narrator's is `voice`)

    def params(self) -> dict[str, Any]:
        """The settings as History keeps them: the names are the Story tab's controls."""
        return {
            "idea": self.idea,
            "script": self.script,
            "seconds": self.seconds,
            "text_model": self.text_model,
            "speech_model": self.speech_model,
            "voice": self.voice,
            "language": self.language,
            "speed": self.speed,
            "music_model": self.music_model,
            "mood": self.music.mood,
            "genre": self.music.genre,
            "tempo": self.music.tempo,
            "seed": self.seed,
            "narration_given": self.narration_track is not None,
            "music_given": self.music_track is not None,
            **({"roles": self.cast.params()} if self.cast else {}),
        }


def check_seed(seed: object) -> int:
    """A seed of -1 becomes a random one, so History records the seed that made the story."""
    value = bounded_int(seed if seed is not None else -1, field="Seed", low=-1, high=MAX_SEED)
    return value if value >= 0 else secrets.randbelow(MAX_SEED)


def build_story_plan(
    settings: Settings,
    manager: ModelManager,
    *,
    idea: object,
    script_text: object,
    seconds: object,
    text_model: object,
    speech_model: object,
    voice: object,
    language: object,
    speed: object,
    music_model: object,
    mood: object,
    genre: object,
    tempo: object,
    seed: object,
    narration_path: object = None,
    music_path: object = None,
    cast: Cast | None = None,
) -> StoryPlan:
    """Check every value before any model runs; raises InvalidInput saying what to change."""
    length = check_length(seconds)
    written = check_script(script_text)
    narration_track = read_track(narration_path, field="The narration track") if narration_path else None
    music_track = read_track(music_path, field="The music track") if music_path else None
    wish = check_idea(idea, needed=not written and narration_track is None)
    text_spec = choice(text_model, field="Text model", options=settings.text_models)
    speech_spec = choice(speech_model, field="Voice model", options=settings.speech_models)
    speed_value = bounded_number(speed, field="Speed", low=MIN_SPEED, high=MAX_SPEED)
    if narration_track is None:
        sample = written or wish
        speech_request(
            manager,
            settings.speech_models,
            model=speech_model,
            voice=voice,
            language=language,
            speed=speed_value,
            text=sample,
            cast=cast,
        )
        if written and estimated_seconds(written, speed_value) > MAX_STORY_S * 1.2:
            minutes = estimated_seconds(written, speed_value) / 60
            raise InvalidInput(
                f"This script takes about {minutes:.0f} minutes to read at this speed; a story is at "
                f"most {MAX_STORY_S / 60:g} minutes. Shorten it, or raise the speed."
            )
    music_spec = choice(music_model, field="Music model", options=settings.music_models)
    if music_track is None:
        manager.available_backend(music_spec)
    return StoryPlan(
        idea=wish,
        script=written,
        seconds=length,
        text_model=text_spec,
        speech_model=speech_spec,
        voice=str(voice),
        language=str(language),
        speed=speed_value,
        music_model=music_spec,
        music=check_music(mood, genre, tempo),
        seed=check_seed(seed),
        narration_track=narration_track,
        music_track=music_track,
        cast=cast,
    )


@dataclass(frozen=True)
class StoryUpdate:
    """What a step yielded: progress, or its result (Draft, Voice, Score, Mixed)."""

    step: str  # draft | narrate | score | mix
    item: Any


def music_seconds(voice_seconds: float, layout: mixing.MixLayout = LAYOUT) -> float:
    return voice_seconds + layout.lead_in_s + layout.lead_out_s


def run_story(
    settings: Settings, manager: ModelManager, plan: StoryPlan, workdir: Path, cancel: threading.Event
) -> Iterator[StoryUpdate]:
    """Every step the plan needs, in order, each yielding as it goes; a step that ends
    without a result (Stop) ends the story there."""
    text = plan.script
    if not text and plan.narration_track is None:
        request = draft_request(settings, plan.idea, plan.seconds, plan.speed, plan.seed)
        units = target_units(plan.seconds, plan.speed, is_chinese(plan.idea))
        written = None
        for item in draft(manager, plan.text_model, request, units, cancel):
            yield StoryUpdate("draft", item)
            written = item if isinstance(item, Draft) else None
        if written is None:
            return
        text = written.script
    if plan.narration_track is not None:
        given = given_voice(manager, settings, plan.narration_track, text, workdir, cancel)
        if given is None:
            return
        voice, text = given
    else:
        spec, speech = speech_request(
            manager,
            settings.speech_models,
            model=plan.speech_model,
            voice=plan.voice,
            language=plan.language,
            speed=plan.speed,
            text=text,
            cast=plan.cast,
        )
        voice = None
        for item in narrate_script(manager, spec, speech, workdir, cancel):
            yield StoryUpdate("narrate", item)
            voice = item if isinstance(item, Voice) else None
        if voice is None:
            return
    if plan.music_track is not None:
        music = plan.music_track
    else:
        requests = music_requests(settings, music_seconds(voice.track.seconds), plan.music, text, plan.seed)
        scored = None
        for item in score(manager, plan.music_model, requests, cancel):
            yield StoryUpdate("score", item)
            scored = item if isinstance(item, Score) else None
        if scored is None:
            return
        music = scored.track
    for item in mix_story(voice, music, text, workdir, cancel):
        yield StoryUpdate("mix", item)
