"""FMT-3 roman names and FMT-4 JIS X 0208 text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from zairyu.core.text import (
    Normalised,
    display_character,
    is_jisx0208,
    normalise_jis_lookalikes,
    strip_invisible,
    to_fullwidth,
)

from .base import (
    _ASCII_VISIBLE,
    MAX_CHARACTER_ERRORS,
    _as_text,
    _codepoint,
    _NormalisingValidator,
    _offending,
    _positions,
    _runs,
)

# --- FMT-3 roman name ------------------------------------------------------------------------


class RomanNameForm(models.TextChoices):
    SPACES = "spaces", gettext_lazy("Parts separated by spaces (service N)")
    COMMAS = "commas", gettext_lazy("Parts separated by commas (service A)")


_NAME_SEPARATORS = re.compile("[\\s,、]+")
_CARD_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@deconstructible(path="zairyu.core.validators.RomanName")
class RomanName(_NormalisingValidator):
    """Normalise and check a name in roman letters as printed on the residence card (FMT-3).

    Cards print half-width capitals, the parts separated by spaces. Service N
    stores that form (``HOUMU MIDDLE TAROU``, 001 Q66); service A wants the parts
    separated by commas (``HOUMU,MIDDLE,TAROU``, 002 Q4-21). [B] Whatever the user
    types is brought to the target form and the conversion is reported, not
    refused: lower case is upper-cased, full-width is made half-width, any run of
    spaces, commas or 、 between parts becomes one separator ("houmu, tarou" →
    "HOUMU TAROU").

    Refused, naming the first offending character: digits, kana, kanji and other
    scripts, and punctuation such as - ' . (cards print letters only). Accented
    letters are refused too, not stripped, with the plain letter suggested: a card
    may print Ü as U or as UE, and a wrong guess would fail the card check (ID-1)
    without saying why.

    Maximum length: 100 characters including separators (``max_length``), well
    above a passport's 39-character name field, so no real name is cut.
    """

    code_prefix = "roman_name"
    default_field = gettext_lazy("Name (roman letters)")

    def __init__(
        self,
        form: str = RomanNameForm.SPACES,
        *,
        max_length: int = 100,
        field: str | None = None,
    ) -> None:
        super().__init__(field=field)
        self.form = RomanNameForm(form)
        self.max_length = max_length

    @property
    def separator(self) -> str:
        return " " if self.form == RomanNameForm.SPACES else ","

    def clean(self, value: Any) -> Normalised:
        original = strip_invisible(_as_text(value)).strip()
        text = unicodedata.normalize("NFKC", original).upper()
        parts = [part for part in _NAME_SEPARATORS.split(text) if part]
        cleaned = self.separator.join(parts)
        if not parts:
            raise ValidationError(
                _("%(field)s is empty. Enter your name as printed on your residence card."),
                code="roman_name_required",
                params={"field": self.label},
            )
        errors = []
        character_error = self._first_character_error(cleaned)
        if character_error is not None:
            errors.append(character_error)
        if len(cleaned) > self.max_length:
            errors.append(
                ValidationError(
                    _(
                        "%(field)s can have at most %(max_length)d characters; it has "
                        "%(length)d. Enter it as printed on your residence card."
                    ),
                    code="roman_name_too_long",
                    params={
                        "field": self.label,
                        "length": len(cleaned),
                        "max_length": self.max_length,
                    },
                )
            )
        if errors:
            raise ValidationError(errors)
        return Normalised(value=cleaned, original=original)

    def _first_character_error(self, cleaned: str) -> ValidationError | None:
        for position, char in enumerate(cleaned, start=1):
            if char in _CARD_LETTERS or char == self.separator:
                continue
            params = {
                "field": self.label,
                "character": display_character(char),
                "codepoint": _codepoint(char),
                "position": position,
                "suggestion": "",
            }
            base = unicodedata.normalize("NFKD", char)[0]
            if char.isdigit():
                message = _(
                    "%(field)s: “%(character)s” (character %(position)d) is a digit; names on "
                    "residence cards have letters only. Remove it."
                )
            elif base in _CARD_LETTERS:
                params["suggestion"] = base
                message = _(
                    "%(field)s: “%(character)s” (character %(position)d) has an accent. Type "
                    "the letter as printed on your residence card, for example “%(suggestion)s”."
                )
            elif char.isalpha():
                message = _(
                    "%(field)s: “%(character)s” (character %(position)d) is not a roman letter. "
                    "Enter the name in roman letters (A-Z) as printed on your residence card."
                )
            else:
                message = _(
                    "%(field)s: “%(character)s” (character %(position)d) cannot be used. Enter "
                    "only the letters A-Z as printed on your residence card, with a space or "
                    "comma between the parts of the name."
                )
            return ValidationError(message, code="roman_name_character", params=params)
        return None


# --- FMT-4 JIS X 0208 text -------------------------------------------------------------------

# Characters outside JIS X 0208 whose standard (level-1/level-2) form people mean. Anything
# not listed here gets the NFKC form as its suggestion when that form is in the set
# (① → １, ㈱ → （株）, ｱ → ア, Ⅲ → ＩＩＩ, ㍻ → 平成).
JIS_SUGGESTIONS: dict[str, str] = {
    "﨑": "崎",
    "髙": "高",
    "𠮷": "吉",
    "鷗": "鴎",
    "德": "徳",
    "濵": "浜",
    "瀨": "瀬",
    "栁": "柳",
    "槗": "橋",
    "𡈽": "土",
    "𠮟": "叱",
    "塡": "填",
    "剝": "剥",
    "頰": "頬",
    "噓": "嘘",
    "姸": "妍",
    "屛": "屏",
    "幷": "并",
    "摑": "掴",
    "潑": "溌",
    "瘦": "痩",
    "繫": "繋",
    "醬": "醤",
    "蔣": "蒋",
    "俱": "倶",
    "¥": "￥",
    "‾": "￣",
    "–": "−",
    "‑": "‐",
}


def _jis_suggestion(char: str, *, allowed: Callable[[str], bool]) -> str:
    """Return the level-1/2 form people mean by ``char``, or "" when there is none."""
    if char in JIS_SUGGESTIONS:
        return JIS_SUGGESTIONS[char]
    compatible = normalise_jis_lookalikes(unicodedata.normalize("NFKC", char))
    candidates = [compatible, to_fullwidth(compatible).value]
    for candidate in candidates:
        if candidate and candidate != char and all(allowed(c) for c in candidate):
            return candidate
    return ""


def _is_halfwidth(char: str) -> bool:
    """Say whether a character is printable half-width ASCII or half-width katakana."""
    return " " <= char <= "~" or "\uff61" <= char <= "\uff9f"


def to_fullwidth_street(text: str) -> Normalised:
    """Convert the street part of an address to full width (FMT-4 [B]; 001 Q62).

    ``jaconv.h2z`` with ascii, digit and kana on, then the JIS conventions:
    "1-2-3 ﾊｲﾂ101" → "１−２−３　ハイツ１０１". The caller shows the conversion when
    ``result.changed``.
    """
    original = strip_invisible(_as_text(text)).strip()
    return Normalised(value=to_fullwidth(original).value, original=original)


@deconstructible(path="zairyu.core.validators.JisX0208Text")
class JisX0208Text(_NormalisingValidator):
    """Check Japanese text against JIS X 0208 level 1 and level 2 (FMT-4; 001 Q64).

    Accepted: rows 1-8 (kana, symbols, full-width letters and digits, Greek,
    Cyrillic, box drawing), level-1 kanji (rows 16-47) and level-2 kanji (rows
    48-84), checked with Python's ``iso2022_jp`` codec, never cp932 (REFERENCE.md §6).
    Before checking, the text is NFC-normalised, stripped of zero-width characters
    and variation selectors, and CP932 look-alikes are mapped to the JIS convention
    (～ → 〜, — → ―, － → −). With ``convert_halfwidth`` (the street part of an
    address) half-width letters, digits, symbols and katakana are converted to
    full width first; with ``allow_ascii`` printable half-width ASCII is accepted
    as it is. ``multiline`` accepts line breaks.

    Every offending character is named with its code point and position(s) in the
    cleaned text, with the level-1/2 form to use when one is known (髙 → 高).
    """

    code_prefix = "jis"

    def __init__(
        self,
        *,
        field: str | None = None,
        max_length: int | None = None,
        convert_halfwidth: bool = False,
        allow_ascii: bool = False,
        multiline: bool = False,
    ) -> None:
        super().__init__(field=field)
        self.max_length = max_length
        self.convert_halfwidth = convert_halfwidth
        self.allow_ascii = allow_ascii
        self.multiline = multiline

    def allowed(self, char: str) -> bool:
        """Say whether one character of the cleaned text is accepted."""
        if self.allow_ascii and (char in _ASCII_VISIBLE or char == " "):
            return True
        if self.multiline and char == "\n":
            return True
        return is_jisx0208(char)

    def clean(self, value: Any) -> Normalised:
        original = strip_invisible(_as_text(value)).strip()
        text = normalise_jis_lookalikes(unicodedata.normalize("NFC", original))
        if self.multiline:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if self.convert_halfwidth:
            text = to_fullwidth(text).value
        errors = []
        offending = _offending(text, self.allowed)
        halfwidth = {c: p for c, p in offending.items() if _is_halfwidth(c)}
        if halfwidth:
            errors.append(self._halfwidth_error(text, halfwidth))
            offending = {c: p for c, p in offending.items() if c not in halfwidth}
        for char, positions in list(offending.items())[:MAX_CHARACTER_ERRORS]:
            errors.append(self._character_error(char, positions))
        if len(offending) > MAX_CHARACTER_ERRORS:
            more = len(offending) - MAX_CHARACTER_ERRORS
            errors.append(
                ValidationError(
                    ngettext(
                        "%(field)s contains %(count)d more character that cannot be used. Fix "
                        "the characters listed above and check again.",
                        "%(field)s contains %(count)d more characters that cannot be used. Fix "
                        "the characters listed above and check again.",
                        more,
                    ),
                    code="jis_more_characters",
                    params={"field": self.label, "count": more},
                )
            )
        if self.max_length is not None and len(text) > self.max_length:
            errors.append(
                ValidationError(
                    _(
                        "%(field)s can have at most %(max_length)d characters; it has "
                        "%(length)d. Shorten it."
                    ),
                    code="jis_too_long",
                    params={
                        "field": self.label,
                        "length": len(text),
                        "max_length": self.max_length,
                    },
                )
            )
        if errors:
            raise ValidationError(errors)
        return Normalised(value=text, original=original)

    def _halfwidth_error(self, text: str, halfwidth: dict[str, list[int]]) -> ValidationError:
        # One error for everything typed in half-width mode ("Tokyo Tower"), not one per
        # letter, quoting each run as typed and as it should be.
        positions = sorted(p for found in halfwidth.values() for p in found)
        runs = _runs(positions)
        typed = [text[start - 1 : end] for start, end in runs]
        return ValidationError(
            ngettext(
                "%(field)s: the half-width text %(characters)s (character %(positions)s) "
                "cannot be used. Type it in full width: %(suggestion)s.",
                "%(field)s: the half-width text %(characters)s (characters %(positions)s) "
                "cannot be used. Type it in full width: %(suggestion)s.",
                len(positions),
            ),
            code="jis_halfwidth",
            params={
                "field": self.label,
                "characters": ", ".join(f"“{run}”" for run in typed),
                "suggestion": ", ".join(f"“{to_fullwidth(run).value}”" for run in typed),
                "position": positions[0],
                "positions": _positions(positions),
                "count": len(positions),
            },
        )

    def _character_error(self, char: str, positions: list[int]) -> ValidationError:
        suggestion = _jis_suggestion(char, allowed=self.allowed)
        params = {
            "field": self.label,
            "character": display_character(char),
            "codepoint": _codepoint(char),
            "position": positions[0],
            "positions": _positions(positions),
            "count": len(positions),
            "suggestion": suggestion,
        }
        if suggestion:
            message = ngettext(
                "%(field)s: “%(character)s” (%(codepoint)s, character %(positions)s) is not a JIS "
                "level-1 or level-2 character and cannot be used. Use “%(suggestion)s” instead.",
                "%(field)s: “%(character)s” (%(codepoint)s, characters %(positions)s) is not a "
                "JIS level-1 or level-2 character and cannot be used. Use “%(suggestion)s” "
                "instead.",
                len(positions),
            )
        else:
            message = ngettext(
                "%(field)s: “%(character)s” (%(codepoint)s, character %(positions)s) is not a JIS "
                "level-1 or level-2 character and cannot be used. Replace it with a standard "
                "form of the character, or remove it.",
                "%(field)s: “%(character)s” (%(codepoint)s, characters %(positions)s) is not a "
                "JIS level-1 or level-2 character and cannot be used. Replace it with a "
                "standard form of the character, or remove it.",
                len(positions),
            )
        return ValidationError(message, code="jis_character", params=params)
