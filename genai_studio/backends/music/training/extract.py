"""Extract melodies from music21's bundled corpus into a small JSON the melody model trains on.

Parsing the corpus is slow (about 0.4 s per chorale, 9 s per Essen folk-song file), so this
runs once and its output, assets/music/melodies.json, is committed. The selection is fixed
(first files in sorted order), so the same command gives the same file.

Each melody is stored relative to its key: pitches as semitones above the tonic (the tonic
nearest the final note is 0), durations in quarter notes rescaled by a power of two so the
median note lasts between half a beat and a beat (Essen tunes are often notated in halves).

    .venv/bin/python -m genai_studio.backends.music.training.extract --chorales 150 --folk-files 10
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from pathlib import Path

from music21 import converter, corpus, stream

log = logging.getLogger("extract_melodies")

OUT = Path(__file__).resolve().parents[4] / "assets" / "music" / "melodies.json"


def melody_events(part: stream.Stream) -> tuple[str, list[list[float | None]]] | None:
    """(mode, [[semitones above tonic or None for a rest, quarter length], ...]) or None."""
    flat = part.flatten().stripTies()
    events = [e for e in flat.notesAndRests if e.quarterLength > 0 and (e.isRest or e.isNote)]
    notes = [e for e in events if e.isNote]
    if len(notes) < 8:
        return None
    key = part.analyze("key")
    if key.mode not in ("major", "minor"):
        return None
    final = notes[-1].pitch.midi
    tonic = final - ((final - key.tonic.pitchClass) % 12)
    if final - tonic > 6:  # the final note is above the tonic: use the tonic above it
        tonic += 12
    durations = [float(e.quarterLength) for e in events]
    scale = 1.0
    median = statistics.median(durations)
    while median * scale > 1.0:
        scale /= 2
    while median * scale < 0.5:
        scale *= 2
    out: list[list[float | None]] = []
    for event in events:
        pitch = None if event.isRest else event.pitch.midi - tonic
        out.append([pitch, round(float(event.quarterLength) * scale, 4)])
    while out and out[0][0] is None:  # leading rests (pickups written as rests) say nothing
        out.pop(0)
    return key.mode, out


def chorales(count: int) -> list[dict]:
    paths = sorted(p for p in corpus.getComposer("bach") if p.suffix in (".mxl", ".xml"))[:count]
    found = []
    for path in paths:
        score = corpus.parse(path)
        if not score.parts:
            continue
        result = melody_events(score.parts[0])  # the soprano carries the chorale tune
        if result:
            found.append({"source": f"bach/{path.name}", "mode": result[0], "notes": result[1]})
    return found


def folk_tunes(file_count: int) -> list[dict]:
    folder = Path(corpus.__file__).parent / "essenFolksong"
    found = []
    for path in sorted(folder.glob("*.abc"))[:file_count]:
        opus = converter.parse(path)
        for number, score in enumerate(getattr(opus, "scores", [opus])):
            result = melody_events(score)
            if result:
                found.append(
                    {"source": f"essenFolksong/{path.name}#{number}", "mode": result[0], "notes": result[1]}
                )
        log.info("%s: %d tunes so far", path.name, len(found))
    return found


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chorales", type=int, default=150)
    parser.add_argument("--folk-files", type=int, default=10)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    started = time.perf_counter()
    tunes = chorales(args.chorales)
    log.info("%d chorales in %.0f s", len(tunes), time.perf_counter() - started)
    tunes += folk_tunes(args.folk_files)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "about": "music21 corpus (BSD-3): Bach chorales and Essen folk songs (public domain)",
        "pitch": "semitones above the tonic, null for a rest",
        "duration": "quarter notes, rescaled by a power of two per tune",
        "tunes": tunes,
    }
    args.out.write_text(json.dumps(record, separators=(",", ":")))
    log.info(
        "%d tunes, %.0f kB, in %.0f s",
        len(tunes),
        args.out.stat().st_size / 1024,
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    main()
