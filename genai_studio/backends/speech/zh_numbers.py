"""Chinese text as a Mandarin speaker reads it aloud: digits and symbols become words.

The Mandarin voice only knows syllables, so "2026年12月2日 3:15，涨了5%，12.5元" must reach
it as 二〇二六年十二月二日 三点十五分，涨了百分之五，十二元五角. Rules run from the most
specific (dates, times, money) to the most general (any integer), each on what the
earlier ones left. Years, phone numbers and digit strings with a leading zero are read
digit by digit; other integers up to 16 digits with 万 and 亿.
"""

from __future__ import annotations

import re
from collections.abc import Callable

DIGITS = "零一二三四五六七八九"
YEAR_DIGITS = "〇一二三四五六七八九"  # years are written with 〇, read ling
_GROUP_UNITS = ("", "万", "亿", "万亿")
_PLACES = ((1000, "千"), (100, "百"), (10, "十"), (1, ""))
MAX_GROUPED_DIGITS = 16
# Measure words after which 2 is read 两 (两个人, 两天), not 二.
_MEASURES = "个位只件天岁次本张条块种名座台辆头匹杯瓶碗把双对周点倍份句首"
_CURRENCIES = {"$": "美元", "€": "欧元", "£": "英镑", "₩": "韩元", "₽": "卢布"}
_UNITS = {"℃": "摄氏度", "°C": "摄氏度", "°F": "华氏度", "°": "度", "km": "公里", "kg": "公斤"}
_UNITS |= {"cm": "厘米", "mm": "毫米", "ml": "毫升", "mg": "毫克"}
_SYMBOLS = {"+": "加", "=": "等于", "&": "和", "@": " at ", "×": "乘", "÷": "除以", "≈": "约等于", "~": "到"}
_FULL_WIDTH = str.maketrans(
    "０１２３４５６７８９％．：／－＋＝＄￥"
    + "".join(chr(c) for c in range(0xFF21, 0xFF3B))
    + "".join(chr(c) for c in range(0xFF41, 0xFF5B)),
    "0123456789%.:/-+=$¥" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "abcdefghijklmnopqrstuvwxyz",
)

NUMBER = r"\d+(?:\.\d+)?"


def read_digits(digits: str, zero: str = "零") -> str:
    """Digit by digit: 110 -> 一一零 (phone numbers, codes; years use 〇)."""
    return "".join((zero + DIGITS[1:])[int(d)] for d in digits)


def _four(group: int) -> str:
    """1-9999 with 千百十, a 零 for each gap: 1005 -> 一千零五, 1050 -> 一千零五十."""
    out, gap = "", False
    for value, place in _PLACES:
        digit = group // value % 10
        if digit:
            out += ("零" if gap and out else "") + DIGITS[digit] + place
            gap = False
        else:
            gap = True
    return out


def read_integer(number: int) -> str:
    """123 -> 一百二十三, 15 -> 十五, 100010000 -> 一亿零一万; negative -> 负."""
    if number < 0:
        return "负" + read_integer(-number)
    if number == 0:
        return "零"
    if len(str(number)) > MAX_GROUPED_DIGITS:
        return read_digits(str(number))
    groups = []
    while number:
        groups.append(number % 10_000)
        number //= 10_000
    out, gap = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if not group:
            gap = bool(out)
            continue
        if out and (gap or group < 1000):
            out += "零"
        out += _four(group) + _GROUP_UNITS[index]
        gap = False
    return out[1:] if out.startswith("一十") else out


def read_number(text: str) -> str:
    """An integer or decimal as written: "3.14" -> 三点一四, "007" -> 零零七, "2.0" -> 二点零."""
    whole, _, fraction = text.partition(".")
    spoken = read_digits(whole) if len(whole) > 1 and whole.startswith("0") else read_integer(int(whole))
    return spoken + ("点" + read_digits(fraction) if fraction else "")


def read_money(amount: str, unit: str = "元") -> str:
    """Yuan with jiao and fen: "12.5" -> 十二元五角, "3.05" -> 三元零五分; other currencies as decimals."""
    if unit != "元":
        return read_number(amount) + unit
    whole, _, cents = amount.partition(".")
    if len(cents) > 2:
        return read_number(amount) + unit
    jiao, fen = (int(d) for d in (cents + "00")[:2])
    spoken = read_integer(int(whole)) + "元" if int(whole) or not (jiao or fen) else ""
    if jiao:
        spoken += DIGITS[jiao] + "角"
    if fen:
        spoken += ("零" if spoken and not jiao else "") + DIGITS[fen] + "分"
    return spoken


def _date(match: re.Match) -> str:
    year, month, day = match.group("y", "m", "d")
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return match.group(0).replace(match.group("sep1"), " ").replace(match.group("sep2"), " ")
    return f"{read_digits(year, '〇')}年{read_integer(int(month))}月{read_integer(int(day))}日"


def _time(match: re.Match) -> str:
    hours, minutes, seconds = int(match["h"]), int(match["min"]), match["s"]
    if hours > 24 or minutes > 59 or (seconds and int(seconds) > 59):
        return match.group(0).replace(":", "比")  # a score such as 3:15 in a match
    spoken = ("两" if hours == 2 else read_integer(hours)) + "点"
    if minutes or seconds:
        spoken += ("零" if minutes < 10 else "") + read_integer(minutes) + "分"
    if seconds:
        spoken += read_integer(int(seconds)) + "秒"
    return spoken


# (pattern, replacement): applied in this order, each on what the earlier ones left.
_RULES: tuple[tuple[re.Pattern, str | Callable[[re.Match], str]], ...] = (
    (re.compile(r"(?<=\d),(?=\d{3}(?!\d))"), ""),  # 1,234,567: thousands separators
    (
        re.compile(r"(?<!\d)(?P<y>\d{4})(?P<sep1>[-/.])(?P<m>\d{1,2})(?P<sep2>[-/.])(?P<d>\d{1,2})(?!\d)"),
        _date,
    ),
    (re.compile(r"(?<!\d)(\d{4})(?=\s*年)"), lambda m: read_digits(m.group(1), "〇")),
    (re.compile(r"(?<!\d)(?P<h>\d{1,2})[:：](?P<min>\d{2})(?:[:：](?P<s>\d{2}))?(?!\d)"), _time),
    (re.compile(r"(?<=[\d%])\s*[-~～—]\s*(?=\d)"), "到"),  # 3-5天, 5%-10%
    (re.compile(rf"[¥￥]\s*({NUMBER})\s*元?"), lambda m: read_money(m.group(1))),
    (re.compile(rf"({NUMBER})\s*元(?![\d角分])"), lambda m: read_money(m.group(1))),
    (
        re.compile(rf"([$€£₩₽])\s*({NUMBER})"),
        lambda m: read_money(m.group(2), _CURRENCIES[m.group(1)]),
    ),
    (
        re.compile(rf"((?<![\d%])-)?({NUMBER})\s*%"),
        lambda m: ("负" if m[1] else "") + "百分之" + read_number(m[2]),
    ),
    (re.compile(r"(?<![\d/])(\d+)/(\d+)(?![\d/])"), lambda m: read_number(m[2]) + "分之" + read_number(m[1])),
    (re.compile(rf"(?<=\d)\s*({'|'.join(map(re.escape, _UNITS))})(?![A-Za-z])"), lambda m: _UNITS[m[1]]),
    (re.compile(r"(?<![\dA-Za-z.])-(?=\d)"), "负"),
    (re.compile(r"(?<![\d.])(?:1\d{10}|0\d{2,}|\d{17,})(?![\d.])"), lambda m: read_digits(m.group(0))),
    (re.compile(rf"(?<![\d.第])2(?=\s*[{_MEASURES}])"), "两"),
    (re.compile(NUMBER), lambda m: read_number(m.group(0))),
    (re.compile("|".join(map(re.escape, _SYMBOLS))), lambda m: _SYMBOLS[m.group(0)]),
)


def normalize(text: str) -> str:
    """`text` with every number, date, time, amount and symbol written out in Chinese words.

    Latin letters are left as they are (the phoneme stage spells or passes them on).
    """
    text = text.translate(_FULL_WIDTH)
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
