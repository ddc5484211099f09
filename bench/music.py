"""Music benchmark: the embedded composer against the MusicGen-small architecture, one run.

For each: seconds of audio per second of compute (higher is faster; above 1 is faster than
real time) and the time to the first streamed chunk, both through the studio's own backend
code. MusicGen-small is built from its published configuration with random weights (speed
does not depend on weight values; nothing is downloaded) and asked for 10 s; unless
--musicgen-full is given it is stopped after --musicgen-chunks one-second chunks and its
10 s time is extrapolated linearly from the per-chunk rate (an underestimate: attention
grows with length). The composer's key and tempo are checked on what it made.

    .venv/bin/python bench/music.py [--runs 5] [--seconds 15] [--musicgen-chunks 2 | --musicgen-full]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genai_studio.backends.base import Progress, Result
from genai_studio.backends.music.analysis import estimate_key, estimate_tempo
from genai_studio.backends.music.embedded_composer import Composer
from genai_studio.backends.music.hub_musicgen import MusicGen
from genai_studio.backends.music.plan import NOTE_NAMES
from genai_studio.backends.music.request import build_request
from genai_studio.config import Settings

SETTINGS = Settings()
PROMPT = "upbeat pop in G major, 120 bpm"


def timed_run(backend, request, stop_after: int | None = None) -> tuple[float, float, float, object]:
    """(seconds to first chunk, total seconds, seconds of audio made, result)."""
    cancel = threading.Event()
    started = time.perf_counter()
    first, chunks, result = None, 0, None
    for item in backend.run(request, cancel):
        if isinstance(item, Progress) and item.partial is not None:
            first = first or time.perf_counter() - started
            chunks += 1
            if stop_after and chunks >= stop_after:
                cancel.set()
        elif isinstance(item, Result):
            result = item
    return first, time.perf_counter() - started, result.output.seconds, result


def musicgen_small():
    """The MusicGen-small architecture (T5-base text encoder, 24-layer 1024-wide decoder,
    32 kHz EnCodec with 4 codebooks) with random weights, and a tiny stand-in tokenizer."""
    import torch
    import transformers as tf

    torch.set_num_threads(2)
    text = tf.T5Config(vocab_size=32128, d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12)
    codec = tf.EncodecConfig(
        sampling_rate=32000, audio_channels=1, hidden_size=128, num_filters=64,
        upsampling_ratios=[8, 5, 4, 4], codebook_size=2048, codebook_dim=128, num_lstm_layers=2,
        target_bandwidths=[2.2], normalize=False,
        use_causal_conv=False, chunk_length_s=None, overlap=None, num_residual_layers=1,
    )  # fmt: skip
    decoder = tf.MusicgenDecoderConfig(
        vocab_size=2048, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, ffn_dim=4096,
        num_codebooks=4, max_position_embeddings=2048, pad_token_id=2048, bos_token_id=2048,
        decoder_start_token_id=2048,
    )  # fmt: skip
    config = tf.MusicgenConfig(
        text_encoder=text.to_dict(), audio_encoder=codec.to_dict(), decoder=decoder.to_dict()
    )
    model = tf.MusicgenForConditionalGeneration(config).eval()
    model.generation_config.decoder_start_token_id = model.generation_config.pad_token_id = 2048
    model.generation_config.max_length = 1500
    words = ["upbeat", "pop", "in", "g", "major", "music", "bpm"]
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [
        ("▁" + w, -1.0 - i) for i, w in enumerate(words)
    ]
    vocab += [(c, -20.0) for c in "abcdefghijklmnopqrstuvwxyz0123456789,."]
    tokenizer = tf.T5TokenizerFast(vocab=vocab, extra_ids=0)
    backend = MusicGen("musicgen-small architecture, random weights", SETTINGS)
    backend._model, backend._tokenizer = model, tokenizer  # what load() would do with downloaded weights
    parameters = sum(p.numel() for p in model.parameters())
    return backend, parameters


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--musicgen-chunks", type=int, default=2)
    parser.add_argument("--musicgen-full", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    composer = Composer("", SETTINGS)
    composer.load("cpu")
    load_s = time.perf_counter() - started
    timed_run(composer, build_request(SETTINGS, prompt=PROMPT, seconds=5, seed=0))  # warm caches
    runs = []
    for seed in range(args.runs):
        request = build_request(SETTINGS, prompt=PROMPT, seconds=args.seconds, seed=seed)
        runs.append(timed_run(composer, request))
    first = statistics.median(r[0] for r in runs)
    total = statistics.median(r[1] for r in runs)
    audio_s = runs[0][2]
    output = runs[0][3].output
    tonic, mode = estimate_key(output.audio, output.sample_rate)
    tempo = estimate_tempo(output.audio, output.sample_rate)

    started = time.perf_counter()
    musicgen, parameters = musicgen_small()
    build_s = time.perf_counter() - started
    request = build_request(SETTINGS, prompt=PROMPT, seconds=10, seed=0)
    mg_first, mg_total, mg_audio, _ = timed_run(
        musicgen, request, None if args.musicgen_full else args.musicgen_chunks
    )
    mg_rate = mg_audio / mg_total
    mg_10s = mg_total if args.musicgen_full else mg_total * 10 / mg_audio

    print(f"\nComposer: loaded in {load_s:.2f} s (SoundFont + melody model); median of {args.runs} runs")
    print(f"  what it made: {output.seconds:.1f} s, key {NOTE_NAMES[mode][tonic]} {mode} (asked G major), "
          f"tempo {tempo:.0f} bpm (asked 120)")  # fmt: skip
    print(
        f"MusicGen-small architecture: {parameters / 1e6:.0f}M parameters, random weights, "
        f"built in {build_s:.1f} s"
    )
    how = "measured" if args.musicgen_full else f"extrapolated from {mg_audio:.1f} s made in {mg_total:.1f} s"
    print("\n| system | audio | compute | audio s per compute s | first chunk |")
    print("|---|---|---|---|---|")
    print(
        f"| composer (embedded) | {audio_s:.0f} s | {total:.2f} s | {audio_s / total:.1f}x | {first:.3f} s |"
    )
    print(
        f"| MusicGen-small (CPU, fp32, 2 threads) | 10 s | {mg_10s:.0f} s ({how}) "
        f"| {mg_rate:.3f}x | {mg_first:.1f} s |"
    )
    print(f"\ncomposer vs MusicGen-small: {audio_s / total / mg_rate:.0f}x more audio per second of compute, "
          f"first chunk {mg_first / first:.0f}x sooner")  # fmt: skip


if __name__ == "__main__":
    main()
