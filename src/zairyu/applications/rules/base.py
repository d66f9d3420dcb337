"""What every rule returns (``Refusal``) and the small helpers the rules share."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from zairyu.accounts.models import Category, User
from zairyu.accounts.service_a import fold_name

# accounts.Category (the user's category) → reference.UserCategory code (the §9 matrix rows).
CATEGORY_CODES: dict[str, str] = {
    Category.FOREIGN_NATIONAL: "foreign_national",
    Category.LEGAL_REPRESENTATIVE: "legal_representative",
    Category.RELATIVE: "relative",
    Category.LAWYER: "lawyer_gyoseishoshi",
    Category.ORGANIZATION_STAFF: "organization_staff",
    Category.PUBLIC_INTEREST_STAFF: "public_interest_corporation_staff",
    Category.RSO_STAFF: "rso_staff",
    Category.COE_RECIPIENT: "coe_e_delivery_recipient",
}


@dataclass(frozen=True)
class Refusal:
    """Why an application (or a choice in it) is refused, and where to go instead.

    ``code`` is stable (tests and the API use it); ``message`` is in the active language;
    ``field`` is the form field it belongs to (NON_FIELD_ERRORS for the page); ``params`` carry
    what a page needs to help (e.g. ``application_id`` of the existing draft for A-5).
    """

    code: str
    message: str
    field: str = NON_FIELD_ERRORS
    params: dict = dataclasses.field(default_factory=dict)

    def as_error(self) -> ValidationError:
        return ValidationError(
            {self.field: [ValidationError(self.message, code=self.code, params=self.params)]}
        )


def refusals_as_error(refusals: list[Refusal]) -> ValidationError:
    """Return one ValidationError with every refusal under its field (for services/forms)."""
    errors: dict[str, list[ValidationError]] = {}
    for refusal in refusals:
        errors.setdefault(refusal.field, []).append(
            ValidationError(refusal.message, code=refusal.code, params=refusal.params)
        )
    return ValidationError(errors)


def category_code(user: User) -> str | None:
    """The §9 matrix row of ``user``'s category; None for categories outside service A."""
    return CATEGORY_CODES.get(user.category)


def _go_to_office() -> str:
    return _(
        "Apply at the counter of the regional immigration services bureau that covers "
        "the applicant's address."
    )


def _fold(name: str) -> str:
    """A name compared the way people read it; service A's commas between parts (002 Q4-21)
    count as spaces."""
    return fold_name((name or "").replace(",", " ").replace("，", " "))


def _code(value) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "pk", value))
