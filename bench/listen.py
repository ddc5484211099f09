"""Listen benchmark: the studio's recogniser (manager + Whisper base backend, streamed decode,
window by window) against a plain faster-whisper call on the same files, in one run.

- quality: word error rate on English (the studio's hibari voice and espeak-ng) and character
  error rate on Mandarin (the zh-fastspeech2 voice), on sentences no test contains
  (bench/speech.py's and bench/speech_zh.py's); the plain call's Chinese is converted to
  simplified characters as the studio's is, and both are scored the same way;
- speed on a 60 s recording: real-time factor (time / audio length) and time to the first
  segment, medians of interleaved runs, after loading;
- memory: peak RSS of a fresh process transcribing a 10-minute recording (--minutes), model
  load included, studio against the plain call (which decodes the whole file first); with
  --heard-minutes each stops once it has heard that much (a 60-minute file takes long to hear).

    .venv/bin/python bench/listen.py [--runs 3] [--minutes 10] [--heard-minutes 60]
                                     [--skip-memory | --memory-only]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.recognise import cer, wer
from bench.speech import TEXT
from bench.speech_zh import SENTENCES, whisper
from genai_studio.audio_files import wav_bytes
from genai_studio.backends.base import Progress, Result
from genai_studio.backends.listen.request import build_request
from genai_studio.backends.listen.transcript import Segment
from genai_studio.backends.manager import ModelManager
from genai_studio.backends.speech.sentences import split_sentences
from genai_studio.config import Settings
from tests.backends.listen_helpers import espeak_wav, studio_voice, studio_voices

SPEC = "whisper"
BEAM_SIZE = 5  # faster-whisper's default, as the studio uses


def plain_text(model, path: Path, language: str | None = None) -> str:
    import opencc

    segments, info = model.transcribe(str(path), language=language, beam_size=BEAM_SIZE)
    text = "".join(segment.text for segment in segments).strip()
    return opencc.OpenCC("t2s").convert(text) if info.language == "zh" else text


def studio_text(manager: ModelManager, path: Path, settings: Settings, language: str = "auto") -> str:
    request = build_request(settings, media_path=path, language=language)
    return [item for item in manager.run(SPEC, request) if isinstance(item, Result)][-1].output.text


def voices(folder: Path) -> dict[str, list[tuple[str, Path]]]:
    """(reference, recording) per kind of speech: one file per sentence."""
    english, mandarin = list(split_sentences(TEXT)), list(SENTENCES)
    made: dict[str, list[tuple[str, Path]]] = {}
    for kind, spec, sentences in (
        ("hibari (en)", "hibari", english),
        ("zh-fastspeech2 (zh)", "zh-fastspeech2", mandarin),
    ):
        spoken = studio_voices(spec, sentences)
        made[kind] = []
        for index, (sentence, (rate, audio)) in enumerate(zip(sentences, spoken, strict=True)):
            path = folder / f"{spec}-{index}.wav"
            path.write_bytes(wav_bytes(rate, audio))
            made[kind].append((sentence, path))
    made["espeak-ng (en)"] = [
        (sentence, espeak_wav(folder / f"espeak-{index}.wav", sentence))
        for index, sentence in enumerate(english)
    ]
    return made


def quality(manager, model, settings, folder: Path) -> None:
    print(f"{'speech':22} {'files':>5} {'metric':>6} {'plain':>7} {'studio':>7}")
    for kind, pairs in voices(folder).items():
        score = cer if "(zh)" in kind else wer
        language = "zh" if "(zh)" in kind else "en"
        plain = [plain_text(model, path, language) for _, path in pairs]
        studio = [studio_text(manager, path, settings, language) for _, path in pairs]
        references = [reference for reference, _ in pairs]
        joiner = "" if language == "zh" else " "
        rates = [score(joiner.join(references), joiner.join(texts)) for texts in (plain, studio)]
        print(f"{kind:22} {len(pairs):5d} {score.__name__.upper():>6} {rates[0]:7.1%} {rates[1]:7.1%}")
        for (reference, _), a, b in zip(pairs, plain, studio, strict=True):
            if a != b:
                print(f"    differs: {reference!r}\n      plain:  {a!r}\n      studio: {b!r}")


def minute_of_speech(folder: Path) -> Path:
    """About 60 s of English (bench/speech.py's text, spoken by hibari, then again)."""
    rate, audio = studio_voice("hibari", TEXT)
    repeats = int(np.ceil(60 * rate / audio.size))
    path = folder / "minute.wav"
    path.write_bytes(wav_bytes(rate, np.tile(audio, repeats)[: 60 * rate]))
    return path


def timed_plain(model, path: Path) -> tuple[float, float]:
    started = time.perf_counter()
    segments, _ = model.transcribe(str(path), language="en", beam_size=BEAM_SIZE)
    first = None
    for _ in segments:
        first = first or time.perf_counter() - started
    return first or 0.0, time.perf_counter() - started


def timed_studio(manager: ModelManager, path: Path, settings: Settings) -> tuple[float, float]:
    started = time.perf_counter()
    request = build_request(settings, media_path=path, language="en")
    first = None
    for item in manager.run(SPEC, request, threading.Event()):
        if isinstance(item, Progress) and isinstance(item.partial, Segment):
            first = first or time.perf_counter() - started
    return first or 0.0, time.perf_counter() - started


def speed(manager, model, settings, folder: Path, runs: int) -> None:
    path = minute_of_speech(folder)
    found: dict[str, list[tuple[float, float]]] = {"plain faster-whisper": [], "studio": []}
    for _ in range(runs):
        found["plain faster-whisper"].append(timed_plain(model, path))
        found["studio"].append(timed_studio(manager, path, settings))
    print(f"\n60 s recording, median of {runs} interleaved runs")
    print(f"{'path':22} {'first segment s':>16} {'total s':>8} {'RTF':>6}")
    for name, times in found.items():
        first, total = (statistics.median(values) for values in zip(*times, strict=True))
        print(f"{name:22} {first:16.2f} {total:8.1f} {total / 60:6.3f}")
    print("aims: RTF <= 0.3, first segment < 3 s (2 cores)")


CHILD = """
import sys, threading
from pathlib import Path
from genai_studio.config import Settings
from genai_studio.backends.base import Progress
from genai_studio.backends.listen.transcript import Segment
kind, path, heard_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
count = 0
if kind == "plain":
    from bench.speech_zh import whisper
    segments, _ = whisper().transcribe(path, language="en", beam_size=5)
    for segment in segments:
        count += 1
        if segment.end > heard_s:
            break
else:
    from genai_studio.backends.listen.request import build_request
    from genai_studio.backends.registry import create
    settings = Settings(max_listen_minutes=120)
    backend = create("whisper", settings)
    backend.load("cpu")
    cancel = threading.Event()
    for item in backend.run(build_request(settings, media_path=path, language="en"), cancel):
        if isinstance(item, Progress) and isinstance(item.partial, Segment):
            count += 1
            if item.partial.end > heard_s:
                cancel.set()
print(count)
"""


def peak_rss_mb(kind: str, path: Path, heard_s: float) -> tuple[float, float, int]:
    """(peak RSS in MB, seconds, segments) of a fresh process transcribing `path` until it has
    heard `heard_s` seconds of it."""
    root = Path(__file__).resolve().parents[1]
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, kind, str(path), str(heard_s)],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    watched, peak = psutil.Process(process.pid), 0
    while process.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    out = process.stdout.read().strip() if process.stdout else ""
    return peak / 2**20, time.perf_counter() - started, int(out or 0)


def memory(folder: Path, minutes: int, heard_minutes: float) -> None:
    minute = minute_of_speech(folder)
    path = folder / f"{minutes}-minutes.mp3"
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-stream_loop", str(minutes - 1)]
    subprocess.run(
        [*command, "-i", str(minute), "-codec:a", "libmp3lame", "-b:a", "64k", str(path)], check=True
    )
    heard = min(heard_minutes, minutes)
    what = f"hearing {heard:g} min of a {minutes}-minute MP3"
    print(f"\npeak memory {what} (fresh process, model load included)")
    print(f"{'path':22} {'peak RSS MB':>12} {'seconds':>8} {'segments':>9}")
    for kind in ("plain", "studio"):
        peak, seconds, count = peak_rss_mb(kind, path, heard * 60)
        print(f"{kind:22} {peak:12.0f} {seconds:8.0f} {count:9d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--minutes", type=int, default=10, help="length of the memory test's recording")
    parser.add_argument("--heard-minutes", type=float, default=60, help="stop each after hearing this much")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--memory-only", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-listen-") as folder:
        if not args.memory_only:
            settings = Settings()
            manager = ModelManager(settings)
            manager.load(SPEC)
            model = whisper()
            quality(manager, model, settings, Path(folder))
            speed(manager, model, settings, Path(folder), args.runs)
            manager.unload_all()
            del model
        if not args.skip_memory:
            memory(Path(folder), args.minutes, args.heard_minutes)


if __name__ == "__main__":
    main()
