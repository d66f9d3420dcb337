"""FMT-5 residence card numbers, FMT-6 corporate numbers, postal codes."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.jp import cn as stdnum_cn

from zairyu.core.text import (
    Normalised,
    display_character,
    strip_invisible,
)

from .base import (
    _ASCII_DIGITS,
    _ASCII_LETTERS,
    _DASHES,
    _as_text,
    _codepoint,
    _NormalisingValidator,
)

# --- FMT-5 residence card number -------------------------------------------------------------

# For API schemas and database constraints; the validator explains each way to miss it.
RESIDENCE_CARD_NUMBER_PATTERN = r"^[A-Z]{2}[0-9]{8}[A-Z]{2}$"
_ASCII_ALNUM = _ASCII_LETTERS | _ASCII_DIGITS


def _compact_identifier(value: Any) -> tuple[str, str]:
    """Return (what was typed, stripped) and the NFKC text without spaces or dashes."""
    original = strip_invisible(_as_text(value)).strip()
    text = unicodedata.normalize("NFKC", original).translate(_DASHES)
    return original, "".join(text.split()).replace("-", "")


def _first_character_error(
    text: str, allowed: frozenset[str], *, code: str, message: str, field: str
) -> ValidationError | None:
    for position, char in enumerate(text, start=1):
        if char not in allowed:
            return ValidationError(
                message,
                code=code,
                params={
                    "field": field,
                    "character": display_character(char),
                    "codepoint": _codepoint(char),
                    "position": position,
                },
            )
    return None


@deconstructible(path="zairyu.core.validators.ResidenceCardNumber")
class ResidenceCardNumber(_NormalisingValidator):
    """Normalise and check a residence card number: 2 letters, 8 digits, 2 letters (FMT-5).

    Full-width is made half-width, spaces and hyphens are removed, letters are
    upper-cased: "ａｂ 1234 5678 cd" → "AB12345678CD". The number has no public check
    digit (REFERENCE.md §6); a wrong kind of character is named with its position.
    """

    code_prefix = "residence_card_number"
    default_field = gettext_lazy("Residence card number")
    example = "AB12345678CD"

    def clean(self, value: Any) -> Normalised:
        original, text = _compact_identifier(value)
        params: dict[str, Any] = {"field": self.label, "example": self.example}
        if not text:
            raise ValidationError(
                _(
                    "%(field)s is empty. Enter the 12 characters printed at the top right of "
                    "your residence card, for example %(example)s."
                ),
                code="residence_card_number_required",
                params=params,
            )
        character_error = _first_character_error(
            text,
            _ASCII_ALNUM,
            code="residence_card_number_character",
            message=_(
                "%(field)s: “%(character)s” (character %(position)d) cannot be used. The number "
                "has only letters and digits, for example AB12345678CD."
            ),
            field=self.label,
        )
        if character_error is not None:
            raise character_error
        text = text.upper()
        if len(text) != 12:
            raise ValidationError(
                _(
                    "%(field)s has %(length)d characters; it must have 12: 2 letters, 8 digits "
                    "and 2 letters, for example %(example)s."
                ),
                code="residence_card_number_length",
                params={**params, "length": len(text)},
            )
        for position, char in enumerate(text, start=1):
            wants_letter = position <= 2 or position >= 11
            if wants_letter and not char.isalpha():
                raise ValidationError(
                    _(
                        "%(field)s: character %(position)d “%(character)s” must be a letter. "
                        "The number is 2 letters, 8 digits and 2 letters, for example "
                        "%(example)s (the digit 0 and the letter O look alike)."
                    ),
                    code="residence_card_number_letter",
                    params={**params, "character": char, "position": position},
                )
            if not wants_letter and not char.isdigit():
                raise ValidationError(
                    _(
                        "%(field)s: character %(position)d “%(character)s” must be a digit. "
                        "The number is 2 letters, 8 digits and 2 letters, for example "
                        "%(example)s (the letter O and the digit 0 look alike)."
                    ),
                    code="residence_card_number_digit",
                    params={**params, "character": char, "position": position},
                )
        return Normalised(value=text, original=original)


# --- FMT-6 corporate number ------------------------------------------------------------------


@deconstructible(path="zairyu.core.validators.CorporateNumber")
class CorporateNumber(_NormalisingValidator):
    """Normalise and check a corporate number (法人番号, FMT-6): 13 digits with a check digit.

    Full-width digits are made half-width; spaces and hyphens are removed. The
    leading check digit is verified with ``stdnum.jp.cn``.
    """

    code_prefix = "corporate_number"
    default_field = gettext_lazy("Corporate number")

    def clean(self, value: Any) -> Normalised:
        original, text = _compact_identifier(value)
        params = {"field": self.label}
        if not text:
            raise ValidationError(
                _("%(field)s is empty. Enter the 13-digit corporate number."),
                code="corporate_number_required",
                params=params,
            )
        character_error = _first_character_error(
            text,
            _ASCII_DIGITS,
            code="corporate_number_character",
            message=_(
                "%(field)s: “%(character)s” (character %(position)d) is not a digit. Enter the "
                "13 digits only."
            ),
            field=self.label,
        )
        if character_error is not None:
            raise character_error
        if len(text) != 13:
            raise ValidationError(
                _("%(field)s has %(length)d digits; it must have 13. Check the number."),
                code="corporate_number_length",
                params={**params, "length": len(text)},
            )
        if not stdnum_cn.is_valid(text):
            raise ValidationError(
                _(
                    "%(field)s: the check digit (the first digit) does not match the other 12 "
                    "digits, so a digit is wrong. Check the number on the National Tax "
                    "Agency's Corporate Number Publication Site."
                ),
                code="corporate_number_checksum",
                params=params,
            )
        return Normalised(value=text, original=original)


# --- Postal code -----------------------------------------------------------------------------


@deconstructible(path="zairyu.core.validators.PostalCode")
class PostalCode(_NormalisingValidator):
    """Normalise and check the format of a Japanese postal code: 7 digits.

    "105-0011", "〒105-0011", "１０５－００１１" → "1050011". Only the format: whether
    the code exists is the reference app's look-up.
    """

    code_prefix = "postal_code"
    default_field = gettext_lazy("Postal code")

    def clean(self, value: Any) -> Normalised:
        original, text = _compact_identifier(value)
        text = text.removeprefix("〒")
        params = {"field": self.label}
        if not text:
            raise ValidationError(
                _("%(field)s is empty. Enter the 7 digits, for example 105-0011."),
                code="postal_code_required",
                params=params,
            )
        character_error = _first_character_error(
            text,
            _ASCII_DIGITS,
            code="postal_code_character",
            message=_(
                "%(field)s: “%(character)s” (character %(position)d) is not a digit. Enter the "
                "7 digits, for example 105-0011."
            ),
            field=self.label,
        )
        if character_error is not None:
            raise character_error
        if len(text) != 7:
            raise ValidationError(
                _(
                    "%(field)s has %(length)d digits; it must have 7, for example 105-0011. "
                    "Check the number."
                ),
                code="postal_code_length",
                params={**params, "length": len(text)},
            )
        return Normalised(value=text, original=original)


def format_postal_code(value: str) -> str:
    """Show a stored postal code the usual way: "1050011" → "105-0011"."""
    return f"{value[:3]}-{value[3:]}" if len(value) == 7 else value
