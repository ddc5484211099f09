"""Worker studios and an nginx in front of them, started on loopback (the scale-out test and
bench/openai_api.py use the same ones)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-cluster-0123456789"
ONLY_TEXT = ["--speech-models", "", "--music-models", ""]
ONLY_TEXT += ["--no-mcp", "--max-new-tokens", "600"]


def start_worker(folder: Path, *extra: str) -> tuple[subprocess.Popen, int, Path]:
    """`python app.py` serving text only, its log in `folder`: (process, port, folder)."""
    port = free_port()
    folder.mkdir()
    log = folder / "studio.log"
    command = [sys.executable, "app.py", "--port", str(port), "--output-dir", str(folder), "--api-keys", KEY]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command + ONLY_TEXT + list(extra), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    return process, port, folder


def start_nginx(folder: Path, ports: list[int]) -> tuple[subprocess.Popen, int]:
    """nginx with deploy/nginx-studios.conf over the workers on `ports`: (process, its port)."""
    port = free_port()
    workers = "\n".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;" for p in ports)
    conf = (ROOT / "deploy" / "nginx-studios.conf").read_text()
    conf = conf.replace("@PREFIX@", str(folder)).replace("@LISTEN@", f"127.0.0.1:{port}")
    (folder / "nginx.conf").write_text("user root;\n" + conf.replace("@WORKERS@", workers))
    command = ["nginx", "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"]
    with open(folder / "out.log", "wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT), port
