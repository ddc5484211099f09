"""History benchmark: listing one owner's page of results when they have thousands.

Fills a store with N entries of one owner (plus other owners' entries around them), then
times, as medians of repeated runs:
- the plain path: os.listdir of the owner's folder, sort, read the page's entry.json files;
- the store's page (newest, a middle page, one task only);
- the History gallery's page with thumbnails (first view: made and delivered; then cached);
- the History API (`/list_history` through gradio_client on a launched studio).

    .venv/bin/python bench/history.py [--entries 5000] [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genai_studio import thumbnails
from genai_studio.config import Settings
from genai_studio.history import History
from genai_studio.owners import Owner
from genai_studio.ui.delivery import Delivery
from tests.conftest import free_port, running_studio

PAGE = 24
TASKS = ("text", "speech", "music", "inpaint")


def fill(store: History, owner: Owner, count: int) -> None:
    for i in range(count):
        task = TASKS[i % len(TASKS)]
        store.save(owner, task, "m", {"i": i}, f"result {i}", {"output.txt": f"text {i}".encode()})


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def plain_page(folder: Path) -> list[dict]:
    names = sorted((n for n in os.listdir(folder) if not n.startswith(".")), reverse=True)[:PAGE]
    return [json.loads((folder / name / "entry.json").read_text()) for name in names]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    output = Path(tempfile.mkdtemp(prefix="history-bench-"))
    store = History(output / "history")
    owner = Owner.local()
    started = time.perf_counter()
    fill(store, owner, args.entries)
    fill(store, Owner.for_user("someone else"), args.entries // 10)
    print(f"filled {args.entries} entries in {time.perf_counter() - started:.1f} s")

    plain = median_time(lambda: plain_page(output / "history" / owner.key), args.runs)
    rows = [("plain: listdir + sort + read 24 entry.json", plain)]
    rows.append(("store: newest page", median_time(lambda: store.page(owner, limit=PAGE), args.runs)))
    middle = args.entries // 2
    rows.append(
        ("store: a middle page", median_time(lambda: store.page(owner, None, middle, PAGE), args.runs))
    )
    rows.append(
        ("store: one task's page", median_time(lambda: store.page(owner, "music", 0, PAGE), args.runs))
    )

    delivery = Delivery(output / "delivered")

    def gallery_page() -> None:
        for entry in store.page(owner, limit=PAGE)[0]:
            files = {name: entry.file(name) for name in entry.files}
            delivery.derived(
                owner, entry, "thumbnail.png", lambda e=entry, f=files: thumbnails.thumbnail(e.task, f)
            )

    rows.append(("gallery page, thumbnails made (first view)", median_time(gallery_page, 1)))
    rows.append(("gallery page, thumbnails already made", median_time(gallery_page, args.runs)))

    with running_studio(Settings(port=free_port(), output_dir=output)) as studio:
        client = studio.client
        rows.append(
            (
                "studio: /list_history via gradio_client",
                median_time(lambda: client.predict("all", 1, api_name="/list_history"), args.runs),
            )
        )
    print(f"\n| path ({args.entries:,} entries, page of {PAGE}) | median time | ratio to plain |")
    print("|---|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1000:.1f} ms | {seconds / plain:.2f}x |")


if __name__ == "__main__":
    main()
