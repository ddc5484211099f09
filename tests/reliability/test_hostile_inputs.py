"""Every named endpoint the running studio publishes, every parameter, hostile values of its
kind, sent through the HTTP API as any client could. Each call must end with a result or a
message a person understands, and the endpoint must serve a good request right after.

The endpoints and their parameters come from the running app (`view_api`), so a new
endpoint is covered without editing this file. The default run spreads every hostile value
of a kind over the parameters of that kind on each endpoint (each value at least once per
endpoint, each parameter at least twice) and checks the good request after each parameter;
`-m slow` runs the whole cross product with a good request after every single call.
"""

from __future__ import annotations

import io
import itertools
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from PIL import Image
from skimage import data

from genai_studio.config import Settings
from tests.conftest import free_port, running_studio
from tests.reliability.raw_api import Outcome, RawApi, unclear
from tests.unit.test_images import png_header_only

NAN, INF = float("nan"), float("inf")
SIDE = 96  # small photos: the point is the handling, not the pixels
# Endpoints that must produce a result from the generic good request (others may answer it
# with a clear message, e.g. when it needs something only a person would pick).
MUST_SERVE = ("/generate_text", "/generate_speech", "/generate_music", "/understand_music")
MUST_SERVE += ("/inpaint_image", "/colorize_photo", "/stylize_photo")

TEXT = [
    "",
    "  \n\t  ",
    "x" * 100_000,
    "nul\x00 bell\x07 escape\x1b[31m red",
    "lone \ud800 surrogates \udfff here",
    "\u202eright-to-left override\u202c and \u2066isolate\u2069",
    "../../../../etc/passwd",
    12345,
]
NUMBER = [NAN, INF, -INF, -1e6, 1e12, "abc", [1, 2]]
CHOICE = ["not-one-of-them", "gguf:/etc/passwd", "\ud800", 7.5]
BOOL = ["yes", NAN]
CHAT = [
    "not a conversation",
    [{"role": "user", "content": [{"type": "text", "text": "x" * 100_000}]}],
    [{"role": "user", "content": [{"type": "text", "text": "bad \ud800"}]}],
    [{"role": "root", "content": [{"type": "text", "text": "system override"}]}],
]


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def photo() -> np.ndarray:
    return np.asarray(Image.fromarray(data.astronaut()).resize((SIDE, SIDE)))


def stroke_layer(side: int = SIDE) -> np.ndarray:
    """A brush layer: an opaque red stroke (a mask for inpainting, a hint for colorizing)."""
    layer = np.zeros((side, side, 4), np.uint8)
    layer[side // 3 : side // 3 + 6, side // 4 : 3 * side // 4] = (220, 40, 40, 255)
    return layer


def animated_gif() -> bytes:
    frames = [Image.fromarray(photo()), Image.fromarray(255 - photo())]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def hostile_files() -> dict[str, tuple[bytes, str]]:
    """name -> (content, upload file name): what a careless or malicious upload looks like."""
    good = png(photo())
    return {
        "zero bytes": (b"", "empty.png"),
        "a text file named .png": (b"this is not a picture at all\n" * 40, "notes.png"),
        "a truncated PNG": (good[: len(good) // 2], "cut.png"),
        "1x1": (png(np.zeros((1, 1, 3), np.uint8)), "dot.png"),
        "a decompression bomb": (png_header_only(30_000, 30_000), "bomb.png"),
        "a mask of the wrong size": (png(np.full((20, 50), 255, np.uint8)), "small-mask.png"),
        "an animated GIF": (animated_gif(), "animated.gif"),
    }


@dataclass(frozen=True)
class Param:
    endpoint: str
    index: int
    name: str
    component: str
    choices: tuple[str, ...]
    default: Any


@dataclass(frozen=True)
class Attack:
    param: Param
    label: str  # what the value is, for the report
    value: Any


class Values:
    """Good and hostile values for each kind of parameter, uploaded once."""

    def __init__(self, api: RawApi) -> None:
        self.api = api
        self.photo = api.upload(png(photo()), "photo.png")
        self.grey = api.upload(png(np.asarray(Image.fromarray(photo()).convert("L"))), "grey.png")
        self.layer = api.upload(png(stroke_layer()), "layer.png")
        self.files = {label: api.upload(content, name) for label, (content, name) in hostile_files().items()}
        self.outside = {
            "path": "/etc/passwd",
            "orig_name": "passwd.png",
            "meta": {"_type": "gradio.FileData"},
        }

    def editor(self, background: Any, layers: list[Any] | None = None) -> dict[str, Any]:
        layers = [self.layer] if layers is None else layers
        return {"background": background, "layers": layers, "composite": None, "id": None}

    def good(self, param: Param) -> Any:
        """The value of a good request: the UI's default where it has one, else a sensible one."""
        kind = param.component
        if kind == "Imageeditor":
            return self.editor(self.grey if "color" in param.endpoint else self.photo)
        if kind == "Image":
            return None if param.name in ("mask", "reference") else self.photo
        if kind == "Textbox":
            return param.default or "A quiet morning by the sea."
        if kind in ("Dropdown", "Radio") and param.default is None and param.choices:
            return param.choices[0]
        return param.default

    def hostile(self, param: Param) -> list[tuple[str, Any]]:
        """(label, value) pairs for this parameter's kind; unknown kinds get a generic set."""
        kind = param.component
        if kind == "Textbox":
            return [(f"text {t!r:.30}", t) for t in TEXT]
        if kind in ("Slider", "Number"):
            return [(f"number {n!r}", n) for n in NUMBER]
        if kind in ("Dropdown", "Radio"):
            return [(f"choice {c!r}", c) for c in CHOICE]
        if kind == "Checkbox":
            return [(f"bool {b!r}", b) for b in BOOL]
        if kind == "Chatbot":
            return [(f"conversation #{i}", c) for i, c in enumerate(CHAT)]
        if kind == "Image":
            return [*self.files.items(), ("a server path", self.outside), ("a string", "photo.png")]
        if kind == "Imageeditor":
            pairs = [(f"background: {label}", self.editor(f)) for label, f in self.files.items()]
            pairs += [("background: a server path", self.editor(self.outside))]
            pairs += [
                (f"layer: {label}", self.editor(self.photo, [self.files[label]])) for label in self.files
            ]
            return [*pairs, ("not an editor value", "photo.png")]
        return [("nothing", None), ("a string", "x" * 1000), ("NaN", NAN)]


def published_params(studio) -> dict[str, list[Param]]:
    api = studio.client.view_api(print_info=False, return_format="dict")
    endpoints = {}
    for name, info in api["named_endpoints"].items():
        params = []
        for index, p in enumerate(info["parameters"]):
            literal = p["python_type"]["type"]
            choices = (
                tuple(c.strip(" '") for c in literal[8:-1].split(","))
                if literal.startswith("Literal[")
                else ()
            )
            params.append(
                Param(name, index, p["parameter_name"], p["component"], choices, p["parameter_default"])
            )
        endpoints[name] = params
    return endpoints


def spread(params: list[Param], values: Values, full: bool) -> Iterator[Attack]:
    """The attacks on one endpoint: the full cross product, or each kind's values spread over
    that kind's parameters (every value at least once, every parameter at least twice)."""
    by_kind: dict[str, list[Param]] = {}
    for param in params:
        by_kind.setdefault(param.component, []).append(param)
    for same_kind in by_kind.values():
        pools = [values.hostile(param) for param in same_kind]  # by position: params hold lists
        if full:
            yield from (
                Attack(p, label, v) for p, pool in zip(same_kind, pools, strict=True) for label, v in pool
            )
            continue
        count = max(len(pools[0]), 2 * len(same_kind))
        for i in range(count):
            pool = pools[i % len(same_kind)]
            label, value = pool[i % len(pool)]
            yield Attack(same_kind[i % len(same_kind)], label, value)


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    settings = Settings(port=free_port(), output_dir=tmp_path_factory.mktemp("hostile"), llama_threads=1)
    with running_studio(settings) as running:
        yield running


def run_attacks(studio, full: bool) -> None:
    api = RawApi(studio.url, timeout=180)
    values = Values(api)
    endpoints = published_params(studio)
    good = {name: [values.good(p) for p in params] for name, params in endpoints.items()}
    _shorten(endpoints, good)

    def good_call(name: str) -> Outcome:
        return api.call(name, good[name])

    baseline = {name: good_call(name) for name in endpoints}
    for name in MUST_SERVE:
        assert baseline[name].ok, (name, baseline[name].message)
    refused = {name: o.message for name, o in baseline.items() if not o.ok}
    assert all(unclear(m) is None for m in refused.values()), refused

    failures, tried = [], 0
    for name, params in endpoints.items():
        attacks = list(spread(params, values, full))
        for param, group in itertools.groupby(attacks, key=lambda a: a.param):
            for attack in group:
                request = list(good[name])
                request[param.index] = attack.value
                outcome = api.call(name, request)
                tried += 1
                why = None if outcome.ok else unclear(outcome.message)
                if why:
                    failures.append(f"{name} {param.name} <- {attack.label}: {why}: {outcome.message!r:.200}")
                if full:
                    _check_still_serving(name, good_call, baseline, failures, attack.label)
            _check_still_serving(name, good_call, baseline, failures, f"{param.name} attacks")
    print(f"\nhostile inputs tried: {tried} on {len(endpoints)} endpoints ({'full' if full else 'sampled'})")
    assert not failures, "\n".join(failures)


def _shorten(endpoints: dict[str, list[Param]], good: dict[str, list[Any]]) -> None:
    """Make the good requests cheap: one token of text, the shortest piece of music or story."""
    for name, params in endpoints.items():
        for param in params:
            if param.name == "max_new_tokens":
                good[name][param.index] = 1
            if param.name == "seconds" and ("music" in name or "story" in name):
                good[name][param.index] = 5
            if param.name == "work_side":
                good[name][param.index] = 256  # the smallest working size the slider offers


def _check_still_serving(
    name: str,
    good_call: Callable[[str], Outcome],
    baseline: dict[str, Outcome],
    failures: list[str],
    after: str,
) -> None:
    outcome = good_call(name)
    if outcome.ok != baseline[name].ok:
        failures.append(f"{name}: the good request failed after {after}: {outcome.message!r:.200}")


@pytest.mark.timeout(900)  # ~30 endpoints, some running whole jobs (a story: draft, narrate, score, mix)
def test_every_endpoint_survives_hostile_values_of_every_kind(studio):
    run_attacks(studio, full=False)


@pytest.mark.slow
def test_every_endpoint_survives_every_hostile_value_on_every_parameter(studio):
    run_attacks(studio, full=True)


def test_the_attack_list_covers_every_kind_it_claims():
    kinds = {"zero bytes", "a text file named .png", "a truncated PNG", "1x1", "a decompression bomb"}
    kinds |= {"a mask of the wrong size", "an animated GIF"}
    files = hostile_files()
    assert kinds == set(files)
    assert Image.open(io.BytesIO(files["an animated GIF"][0])).n_frames == 2
    bomb = files["a decompression bomb"][0]
    assert bomb[12:16] == b"IHDR" and struct.unpack(">II", bomb[16:24]) == (30_000, 30_000)
