"""Normalise and check what people type or files carry for the card registry (FMT-3..6).

This is the ONE place the cards app turns raw input into the registry's canonical form. Forms,
the CSV importer, the services and ``card_match`` all call it; views never clean anything
themselves. The formats are the shared validators of ``zairyu.core.validators`` (their error
codes and messages, FMT-8); this module only picks the variant the registry stores and adds the
one format that is the registry's own (the period of stay).
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from zairyu.core.validators import (
    CorporateNumber,
    JisX0208Text,
    ResidenceCardNumber,
    RomanName,
    RomanNameForm,
)

ROMAN_NAME_MAX = 100
PERIOD_RE = re.compile(r"^P(?=\d)(?:(\d{1,2})Y)?(?:(\d{1,2})M)?(?:(\d{1,3})D)?$")

# Input already in the stored form passes through unchanged (the validators would return it as
# is); this keeps a national import from paying a full validation for every canonical value.
_CANONICAL_NUMBER = re.compile(r"[A-Z]{2}[0-9]{8}[A-Z]{2}")
_CANONICAL_NAME = re.compile(r"[A-Z]+(?: [A-Z]+)*")

_CARD_NUMBER = ResidenceCardNumber()
_ROMAN_NAME = RomanName(RomanNameForm.SPACES, max_length=ROMAN_NAME_MAX)
_CORPORATE_NUMBER = CorporateNumber()


def card_number(value: str) -> str:
    """Return the card number upper-cased, without spaces or hyphens (FMT-5), or raise."""
    if value and _CANONICAL_NUMBER.fullmatch(value):
        return value
    return _CARD_NUMBER.clean(value or "").value


def roman_name(value: str) -> str:
    """Return the roman name as the card prints it ("HOUMU TAROU"), or raise (FMT-3).

    Full-width letters, lower case and service A's commas (002 Q4-21) are converted, not
    refused; the parts are separated by one half-width space (001 Q66).
    """
    if value and len(value) <= ROMAN_NAME_MAX and _CANONICAL_NAME.fullmatch(value):
        return value
    return _ROMAN_NAME.clean(value or "").value


def roman_name_loose(value: str) -> str:
    """Return text in the card's name form without checking it (for partial-name search)."""
    text = unicodedata.normalize("NFKC", value or "").upper().replace(",", " ")
    return " ".join(text.split())


def jis_text(
    value: str, *, full_width: bool = False, allow_ascii: bool = False, field: str | None = None
) -> str:
    """Return Japanese text checked against JIS X 0208 levels 1 and 2 (FMT-4), or raise.

    With ``full_width`` (the street part of an address, 001 Q62) half-width letters, digits,
    kana and symbols are converted to full width first; with ``allow_ascii`` half-width
    letters, digits and spaces are kept (free text that may hold a name in roman letters).
    """
    if not value:
        return ""
    if _already_jis_x_0208_fullwidth(value):
        return value
    validator = JisX0208Text(field=field, convert_halfwidth=full_width, allow_ascii=allow_ascii)
    return validator.clean(value).value


def _already_jis_x_0208_fullwidth(text: str) -> bool:
    """Say whether ``text`` is already in the stored form: JIS X 0208 characters only (no ASCII,
    no half-width kana, nothing the validator would convert), NFC, no surrounding space.

    A fast path for the national import, where nearly every value is already clean: for such
    text the validator's ``clean`` returns it unchanged, so it need not run. Python's
    ``iso2022_jp`` codec writes JIS X 0208 after ESC $ B and switches (ESC ( J / ESC ( B) for
    anything else, so exactly one designation at the start and the return to ASCII as the
    very last bytes means every character is a JIS X 0208 one (tests/cards/test_normalise.py
    checks the equivalence).
    """
    if text != text.strip() or not unicodedata.is_normalized("NFC", text):
        return False
    try:
        encoded = text.encode("iso2022_jp")
    except UnicodeEncodeError:
        return False
    # ESC $ B <JIS X 0208 pairs> ESC ( B and nothing else: no ASCII run anywhere.
    return (
        encoded.startswith(b"\x1b$B")
        and encoded.endswith(b"\x1b(B")
        and encoded.count(b"\x1b") == 2
    )


def corporate_number(value: str) -> str:
    """Return a 13-digit corporate number (法人番号) with its check digit (FMT-6), or raise."""
    return _CORPORATE_NUMBER.clean(value or "").value


def period_of_stay(value: str) -> str:
    """Return a period of stay as an ISO 8601 duration ("P5Y", "P1Y6M", "P90D"), "" when
    the period has no end (永住者), or raise."""
    text = unicodedata.normalize("NFKC", value or "").strip().upper()
    if not text:
        return ""
    if not PERIOD_RE.match(text):
        raise ValidationError(
            _(
                "Enter the period of stay as years, months or days in ISO 8601 form, e.g. P5Y, "
                "P1Y6M, P3M or P90D."
            ),
            code="period_of_stay_format",
        )
    return text


def period_parts(value: str) -> tuple[int, int, int] | None:
    """Return (years, months, days) of a normalised period, None when it has no end."""
    match = PERIOD_RE.match(value or "")
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())  # type: ignore[return-value]


# Languages written without spaces between the units ("1年6月", not "1年 6月").
_UNSPACED_LANGUAGES = ("ja", "zh")


def period_text(value: str, language: str | None = None) -> str:
    """Return a normalised period (``P3Y``, ``P6M``, ``P1Y6M``, ``P90D``) for people, in
    ``language`` (default: the active one) only: "3年" / "6月" / "1年6月" in Japanese,
    "3 years" / "1 year 6 months" in English. "" for an empty period (no end); a value that is
    not a period is returned as is. The ONE formatter of a period for mails, pages and PDFs."""
    parts = period_parts(value)
    if parts is None:
        return value or ""
    years, months, days = parts
    with translation.override(language or translation.get_language()):
        words = [
            text
            for count, text in (
                (years, ngettext("%(years)s year", "%(years)s years", years) % {"years": years}),
                (
                    months,
                    ngettext("%(months)s month", "%(months)s months", months) % {"months": months},
                ),
                (days, ngettext("%(days)s day", "%(days)s days", days) % {"days": days}),
            )
            if count
        ]
        unspaced = (translation.get_language() or "").startswith(_UNSPACED_LANGUAGES)
    return ("" if unspaced else " ").join(words)
