import math

import pytest

from genai_studio.inputs import InvalidInput, bounded_int, bounded_number, choice, clean_text, scrub, shown


def test_clean_text_drops_control_characters_and_normalises_newlines():
    assert clean_text("a\x00b\x1b[31mc\r\nd\te", field="Prompt", max_chars=100) == "ab[31mc\nd\te"


@pytest.mark.parametrize("value", ["", "   ", "\n\t", "\x00\x01", None])
def test_blank_text_is_refused(value):
    with pytest.raises(InvalidInput, match="Prompt is empty"):
        clean_text(value, field="Prompt", max_chars=100)


def test_oversize_text_is_refused_with_its_length():
    with pytest.raises(InvalidInput, match="100,000 characters"):
        clean_text("x" * 100_000, field="Prompt", max_chars=20_000)


def test_non_text_is_refused():
    with pytest.raises(InvalidInput, match="must be text"):
        clean_text(["a"], field="Prompt", max_chars=10)


@pytest.mark.parametrize("value", [math.nan, math.inf, -1, 3, "abc", None, 1e308])
def test_numbers_out_of_range_or_not_numbers_are_refused(value):
    with pytest.raises(InvalidInput, match="Temperature"):
        bounded_number(value, field="Temperature", low=0, high=2)


def test_integers_are_not_silently_rounded():
    assert bounded_int("12", field="Seed", low=0, high=100) == 12
    with pytest.raises(InvalidInput, match="whole number"):
        bounded_int(1.5, field="Seed", low=0, high=100)


def test_choice_lists_the_options():
    with pytest.raises(InvalidInput, match="write, continue"):
        choice("shout", field="Mode", options=("write", "continue"))


def test_lone_surrogates_are_dropped_from_text_and_from_nested_values():
    assert clean_text("a\ud800b\udfffc", field="Prompt", max_chars=10) == "abc"
    with pytest.raises(InvalidInput, match="Prompt is empty"):
        clean_text("\ud800", field="Prompt", max_chars=10)
    value = {"k\ud800": ["x\udc00", ("y", 1.5)], "n": None}
    assert scrub(value) == {"k": ["x", ("y", 1.5)], "n": None}
    assert "😀".encode() == clean_text("😀", field="Prompt", max_chars=10).encode()  # pairs are kept


def test_messages_quote_what_was_sent_briefly_and_limits_as_people_write_them():
    with pytest.raises(InvalidInput) as caught:
        bounded_int("x" * 100_000, field="Seed", low=-1, high=2**31 - 1)
    assert len(str(caught.value)) < 80
    with pytest.raises(InvalidInput, match=r"between -1 and 2,147,483,647, got nan"):
        bounded_int(math.nan, field="Seed", low=-1, high=2**31 - 1)
    assert shown("y" * 100).endswith("…") and len(shown("y" * 100)) == 40
