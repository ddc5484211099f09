"""What running models in worker processes costs: the same jobs in this process (ModelManager,
as the studio ran them before) and through a worker (ModelService), interleaved, same run.

    .venv/bin/python bench/workers.py [--rounds 5] [--tokens 128]

Prints text tokens/s and time to the first token (embedded SmolLM2), time to the first audio
(hibari, one sentence), and the time a 2048x2048 RGB image takes to cross the process
boundary (a backend that returns one at once, measured in process and through a worker: the
difference is the crossing), each as a ratio or a difference against the in-process path.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genai_studio.backends import registry
from genai_studio.backends.base import Progress, Result
from genai_studio.backends.manager import ModelManager
from genai_studio.backends.speech.request import build_request as speech_request
from genai_studio.backends.text.request import build_request as text_request
from genai_studio.config import Settings
from genai_studio.serving.service import ModelService

PROMPT = "Write a short story about a lighthouse keeper who finds a map."
SENTENCE = "The lighthouse keeper climbed the stairs at dusk, and the sea was calm."


def text_run(models, settings: Settings, tokens: int) -> tuple[float, float]:
    """(seconds to the first token, tokens per second after it)."""
    job = text_request(settings, prompt=PROMPT, max_new_tokens=tokens, temperature=0.0, seed=1)
    started = time.perf_counter()
    first = None
    result = None
    for item in models.run("smollm2", job):
        if first is None and isinstance(item, Progress) and item.partial:
            first = time.perf_counter()
        if isinstance(item, Result):
            result = item
    ended = time.perf_counter()
    made = result.params["completion_tokens"]
    return first - started, (made - 1) / (ended - first)


def first_audio(models, voices: list[str], languages: list[str]) -> float:
    job = speech_request(text=SENTENCE, voice="heart", language="en-us", voices=voices, languages=languages)
    started = time.perf_counter()
    for item in models.run("hibari", job):
        if isinstance(item, Progress) and item.partial is not None:
            return time.perf_counter() - started
    raise AssertionError("no audio")


def picture(models) -> float:
    started = time.perf_counter()
    (result,) = [item for item in models.run("bench-picture", 2048) if isinstance(item, Result)]
    assert result.output.shape == (2048, 2048, 3)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()
    registry.BACKENDS["bench-picture"] = "tests.serving.backends:Picture"
    with TemporaryDirectory() as tmp:
        settings = Settings(output_dir=Path(tmp), max_new_tokens=args.tokens)
        paths = {"in process": ModelManager(settings), "worker": ModelService(settings)}
        hibari = paths["in process"].backend_for("hibari")
        voices, languages = hibari.voices(), hibari.languages()
        rows: dict[str, dict[str, list[float]]] = {name: {} for name in paths}
        for models in paths.values():  # load everything before timing
            text_run(models, settings, 8)
            first_audio(models, voices, languages)
            picture(models)
        for _ in range(args.rounds):
            for name, models in paths.items():
                ttft, rate = text_run(models, settings, args.tokens)
                measured = {
                    "first token s": ttft,
                    "tokens/s": rate,
                    "first audio s": first_audio(models, voices, languages),
                    "2048² image s": picture(models),
                }
                for key, value in measured.items():
                    rows[name].setdefault(key, []).append(value)
        paths["worker"].close()

    median = {name: {key: statistics.median(v) for key, v in row.items()} for name, row in rows.items()}
    here, worker = median["in process"], median["worker"]
    print(f"median of {args.rounds} interleaved rounds; text: {args.tokens} greedy tokens, SmolLM2\n")
    print("| measure | in process | worker | worker vs in process |")
    print("|---|---|---|---|")
    print(f"| text tokens/s | {here['tokens/s']:.1f} | {worker['tokens/s']:.1f} | "
          f"{worker['tokens/s'] / here['tokens/s']:.2f}x |")  # fmt: skip
    for key in ("first token s", "first audio s", "2048² image s"):
        extra_ms = 1000 * (worker[key] - here[key])
        print(f"| {key[:-2]} | {here[key]:.3f} s | {worker[key]:.3f} s | {extra_ms:+.0f} ms |")


if __name__ == "__main__":
    main()
