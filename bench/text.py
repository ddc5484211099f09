"""Text benchmark: the studio's streaming path against raw llama-cpp-python, same run.

    .venv/bin/python bench/text.py [--tokens 128] [--rounds 3]

Prints time to first token and tokens/s for raw llama.cpp and for the studio (manager +
backend, and through the launched Gradio server with gradio_client), the ratios between
them, the time from `python app.py` to the first served page, and idle memory.
Rounds are interleaved so that load from other processes hits both paths alike.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genai_studio.backends.base import Progress
from genai_studio.backends.manager import ModelManager
from genai_studio.backends.text.embedded_llama import smollm2_path
from genai_studio.backends.text.request import build_request
from genai_studio.config import Settings

PROMPT = "Write a short story about a lighthouse keeper who finds a map."


def timed_stream(pieces) -> tuple[float, float, str]:
    """(seconds to the first text, seconds from it to the last, the text) of a text stream."""
    started = time.perf_counter()
    first = None
    text: list[str] = []
    for piece in pieces:
        if piece:
            text.append(piece)
            first = first or time.perf_counter()
    return first - started, time.perf_counter() - first, "".join(text)


def raw_llama(llm, messages, tokens: int):
    """Raw llama.cpp, called from a fresh thread as the studio's jobs are: llama.cpp's OpenMP
    thread team belongs to the calling thread, and a main thread that once shared the process
    with a Gradio server measured 3-20x slower, which is not what either path costs."""
    found: list[tuple[float, float, str]] = []

    def run() -> None:
        chunks = llm.create_chat_completion(
            messages=messages,
            max_tokens=tokens,
            temperature=0.0,
            top_p=1.0,
            repeat_penalty=1.1,  # the studio's default
            seed=1,
            stream=True,
        )
        found.append(timed_stream(chunk["choices"][0]["delta"].get("content") for chunk in chunks))

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    return found[0]


def studio_direct(manager: ModelManager, request):
    return timed_stream(
        item.partial for item in manager.run("smollm2", request) if isinstance(item, Progress)
    )


def studio_http(client, prompt: str, tokens: int):
    from genai_studio.ui.text_tab import _message_text

    job = client.submit(prompt, "write", None, "smollm2", tokens, 0.0, 1.0, 1, [], api_name="/generate_text")
    last = ""

    def pieces():
        nonlocal last
        for update in job:
            text = _message_text(update[-1]["content"])
            if text != last:
                yield text[len(last) :]
                last = text

    return timed_stream(pieces())


def measured(llm, timing: tuple[float, float, str]) -> tuple[float, float]:
    """(first token s, tokens/s after it); tokens counted by the model's tokenizer."""
    first, rest, text = timing
    tokens = len(llm.tokenize(text.encode(), add_bos=False, special=False))
    return first, (tokens - 1) / rest


def print_rates(results: dict[str, list[tuple[float, float]]], names: dict[str, str]) -> None:
    """The table of medians: first token and tokens/s of each path, and its ratio to "raw"."""

    def median(path: str, index: int) -> float:
        return statistics.median(r[index] for r in results[path])

    raw_rate = median("raw", 1)
    print("| path | first token (s) | tokens/s | ratio to raw tokens/s |")
    print("|---|---|---|---|")
    for path, name in names.items():
        rate = median(path, 1)
        print(f"| {name} | {median(path, 0):.3f} | {rate:.1f} | {rate / raw_rate:.2f}x |")


def start_to_first_page(output_dir: str) -> tuple[float, float]:
    """Seconds from `python app.py` to a served page, and the server's idle RSS in MB."""
    from tests.conftest import free_port, wait_until_serving

    port = free_port()
    command = [sys.executable, "app.py", "--port", str(port), "--output-dir", output_dir]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/", process)
        elapsed = time.perf_counter() - started
        time.sleep(1)
        rss = psutil.Process(process.pid).memory_info().rss / 2**20
        return elapsed, rss
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from gradio_client import Client
    from llama_cpp import Llama

    from genai_studio.backends.text import llama_runtime
    from genai_studio.ui.app import build_app, launch
    from tests.conftest import free_port

    with TemporaryDirectory() as tmp:
        settings = Settings(output_dir=Path(tmp), port=free_port())
        llama_runtime.load_cpu_backend(settings.cache_dir)  # the CPU kernels the studio's worker uses
        llm = Llama(
            model_path=str(smollm2_path()),
            n_ctx=8192,
            verbose=False,
            n_threads=psutil.cpu_count(logical=False) or 1,
        )
        manager = ModelManager(settings)
        manager.load("smollm2")
        demo = build_app(settings, manager)
        launch(demo, settings, prevent_thread_lock=True, quiet=True)
        client = Client(f"http://127.0.0.1:{settings.port}/", verbose=False)

        def request(variant: int):
            """A prompt new to both models each time: the first token includes reading it."""
            prompt = f"{PROMPT} Story number {variant}."
            return build_request(
                settings, prompt=prompt, max_new_tokens=args.tokens, temperature=0.0, top_p=1.0, seed=1
            )

        results: dict[str, list[tuple[float, float]]] = {"raw": [], "studio": [], "http": []}
        raw_llama(llm, request(0).chat(), 8)  # warm both paths once
        studio_direct(manager, request(0))
        for round_ in range(1, args.rounds + 1):
            same = request(round_)
            other = f"{PROMPT} Story number {100 + round_}."  # the server's model saw `same` already
            results["raw"].append(measured(llm, raw_llama(llm, same.chat(), args.tokens)))
            results["studio"].append(measured(llm, studio_direct(manager, same)))
            results["http"].append(measured(llm, studio_http(client, other, args.tokens)))
        demo.close()
        start_s, idle_mb = start_to_first_page(tmp)

    print(f"SmolLM2-135M Q4_1, greedy, {args.tokens} new tokens, {args.rounds} interleaved rounds, medians;")
    print("each round a prompt new to each model; the shared system prompt stays cached\n")
    names = {
        "raw": "raw llama-cpp-python",
        "studio": "studio: manager + backend",
        "http": "studio: Gradio server via gradio_client",
    }
    print_rates(results, names)
    print(f"\ncommand to first served page: {start_s:.2f} s; idle server memory: {idle_mb:.0f} MB RSS")


if __name__ == "__main__":
    main()
