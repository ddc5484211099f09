"""Narration benchmark: subtitle timing against the audio, and long-form time and memory.

1. Subtitle timing. Each speech model speaks a story through the manager; the cues the
   studio makes (one per sentence, the voice's own leading silence skipped) are compared with
   the sentence starts that silence detection finds in the audio itself (10 ms frames, a
   pause of 0.12 s or more, 40 dB under the loud frames). Also shown: cues that start where
   each sentence's audio starts, as a plain timeline from the sample counts would.
2. Long-form. A 5,000- and a 20,000-character text narrated by `genai_studio.narration`
   (raw audio to disk, loudness measured block by block, one pass for WAV + MP3), each in its
   own process, against the plain way in the same run: every chunk kept in a list,
   concatenated, normalised with pyloudnorm, encoded to MP3 in memory. Peak memory is the
   process's peak RSS above its RSS once the model is loaded and warm.

    .venv/bin/python bench/narration.py [--models hibari,espeak] [--sizes 5000,20000] [--model hibari]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genai_studio.backends.base import Progress
from genai_studio.backends.manager import ModelManager
from genai_studio.backends.speech.request import MAX_NARRATION_CHARS, build_request
from genai_studio.config import Settings
from genai_studio.subtitles import CueTimeline, voiced_range

STORY = (
    "The lighthouse keeper climbed the stairs at dusk, as he had done for thirty years. "
    "Tonight the sea was calm. The lamp turned slowly above the water. "
    "Far to the north, a small boat drifted without lights. "
    "He watched it for a long time before he picked up the radio. "
    "Nobody answered his first call, so he tried again. "
    "At last a tired voice said that the engine had failed an hour ago. "
    "He gave them the bearing of the harbour. "
    "By midnight the boat was safe, and the keeper made himself a cup of tea."
)
VOICES = {"hibari": ("heart", "en-us"), "espeak": ("default", "en-us")}
FRAME_S = 0.01
MIN_PAUSE_S = 0.12
SILENCE_DB = -40.0

_WORDS = tuple(
    "keeper sea lamp boat harbour night wind tower light wave stone rope radio voice map island "  # noqa: SIM905
    "morning gull storm bell door window road village candle ship captain anchor tide shore".split()
)


def onsets(audio: np.ndarray, rate: int) -> np.ndarray:
    """Seconds where speech resumes after a pause (and where it first begins)."""
    frame = round(FRAME_S * rate)
    frames = audio[: audio.size // frame * frame].reshape(-1, frame)
    level = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    loud = level > np.percentile(level, 95) * 10 ** (SILENCE_DB / 20)
    found, quiet = [], MIN_PAUSE_S / FRAME_S  # the start counts as after a pause
    for index, is_loud in enumerate(loud):
        if is_loud and quiet >= MIN_PAUSE_S / FRAME_S:
            found.append(index * FRAME_S)
        quiet = 0 if is_loud else quiet + 1
    return np.asarray(found)


def speech_request(manager: ModelManager, spec: str, text: str):
    voice, language = VOICES[spec]
    backend = manager.load(spec)
    return build_request(
        text=text,
        voice=voice,
        language=language,
        voices=backend.voices(),
        languages=backend.languages(),
        max_chars=MAX_NARRATION_CHARS,
    )


def subtitle_timing(manager: ModelManager, spec: str) -> dict[str, object]:
    request = speech_request(manager, spec, STORY)
    chunks = [item.partial for item in manager.run(spec, request) if isinstance(item, Progress)]
    rate = chunks[0][0]
    studio, plain = CueTimeline(rate), CueTimeline(rate)
    for sentence, (_, audio) in zip(request.sentences, chunks, strict=True):
        studio.speech(sentence, audio.size, voiced_range(audio))
        plain.speech(sentence, audio.size)
    found = onsets(np.concatenate([audio for _, audio in chunks]), rate)

    def errors(timeline: CueTimeline) -> np.ndarray:
        starts = np.asarray([cue.start for cue in timeline.cues])
        return np.abs(found[np.abs(found[None, :] - starts[:, None]).argmin(axis=1)] - starts)

    ours, naive = errors(studio), errors(plain)
    return {
        "model": spec,
        "cues": len(studio.cues),
        "onsets found": len(found),
        "studio mean s": round(float(ours.mean()), 3),
        "studio max s": round(float(ours.max()), 3),
        "within 0.15 s": f"{int((ours <= 0.15).sum())}/{ours.size}",
        "plain mean s": round(float(naive.mean()), 3),
        "plain max s": round(float(naive.max()), 3),
    }


def chapter(chars: int) -> str:
    """A deterministic text of about `chars` characters: sentences of varied length, paragraphs."""
    rng = np.random.default_rng(chars)
    paragraphs, size = [], 0
    while size < chars:
        sentences = []
        for _ in range(int(rng.integers(3, 7))):
            words = rng.choice(_WORDS, size=int(rng.integers(5, 16)))
            sentences.append(("The " + " ".join(words) + ".").capitalize())
        paragraphs.append(" ".join(sentences))
        size += len(paragraphs[-1]) + 2
    return "\n\n".join(paragraphs)[:chars].rsplit(".", 1)[0] + "."


class PeakRss:
    """The highest RSS of this process, sampled every 20 ms while running."""

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def one_run(spec: str, chars: int, way: str) -> dict[str, object]:
    """Narrate in this process (the parent runs each size and way in a fresh one)."""
    import psutil
    import pyloudnorm
    import soundfile as sf

    from genai_studio.audio_files import mp3_bytes, normalize_loudness, wav_bytes
    from genai_studio.narration import narrate

    manager = ModelManager(Settings(output_dir=Path(tempfile.mkdtemp())))
    request = speech_request(manager, spec, chapter(chars))

    def run(request, workdir: Path) -> Path:
        """Narrate `request`; the WAV it made (measured afterwards, outside the peak window)."""
        if way == "studio":
            *_, done = narrate(manager, spec, request, workdir, threading.Event())
            return done.files["narration.wav"]
        chunks = [item.partial for item in manager.run(spec, request) if isinstance(item, Progress)]
        rate = chunks[0][0]
        audio = normalize_loudness(np.concatenate([a for _, a in chunks]), rate)
        (workdir / "plain.mp3").write_bytes(mp3_bytes(audio, rate))
        (workdir / "plain.wav").write_bytes(wav_bytes(rate, audio))
        return workdir / "plain.wav"

    with tempfile.TemporaryDirectory() as warm:
        run(speech_request(manager, spec, "Warm up the model. And every library on the way."), Path(warm))
    baseline = psutil.Process().memory_info().rss
    with tempfile.TemporaryDirectory() as workdir:
        started = time.perf_counter()
        with PeakRss() as peak:
            wav = run(request, Path(workdir))
        elapsed = time.perf_counter() - started
        audio, rate = sf.read(wav, dtype="float64")
    seconds = audio.size / rate
    return {
        "way": way,
        "chars": len(request.text),
        "sentences": len(request.sentences),
        "audio min": round(seconds / 60, 1),
        "time s": round(elapsed, 1),
        "RTF": round(elapsed / seconds, 3),
        "peak MB above loaded": round((peak.peak - baseline) / 2**20, 1),
        "LUFS (pyloudnorm)": round(pyloudnorm.Meter(rate).integrated_loudness(audio), 2),
    }


def table(rows: list[dict[str, object]]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(row[key]) for key in keys) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", default="hibari,espeak", help="models for subtitle timing")
    parser.add_argument("--model", default="hibari", help="model for the long-form runs")
    parser.add_argument("--sizes", default="5000,20000", help="characters of the long-form texts")
    parser.add_argument("--one-run", nargs=2, metavar=("CHARS", "WAY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_run:
        print(json.dumps(one_run(args.model, int(args.one_run[0]), args.one_run[1])))
        return

    manager = ModelManager(Settings(output_dir=Path(tempfile.mkdtemp())))
    print("## Subtitle timing: cue starts against sentence starts found by silence detection\n")
    print(table([subtitle_timing(manager, spec) for spec in args.models.split(",")]))
    manager.unload_all()

    rows = []
    for chars in map(int, args.sizes.split(",")):
        for way in ("studio", "plain"):
            command = [sys.executable, __file__, "--model", args.model, "--one-run", str(chars), way]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(rows[-1], file=sys.stderr)
    print(f"\n## Long-form narration ({args.model}): studio (to disk) against plain (in memory)\n")
    print(table(rows))


if __name__ == "__main__":
    main()
