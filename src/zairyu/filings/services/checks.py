"""What the submit services check before a filing is made: the card face an organization typed
(``CardFace``, ``RosterLine``), the items of the event (``_check_items``), and the refusals they
raise (ValidationErrors keyed by the form's fields, as the forms show them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from zairyu.accounts.models import User
from zairyu.cards.models import ResidenceCard
from zairyu.cards.selectors import TypedCardFace
from zairyu.core.validators import (
    CorporateNumber,
    DateNotInFuture,
    JisX0208Text,
    refuse_my_number,
)
from zairyu.reference.models import NotificationEvent

from .. import rules
from ..labels import local_name
from ..selectors import registered_resident_accounts

CARD_FIELDS = ("number", "roman_name", "nationality", "birth_date", "sex", "prefecture")


@dataclass(frozen=True)
class CardFace(TypedCardFace):
    """A resident's card data as an organization typed them (common items, REFERENCE.md §2)."""

    number: str
    roman_name: str
    nationality: str
    birth_date: dt.date
    sex: str
    prefecture: str
    address: str = ""

    def resident_accounts(self, card: ResidenceCard) -> list[User]:
        """The matched resident's registered accounts (NF-4); a caller filing many at once may
        answer for its whole batch (``registered_resident_accounts_many``)."""
        return registered_resident_accounts(card.person_id)


@dataclass(frozen=True)
class RosterLine(TypedCardFace):
    """One student of a roster (line number as typed, for error messages)."""

    line: int
    number: str
    roman_name: str
    nationality: str
    birth_date: dt.date
    sex: str

    def as_content(self) -> dict:
        return {
            "line": self.line,
            "card_number": self.number,
            "roman_name": self.roman_name,
            "nationality": self.nationality,
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex,
        }


def _roster_line_ok(event: NotificationEvent, line: RosterLine) -> bool:
    card = line.match()
    return card is not None and rules.status_accepted(event, card.status)


# --- errors ----------------------------------------------------------------------------------


def _refusal(
    code: str, message: str, field: str = NON_FIELD_ERRORS, params: dict | None = None
) -> ValidationError:
    # ``params`` carries what callers other than forms need (e.g. bulk filing: which lines);
    # the message is already complete.
    return ValidationError({field: [ValidationError(message, code=code, params=params)]})


def _card_mismatch() -> ValidationError:
    """The same mark on every card field and one message (no enumeration, 001 Q63)."""
    check = ValidationError(
        _("Check this entry against the resident's residence card."), code="card_check"
    )
    found: dict[str, list[ValidationError]] = {name: [check] for name in CARD_FIELDS}
    found[NON_FIELD_ERRORS] = [
        ValidationError(
            _(
                "The data do not match a valid residence card. Enter the card number, name, "
                "nationality or region, date of birth, sex and prefecture exactly as printed on "
                "the resident's current residence card."
            ),
            code="card_mismatch",
        )
    ]
    return ValidationError(found)


def _status_refusal(status) -> ValidationError:
    return _refusal(
        "status_not_eligible",
        _(
            "This notification is not filed for the status of residence %(status)s. Choose a "
            "notification that applies to it."
        )
        % {"status": local_name(status)},
    )


# --- the items of the event ------------------------------------------------------------------


Found = dict[str, list[ValidationError]]


def _fail(found: Found, code: str, errors: list[ValidationError]) -> None:
    found.setdefault(code, []).extend(errors)


def _clean_text(found: Found, code: str, label: str, value: Any) -> str | None:
    """Japanese text as stored (FMT-4, no My Number), or None with the error in ``found``."""
    try:
        refuse_my_number(value, field=label)
        return (
            JisX0208Text(
                field=label, max_length=rules.text_max_length(code), convert_halfwidth=True
            )
            .clean(str(value))
            .value
        )
    except ValidationError as exc:
        _fail(found, code, exc.error_list)
        return None


def _clean_item(found: Found, code: str, label: str, value: Any) -> str | None:
    """One item given a value, as stored, or None with the error in ``found``."""
    if code in rules.DATE_ITEMS:
        if not isinstance(value, dt.date):
            _fail(found, code, [ValidationError(_("Enter a date."), code="invalid")])
            return None
        try:
            DateNotInFuture(field=label)(value)
        except ValidationError as exc:
            _fail(found, code, exc.error_list)
            return None
        return value.isoformat()
    if code == "end_reason":
        if value not in dict(rules.END_REASONS):
            _fail(
                found,
                code,
                [ValidationError(_("Choose one of the reasons."), code="invalid_choice")],
            )
            return None
        return value
    return _clean_text(found, code, label, value)


def _check_items(event: NotificationEvent, status, items: dict[str, Any]) -> dict[str, str]:
    """Check the items a service receives and return them as stored (dates in ISO form, text
    normalised). Forms check them first; the API and bulk filing call the services directly,
    so the formats are checked here too (FMT-4 JIS text, FMT-6 corporate number, FMT-7 dates).
    """
    found: Found = {}
    stored: dict[str, str] = {}
    for item in rules.event_items(event, status):
        label = local_name(item)
        value = items.get(item.code)
        if item.code == "roster":
            continue
        if value in (None, "", []):
            if item.required:
                _fail(
                    found,
                    item.code,
                    [
                        ValidationError(
                            _("%(field)s: enter it.") % {"field": label}, code="required"
                        )
                    ],
                )
            continue
        cleaned = _clean_item(found, item.code, label, value)
        if cleaned is not None:
            stored[item.code] = cleaned
    _check_organization_items(found, stored, items)
    if found:
        raise ValidationError(found)
    return stored


def _check_organization_items(found: Found, stored: dict[str, str], items: dict[str, Any]) -> None:
    """The corporate numbers and the reason in detail, wherever the event asks them."""
    for code in ("org_corporate_number", "new_org_corporate_number"):
        if items.get(code):
            try:
                stored[code] = CorporateNumber().clean(items[code]).value
            except ValidationError as exc:
                _fail(found, code, exc.error_list)
    if stored.get("end_reason") == "other" and not items.get("end_reason_detail"):
        _fail(
            found,
            "end_reason_detail",
            [ValidationError(_("Describe the reason."), code="required")],
        )
    if items.get("end_reason_detail"):
        cleaned = _clean_text(
            found, "end_reason_detail", _("Reason in detail"), items["end_reason_detail"]
        )
        if cleaned is not None:
            stored["end_reason_detail"] = cleaned
