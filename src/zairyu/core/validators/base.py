"""Shared pieces of the validators: character sets, the validator base classes, helpers."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zairyu.core.text import (
    Normalised,
    display_character,
)

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
