"""OpenAI API benchmark: /v1/chat/completions against the Gradio path and raw llama.cpp, and
throughput with concurrent clients against one worker and two workers behind nginx.

    .venv/bin/python bench/openai_api.py [--tokens 128] [--rounds 3] [--clients 1,4,16]

Part 1 (same process, interleaved rounds, as bench/text.py): time to first token and
tokens/s for raw llama-cpp-python, the Gradio server via gradio_client, and /v1 via the
official openai client, with ratios to raw. Part 2: worker studios started with
`python app.py --llama-threads 1` (so two workers can use two cores), N clients each
sending short greedy requests; total completion tokens per second, one worker alone and two
behind nginx (deploy/nginx-studios.conf).
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.text import PROMPT, measured, print_rates, raw_llama, studio_http, timed_stream
from genai_studio.backends.text.embedded_llama import smollm2_path
from genai_studio.backends.text.request import build_request
from genai_studio.config import Settings


def studio_v1(client, prompt: str, tokens: int):
    stream = client.chat.completions.create(
        model="smollm2",
        messages=[{"role": "user", "content": prompt}],
        max_tokens=tokens,
        temperature=0.0,
        top_p=1.0,
        seed=1,
        stream=True,
    )
    return timed_stream(c.choices[0].delta.content for c in stream if c.choices)


def overhead(args) -> None:
    from gradio_client import Client
    from llama_cpp import Llama
    from openai import OpenAI

    from genai_studio.backends.manager import ModelManager
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
        url = f"http://127.0.0.1:{settings.port}/"
        gradio, v1 = Client(url, verbose=False), OpenAI(base_url=f"{url}v1", api_key="local", max_retries=0)

        results: dict[str, list[tuple[float, float]]] = {"raw": [], "gradio": [], "v1": []}
        raw_llama(llm, build_request(settings, prompt=PROMPT, max_new_tokens=8).chat(), 8)
        studio_v1(v1, PROMPT, 8)
        for round_ in range(1, args.rounds + 1):
            # each path gets a prompt its model has not seen: the first token includes reading it
            same = build_request(settings, prompt=f"{PROMPT} Story number {round_}.", system_prompt="",
                                 max_new_tokens=args.tokens, temperature=0.0, top_p=1.0, seed=1)  # fmt: skip
            results["raw"].append(measured(llm, raw_llama(llm, same.chat(), args.tokens)))
            gradio_prompt = f"{PROMPT} Story number {100 + round_}."
            results["gradio"].append(measured(llm, studio_http(gradio, gradio_prompt, args.tokens)))
            results["v1"].append(
                measured(llm, studio_v1(v1, f"{PROMPT} Story number {200 + round_}.", args.tokens))
            )
        demo.close()

    print(f"SmolLM2-135M Q4_1, greedy, {args.tokens} new tokens, {args.rounds} interleaved rounds, medians\n")
    names = {
        "raw": "raw llama-cpp-python",
        "gradio": "studio: Gradio server via gradio_client",
        "v1": "studio: /v1/chat/completions via openai (SSE)",
    }
    print_rates(results, names)


def throughput(url: str, clients: int, requests_each: int, tokens: int) -> float:
    """Completion tokens per second with `clients` threads each sending `requests_each` requests."""
    from openai import OpenAI

    from tests.deploy.cluster import KEY

    client = OpenAI(base_url=url, api_key=KEY, max_retries=0, timeout=600)
    made = [0] * clients

    def work(index: int) -> None:
        for n in range(requests_each):
            answer = client.chat.completions.create(
                model="smollm2",
                messages=[{"role": "user", "content": f"{PROMPT} Version {index}-{n}."}],
                max_tokens=tokens,
                temperature=0.0,
            )
            made[index] += answer.usage.completion_tokens

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(made) / (time.perf_counter() - started)


def scale_out(args) -> None:
    from tests.conftest import wait_until_serving
    from tests.deploy.cluster import start_nginx, start_worker

    with TemporaryDirectory() as tmp:
        workers = [start_worker(Path(tmp) / f"w{i}", "--llama-threads", "1") for i in (1, 2)]
        nginx = None
        try:
            for process, port, folder in workers:
                wait_until_serving(f"http://127.0.0.1:{port}/", process, folder / "studio.log", seconds=400)
            nginx, nginx_port = start_nginx(Path(tmp), [port for _, port, _ in workers])
            wait_until_serving(f"http://127.0.0.1:{nginx_port}/nginx-health", nginx)
            one = f"http://127.0.0.1:{workers[0][1]}/v1"
            two = f"http://127.0.0.1:{nginx_port}/v1"
            throughput(one, 2, 1, 8)
            throughput(two, 2, 1, 8)  # both workers load their model
            print(f"\nthroughput, {args.short_tokens} greedy tokens a request, completion tokens/s summed")
            print("(workers: python app.py --llama-threads 1; two workers behind nginx least_conn)\n")
            print("| clients | one worker | two workers + nginx | ratio |")
            print("|---|---|---|---|")
            for clients in args.clients:
                each = max(1, 16 // clients)
                single = throughput(one, clients, each, args.short_tokens)
                double = throughput(two, clients, each, args.short_tokens)
                print(f"| {clients} | {single:.1f} | {double:.1f} | {double / single:.2f}x |")
        finally:
            for process in [nginx] + [w[0] for w in workers]:
                if process is not None and process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--short-tokens", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=lambda v: [int(x) for x in v.split(",")], default=[1, 4, 16])
    parser.add_argument("--skip-overhead", action="store_true")
    args = parser.parse_args()
    if not args.skip_overhead:
        overhead(args)
    if shutil.which("nginx"):
        scale_out(args)
    else:
        print("nginx is not installed (packages-dev.txt): no throughput table")


if __name__ == "__main__":
    main()
