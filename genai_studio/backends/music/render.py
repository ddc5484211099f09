"""MIDI to audio with a General MIDI SoundFont through tinysoundfont, streamed in chunks.

The SoundFont (148 MB for FluidR3_GM) is loaded once per process and shared; it also holds
the voices being played, so one render at a time uses it (a lock). Audio is rendered
between MIDI events with sample accuracy and handed out in fixed-size chunks as soon as
each is ready, so the first second can play while the rest renders.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

SAMPLE_RATE = 44_100
FLUID_R3 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
GAIN_DB = -4.0  # headroom for a full band; a soft limiter catches the rest
FADE_S = 1.5  # the last seconds fade out, so a piece never stops mid-note
DRUM_CHANNEL = 9
_PAN = {"melody": 0.58, "chords": 0.4, "bass": 0.5}

_lock = threading.Lock()
_loaded: dict[Path, object] = {}
_in_use = threading.Lock()


def soundfont_path() -> Path | None:
    """FluidR3_GM from Debian's fluid-soundfont-gm, else TimGM6mb inside pretty_midi."""
    if FLUID_R3.is_file():
        return FLUID_R3
    spec = importlib.util.find_spec("pretty_midi")
    if spec and spec.origin:
        fallback = Path(spec.origin).parent / "TimGM6mb.sf2"
        if fallback.is_file():
            return fallback
    return None


def shared_soundfont(path: Path | None = None):
    """The process-wide loaded SoundFont for `path` (default: soundfont_path())."""
    import tinysoundfont._tinysoundfont as tsf

    path = path or soundfont_path()
    if path is None:
        raise FileNotFoundError("no General MIDI SoundFont found (install fluid-soundfont-gm)")
    with _lock:
        if path not in _loaded:
            started = time.perf_counter()
            soundfont = tsf.SoundFont(str(path))
            _set_output(soundfont)
            soundfont.set_max_voices(256)
            _loaded[path] = soundfont
            log.info("loaded SoundFont %s in %.2f s", path.name, time.perf_counter() - started)
        return _loaded[path]


def _silence(soundfont) -> None:
    """Stop every voice and let it die: reset() only starts a ~10 ms release, which would
    otherwise leak the previous piece into the start of the next (and break same seed, same audio)."""
    soundfont.reset()
    soundfont.render(memoryview(np.zeros((4096, 2), np.float32)), False)
    _set_output(soundfont)  # reset() also resets the output settings


def _set_output(soundfont) -> None:
    import tinysoundfont._tinysoundfont as tsf

    soundfont.set_output(tsf.OutputMode.StereoInterleaved, SAMPLE_RATE, GAIN_DB)


def _events(midi) -> list[tuple[float, int, int, int, float]]:
    """(time, order, channel, key, velocity) with note-offs (order 0) before note-ons at a time."""
    events = []
    channel = 0
    for instrument in midi.instruments:
        if instrument.is_drum:
            chan = DRUM_CHANNEL
        else:
            chan = channel
            channel += 2 if channel + 1 == DRUM_CHANNEL else 1
        for note in instrument.notes:
            events.append((note.start, 1, chan, note.pitch, note.velocity / 127))
            events.append((note.end, 0, chan, note.pitch, 0.0))
    events.sort(key=lambda e: (e[0], e[1]))
    return events


def _set_programs(soundfont, midi) -> None:
    channel = 0
    for instrument in midi.instruments:
        if instrument.is_drum:
            soundfont.channel_set_preset_number(DRUM_CHANNEL, 0, True)
            continue
        soundfont.channel_set_preset_number(channel, instrument.program, False)
        soundfont.channel_set_pan(channel, _PAN.get(instrument.name, 0.5))
        channel += 2 if channel + 1 == DRUM_CHANNEL else 1


def stream(midi, seconds: float, chunk_s: float = 1.0, soundfont=None) -> Iterator[np.ndarray]:
    """Render `seconds` of `midi` as float32 stereo chunks of shape (samples, 2).

    The last FADE_S seconds fade out; a tanh limiter keeps peaks below full scale.
    Closing the iterator early frees the synthesiser for the next render.
    """
    soundfont = soundfont or shared_soundfont()
    total = round(seconds * SAMPLE_RATE)
    chunk = max(1, round(chunk_s * SAMPLE_RATE))
    fade_from = total - round(min(FADE_S, seconds / 4) * SAMPLE_RATE)
    events = _events(midi)
    if not _in_use.acquire(timeout=120):
        raise RuntimeError("the synthesiser is busy")
    try:
        _silence(soundfont)
        _set_programs(soundfont, midi)
        index = 0
        for begin in range(0, total, chunk):
            end = min(total, begin + chunk)
            out = np.zeros((end - begin, 2), np.float32)
            cursor = begin
            while cursor < end:
                while index < len(events) and round(events[index][0] * SAMPLE_RATE) <= cursor:
                    _, is_on, chan, key, velocity = events[index]
                    if is_on:
                        soundfont.channel_note_on(chan, key, velocity)
                    else:
                        soundfont.channel_note_off(chan, key)
                    index += 1
                upto = end
                if index < len(events):
                    upto = min(end, max(cursor + 1, round(events[index][0] * SAMPLE_RATE)))
                soundfont.render(memoryview(out[cursor - begin : upto - begin]), False)
                cursor = upto
            yield _finish(out, begin, fade_from, total)
    finally:
        _silence(soundfont)
        _in_use.release()


def _finish(out: np.ndarray, begin: int, fade_from: int, total: int) -> np.ndarray:
    positions = np.arange(begin, begin + len(out))
    if positions[-1] >= fade_from:
        fade = np.clip((total - positions) / max(1, total - fade_from), 0.0, 1.0).astype(np.float32)
        out *= fade[:, None] ** 2
    return np.tanh(out)
