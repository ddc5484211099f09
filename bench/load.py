"""Load benchmark: throughput and latency for 1, 4 and 16 concurrent gradio_client users.

    .venv/bin/python bench/load.py [--users 1,4,16] [--requests 16] [--tokens 16] [--llama-threads 1]
    .venv/bin/python bench/load.py --mixed --users 2,4,16 --tokens 48 [--seconds 60]

`--mixed`: the fair scheduler's workload. A quarter of the users (at least one) send long jobs
(an x4 upscale of a 320x320 photo), the others short ones (a 48-token reply, one spoken
sentence), each user one job after another for `--seconds`; the studio runs once with its
models in worker processes (now) and once with `--no-model-workers` (before: one job at a
time in the web process). Printed: p50/p95 latency of the short jobs against their solo time,
and jobs done per minute.

Starts the studio as `python app.py` (text and speech only, no MCP) and sends short text
replies (embedded SmolLM2, greedy) and one spoken sentence (embedded hibari) from N users at
once, each user its own gradio_client session; each user sends its share of `--requests`
back to back. The plain library path, the same backend called directly in a loop through
ModelManager in this process, is measured in the same run, one level at a time between the
studio's, so load from other processes hits both alike; the table gives requests/s and the
p50/p95 latency (submit to full result), and each as a ratio to the library path.

The studio runs one job of a kind at a time (the queue's concurrency limit is 1 per event),
so more users add waiting, not throughput: at 16 users the latency is mostly queueing.
Both paths use `--llama-threads` (default 1): on a shared machine, llama.cpp's threads wait
for each other and a second thread can make a reply many times slower, not faster.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genai_studio.backends.base import Result
from genai_studio.backends.manager import ModelManager
from genai_studio.backends.speech.request import build_request as speech_request
from genai_studio.backends.text.request import build_request as text_request
from genai_studio.config import Settings

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "Say hello to a new visitor in one short sentence."
SENTENCE = "The lighthouse keeper climbed the stairs at dusk."
ONLY_TEXT_AND_SPEECH = ["--music-models", "", "--inpaint-models", "", "--colorize-models", ""]
ONLY_TEXT_AND_SPEECH += ["--style-models", "", "--upscale-models", "", "--no-mcp", "--no-openai-api"]


@dataclass
class Level:
    """One measured run: how many requests, in how long, and each one's latency."""

    requests: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(users: int, each: int, call: Callable[[int], None]) -> Level:
    """`users` threads, each making `each` calls of `call(user)` back to back."""
    latencies: list[float] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(users)

    def user(index: int) -> None:
        barrier.wait()
        for _ in range(each):
            started = time.perf_counter()
            try:
                call(index)
            except BaseException as exc:  # noqa: BLE001 - reported after the run
                failures.append(exc)
                return
            latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, first: {failures[0]!r}")
    return Level(len(latencies), time.perf_counter() - started, latencies)


def library_calls(settings: Settings) -> dict[str, Callable[[int], None]]:
    """The backends called directly (ModelManager.run to its Result), as a library user would."""
    manager = ModelManager(settings)
    tokens = settings.max_new_tokens

    def text(_: int) -> None:
        job = text_request(settings, prompt=PROMPT, max_new_tokens=tokens, temperature=0.0, seed=1)
        assert any(isinstance(item, Result) for item in manager.run("smollm2", job))

    hibari = manager.load("hibari")

    def speech(_: int) -> None:
        job = speech_request(
            text=SENTENCE,
            voice="heart",
            language="en-us",
            voices=hibari.voices(),
            languages=hibari.languages(),
        )
        assert any(isinstance(item, Result) for item in manager.run("hibari", job))

    return {"text": text, "speech": speech}


def studio_calls(url: str, users: int, tokens: int) -> dict[str, Callable[[int], None]]:
    """The same requests through the launched studio, one gradio_client session per user."""
    from gradio_client import Client

    clients = [Client(url, verbose=False, download_files=False) for _ in range(users)]

    def text(user: int) -> None:
        reply = clients[user].predict(
            PROMPT, "write", "", "smollm2", tokens, 0.0, 1.0, 1, [], api_name="/generate_text"
        )
        assert reply[-1]["content"]

    def speech(user: int) -> None:
        _, wav, status, *_ = clients[user].predict(
            SENTENCE, "hibari", "heart", "en-us", 1.0, api_name="/generate_speech"
        )
        assert wav and "s of audio" in status

    return {"text": text, "speech": speech}


def start_studio(
    folder: Path, tokens: int, threads: int, flags: list[str] | None = None, only_text_and_speech: bool = True
) -> tuple[subprocess.Popen, str]:
    from tests.conftest import free_port, wait_until_serving

    port = free_port()
    command = [sys.executable, "app.py", "--port", str(port), "--output-dir", str(folder)]
    command += ["--max-new-tokens", str(max(tokens, 16)), "--llama-threads", str(threads)]
    command += ["--queue-size", "64", "--max-waiting-per-owner", "64", *(flags or [])]
    command += ONLY_TEXT_AND_SPEECH if only_text_and_speech else ["--no-mcp", "--no-openai-api"]
    log = folder / "studio.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    wait_until_serving(url, process, log, seconds=300)
    return process, url


def mixed_calls(url: str, users: int, photo: Path, tokens: int) -> list[Callable[[], str]]:
    """Each user's job: long (x4 upscale) for a quarter of them, else short text or speech."""
    from gradio_client import Client, handle_file

    long_users = max(1, users // 4)
    calls = []
    for user in range(users):
        client = Client(url, verbose=False, download_files=False)
        if user < long_users:
            inputs = (handle_file(str(photo)), 4, "esrgan", "", "", 20, 9.0, 20, -1)
            calls.append(lambda c=client, i=inputs: (c.predict(*i, api_name="/upscale_image"), "long")[1])
        elif user % 2:
            inputs = (PROMPT, "write", "", "smollm2", tokens, 0.0, 1.0, 1, [])
            calls.append(lambda c=client, i=inputs: (c.predict(*i, api_name="/generate_text"), "text")[1])
        else:
            inputs = (SENTENCE, "hibari", "heart", "en-us", 1.0)
            calls.append(lambda c=client, i=inputs: (c.predict(*i, api_name="/generate_speech"), "speech")[1])
    return calls


def run_mixed(calls: list[Callable[[], str]], seconds: float) -> dict[str, list[float]]:
    """Every user sends its job again and again for `seconds`; latencies by kind."""
    latencies: dict[str, list[float]] = {}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def user(call: Callable[[], str]) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            kind = call()
            with lock:
                latencies.setdefault(kind, []).append(time.perf_counter() - started)

    threads = [threading.Thread(target=user, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def mixed(args: argparse.Namespace) -> None:
    from PIL import Image
    from skimage import data

    rows = []
    with TemporaryDirectory() as tmp:
        photo = Path(tmp) / "photo.png"
        Image.fromarray(data.astronaut()[::2, ::2][96:416, 96:416]).save(photo)
        for mode, flags in (("workers", []), ("in process", ["--no-model-workers"])):
            folder = Path(tmp) / mode.replace(" ", "-")
            folder.mkdir()
            process, url = start_studio(
                folder, args.tokens, args.llama_threads, flags, only_text_and_speech=False
            )
            try:
                solo = {kind: [] for kind in ("text", "speech", "long")}
                for call in mixed_calls(url, 4, photo, args.tokens)[:3]:  # long, text, speech: alone
                    call()  # loads the model
                    started = time.perf_counter()
                    kind = call()
                    solo[kind].append(time.perf_counter() - started)
                for users in args.users:
                    latencies = run_mixed(mixed_calls(url, users, photo, args.tokens), args.seconds)
                    rows.append((mode, users, latencies, {k: v[0] for k, v in solo.items() if v}))
            finally:
                process.terminate()
                process.wait(timeout=30)
    print(f"mixed: a quarter of the users send x4 upscales of 320x320 (long), the rest {args.tokens}-token")
    print(f"replies or one spoken sentence (short), back to back for {args.seconds:.0f} s; llama threads "
          f"{args.llama_threads}\n")  # fmt: skip
    print("| models | users | short p50 s | short p95 s | short p50 vs solo | long | short | jobs/min |")
    print("|---|---|---|---|---|---|---|---|")
    for mode, users, latencies, solo in rows:
        short = [lat for kind in ("text", "speech") for lat in latencies.get(kind, [])]
        if not short:  # one user alone sends only long jobs
            continue
        solo_short = statistics.mean(solo[k] for k in ("text", "speech") if k in solo)
        level = Level(len(short), args.seconds, short)
        done = len(short) + len(latencies.get("long", []))
        print(
            f"| {mode} | {users} | {level.percentile(0.5):.2f} | {level.percentile(0.95):.2f} "
            f"| {level.percentile(0.5) / solo_short:.1f}x | {len(latencies.get('long', []))} | {len(short)} "
            f"| {60 * done / args.seconds:.1f} |"
        )
    print("\nsolo: " + ", ".join(f"{k} {v:.2f} s" for k, v in rows[0][3].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=lambda v: [int(x) for x in v.split(",")], default=[1, 4, 16])
    parser.add_argument("--requests", type=int, default=16, help="requests per level and task")
    parser.add_argument("--tokens", type=int, default=16, help="new tokens of a text reply")
    parser.add_argument("--llama-threads", type=int, default=1)
    parser.add_argument("--mixed", action="store_true", help="short and long jobs (the scheduler)")
    parser.add_argument("--seconds", type=float, default=60, help="--mixed: how long each level runs")
    args = parser.parse_args()
    if args.mixed:
        mixed(args)
        return

    with TemporaryDirectory() as tmp:
        library_dir, threads = Path(tmp) / "library", args.llama_threads
        settings = Settings(output_dir=library_dir, max_new_tokens=args.tokens, llama_threads=threads)
        library = library_calls(settings)
        process, url = start_studio(Path(tmp), args.tokens, threads)
        try:
            warm = studio_calls(url, 1, args.tokens)
            for task in ("text", "speech"):  # models loaded on both paths before timing
                library[task](0)
                warm[task](0)
            rows = []
            for task in ("text", "speech"):
                for users in args.users:
                    studio = studio_calls(url, users, args.tokens)
                    each = max(1, args.requests // users)
                    base = measure(1, users * each, library[task])
                    rows.append((task, users, measure(users, each, studio[task]), base))
        finally:
            process.terminate()
            process.wait(timeout=30)

    print(f"{args.requests} requests per row; text: {args.tokens} greedy tokens; speech: one sentence; "
          f"llama threads {args.llama_threads}")  # fmt: skip
    print("library: the backend called directly in a loop (ModelManager.run), same run\n")
    header = "| task | users | requests/s | p50 s | p95 s | library requests/s | throughput vs library "
    print(header + "| p50 vs library |")
    print("|---|---|---|---|---|---|---|---|")
    for task, users, level, base in rows:
        p50, p95 = level.percentile(0.5), level.percentile(0.95)
        print(
            f"| {task} | {users} | {level.rate:.2f} | {p50:.2f} | {p95:.2f} | {base.rate:.2f} "
            f"| {level.rate / base.rate:.2f}x | {p50 / base.percentile(0.5):.2f}x |"
        )
    medians = {task: statistics.median(lat for t, _, _, b in rows if t == task for lat in b.latencies)
               for task in ("text", "speech")}  # fmt: skip
    print("\nlibrary p50 latency: " + ", ".join(f"{task} {s:.2f} s" for task, s in medians.items()))


if __name__ == "__main__":
    main()
