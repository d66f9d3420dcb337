"""Text normalisation shared by the validators (FMT-3..FMT-6): widths, look-alikes, JIS X 0208.

Every helper that changes what the user typed returns a :class:`Normalised`, so the
caller can both store the clean value and tell the user what was converted
("ABC was converted to ＡＢＣ") instead of silently rewriting their input.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

import jaconv

__all__ = [
    "JIS_LOOKALIKES",
    "Normalised",
    "display_character",
    "is_jisx0208",
    "jisx0208_row_cell",
    "normalise_jis_lookalikes",
    "strip_invisible",
    "to_fullwidth",
    "to_halfwidth",
]


@dataclass(frozen=True, slots=True)
class Normalised:
    """A cleaned value together with what the user typed.

    ``changed`` is true when the two differ; forms show the conversion, bulk
    reports list it, and the API returns it as a warning.
    """

    # Kept out of repr: these are names, addresses and passwords, and a repr ends up in logs.
    value: str = field(repr=False)
    original: str = field(repr=False)

    @property
    def changed(self) -> bool:
        return self.value != self.original

    def __str__(self) -> str:
        return self.value


# JIS X 0208 cells that Windows (CP932) and the JIS mapping give different code points.
# REFERENCE.md §6 fixes one convention (the JIS one: 〜 U+301C, ― U+2015, − U+2212);
# the rest of the well-known CP932 differences (‖ ¢ £ ¬) follow the same rule, so text
# typed with a Windows IME is accepted and stored in one form.
JIS_LOOKALIKES: dict[str, str] = {
    "\uff5e": "\u301c",  # ～ FULLWIDTH TILDE        -> 〜 WAVE DASH          (row 1 cell 33)
    "\u2014": "\u2015",  # — EM DASH                -> ― HORIZONTAL BAR      (row 1 cell 29)
    "\uff0d": "\u2212",  # － FULLWIDTH HYPHEN-MINUS -> − MINUS SIGN          (row 1 cell 61)
    "\u2225": "\u2016",  # ∥ PARALLEL TO            -> ‖ DOUBLE VERTICAL LINE (row 1 cell 34)
    "\uffe0": "\u00a2",  # ￠ FULLWIDTH CENT SIGN    -> ¢ CENT SIGN           (row 1 cell 81)
    "\uffe1": "\u00a3",  # ￡ FULLWIDTH POUND SIGN   -> £ POUND SIGN          (row 1 cell 82)
    "\uffe2": "\u00ac",  # ￢ FULLWIDTH NOT SIGN     -> ¬ NOT SIGN            (row 2 cell 44)
    # NFC turns the JIS cell's ANGSTROM SIGN into Å U+00C5, which the codec lacks; map it back.
    "\u00c5": "\u212b",  # Å LATIN CAPITAL A WITH RING ABOVE -> Å ANGSTROM SIGN (row 2 cell 82)
}
_LOOKALIKE_TABLE = str.maketrans(JIS_LOOKALIKES)

# jaconv.h2z turns ASCII " and ' into ＂ and ＇, which JIS X 0208 lacks; its
# quotation marks are ” (row 1 cell 41) and ’ (row 1 cell 39).
_FULLWIDTH_QUOTES = str.maketrans({"\uff02": "\u201d", "\uff07": "\u2019"})

# Invisible code points that copy-and-paste brings along and no register can hold:
# zero-width space/joiners, the byte-order mark and the variation selectors (including
# the ideographic variation selectors that pick a glyph variant of 葛 and the like).
# Removing them never changes which character the user sees.
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\ufe00-\ufe0f\U000e0100-\U000e01ef]")

_JIS_X_0208_DESIGNATION = b"\x1b$B"  # ESC $ B
_ASCII_DESIGNATION = b"\x1b(B"  # ESC ( B, which the codec appends to return to ASCII


def normalise_jis_lookalikes(text: str) -> str:
    """Map the CP932 code points of JIS X 0208 cells to the JIS convention (〜 ― − ‖ ¢ £ ¬)."""
    return text.translate(_LOOKALIKE_TABLE)


def strip_invisible(text: str) -> str:
    """Remove zero-width characters and variation selectors."""
    return _INVISIBLE.sub("", text)


def to_fullwidth(text: str) -> Normalised:
    """Convert half-width letters, digits, symbols, spaces and katakana to full width.

    Uses ``jaconv.h2z`` with ``ascii`` and ``digit`` on (not ``jaconv.normalize``,
    which turns 〜 into ー), then puts the result into the JIS convention, so
    "1-2-3 ﾋﾞﾙ" becomes "１−２−３　ビル".
    """
    converted = jaconv.h2z(text, kana=True, ascii=True, digit=True)
    converted = normalise_jis_lookalikes(converted.translate(_FULLWIDTH_QUOTES))
    return Normalised(value=converted, original=text)


def to_halfwidth(text: str) -> Normalised:
    """Convert full-width letters, digits, symbols and spaces to half width (NFKC)."""
    return Normalised(value=unicodedata.normalize("NFKC", text), original=text)


@functools.lru_cache(maxsize=16384)  # bulk files repeat the same few thousand characters
def jisx0208_row_cell(char: str) -> tuple[int, int] | None:
    """Return the JIS X 0208 (row, cell) of one character, or None when it has none.

    Encodes with Python's ``iso2022_jp`` codec and accepts only the ``ESC $ B``
    designation followed by exactly two bytes; cp932/shift_jis are never used, as
    they also accept vendor extensions (①, 髙, ㈱ …). Only rows 1–8 (non-kanji),
    16–47 (level 1) and 48–84 (level 2) count.
    """
    if len(char) != 1:
        raise ValueError("jisx0208_row_cell takes exactly one character")
    try:
        encoded = char.encode("iso2022_jp")
    except UnicodeEncodeError:
        return None
    prefix, suffix = _JIS_X_0208_DESIGNATION, _ASCII_DESIGNATION
    if not (encoded.startswith(prefix) and encoded.endswith(suffix)):
        return None  # plain ASCII, or JIS X 0201 Roman (¥ ‾)
    body = encoded[len(prefix) : -len(suffix)]
    if len(body) != 2:
        return None
    row, cell = body[0] - 0x20, body[1] - 0x20
    if not 1 <= cell <= 94:
        return None
    if 1 <= row <= 8 or 16 <= row <= 84:
        return row, cell
    return None


def is_jisx0208(char: str) -> bool:
    """Say whether one character is a JIS X 0208 level-1/level-2 or row 1–8 character."""
    return jisx0208_row_cell(char) is not None


_CONTROL_NAMES = {"\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN"}


def display_character(char: str) -> str:
    """Show a character in a message; invisible ones by code point and name (U+0020 SPACE)."""
    if unicodedata.category(char)[0] in {"C", "Z"}:
        name = _CONTROL_NAMES.get(char) or unicodedata.name(char, "")
        return f"U+{ord(char):04X} {name}".rstrip()
    return char
