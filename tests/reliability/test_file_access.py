"""The file-access attack list of Gradio's own advisories, against launched studios: with
accounts (two users) on a shared bind, without accounts on loopback (the person at the
machine), and without accounts on a shared bind (two API sessions, two owners).

Nothing outside what a user's own requests produced may be served: not /etc/passwd, not the
output folder (not even to its owner: results leave only as delivered copies), not another
owner's result, not a URL the server would fetch for the caller. Every request is sent as raw
bytes, so neither the client nor this test normalises a path before the server sees it.

The list, from the advisories and reports it comes from:
- absolute paths and `..` in `/file=` (gradio PR #4370, AUTOMATIC1111 issue #12822;
  CVE-2023-51449 / GHSA-6qm2-wpxq-7qh2; CVE-2026-28414, absolute paths on Windows;
  GHSA-qqr5-x4m8-g4gq / gradio PR #13437, FileExplorer), and their encodings: %2e%2e,
  %252e (decoded twice), ..%2f, backslashes, fullwidth and overlong dots;
- upper-case spellings of routes and paths (blocked paths are compared lower-cased in Gradio);
- URLs to loopback and link-local addresses through `/file=` and `/proxy=` (SSRF:
  CVE-2023-51449, CVE-2024-1561, CVE-2026-28416 / GHSA-jmh7-g254-2cq9, GHSA-3xvj-7669-6whx,
  gradio issue #13593): 127.0.0.1, [::1], localhost, 0x7f000001, 2130706433, 127.1,
  169.254.169.254;
- symlinks placed in the output folder, to /etc/passwd and to another owner's files;
- uploads over the limit (`max_upload_mb`), with and without a Content-Length;
- cross-origin requests (gradio PR #7503, GHSA-3c67-5hwx-f6wx, gradio issue #13594, the
  Gradio 5 audit's CORS findings). What Gradio 6.31 does by itself: on a Host that is not
  localhost it answers any Origin with Access-Control-Allow-Origin: <it> and
  Allow-Credentials: true (its cookie is SameSite=None), so any web site could read a
  logged-in user's results; on localhost it sends no CORS header but still runs the upload
  or the queued job. The studio refuses them before Gradio (ui/origins.py), and a loopback
  studio answers only to loopback names (DNS rebinding);
- another owner's delivered result URL, as is and under every spelling above.

Found by this test and fixed: the result guard decoded the path a second time, so
`%252F..` spellings gave one account another's delivered file (ui/delivery.py); a symlink
in the history folder was delivered as the file it points to (history.py); any web site
could read a deployed studio's results through a logged-in user (ui/origins.py). And, from
reading Gradio's code (no public address is reachable here to show it), `/file=<url>` fetches
any public URL for whoever asks: the studio refuses every URL there, it is nobody's proxy.
"""

from __future__ import annotations

import http.client
import json
import secrets
import shutil
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from genai_studio.config import Settings
from genai_studio.history import ENTRY_FILE
from tests.conftest import free_port, running_studio

UPLOAD_MB = 1
REFUSED = {400, 401, 403, 404, 405, 413}
PASSWD = Path("/etc/passwd").read_bytes()
SPEAK = ("A private sentence.", "hibari", "heart", "en-us", 1.0)
EVIL = "https://evil.example"


# -- a canary on loopback: no response may ever contain its secret ---------------------------
class Canary:
    secret = f"CANARY-{secrets.token_hex(8)}".encode()

    def __init__(self) -> None:
        secret = self.secret

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("content-type", "image/png")  # a type Gradio would show inline
                self.end_headers()
                self.wfile.write(secret)

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.servers = [ThreadingHTTPServer(("127.0.0.1", self.port), Handler)]
        try:

            class V6(ThreadingHTTPServer):
                address_family = socket.AF_INET6

            self.servers.append(V6(("::1", self.port), Handler))
        except OSError:
            pass  # no IPv6 loopback here: [::1] is then refused by the network anyway
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        assert httpx.get(f"http://127.0.0.1:{self.port}/").content == secret  # it answers

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()


@pytest.fixture(scope="module")
def canary():
    running = Canary()
    yield running
    running.close()


# -- raw HTTP: the path goes out byte for byte --------------------------------------------------
@dataclass
class Caller:
    """Someone sending requests: a logged-in browser (its cookie), or nobody in particular."""

    name: str
    port: int
    cookie: str = ""

    def send(self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        headers = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if body or method == "POST":
            headers.setdefault("Content-Length", str(len(body)))
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        content = response.read()
        connection.close()
        return response.status, dict(response.getheaders()), content


@dataclass
class Person:
    """One owner's client, what their own request produced, and where it lies."""

    client: object
    caller: Caller
    delivered: str = ""  # the path of their WAV in Gradio's cache (what their request got)
    stored: Path = field(default_factory=Path)  # the same WAV in the history folder
    entry_id: str = ""


def speak(owner: Person, history: Path) -> None:
    _, wav, status, *_ = owner.client.predict(*SPEAK, api_name="/generate_speech")
    assert "s of audio" in status
    owner.delivered = wav["path"]
    owner.entry_id = owner.client.predict("all", 1, api_name="/list_history")["entries"][0]["id"]
    owner.stored = next(history.glob(f"*/{owner.entry_id}/speech.wav")).resolve()


def login(url: str, user: str) -> str:
    browser = httpx.Client(base_url=url, timeout=30)
    assert browser.post("login", data={"username": user, "password": f"{user}-pw"}).json()["success"]
    return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


@dataclass
class Setup:
    name: str
    studio: object
    history: Path
    ann: Person
    bob: Person
    anonymous: Caller
    accounts: bool
    two_owners: bool


SETUPS = {
    "accounts on a shared bind": dict(auth="ann:ann-pw,bob:bob-pw", host="0.0.0.0", openai_api=False),
    "no accounts on loopback": dict(),
    "no accounts on a shared bind": dict(
        host="0.0.0.0", openai_api=False, public_hosts=("ann-studio.hf.space",)
    ),
}


@pytest.fixture(scope="module", params=list(SETUPS))
def setup(request, tmp_path_factory):
    options = SETUPS[request.param]
    folder = tmp_path_factory.mktemp("file-access")
    settings = Settings(port=free_port(), output_dir=folder, max_upload_mb=UPLOAD_MB, **options)
    accounts = bool(settings.auth)
    login_ann = ("ann", "ann-pw") if accounts else None
    with running_studio(settings, login=login_ann) as studio:
        port, history = settings.port, settings.history_dir.resolve()
        owners = []
        for user in ("ann", "bob"):
            client = studio.new_client((user, f"{user}-pw") if accounts else None, download_files=False)
            cookie = login(studio.url, user) if accounts else ""
            owners.append(Person(client, Caller(user, port, cookie)))
        for owner in owners:
            speak(owner, history)
        two_owners = owners[0].stored.parent.parent != owners[1].stored.parent.parent
        yield Setup(request.param, studio, history, *owners, Caller("anonymous", port), accounts, two_owners)


# -- the attack list -----------------------------------------------------------------------------
def traversals(start: str, target: str) -> list[str]:
    """`target` (absolute) reached from the folder `start` by `..` under every spelling."""
    up = "/".join([".."] * (len(Path(start).parts) - 1))
    rest = target.lstrip("/")
    spellings = [
        up,
        up.replace("..", "%2e%2e"),
        up.replace("..", "%252e%252e"),
        up.replace("..", ".%2e"),
        up.replace("/", "%2f"),
        up.replace("/", "%252f"),
        up.replace("/", "\\"),
        up.replace("/", "%5c"),
        up.replace("..", "%ef%bc%8e%ef%bc%8e"),  # fullwidth full stops
        up.replace("..", "%c0%ae%c0%ae"),  # overlong UTF-8 dots
    ]
    return [f"{start}/{spelling}/{rest}" for spelling in spellings]


def file_routes(path: str) -> list[str]:
    quoted = quote(path, safe="/%\\:")
    return [f"/gradio_api/file={quoted}", f"/gradio_api/file/{quoted}", f"/file={quoted}", f"/file/{quoted}"]


def url_attacks(canary: Canary) -> list[str]:
    port = canary.port
    hosts = ["127.0.0.1", "[::1]", "localhost", "0x7f000001", "2130706433", "127.1", "0.0.0.0"]
    urls = [f"http://{host}:{port}/x.png" for host in hosts]
    urls += ["http://169.254.169.254/latest/meta-data/", f"HTTP://127.0.0.1:{port}/x.png"]
    urls += [f"//127.0.0.1:{port}/x.png", f"http:/127.0.0.1:{port}/x.png", "https://example.com/x.png"]
    paths = []
    for url in urls:
        for form in (url, quote(url, safe="")):
            paths += [
                f"/gradio_api/file={form}",
                f"/file={form}",
                f"/gradio_api/proxy={form}",
                f"/proxy={form}",
            ]
    return paths


def forbidden_paths(s: Setup) -> list[str]:
    """Every path that must be refused to everyone."""
    cache = str(Path(s.ann.delivered).parents[4])  # Gradio's upload folder
    ann_folder = str(Path(s.ann.delivered).parent)
    targets = ["/etc/passwd", str(s.history), str(s.ann.stored), str(s.bob.stored)]
    paths: list[str] = []
    for target in targets:
        paths += file_routes(target) + file_routes(target.upper())
        for start in (cache, ann_folder):
            for attack in traversals(start, target):
                paths += file_routes(attack)
    paths += [f"/GRADIO_API/FILE={s.ann.delivered}", f"/Gradio_Api/File={s.ann.delivered}"]
    paths += file_routes(s.ann.delivered.upper())
    return paths


def others_result_paths(s: Setup) -> list[str]:
    """Spellings of bob's delivered result, which ann must never get (with accounts)."""
    bob, ann_folder = s.bob.delivered, str(Path(s.ann.delivered).parent)
    paths = file_routes(bob) + file_routes(bob.upper())
    paths += [p for attack in traversals(ann_folder, bob) for p in file_routes(attack)]
    # decoded once it names bob's file; decoded twice it climbed out of the results folder,
    # past the old guard (which decoded again), while Gradio served the once-decoded path
    ann_key, bob_key = Path(s.ann.delivered).parts[-4], Path(bob).parts[-4]
    climb = "%252F.." * 7
    trick = bob.replace(f"/{bob_key}/", f"/{ann_key}{climb}/../{bob_key}/")
    return paths + file_routes(trick)


def leaked(content: bytes, s: Setup, canary: Canary) -> str | None:
    """What a response body gives away that it must not (None: nothing)."""
    if canary.secret in content:
        return "a loopback URL's content (SSRF)"
    if PASSWD[:64] in content:
        return "/etc/passwd"
    for owner in (s.ann, s.bob):
        if content and content == owner.stored.read_bytes():
            return f"{owner.caller.name}'s result"
    return None


def test_the_attack_list_is_refused_to_everyone(setup, canary):
    s = setup
    attacks = forbidden_paths(s) + url_attacks(canary)
    callers = [s.ann.caller, s.bob.caller, s.anonymous] if s.accounts else [s.anonymous]  # no cookies
    failures = []
    for caller in callers:
        for path in attacks:
            status, _, content = caller.send("GET", path)
            if status not in REFUSED or leaked(content, s, canary):
                failures.append((caller.name, path, status, leaked(content, s, canary), content[:80]))
    print(f"\n{s.name}: {len(attacks)} attacks x {len(callers)} callers, {len(failures)} served")
    assert not failures, failures[:10]
    # the control: the same kind of request for what ann's own request produced is served
    status, _, content = s.ann.caller.send("GET", file_routes(s.ann.delivered)[0])
    assert status == 200 and content == s.ann.stored.read_bytes()


def test_another_owners_result_is_never_served(setup, canary):
    s = setup
    if not s.accounts:
        # without accounts a browser can't prove who it is on a plain download: the 128-bit
        # path is the secret; what an owner can ask the studio for is checked instead
        if s.two_owners:
            with pytest.raises(Exception, match="no such result among yours"):
                s.ann.client.predict(s.bob.entry_id, api_name="/get_result")
            listed = s.ann.client.predict("all", 1, api_name="/list_history")["entries"]
            assert s.bob.entry_id not in [e["id"] for e in listed]
        return
    failures = []
    for path in others_result_paths(s):
        for caller in (s.ann.caller, s.anonymous):
            status, _, content = caller.send("GET", path)
            if status not in REFUSED or leaked(content, s, canary):
                failures.append((caller.name, path, status))
    assert not failures, failures
    status, _, content = s.bob.caller.send("GET", file_routes(s.bob.delivered)[0])
    assert status == 200 and content == s.bob.stored.read_bytes()  # its owner gets it


def copy_entry(owner: Person, name: str) -> tuple[str, Path]:
    """A copy of `owner`'s entry under a new id, in their own history folder."""
    source = owner.stored.parent
    new_id = owner.entry_id[:-8] + secrets.token_hex(4)
    target = source.with_name(new_id)
    shutil.copytree(source, target)
    record = json.loads((target / ENTRY_FILE).read_text())
    (target / ENTRY_FILE).write_text(json.dumps({**record, "id": new_id, "summary": name}))
    return new_id, target


def test_symlinks_placed_in_the_history_folder_are_never_followed(setup):
    s = setup
    placed: list[str] = []
    to_passwd, folder = copy_entry(s.ann, "to passwd")
    (folder / "speech.srt").unlink()
    (folder / "speech.srt").symlink_to("/etc/passwd")
    placed.append(to_passwd)
    if s.two_owners:
        to_bob, folder = copy_entry(s.ann, "to bob's wav")
        (folder / "speech.wav").unlink()
        (folder / "speech.wav").symlink_to(s.bob.stored)
        bobs_entry = s.bob.stored.parent
        (s.ann.stored.parent.parent / s.bob.entry_id).symlink_to(bobs_entry, target_is_directory=True)
        placed += [to_bob, s.bob.entry_id]
    listed = [e["id"] for e in s.ann.client.predict("all", 1, api_name="/list_history")["entries"]]
    assert s.ann.entry_id in listed and not set(placed) & set(listed), listed
    for entry_id in placed:
        with pytest.raises(Exception, match="no such result among yours"):
            s.ann.client.predict(entry_id, api_name="/get_result")
    # ann's own result is still whole and served to her as it is
    _, files = s.ann.client.predict(s.ann.entry_id, api_name="/get_result")
    for served in files:
        status, _, content = s.ann.caller.send("GET", file_routes(served["path"])[0])
        assert status == 200 and content == (s.ann.stored.parent / Path(served["path"]).name).read_bytes()


def test_uploads_over_the_limit_are_refused_and_not_kept(setup):
    s = setup
    caller = s.ann.caller
    boundary = "studio-boundary"

    name = f"over-{secrets.token_hex(4)}.bin"

    def form(size: int, filename: str = name) -> bytes:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n\r\n'
        return head.encode() + b"\0" * size + f"\r\n--{boundary}--\r\n".encode()

    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    over = form(UPLOAD_MB * 2**20 + 4096)
    status, _, content = caller.send("POST", "/gradio_api/upload", headers, over)
    assert status == 413 and b"maximum" in content, (status, content[:200])
    # the same bytes sent in chunks, with no Content-Length to check beforehand
    connection = http.client.HTTPConnection("127.0.0.1", caller.port, timeout=60)
    chunked = {**headers, "Cookie": caller.cookie} if caller.cookie else headers
    chunks = iter([over[i : i + 65536] for i in range(0, len(over), 65536)])
    connection.request("POST", "/gradio_api/upload", body=chunks, headers=chunked, encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 413, (response.status, response.read()[:200])
    connection.close()
    cache = Path(s.ann.delivered).parents[4]
    assert not list(cache.rglob(name)), "a refused upload was kept"
    status, _, content = caller.send("POST", "/gradio_api/upload", headers, form(1000, "within.bin"))
    assert status == 200 and json.loads(content)[0].endswith("within.bin")  # within the limit: kept


def test_requests_from_other_web_sites_are_refused(setup):
    s = setup
    caller, port = s.ann.caller, s.ann.caller.port
    join = json.dumps({"data": ["all", 1], "fn_index": 0, "session_hash": "evil0session"}).encode()
    boundary = "b"
    disposition = 'Content-Disposition: form-data; name="files"; filename="x.txt"'
    upload = f"--{boundary}\r\n{disposition}\r\n\r\nhi\r\n--{boundary}--\r\n"
    form = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    json_body = {"Content-Type": "application/json"}
    requests = [
        ("POST", "/gradio_api/upload", form, upload.encode()),
        ("POST", "/gradio_api/queue/join", json_body, join),
        ("POST", "/gradio_api/call/list_history", json_body, b'{"data": ["all", 1]}'),
        ("GET", file_routes(s.ann.delivered)[0], {}, b""),
        ("GET", "/config", {}, b""),
    ]
    hosts = [f"127.0.0.1:{port}"] if s.studio.settings.loopback else [f"127.0.0.1:{port}", "studio.example"]
    for host in hosts:
        for origin in (EVIL, "null", f"http://evil.example:{port}", "https://studio.example.evil.example"):
            for method, path, headers, body in requests:
                sent = {**headers, "Host": host, "Origin": origin}
                status, _, content = caller.send(method, path, sent, body)
                assert status == 403, (host, origin, method, path, status, content[:100])
                assert b"other web sites" in content
        same = "http://studio.example" if host == "studio.example" else f"http://{host}"
        for method, path, headers, body in requests[:1] + requests[3:]:
            status, _, content = caller.send(method, path, {**headers, "Host": host, "Origin": same}, body)
            assert status == 200, (host, same, path, status, content[:100])  # the studio's own pages
    for public in s.studio.settings.public_hosts:  # a proxy that rewrote Host: the page's origin is its own
        for method, path, headers, body in requests[:1] + requests[3:]:
            sent = {**headers, "Host": f"127.0.0.1:{port}", "Origin": f"https://{public}"}
            status, _, content = caller.send(method, path, sent, body)
            assert status == 200, (public, path, status, content[:100])
    if s.studio.settings.loopback:  # a name that resolves to this machine is not this machine
        for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.nip.io"):
            status, _, _ = caller.send("GET", "/config", {"Host": host})
            assert status == 403, host
        for host in (f"localhost:{port}", f"[::1]:{port}"):
            assert caller.send("GET", "/config", {"Host": host})[0] == 200, host
