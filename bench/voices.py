"""Voices benchmark: speed of each neural engine and intelligibility of every Kokoro voice.

Measured in one run, on the same texts, after loading:
- speed: real-time factor (RTF = synthesis time / audio duration) and time to the first audio
  of a streamed request (the Speech tab's path: manager + backend, first clause early) for
  hibari, Kokoro in English and in Mandarin, and the Mandarin FastSpeech2 voice, against the
  plain onnxruntime call (the G2P, then one `session.run` per sentence, no studio code around
  it) for Kokoro; medians of interleaved runs, since other work may share the CPU;
- intelligibility: every English voice says two sentences that Whisper base transcribes
  (words wrong out of the sentence); every Mandarin voice says four, scored by character
  error rate (CER) after reading numbers out and converting to simplified characters.

    .venv/bin/python bench/voices.py [--runs 3] [--voices af_heart,zf_xiaobei] [--no-speed]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.recognise import mandarin_scores, transcribe, word_errors, words
from bench.speech import Run, interleaved, timed
from genai_studio.backends.base import Progress, Result
from genai_studio.backends.manager import ModelManager
from genai_studio.backends.speech import kokoro_assets, kokoro_phonemes
from genai_studio.backends.speech.backend import Unheard
from genai_studio.backends.speech.kokoro_voices import VOICE_IDS, language_of_voice
from genai_studio.backends.speech.request import request_for
from genai_studio.config import Settings

ENGLISH_TEXT = (
    "The lighthouse keeper climbed the stairs at dusk, as he had done for thirty years. "
    "Tonight the sea was calm, and the lamp turned slowly above the water. "
    "Far to the north, a small boat drifted without lights."
)
MANDARIN_TEXT = (
    "春天来了，河边的柳树发出了嫩绿的新芽。孩子们在操场上踢足球，玩得非常开心。我们计划明年夏天去西藏旅行。"
)
ENGLISH = (  # not in any test
    "Please call Stella and ask her to bring these things with her from the store.",
    "The committee will meet again on Thursday to review the budget.",
)
MANDARIN = (
    "这家餐厅的招牌菜是红烧肉和清蒸鱼。",
    "下周三的航班因为天气原因被取消了。",
    "医生建议他多喝水，少吃油腻的食物。",
    "这台电脑的价格是4999元。",
)
ENGINES = {  # name -> (spec, voice, language, text)
    "hibari heart (English)": ("hibari", "heart", "en-us", ENGLISH_TEXT),
    "Kokoro af_heart (English)": ("kokoro", "af_heart", "en-us", ENGLISH_TEXT),
    "Kokoro zf_xiaobei (Mandarin)": ("kokoro", "zf_xiaobei", "zh", MANDARIN_TEXT),
    "zh-fastspeech2 baker (Mandarin)": ("zh-fastspeech2", "baker", "zh", MANDARIN_TEXT),
}


def studio_stream(
    manager: ModelManager, spec: str, voice: str, language: str, text: str
) -> Callable[[], Run]:
    """The Speech tab's path: a streamed request with early parts, through the manager."""
    backend = manager.load(spec)
    request = request_for(backend, text=text, voice=voice, language=language, speed=1.0)
    request = dataclasses.replace(request, early_parts=True)

    def chunks():
        unheard = Unheard()
        for item in manager.run(spec, request, threading.Event()):
            if isinstance(item, Progress):
                yield unheard.of(item.partial)

    return lambda: timed(chunks())


def plain_onnxruntime(cache_dir: Path, voice: str, language: str, text: str) -> Callable[[], Run]:
    """Kokoro as its own examples run it: G2P, then one onnxruntime call per sentence."""
    import json

    import onnxruntime as ort
    from hibari.tts import ASSETS

    from genai_studio.backends.speech.sentences import split_sentences

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(str(kokoro_assets.model_path(cache_dir)), options)
    vocab = json.loads((Path(ASSETS) / "vocab.json").read_text(encoding="utf-8"))
    styles = kokoro_assets.load_voice(cache_dir, voice)
    sentences = split_sentences(text)

    def chunks():
        for sentence in sentences:
            tokens = [vocab[c] for c in kokoro_phonemes.phonemize(sentence, language) if c in vocab]
            feeds = {
                "tokens": np.array([[0, *tokens, 0]], np.int64),
                "style": styles[len(tokens) - 1].reshape(1, -1),
                "speed": np.ones(1, np.float32),
            }
            yield 24_000, session.run(None, feeds)[0].reshape(-1)

    return lambda: timed(chunks())


def speak(manager: ModelManager, voice: str, text: str) -> tuple[int, np.ndarray]:
    backend = manager.load("kokoro")
    request = request_for(backend, text=text, voice=voice, language=language_of_voice(voice).code, speed=1.0)
    result = [item for item in manager.run("kokoro", request) if isinstance(item, Result)][-1]
    return result.output


def intelligibility(manager: ModelManager, voices: list[str]) -> None:
    print(f"\n{'voice':14} {'language':20} {'score':>22}  transcripts")
    for voice in voices:
        language = language_of_voice(voice)
        if language.family == "en":
            heard = [transcribe(*speak(manager, voice, s), "en") for s in ENGLISH]
            wrong = sum(word_errors(s, h) for s, h in zip(ENGLISH, heard, strict=True))
            total = sum(len(words(s)) for s in ENGLISH)
            score = f"{wrong} of {total} words wrong"
        elif language.family == "zh":
            heard = [transcribe(*speak(manager, voice, s), "zh") for s in MANDARIN]
            cer, pinyin = mandarin_scores(list(MANDARIN), heard)
            score = f"CER {cer:5.1%} pinyin {pinyin:5.1%}"
        else:
            continue  # the beta languages: no reference scoring here
        print(f"{voice:14} {language.name:20} {score:>22}  {' | '.join(heard)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--voices", default="", help="comma-separated voice ids (default: every en and zh voice)"
    )
    parser.add_argument("--no-speed", action="store_true", help="only the intelligibility table")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = Settings()
    manager = ModelManager(settings)

    if not args.no_speed:
        contenders = {
            "plain onnxruntime Kokoro af_heart (English)": plain_onnxruntime(
                settings.cache_dir, "af_heart", "en-us", ENGLISH_TEXT
            ),
            "plain onnxruntime Kokoro zf_xiaobei (Mandarin)": plain_onnxruntime(
                settings.cache_dir, "zf_xiaobei", "zh", MANDARIN_TEXT
            ),
            **{f"studio {name}": studio_stream(manager, *engine) for name, engine in ENGINES.items()},
        }
        results = interleaved(contenders, args.runs)
        print(f"median of {args.runs} interleaved runs (after one warm-up), streamed as the Speech tab does")
        print(f"{'path':52} {'audio s':>8} {'RTF':>7} {'first audio s':>14}")
        for name, median in results.items():
            print(f"{name:52} {median.audio_s:8.1f} {median.rtf:7.3f} {median.first_chunk_s:14.3f}")
        for language, voice in (("English", "af_heart"), ("Mandarin", "zf_xiaobei")):
            plain = results[f"plain onnxruntime Kokoro {voice} ({language})"].rtf
            studio = results[f"studio Kokoro {voice} ({language})"].rtf
            print(f"studio Kokoro {language} speed vs the plain onnxruntime call: {plain / studio:.2f}x")

    chosen = [v for v in args.voices.split(",") if v] or [v for v in VOICE_IDS if v[0] in "abz"]
    intelligibility(manager, chosen)


if __name__ == "__main__":
    main()
