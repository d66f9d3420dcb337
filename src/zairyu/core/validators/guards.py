"""The My Number guard (002 Q2-8) and the control-character refusal (SEC-2)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from stdnum.jp import in_ as stdnum_in

from zairyu.core.text import (
    strip_invisible,
)

from .base import (
    _DASHES,
    MAX_CHARACTER_ERRORS,
    _codepoint,
    _offending,
    _positions,
    _Validator,
)

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
