"""FMT-1 auth IDs and FMT-2 passwords."""

from __future__ import annotations

import functools
import gzip
import itertools
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import django.contrib.auth
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from zairyu.core.text import (
    Normalised,
    display_character,
)

from .base import (
    _ASCII_DIGITS,
    _ASCII_LETTERS,
    _ASCII_SYMBOLS,
    _ASCII_VISIBLE,
    _as_text,
    _codepoint,
    _NormalisingValidator,
    _offending,
    _positions,
    _quoted,
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
    AGENCY = "agency", gettext_lazy("Agency rule")
    NIST = "nist", gettext_lazy("NIST SP 800-63B-4")


_OWN_LIST = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
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
