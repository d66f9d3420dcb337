"""Input formats shared by forms, bulk rows and the API (SPEC §2, FMT-1..FMT-8).

One class per format, in the style of ``django.core.validators`` and
``django.contrib.auth.password_validation``: each raises
``ValidationError(message, code=..., params=...)`` with a stable ``code`` (the
API documents them; tests assert them) and collects every problem it can see
before raising. Messages name the field and say what is wrong and how to fix it
(FMT-8); they are English msgids translated by the catalogues in ``locale/``.

Validators that normalise (widths, case, separators) have two entry points:

- ``clean(value) -> Normalised``: normalise, then validate; forms, bulk rows and
  the API store ``result.value`` and, when ``result.changed``, show the
  conversion (see :func:`conversion_notice`).
- ``__call__(value)``: validate a value that must already be in its stored form
  (model-field validators); a value that ``clean`` would change is refused with
  ``<prefix>_not_normalised``.

Error codes (``params`` in brackets; every error also has ``field``):

======================================  ==================================================
AuthIdValidator (FMT-1)                 auth_id_too_short [length, min_length],
                                        auth_id_too_long [length, max_length],
                                        auth_id_character [characters, character, codepoint,
                                        position, positions, count]
PasswordPolicy (FMT-2)                  password_too_short / password_too_long
                                        [length, min_length | max_length],
                                        password_character [positions, count],
                                        password_no_letter, password_no_digit,
                                        password_no_symbol, password_contains_auth_id,
                                        password_too_common, password_too_predictable,
                                        password_reused [count]
RomanName (FMT-3)                       roman_name_required, roman_name_character
                                        [character, codepoint, position, suggestion],
                                        roman_name_too_long [length, max_length]
JisX0208Text (FMT-4)                    jis_character [character, codepoint, position,
                                        positions, count, suggestion], jis_halfwidth
                                        [characters, suggestion, position, positions, count],
                                        jis_more_characters [count], jis_too_long [length,
                                        max_length]
ResidenceCardNumber (FMT-5)             residence_card_number_required [example],
                                        residence_card_number_character [character,
                                        codepoint, position], residence_card_number_length
                                        [length, example], residence_card_number_letter /
                                        residence_card_number_digit [character, position,
                                        example]
CorporateNumber (FMT-6)                 corporate_number_required, corporate_number_character
                                        [character, codepoint, position],
                                        corporate_number_length [length],
                                        corporate_number_checksum
PostalCode                              postal_code_required, postal_code_character
                                        [character, codepoint, position], postal_code_length
                                        [length]
DateNotInFuture, DateRange (FMT-7)      date_in_future [date, today], date_too_early
                                        [date, min_value], date_too_late [date, max_value],
                                        date_order [start_field, end_field, start, end]
refuse_my_number                        my_number_refused (never the number itself)
any normalising validator's __call__    <prefix>_not_normalised [expected]
======================================  ==================================================
"""

from __future__ import annotations

from zairyu.core.text import Normalised

from .base import (
    AUTH_ID_SYMBOLS,
    MAX_CHARACTER_ERRORS,
    conversion_notice,
)
from .dates import (
    PASSPORT_MAX_LENGTH,
    PHONE_MAX_LENGTH,
    TYPED_DATE_INPUT_FORMATS,
    DateBound,
    DateNotInFuture,
    DateRange,
    clean_passport_number,
    clean_phone_number,
    clean_typed_date,
    date_order,
    parse_typed_date,
)
from .guards import (
    MyNumberGuard,
    NoControlCharacters,
    contains_my_number,
    control_character_errors,
    has_control_character,
    my_number_errors,
    refuse_my_number,
    show_control_characters,
)
from .identity import (
    PASSWORD_HISTORY_SIZE,
    PASSWORD_POLICY_SETTING,
    AuthIdValidator,
    PasswordPolicy,
    PasswordProfile,
)
from .numbers import (
    RESIDENCE_CARD_NUMBER_PATTERN,
    CorporateNumber,
    PostalCode,
    ResidenceCardNumber,
    format_postal_code,
)
from .text import (
    JIS_SUGGESTIONS,
    JisX0208Text,
    RomanName,
    RomanNameForm,
    to_fullwidth_street,
)

__all__ = [
    "AUTH_ID_SYMBOLS",
    "AuthIdValidator",
    "CorporateNumber",
    "DateBound",
    "DateNotInFuture",
    "DateRange",
    "JIS_SUGGESTIONS",
    "JisX0208Text",
    "MAX_CHARACTER_ERRORS",
    "MyNumberGuard",
    "NoControlCharacters",
    "Normalised",
    "PASSPORT_MAX_LENGTH",
    "PASSWORD_HISTORY_SIZE",
    "PASSWORD_POLICY_SETTING",
    "PHONE_MAX_LENGTH",
    "PasswordPolicy",
    "PasswordProfile",
    "PostalCode",
    "RESIDENCE_CARD_NUMBER_PATTERN",
    "ResidenceCardNumber",
    "RomanName",
    "RomanNameForm",
    "TYPED_DATE_INPUT_FORMATS",
    "clean_passport_number",
    "clean_phone_number",
    "clean_typed_date",
    "contains_my_number",
    "control_character_errors",
    "conversion_notice",
    "date_order",
    "format_postal_code",
    "has_control_character",
    "my_number_errors",
    "parse_typed_date",
    "refuse_my_number",
    "show_control_characters",
    "to_fullwidth_street",
]
