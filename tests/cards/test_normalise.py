"""FMT-3..5 as the registry uses them, and the registry's own period-of-stay format."""

import pytest
from django.core.exceptions import ValidationError

from zairyu.cards import normalise


@pytest.mark.parametrize(
    "typed, stored",
    [("p5y", "P5Y"), ("P1Y6M", "P1Y6M"), ("Ｐ３Ｍ", "P3M"), ("P90D", "P90D"), ("", "")],
)
def test_ref5_period_of_stay_normalised(typed, stored):
    assert normalise.period_of_stay(typed) == stored


@pytest.mark.parametrize("typed", ["5 years", "P", "PY", "P5", "5Y", "P1000Y", "P1D2M"])
def test_ref5_period_of_stay_refused(typed):
    with pytest.raises(ValidationError) as exc:
        normalise.period_of_stay(typed)
    assert exc.value.code == "period_of_stay_format"


def test_ref5_period_parts():
    assert normalise.period_parts("P1Y6M") == (1, 6, 0)
    assert normalise.period_parts("") is None


def test_fmt5_fmt3_canonical_input_passes_unchanged_and_other_input_is_normalised():
    assert normalise.card_number("AB12345678CD") == "AB12345678CD"
    assert normalise.card_number("ａｂ-1234 5678-cd") == "AB12345678CD"
    assert normalise.roman_name("HOUMU TAROU") == "HOUMU TAROU"
    assert normalise.roman_name("houmu,  tarou") == "HOUMU TAROU"
    with pytest.raises(ValidationError):
        normalise.card_number("AB1234567CD")
    with pytest.raises(ValidationError):
        normalise.roman_name("HOUMU TAROU 2")


def test_fmt4_jis_text_names_the_character():
    assert normalise.jis_text("1-2-3", full_width=True) == "１−２−３"
    assert normalise.jis_text("") == ""
    with pytest.raises(ValidationError) as exc:
        normalise.jis_text("髙田", field="Street address")
    assert exc.value.error_list[0].params["suggestion"] == "高"


SAMPLES = [
    "霞が関１−１−１",
    "西新宿２丁目８番１号　都庁第一本庁舎",
    "1-2-3",
    "西新宿2-8-1",
    "梅田1-1",
    "1丁目",
    "本町 1",
    "本町　１",
    "ﾊｲﾂ101",
    "梅田１−１−３ ",
    "　梅田",
    "¥１００",
    "‾",
    "１～２",
    "１—２",
    "１－２",
    "髙田馬場",
    "﨑",
    "𠮷野家",
    "カ\u3099",  # カ + combining dakuten: NFC makes ガ
    "ガ",
    "本町\u200b１",
    "葛\U000e0100飾",
    "ＡＢＣ",
    "〜―−‖¢£¬",
    "①",
    "㈱デモ",
]


def test_fmt4_fast_path_agrees_with_the_shared_validator():
    """The importer's fast path returns a value unchanged only where the validator would."""
    from zairyu.core.validators import JisX0208Text

    validator = JisX0208Text(convert_halfwidth=True)
    for text in SAMPLES:
        try:
            expected = validator.clean(text).value
        except ValidationError:
            expected = None
        if normalise._already_jis_x_0208_fullwidth(text):
            assert expected == text, text
        try:
            got = normalise.jis_text(text, full_width=True)
        except ValidationError:
            got = None
        assert got == expected, text
