"""Text helpers behind FMT-3..FMT-6: JIS X 0208 membership, widths, look-alikes."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zairyu.core.text import (
    JIS_LOOKALIKES,
    Normalised,
    display_character,
    is_jisx0208,
    jisx0208_row_cell,
    normalise_jis_lookalikes,
    strip_invisible,
    to_fullwidth,
    to_halfwidth,
)


def all_jisx0208_characters() -> list[str]:
    """Decode every (row, cell) of JIS X 0208 with the iso2022_jp codec."""
    found = []
    for row in range(1, 95):
        for cell in range(1, 95):
            raw = b"\x1b$B" + bytes([row + 0x20, cell + 0x20]) + b"\x1b(B"
            try:
                found.append(raw.decode("iso2022_jp"))
            except UnicodeDecodeError:
                continue
    return found


JIS_CHARACTERS = all_jisx0208_characters()


def test_fmt4_jisx0208_has_its_6879_characters():
    # JIS X 0208:1990: 524 non-kanji, 2965 level-1 and 3390 level-2 kanji.
    assert len(JIS_CHARACTERS) == 6879
    assert all(is_jisx0208(char) for char in JIS_CHARACTERS)


@pytest.mark.parametrize(
    ("char", "row_cell"),
    [
        ("\u3000", (1, 1)),  # ideographic space
        ("〜", (1, 33)),
        ("―", (1, 29)),
        ("−", (1, 61)),
        ("Ａ", (3, 33)),
        ("あ", (4, 2)),
        ("ア", (5, 2)),
        ("Σ", (6, 18)),
        ("亜", (16, 1)),  # first level-1 kanji
        ("腕", (47, 51)),  # last level-1 kanji
        ("弌", (48, 1)),  # first level-2 kanji
        ("熙", (84, 6)),  # last cell of JIS X 0208:1990
    ],
)
def test_fmt4_row_and_cell_of_known_characters(char, row_cell):
    assert jisx0208_row_cell(char) == row_cell


@pytest.mark.parametrize(
    "char",
    [
        "A",  # ASCII, not JIS X 0208
        "¥",  # JIS X 0201 Roman, not JIS X 0208
        "‾",
        "ｱ",  # half-width katakana
        "①",  # NEC row 13, accepted by cp932
        "㈱",
        "∑",
        "髙",  # IBM extension, accepted by cp932
        "﨑",
        "纊",
        "𠮷",  # outside the BMP
        "鷗",
        "～",  # CP932's mapping of row 1 cell 33
        "－",
        "—",
        "😀",
    ],
)
def test_fmt4_characters_outside_jisx0208(char):
    assert jisx0208_row_cell(char) is None
    assert not is_jisx0208(char)


def test_fmt4_row_cell_takes_one_character():
    with pytest.raises(ValueError):
        jisx0208_row_cell("亜亜")


def test_fmt4_lookalikes_map_to_jis_cells():
    for source, target in JIS_LOOKALIKES.items():
        assert is_jisx0208(target)
        assert normalise_jis_lookalikes(source) == target
    assert normalise_jis_lookalikes("1～3") == "1〜3"


def test_fmt4_nfc_then_lookalikes_keeps_every_jis_character():
    for char in JIS_CHARACTERS:
        assert is_jisx0208(normalise_jis_lookalikes(unicodedata.normalize("NFC", char))), char


def test_fmt4_to_fullwidth_uses_the_jis_convention():
    result = to_fullwidth("1-2-3 ﾊｲﾂ101 ~ \"a\" 'b'")
    assert result.value == "１−２−３\u3000ハイツ１０１\u3000〜\u3000”ａ”\u3000’ｂ’"
    assert result.original == "1-2-3 ﾊｲﾂ101 ~ \"a\" 'b'"
    assert result.changed


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_fmt4_every_printable_ascii_character_becomes_jis_in_full_width(text):
    converted = to_fullwidth(text).value
    assert all(is_jisx0208(char) for char in converted)
    assert to_fullwidth(converted).value == converted


def test_fmt5_to_halfwidth():
    assert to_halfwidth("ＡＢ１２").value == "AB12"
    assert not to_halfwidth("AB12").changed


def test_strip_invisible_removes_zero_width_and_variation_selectors():
    assert strip_invisible("葛\U000e0100飾\u200b区\ufeff") == "葛飾区"


def test_normalised_repr_never_shows_the_values():
    result = Normalised(value="ＴＡＲＯ", original="taro")
    assert "taro" not in repr(result).lower()
    assert "ＴＡＲＯ" not in repr(result)
    assert str(result) == "ＴＡＲＯ"


def test_display_character_names_invisible_characters():
    assert display_character(" ") == "U+0020 SPACE"
    assert display_character("\n") == "U+000A LINE FEED"
    assert display_character("\u200b") == "U+200B ZERO WIDTH SPACE"
    assert display_character("髙") == "髙"
