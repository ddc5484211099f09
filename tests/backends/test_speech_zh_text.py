"""The Mandarin voice's text front end: readings of numbers, dates, times, money and percentages,
polyphonic characters, Latin letters, the Baker symbol table, and the automatic language."""

from __future__ import annotations

import pytest

from genai_studio.backends.speech import auto_language, zh_assets
from genai_studio.backends.speech.embedded_zh import clauses
from genai_studio.backends.speech.zh_numbers import normalize, read_integer, read_money
from genai_studio.backends.speech.zh_phonemes import BakerSymbols, split_english, syllables
from genai_studio.config import Settings


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        (0, "零"),
        (7, "七"),
        (10, "十"),
        (15, "十五"),
        (20, "二十"),
        (110, "一百一十"),
        (101, "一百零一"),
        (123, "一百二十三"),
        (1005, "一千零五"),
        (1050, "一千零五十"),
        (10_000, "一万"),
        (150_000, "十五万"),
        (1_234_567, "一百二十三万四千五百六十七"),
        (100_010_000, "一亿零一万"),
        (120_000_000, "一亿二千万"),
        (-42, "负四十二"),
    ],
)
def test_integers_are_read_with_wan_and_yi(number, spoken):
    assert read_integer(number) == spoken


def test_integers_beyond_wan_yi_are_read_digit_by_digit():
    assert read_integer(10**16 + 1) == "一" + "零" * 15 + "一"


@pytest.mark.parametrize(
    ("amount", "spoken"),
    [("12.5", "十二元五角"), ("12.50", "十二元五角"), ("3.05", "三元零五分"), ("0.5", "五角"), ("8", "八元")],
)
def test_yuan_are_read_with_jiao_and_fen(amount, spoken):
    assert read_money(amount) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("2026年12月2日", "二〇二六年十二月二日"),
        ("2026-12-02", "二〇二六年十二月二日"),
        ("2026/12/2", "二〇二六年十二月二日"),
        ("下午3:15开会", "下午三点十五分开会"),
        ("2:05", "两点零五分"),
        ("15:30:20", "十五点三十分二十秒"),
        ("比分3:75", "比分三比七十五"),  # not a time
        ("门票12.5元", "门票十二元五角"),
        ("¥3.05", "三元零五分"),
        ("￥１２", "十二元"),  # full-width digits and yen sign
        ("$5.99", "五点九九美元"),
        ("涨了5%", "涨了百分之五"),
        ("12.5％", "百分之十二点五"),
        ("-5%", "负百分之五"),
        ("5%-10%", "百分之五到百分之十"),
        ("3-5天", "三到五天"),
        ("1/2", "二分之一"),
        ("气温-3℃", "气温负三摄氏度"),
        ("1,234,567人", "一百二十三万四千五百六十七人"),
        ("电话13812345678", "电话一三八一二三四五六七八"),
        ("代号007", "代号零零七"),
        ("2个人", "两个人"),
        ("第2名", "第二名"),
        ("圆周率3.14", "圆周率三点一四"),
        ("1+1=2", "一加一等于二"),
    ],
)
def test_numbers_dates_times_money_and_percentages_are_read_out(text, spoken):
    assert normalize(text) == spoken


def test_latin_text_is_left_for_the_phoneme_stage():
    assert normalize("用GPS找路，Python 3.11") == "用GPS找路，Python 三点一一"


def test_polyphonic_characters_follow_the_phrase():
    assert syllables("银行") == ["yin2", "hang2"]
    assert syllables("行走") == ["xing2", "zou3"]
    assert syllables("重要的重复") == ["zhong4", "yao4", "de5", "chong2", "fu4"]
    assert syllables("音乐让人快乐") == ["yin1", "yue4", "rang4", "ren2", "kuai4", "le4"]


def test_letters_are_spelled_digits_and_punctuation_skipped():
    assert syllables("用GPS。") == ["yong4", "ji4", "pi1", "ai4", "si5"]
    assert syllables("3！？…") == []


def test_english_words_are_told_apart_from_acronyms():
    assert split_english("我用Python写GPS程序") == [(False, "我用"), (True, "Python"), (False, "写GPS程序")]
    assert split_english("他说hello world，然后走了") == [
        (False, "他说"),
        (True, "hello world"),
        (False, "，然后走了"),
    ]
    assert split_english("AI和CPU") == [(False, "AI和CPU")]


@pytest.fixture(scope="module")
def symbols() -> BakerSymbols:
    cache = Settings().cache_dir
    assert not zh_assets.missing(cache), "run scripts/setup.sh to prepare the Mandarin voice"
    return BakerSymbols.load(zh_assets.asset_dir(cache) / zh_assets.SYMBOLS)


def test_pinyin_maps_to_the_model_symbols(symbols):
    assert symbols.phones("zhong1") == ["zh", "ong1"]
    assert symbols.phones("yu2") == ["^", "v2"]  # y and w are no initials in the Baker set
    assert symbols.phones("shi4") == ["sh", "iii4"] and symbols.phones("si4") == ["s", "ii4"]
    assert symbols.phones("huar1") == ["h", "ua1", "er5"]  # erhua
    assert symbols.phones("n2") == ["^", "en2"]  # 嗯
    assert symbols.phones("xyz1") == []


def test_a_clause_is_framed_by_silence_with_a_break_between_characters(symbols):
    ids = symbols.encode(["ni3", "hao3"])
    names = {index: name for name, index in symbols.ids.items()}
    assert [names[i] for i in ids] == ["sil", "n", "i3", "#0", "h", "ao3", "sil", "eos"]
    assert symbols.encode([]) == [] and symbols.encode(["xyz1"]) == []


def test_clauses_pause_by_punctuation():
    assert clauses("你好，世界、朋友；再见。") == [
        ("你好", 0.2),
        ("世界", 0.1),
        ("朋友", 0.3),
        ("再见。", 0.35),
    ]
    assert clauses("，，。") == [("。", 0.35)] and clauses("") == []


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("今天天气很好。", "zh"),
        ("我用GPS找到了路。", "zh"),
        ("The weather is nice today.", "en"),
        ("I flew to 北京 last week for a meeting.", "en"),
        ("2026", "en"),
    ],
)
def test_mostly_chinese_text_is_detected(text, language):
    assert auto_language.detect(text) == language


VOICES = {
    "hibari": ({"heart": "Heart"}, {"en-us": "English (US)"}),
    "zh-fastspeech2": ({"baker": "Baker"}, {"zh": "Chinese"}),
    "espeak": ({"default": "Default", "m3": "m3"}, {"en-us": "English", "cmn": "Mandarin"}),
    "bark": ({"default": "Random"}, {"auto": "Detected from the text"}),
}


def options(*unavailable):
    return lambda spec: None if spec in unavailable else VOICES[spec]


def test_auto_routes_chinese_to_the_chinese_voice_and_english_to_hibari():
    specs = ("hibari", "zh-fastspeech2", "espeak")
    route = auto_language.resolve
    assert route("今天天气很好。", "hibari", "heart", specs, options()) == ("zh-fastspeech2", "baker", "zh")
    assert route("Good morning.", "zh-fastspeech2", "baker", specs, options()) == ("hibari", "heart", "en-us")
    assert route("Good morning.", "hibari", "heart", specs, options()) == ("hibari", "heart", "en-us")
    # the picked model is kept when it speaks the language
    assert route("今天天气很好。", "espeak", "m3", specs, options()) == ("espeak", "m3", "cmn")
    # a model that cannot run here is skipped
    unavailable = options("zh-fastspeech2")
    assert route("今天天气很好。", "hibari", "heart", specs, unavailable) == ("espeak", "default", "cmn")
    # a model that detects the language itself keeps its own setting
    assert route("今天天气很好。", "bark", "default", (*specs, "bark"), options()) == (
        "bark",
        "default",
        "auto",
    )
