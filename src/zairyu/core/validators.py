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

import abc
import datetime as dt
import functools
import gzip
import itertools
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import django.contrib.auth
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.utils import formats
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from stdnum.jp import cn as stdnum_cn
from stdnum.jp import in_ as stdnum_in

from zairyu.core import clock
from zairyu.core.text import (
    Normalised,
    display_character,
    is_jisx0208,
    normalise_jis_lookalikes,
    strip_invisible,
    to_fullwidth,
)

__all__ = [
    "AUTH_ID_SYMBOLS",
    "PASSWORD_POLICY_SETTING",
    "AuthIdValidator",
    "CorporateNumber",
    "DateNotInFuture",
    "DateRange",
    "JIS_SUGGESTIONS",
    "JisX0208Text",
    "MAX_CHARACTER_ERRORS",
    "MyNumberGuard",
    "Normalised",
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
    "parse_typed_date",
    "conversion_notice",
    "date_order",
    "format_postal_code",
    "my_number_errors",
    "refuse_my_number",
    "to_fullwidth_street",
]

# At most this many distinct wrong characters are listed one by one; the rest are counted.
MAX_CHARACTER_ERRORS = 10

# Half-width symbols (FMT-1, FMT-2). The seeds say 半角英数字記号 without a list; we read it
# as every printable ASCII character that is not a letter, digit or space (0x21-0x7E), the
# set a Japanese keyboard types without a mode switch.
AUTH_ID_SYMBOLS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_ASCII_DIGITS = frozenset("0123456789")
_ASCII_SYMBOLS = frozenset(AUTH_ID_SYMBOLS)
_ASCII_VISIBLE = _ASCII_LETTERS | _ASCII_DIGITS | _ASCII_SYMBOLS

# Dashes people type between digit groups; all mean "-" inside numbers.
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−－ー﹣ｰ", "-"))


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def _as_text(value: Any) -> str:
    """Accept text, and integers from spreadsheets; refuse anything else loudly."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected text, got {type(value).__name__}")


def _runs(positions: list[int]) -> list[tuple[int, int]]:
    """Group sorted positions into (first, last) runs: [1, 2, 3, 7] → [(1, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for position in positions:
        if runs and runs[-1][1] == position - 1:
            runs[-1] = (runs[-1][0], position)
        else:
            runs.append((position, position))
    return runs


def _positions(positions: list[int]) -> str:
    """Show 1-based positions compactly: [1, 2, 3, 7] → "1-3, 7"."""
    return ", ".join(
        str(first) if first == last else f"{first}-{last}" for first, last in _runs(positions)
    )


def _quoted(characters: Iterable[str]) -> str:
    return ", ".join(f"“{display_character(c)}”" for c in characters)


def _offending(text: str, allowed: Callable[[str], bool]) -> dict[str, list[int]]:
    """Map every character that ``allowed`` refuses to its 1-based positions, in order."""
    found: dict[str, list[int]] = {}
    for index, char in enumerate(text, start=1):
        if not allowed(char):
            found.setdefault(char, []).append(index)
    return found


def conversion_notice(result: Normalised, *, field: str) -> str | None:
    """Return the sentence a form shows when it converted what the user typed, else None."""
    if not result.changed:
        return None
    return _("%(field)s: “%(original)s” was converted to “%(value)s”. Check that it is right.") % {
        "field": field,
        "original": result.original,
        "value": result.value,
    }


class _Validator:
    """Shared plumbing: equality for migrations, and strict ``__call__`` for normalisers."""

    code_prefix = ""
    default_field = gettext_lazy("This field")

    def __init__(self, *, field: str | None = None) -> None:
        self.field = field

    @property
    def label(self) -> str:
        return self.field if self.field is not None else self.default_field

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash(type(self))


class _NormalisingValidator(_Validator, abc.ABC):
    """A validator that normalises input: ``clean`` returns the stored form, ``__call__``
    refuses a value that is not already in it (for model fields)."""

    @abc.abstractmethod
    def clean(self, value: Any) -> Normalised:
        """Return the normalised value, or raise ValidationError (each validator defines it)."""

    def __call__(self, value: Any) -> None:
        result = self.clean(value)
        if result.value != _as_text(value):
            raise ValidationError(
                _("%(field)s must be stored as “%(expected)s”."),
                code=f"{self.code_prefix}_not_normalised",
                params={"field": self.label, "expected": result.value},
            )


# --- FMT-1 auth ID ---------------------------------------------------------------------------


@deconstructible(path="zairyu.core.validators.AuthIdValidator")
class AuthIdValidator(_NormalisingValidator):
    """Check an auth ID (認証ID, FMT-1; 001 Q42, 004 Q25).

    6-20 half-width letters, digits and symbols (printable ASCII without the space,
    see ``AUTH_ID_SYMBOLS``); case-sensitive, so nothing is normalised: what the
    user typed is what they will type at log-in. Uniqueness is the account
    model's constraint, not this validator's.
    """

    code_prefix = "auth_id"
    default_field = gettext_lazy("Auth ID")
    min_length = 6
    max_length = 20

    def clean(self, value: Any) -> Normalised:
        text = _as_text(value)
        errors = []
        if len(text) < self.min_length:
            errors.append(
                ValidationError(
                    _(
                        "%(field)s must have at least %(min_length)d characters; "
                        "it has %(length)d. Add characters."
                    ),
                    code="auth_id_too_short",
                    params={
                        "field": self.label,
                        "length": len(text),
                        "min_length": self.min_length,
                    },
                )
            )
        if len(text) > self.max_length:
            errors.append(
                ValidationError(
                    _(
                        "%(field)s can have at most %(max_length)d characters; "
                        "it has %(length)d. Remove characters."
                    ),
                    code="auth_id_too_long",
                    params={
                        "field": self.label,
                        "length": len(text),
                        "max_length": self.max_length,
                    },
                )
            )
        offending = _offending(text, _ASCII_VISIBLE.__contains__)
        if offending:
            # One error for all of them: a user in full-width mode gets one message, not six.
            positions = sorted(p for found in offending.values() for p in found)
            first = next(iter(offending))
            errors.append(
                ValidationError(
                    ngettext(
                        "%(field)s: %(characters)s (character %(positions)s) cannot be used. "
                        "Use only half-width letters (A-Z, a-z), digits (0-9) and symbols "
                        "such as ! # $ %% - _ . @; full-width characters and spaces are "
                        "not allowed.",
                        "%(field)s: %(characters)s (characters %(positions)s) cannot be used. "
                        "Use only half-width letters (A-Z, a-z), digits (0-9) and symbols "
                        "such as ! # $ %% - _ . @; full-width characters and spaces are "
                        "not allowed.",
                        len(positions),
                    ),
                    code="auth_id_character",
                    params={
                        "field": self.label,
                        "characters": _quoted(offending),
                        "character": display_character(first),
                        "codepoint": _codepoint(first),
                        "position": positions[0],
                        "positions": _positions(positions),
                        "count": len(positions),
                    },
                )
            )
        if errors:
            raise ValidationError(errors)
        return Normalised(value=text, original=text)


# --- FMT-2 password --------------------------------------------------------------------------

PASSWORD_POLICY_SETTING = "ZAIRYU_PASSWORD_POLICY"  # noqa: S105 (a setting name)
PASSWORD_HISTORY_SIZE = 5


class PasswordProfile(models.TextChoices):
    AGENCY = "agency", gettext_lazy("Agency rule (001 Q47, 004 Q30)")
    NIST = "nist", gettext_lazy("NIST SP 800-63B-4")


_OWN_LIST = Path(__file__).with_name("data") / "common-passwords.txt"
_DJANGO_LIST = Path(django.contrib.auth.__file__).with_name("common-passwords.txt.gz")


@functools.cache
def _common_passwords() -> frozenset[str]:
    """Load Django's 20,000 leaked passwords and our generated list, lower case."""
    with gzip.open(_DJANGO_LIST, "rt", encoding="utf-8") as django_list:
        words = {line.strip().casefold() for line in django_list}
    with _OWN_LIST.open(encoding="utf-8") as own_list:
        words.update(
            line.strip().casefold() for line in own_list if line.strip() and line[0] != "#"
        )
    words.discard("")
    return frozenset(words)


def _is_predictable(password: str) -> bool:
    """Say whether a password is one short unit repeated or a straight run (abcd…, 9876…)."""
    folded = password.casefold()
    if len(folded) < 2:
        return False
    for unit in range(1, 5):
        if len(folded) >= 2 * unit and folded == folded[:unit] * (len(folded) // unit):
            return True
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(folded)}
    if steps in ({1}, {-1}):
        return True
    if folded.isdigit():  # 1234567890123 wraps 9 -> 0
        digit_steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(folded)}
        return digit_steps in ({1}, {9})
    return False


def _user_attribute(user: Any, name: str) -> Any:
    """Read an optional attribute or method of the user model (None when it has none)."""
    value = getattr(user, name, None)
    return value() if callable(value) else value


@deconstructible(path="zairyu.core.validators.PasswordPolicy")
class PasswordPolicy(_NormalisingValidator):
    """Check a new password (FMT-2) under one of two profiles.

    The profile comes from the ``profile`` argument, else from the setting
    ``ZAIRYU_PASSWORD_POLICY`` (``"agency"`` or ``"nist"``; default ``"agency"``),
    read at call time.

    ``agency`` (001 Q47, 004 Q30): 8-32 half-width characters mixing letters,
    digits and symbols (printable ASCII without the space); case-sensitive.
    ``nist`` (SP 800-63B-4 §3.1.1.2): NFKC-normalised Unicode; at least 15
    characters, or 8 when the account has a second factor; at most 128; spaces
    allowed, control characters not; no composition rule.

    Both profiles refuse: a password containing the auth ID — compared
    case-insensitively, a stricter reading of "must not contain the auth ID",
    because "Taro01!x" for auth ID "taro01" is as guessable as the ID itself and an
    attacker who knows the ID tries its case variants first; a password on the
    common-password lists (Django's 20,000 leaked passwords plus
    ``data/common-passwords.txt``); a password that is one short unit repeated or a
    straight run; and [B] one equal to any of the last five (``previous_hashes``,
    newest first, checked with ``check_password``). The history is checked only
    when everything else passes, so a bad password costs no hashing.

    With the ``nist`` profile callers must hash ``policy.normalise(password)``, both
    when setting and when checking a password, so that the same text typed on two
    keyboards matches.

    As an ``AUTH_PASSWORD_VALIDATORS`` entry, ``validate(password, user)`` reads the
    auth ID from ``user.get_username()``, the history from an optional
    ``user.previous_password_hashes`` and the second factor from an optional
    ``user.has_second_factor``.
    """

    code_prefix = "password"
    default_field = gettext_lazy("Password")

    agency_min_length = 8
    agency_max_length = 32
    nist_min_length = 15
    nist_min_length_with_second_factor = 8
    nist_max_length = 128

    def __init__(
        self,
        profile: str | None = None,
        *,
        history_size: int = PASSWORD_HISTORY_SIZE,
        field: str | None = None,
    ) -> None:
        super().__init__(field=field)
        self.profile_name = profile
        self.history_size = history_size

    @property
    def profile(self) -> PasswordProfile:
        name = self.profile_name or getattr(settings, PASSWORD_POLICY_SETTING, "agency")
        try:
            return PasswordProfile(name)
        except ValueError:
            raise ImproperlyConfigured(
                f"{PASSWORD_POLICY_SETTING} must be one of {PasswordProfile.values}, not {name!r}"
            ) from None

    def normalise(self, password: str) -> str:
        """Return the form of the password to hash and compare (NFKC under ``nist``)."""
        if self.profile == PasswordProfile.NIST:
            return unicodedata.normalize("NFKC", password)
        return password

    def length_limits(self, *, has_second_factor: bool = False) -> tuple[int, int]:
        if self.profile == PasswordProfile.AGENCY:
            return self.agency_min_length, self.agency_max_length
        if has_second_factor:
            return self.nist_min_length_with_second_factor, self.nist_max_length
        return self.nist_min_length, self.nist_max_length

    def check(
        self,
        password: str,
        *,
        auth_id: str | None = None,
        previous_hashes: Iterable[str] = (),
        has_second_factor: bool = False,
    ) -> None:
        """Raise ValidationError listing every rule the password breaks; never echo it."""
        profile = self.profile
        candidate = self.normalise(password)
        errors = [*self._length_errors(candidate, has_second_factor=has_second_factor)]
        if profile == PasswordProfile.AGENCY:
            errors += self._agency_character_errors(candidate)
        else:
            errors += self._nist_character_errors(candidate)
        folded = candidate.casefold()
        if auth_id and self.normalise(auth_id).casefold() in folded:
            errors.append(
                ValidationError(
                    _("%(field)s must not contain your auth ID (in any case). Choose another."),
                    code="password_contains_auth_id",
                    params={"field": self.label},
                )
            )
        common = _common_passwords()
        if folded in common or "".join(folded.split()) in common:
            errors.append(
                ValidationError(
                    _(
                        "%(field)s is on a list of commonly used passwords that attackers try "
                        "first. Choose one that is harder to guess."
                    ),
                    code="password_too_common",
                    params={"field": self.label},
                )
            )
        elif _is_predictable(candidate):
            errors.append(
                ValidationError(
                    _(
                        "%(field)s is a repeated or consecutive sequence (such as aaaa or "
                        "1234). Choose one that is harder to guess."
                    ),
                    code="password_too_predictable",
                    params={"field": self.label},
                )
            )
        if not errors and self._was_used(candidate, previous_hashes):
            errors.append(
                ValidationError(
                    ngettext(
                        "%(field)s must differ from your last password. Choose a new one.",
                        "%(field)s must differ from your last %(count)d passwords. "
                        "Choose a new one.",
                        self.history_size,
                    ),
                    code="password_reused",
                    params={"field": self.label, "count": self.history_size},
                )
            )
        if errors:
            raise ValidationError(errors)

    def clean(self, value: Any) -> Normalised:
        """Check without context (no auth ID, no history) and return the form to hash."""
        text = _as_text(value)
        self.check(text)
        return Normalised(value=self.normalise(text), original=text)

    def __call__(self, value: Any) -> None:
        self.clean(value)

    # Django's AUTH_PASSWORD_VALIDATORS interface.
    def validate(self, password: str, user: Any = None) -> None:
        auth_id = (
            user.get_username() if user is not None and hasattr(user, "get_username") else None
        )
        self.check(
            password,
            auth_id=auth_id or None,
            previous_hashes=_user_attribute(user, "previous_password_hashes") or (),
            has_second_factor=bool(_user_attribute(user, "has_second_factor")),
        )

    def get_help_text(self) -> str:
        if self.profile == PasswordProfile.AGENCY:
            return _(
                "Use %(min_length)d to %(max_length)d half-width characters that mix letters, "
                "digits and symbols (such as ! # $ %%). Upper and lower case are different. "
                "Do not include your auth ID or reuse one of your last %(count)d passwords."
            ) % {
                "min_length": self.agency_min_length,
                "max_length": self.agency_max_length,
                "count": self.history_size,
            }
        return _(
            "Use at least %(min_length)d characters (%(min_length_mfa)d if you use a second "
            "factor), up to %(max_length)d. Any characters and spaces may be used; a few "
            "unrelated words make a good password. Do not include your auth ID."
        ) % {
            "min_length": self.nist_min_length,
            "min_length_mfa": self.nist_min_length_with_second_factor,
            "max_length": self.nist_max_length,
        }

    def _length_errors(self, candidate: str, *, has_second_factor: bool) -> list[ValidationError]:
        min_length, max_length = self.length_limits(has_second_factor=has_second_factor)
        length = len(candidate)
        if length < min_length:
            return [
                ValidationError(
                    _(
                        "%(field)s must have at least %(min_length)d characters; it has "
                        "%(length)d. Make it longer."
                    ),
                    code="password_too_short",
                    params={"field": self.label, "length": length, "min_length": min_length},
                )
            ]
        if length > max_length:
            return [
                ValidationError(
                    _(
                        "%(field)s can have at most %(max_length)d characters; it has "
                        "%(length)d. Make it shorter."
                    ),
                    code="password_too_long",
                    params={"field": self.label, "length": length, "max_length": max_length},
                )
            ]
        return []

    def _agency_character_errors(self, candidate: str) -> list[ValidationError]:
        errors = []
        # Positions only: a password's characters never go into a message, a log or a param.
        positions = [i for i, c in enumerate(candidate, start=1) if c not in _ASCII_VISIBLE]
        if positions:
            errors.append(
                ValidationError(
                    ngettext(
                        "%(field)s: character %(positions)s is not a half-width letter, digit "
                        "or symbol. Spaces, full-width and Japanese characters cannot be used.",
                        "%(field)s: characters %(positions)s are not half-width letters, digits "
                        "or symbols. Spaces, full-width and Japanese characters cannot be used.",
                        len(positions),
                    ),
                    code="password_character",
                    params={
                        "field": self.label,
                        "positions": _positions(positions),
                        "count": len(positions),
                    },
                )
            )
        kinds = (
            (
                _ASCII_LETTERS,
                "password_no_letter",
                gettext_lazy("%(field)s needs at least one half-width letter (A-Z or a-z)."),
            ),
            (
                _ASCII_DIGITS,
                "password_no_digit",
                gettext_lazy("%(field)s needs at least one half-width digit (0-9)."),
            ),
            (
                _ASCII_SYMBOLS,
                "password_no_symbol",
                gettext_lazy("%(field)s needs at least one half-width symbol, such as ! # $ %%."),
            ),
        )
        for allowed, code, message in kinds:
            if not any(c in allowed for c in candidate):
                errors.append(ValidationError(message, code=code, params={"field": self.label}))
        return errors

    def _nist_character_errors(self, candidate: str) -> list[ValidationError]:
        positions = [
            i
            for i, c in enumerate(candidate, start=1)
            if unicodedata.category(c) in {"Cc", "Cs", "Co", "Cn"}
        ]
        if not positions:
            return []
        return [
            ValidationError(
                ngettext(
                    "%(field)s: character %(positions)s is a control or unassigned character. "
                    "Remove it.",
                    "%(field)s: characters %(positions)s are control or unassigned characters. "
                    "Remove them.",
                    len(positions),
                ),
                code="password_character",
                params={
                    "field": self.label,
                    "positions": _positions(positions),
                    "count": len(positions),
                },
            )
        ]

    def _was_used(self, candidate: str, previous_hashes: Iterable[str]) -> bool:
        for index, encoded in enumerate(previous_hashes):
            if index >= self.history_size:
                break
            if encoded and check_password(candidate, encoded):
                return True
        return False


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


# --- FMT-7 dates -----------------------------------------------------------------------------

DateBound = dt.date | Callable[[], dt.date] | None


def _show_date(value: dt.date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def _resolve(bound: DateBound) -> dt.date | None:
    return bound() if callable(bound) else bound


@deconstructible(path="zairyu.core.validators.DateNotInFuture")
class DateNotInFuture(_Validator):
    """Refuse a date after today in Japan (FMT-7; 001 Q69: the event must have happened).

    Today comes from ``zairyu.core.clock``. ``birth=True`` for a date of birth: the message
    says a date of birth cannot be in the future (not "the date on which it happened").
    """

    code_prefix = "date"
    default_field = gettext_lazy("Date")

    def __init__(self, *, field: str | None = None, birth: bool = False) -> None:
        super().__init__(field=field)
        self.birth = birth

    def __call__(self, value: dt.date) -> None:
        if isinstance(value, dt.datetime):
            value = value.astimezone(clock.TOKYO).date()
        today = clock.today()
        if value > today:
            raise ValidationError(
                _(
                    "%(field)s (%(date)s) is in the future. A date of birth cannot be in the "
                    "future (today is %(today)s): check the year, month and day."
                )
                if self.birth
                else _(
                    "%(field)s (%(date)s) is in the future. Enter the date on which it "
                    "happened: today (%(today)s) or earlier."
                ),
                code="date_in_future",
                params={"field": self.label, "date": _show_date(value), "today": _show_date(today)},
            )


@deconstructible(path="zairyu.core.validators.DateRange")
class DateRange(_Validator):
    """Refuse a date before ``min_value`` or after ``max_value`` (FMT-7).

    A bound is a date, a callable returning one (evaluated at each call, e.g.
    ``lambda: clock.today() - relativedelta(years=120)``), or None for open.
    """

    code_prefix = "date"
    default_field = gettext_lazy("Date")

    def __init__(
        self,
        min_value: DateBound = None,
        max_value: DateBound = None,
        *,
        field: str | None = None,
    ) -> None:
        super().__init__(field=field)
        self.min_value = min_value
        self.max_value = max_value

    def __call__(self, value: dt.date) -> None:
        low, high = _resolve(self.min_value), _resolve(self.max_value)
        if low is not None and value < low:
            raise ValidationError(
                _("%(field)s (%(date)s) is too early. Enter %(min_value)s or later."),
                code="date_too_early",
                params={
                    "field": self.label,
                    "date": _show_date(value),
                    "min_value": _show_date(low),
                },
            )
        if high is not None and value > high:
            raise ValidationError(
                _("%(field)s (%(date)s) is too late. Enter %(max_value)s or earlier."),
                code="date_too_late",
                params={
                    "field": self.label,
                    "date": _show_date(value),
                    "max_value": _show_date(high),
                },
            )


def date_order(
    start: dt.date | None,
    end: dt.date | None,
    *,
    start_field: str,
    end_field: str,
    allow_same: bool = True,
) -> None:
    """Refuse an end date before its start date (FMT-7); either may be missing."""
    if start is None or end is None:
        return
    if end > start or (allow_same and end == start):
        return
    params = {
        "start_field": start_field,
        "end_field": end_field,
        "start": _show_date(start),
        "end": _show_date(end),
    }
    if allow_same:
        message = _(
            "%(end_field)s (%(end)s) is before %(start_field)s (%(start)s). Enter a date on or "
            "after %(start)s."
        )
    else:
        message = _(
            "%(end_field)s (%(end)s) must be after %(start_field)s (%(start)s). Enter a date "
            "after %(start)s."
        )
    raise ValidationError(message, code="date_order", params=params)


# --- typed dates, telephone and passport numbers ----------------------------------------------
#
# The one reading of each, for forms, the services' own checks, bulk rows and the API.

# What people type for a date: 2026-04-01, 2026/04/01, 2026.04.01 or 20260401, in full-width
# digits too (NFKC). ``TYPED_DATE_INPUT_FORMATS`` is the same list for Django's DateField.
TYPED_DATE_INPUT_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")
_DATE_SEPARATED = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _typed(value: Any) -> str:
    return "" if value is None else _as_text(value)


def parse_typed_date(value: Any) -> dt.date | None:
    """The date ``value`` stands for, or None if it is not one.

    A ``date`` as is; a ``datetime`` as its day in Japan; text as typed (see above), with the
    time of an ISO timestamp ignored.
    """
    if isinstance(value, dt.datetime):
        return value.astimezone(clock.TOKYO).date()
    if isinstance(value, dt.date):
        return value
    text = unicodedata.normalize("NFKC", _typed(value)).strip().translate(_DASHES)
    text = text.split("T", 1)[0].split(" ", 1)[0]
    match = _DATE_SEPARATED.fullmatch(text) or _DATE_COMPACT.fullmatch(text)
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def clean_typed_date(value: Any, *, field: str) -> dt.date:
    """``parse_typed_date`` or a ValidationError (code ``invalid_date``) that names ``field``."""
    day = parse_typed_date(value)
    if day is None:
        raise ValidationError(
            _("%(field)s is not a date. Enter it as YYYY-MM-DD, e.g. 2026-04-01."),
            code="invalid_date",
            params={"field": field},
        )
    return day


PHONE_MAX_LENGTH = 30
_PHONE_CHARACTERS = frozenset("0123456789-+()")


def clean_phone_number(value: Any, *, field: str) -> str:
    """A telephone number in its stored form: NFKC, dashes as "-", spaces removed.

    Digits, hyphens, "+" and brackets only, at most 30 characters; "" stays "" (whether it is
    required is the caller's rule). Code ``phone_invalid``.
    """
    compact = unicodedata.normalize("NFKC", _typed(value)).translate(_DASHES)
    compact = "".join(compact.split())
    if compact and (
        len(compact) > PHONE_MAX_LENGTH or any(c not in _PHONE_CHARACTERS for c in compact)
    ):
        raise ValidationError(
            _("%(field)s: digits and hyphens only, e.g. 03-1234-5678."),
            code="phone_invalid",
            params={"field": field},
        )
    return compact


PASSPORT_MAX_LENGTH = 20


def clean_passport_number(value: Any, *, field: str) -> str:
    """A passport number in its stored form: NFKC, spaces removed, upper case.

    ASCII letters and digits only, at most 20 characters; "" stays "". Code ``passport_invalid``.
    """
    compact = "".join(unicodedata.normalize("NFKC", _typed(value)).split()).upper()
    if compact and (
        len(compact) > PASSPORT_MAX_LENGTH
        or any(c not in _ASCII_LETTERS and c not in _ASCII_DIGITS for c in compact)
    ):
        raise ValidationError(
            _("%(field)s: letters and digits only, as printed in the passport."),
            code="passport_invalid",
            params={"field": field},
        )
    return compact


# --- My Number guard (002 Q2-8) --------------------------------------------------------------

# A My Number written whole or in its usual 4-4-4 groups, not part of a longer number and
# not an international phone number (+81 …).
_MY_NUMBER_CANDIDATE = re.compile(
    r"(?<![0-9+])(?<![0-9][ \-])"
    r"([0-9]{12}|[0-9]{4}[ \-][0-9]{4}[ \-][0-9]{4})"
    r"(?![0-9])(?![ \-][0-9])"
)


def contains_my_number(value: str) -> bool:
    """Say whether text holds a 12-digit number that passes the My Number check digit.

    Full-width digits, spaces and hyphens count (１２３４－５６７８－９０１８).
    """
    text = unicodedata.normalize("NFKC", strip_invisible(value)).translate(_DASHES)
    return any(
        stdnum_in.is_valid(match.group(1).replace(" ", "").replace("-", ""))
        for match in _MY_NUMBER_CANDIDATE.finditer(text)
    )


def _holds_my_number(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # a spreadsheet cell read as a number
    return isinstance(value, str) and contains_my_number(value)


def _my_number_error(field: str | None) -> ValidationError:
    # Built apart from the value: neither the message, the params nor the repr may hold it.
    return ValidationError(
        _(
            "%(field)s looks like an Individual Number (My Number). This system never collects "
            "the My Number: remove it and enter only what this field asks for."
        ),
        code="my_number_refused",
        params={"field": field if field is not None else _("This field")},
    )


def refuse_my_number(value: Any, *, field: str | None = None) -> None:
    """Refuse text that holds a My Number, without ever repeating the number (002 Q2-8).

    Call it on every free-text value a form, bulk row or API body carries. Exempt
    fields that legitimately hold 12 digits (the filing-agent certificate number,
    ID-4; phone numbers without "+"): about one 12-digit number in ten passes the
    My Number check digit by chance.
    """
    if _holds_my_number(value):
        raise _my_number_error(field)


def my_number_errors(
    values: Mapping[str, Any],
    *,
    labels: Mapping[str, str] | None = None,
    exempt: Collection[str] = (),
) -> dict[str, ValidationError]:
    """Return ``{name: error}`` for every text value in a row that holds a My Number."""
    labels = labels or {}
    return {
        name: _my_number_error(labels.get(name, name))
        for name, value in values.items()
        if name not in exempt and _holds_my_number(value)
    }


@deconstructible(path="zairyu.core.validators.MyNumberGuard")
class MyNumberGuard(_Validator):
    """``refuse_my_number`` as a field validator (forms, models)."""

    code_prefix = "my_number"

    def __call__(self, value: Any) -> None:
        refuse_my_number(value, field=self.label)


# --- control characters (SEC-2) --------------------------------------------------------------

# C0 controls except TAB, LF and CR; DEL; C1 controls; and lone surrogates (a JSON "\ud800"
# decodes to one, and no database encoding can hold it).
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_character(value: Any) -> bool:
    """Say whether text holds a character ``NoControlCharacters`` refuses."""
    return isinstance(value, str) and _CONTROL_CHARACTER.search(value) is not None


def show_control_characters(text: str) -> str:
    """Show text with its control characters as code points (``a\\x00b`` → ``aU+0000b``): for
    field names in messages, and cells of a file that cannot hold them (.xlsx)."""
    return _CONTROL_CHARACTER.sub(lambda match: _codepoint(match.group()), text)


@deconstructible(path="zairyu.core.validators.NoControlCharacters")
class NoControlCharacters(_Validator):
    """Refuse a NUL byte or another control character in text (SEC-2): code
    ``control_character`` [field, characters, positions, count].

    No keyboard types them: they come from forged requests and broken exports, and PostgreSQL
    refuses NUL in text and JSON columns, so one let through is a server error instead of a
    field error. Tab, line feed and carriage return pass (textareas send them; single-line
    formats refuse them themselves). ``core.middleware.ControlCharacterMiddleware`` applies it
    to every request's fields, so forms, autosave and the API all refuse the same way.
    """

    code_prefix = "control_character"

    def __call__(self, value: Any) -> None:
        if not has_control_character(value):
            return
        found = _offending(value, lambda char: not _CONTROL_CHARACTER.match(char))
        positions = sorted(p for places in found.values() for p in places)
        raise ValidationError(
            ngettext(
                "%(field)s: character %(positions)s is a control character (%(characters)s), "
                "which cannot be typed or stored. Delete it and send again.",
                "%(field)s: characters %(positions)s are control characters (%(characters)s), "
                "which cannot be typed or stored. Delete them and send again.",
                len(positions),
            ),
            code="control_character",
            params={
                "field": self.label,
                "characters": ", ".join(_codepoint(c) for c in list(found)[:MAX_CHARACTER_ERRORS]),
                "positions": _positions(positions[:MAX_CHARACTER_ERRORS]),
                "count": len(positions),
            },
        )


def control_character_errors(values: Iterable[tuple[str, Any]]) -> dict[str, ValidationError]:
    """Return ``{field: error}`` for every (name, value) pair whose name or text holds a
    control character (the first error of each field), names as ``show_control_characters``."""
    errors: dict[str, ValidationError] = {}
    for name, value in values:
        shown = show_control_characters(name)
        if shown in errors:
            continue
        for text in (name, value):
            try:
                NoControlCharacters(field=shown)(text)
            except ValidationError as exc:
                errors[shown] = exc
                break
    return errors
