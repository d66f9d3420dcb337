"""Service A actions (A-3..A-17, BO-5): one function per use case.

Every state change goes through ``transition`` (lock, ``TRANSITIONS`` check, state-change row,
audit event, optional mail — all in one transaction). Services raise Django
``ValidationError({field: [ValidationError(message, code=...)]})``; forms show them with
``zairyu.portal.forms.add_service_errors``. Eligibility refusals come from ``rules`` and keep
their codes (``rules.refusals_as_error``).

Audit actions: ``applications.application.<state>`` for every transition (``draft`` = started,
``submitted``, ``examining`` …); the other services name theirs in their docstrings
(``applications.application.saved``, ``.document_added``, ``.amended`` …).

Mails (templates in ``templates/mail/<lang>/``): ``application_submitted`` (provisional
number), ``application_receipt_number``, ``application_receipt_error``, ``application_amended``,
``application_withdrawal_requested``, ``application_receipt_method_changed``,
``application_handed_over``.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files import File
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from zairyu.accounts.models import Category, User
from zairyu.accounts.officers import is_officer
from zairyu.audit.services import audit_record
from zairyu.cards import normalise
from zairyu.cards.models import Organization, ResidenceCard
from zairyu.cards.selectors import card_match
from zairyu.core import clock
from zairyu.core.validators import (
    CorporateNumber,
    DateNotInFuture,
    JisX0208Text,
    ResidenceCardNumber,
    RomanName,
    RomanNameForm,
    refuse_my_number,
)
from zairyu.core.work import claim, enqueue_on_commit, lease_until
from zairyu.mail.services import mail_queue
from zairyu.reference.models import Bureau, Municipality, Nationality, Prefecture, Status
from zairyu.reference.selectors import bureau_for_prefecture, fee_for

from . import rules, uploads
from .models import (
    AMENDABLE,
    CARD_PROCEDURES,
    NEW,
    OTHER_ACTIVITY_PROCEDURE,
    PENDING,
    RECEIPT_METHOD_CHANGEABLE,
    REENTRY_PROCEDURE,
    TRANSITIONS,
    WITHDRAWABLE,
    Application,
    ApplicationDocument,
    ApplicationHandover,
    ApplicationState,
    ApplicationStateChange,
    ApplicationVersion,
    DocumentKind,
    MainProcedure,
    ProvisionalCounter,
    ReceiptCounter,
    ReceiptMethod,
    Reentry,
    Relationship,
    WithdrawalAddOn,
)

S = ApplicationState


class ApplicationStateError(Exception):
    """A transition the state table does not allow (a programming error, not a user's)."""


class NumberExhausted(Exception):
    """An office's series for a procedure letter ran past 8 digits."""


# --- the state machine ----------------------------------------------------------------------

# Timestamps ``transition`` sets when an application enters a state (if not set by ``changes``).
_ENTER_TIMESTAMPS: dict[str, tuple[str, ...]] = {
    S.SUBMITTED: ("submitted_at",),
    S.EXAMINING: ("examination_opened_at",),
    S.AWAITING_ISSUE: ("decided_at",),
    S.DENIED: ("decided_at",),
    S.WITHDRAWN: ("withdrawn_at",),
    S.COMPLETED: ("completed_at",),
}


def transition(
    application: Application,
    *,
    to: str,
    actor: User | None = None,
    note: str = "",
    request: HttpRequest | None = None,
    changes: dict[str, Any] | None = None,
    mail: str | None = None,
    mail_context: dict | None = None,
) -> Application:
    """Move ``application`` to state ``to`` if ``TRANSITIONS`` allows it; return the locked,
    updated row.

    In one transaction: locks the row (``select_for_update``), checks the table (raises
    ``ApplicationStateError`` otherwise), applies ``changes`` (other fields that change with the
    state, e.g. ``{"decision": "approved", "period_granted": "P1Y"}``), sets the entry
    timestamp of the new state (``submitted_at`` + ``filed_on`` on first submission,
    ``examination_opened_at``, ``decided_at``, ``completed_at``, ``withdrawn_at``) unless
    ``changes`` sets it, appends an ``ApplicationStateChange`` (with ``note``), writes the audit
    event ``applications.application.<to>`` and, when ``mail`` names a template, queues it to
    the filer and the applicant (``application_mail``). Nothing else assigns ``state``.

    A new application (``application.pk`` None, state ``NEW``) is saved first and moves from
    "" to ``to`` (``draft`` or ``bulk_error``).
    """
    with transaction.atomic():
        now = clock.now()
        if application.pk is None:
            from_state = NEW
            if to not in TRANSITIONS[NEW]:
                raise ApplicationStateError(f"new application → {to} is not allowed")
            application.state = to
            application.state_changed_at = now
            application.created_at = application.created_at or now
            application.updated_at = now
            application.last_saved_at = application.last_saved_at or now
            for name, value in (changes or {}).items():
                setattr(application, name, value)
            application.save()
            locked = application
        else:
            # of=("self",): lock the application only, never the reference rows joined to it.
            locked = (
                Application.objects.select_for_update(of=("self",))
                .select_related("procedure", "filer", "bureau")
                .get(pk=application.pk)
            )
            from_state = locked.state
            if to not in TRANSITIONS.get(from_state, frozenset()):
                raise ApplicationStateError(
                    f"application {locked.pk}: {from_state} → {to} is not allowed"
                )
            changes = dict(changes or {})
            for name in _ENTER_TIMESTAMPS.get(to, ()):
                if name not in changes and not (name == "submitted_at" and locked.submitted_at):
                    changes[name] = now
            if to == S.SUBMITTED and locked.filed_on is None and "filed_on" not in changes:
                changes["filed_on"] = now.date()  # 002 Q4-14: the day it was filed online
            if to == S.COMPLETED and from_state == S.EXAMINING and "decided_at" not in changes:
                changes["decided_at"] = now
            locked.state = to
            locked.state_changed_at = now
            locked.updated_at = now
            fields = {"state", "state_changed_at", "updated_at"}
            for name, value in changes.items():
                setattr(locked, name, value)
                fields.add(name)
            locked.save(update_fields=sorted(fields))
        ApplicationStateChange.objects.create(
            application=locked,
            at=now,
            from_state=from_state,
            to_state=to,
            actor=actor,
            actor_repr=str(actor)[:150] if actor is not None else "",
            note=note[:500],
        )
        after: dict[str, Any] = {"state": to}
        if note:
            after["note"] = note
        audit_record(
            action=f"applications.application.{to}",
            obj=locked,
            actor=actor,
            before={"state": from_state} if from_state else None,
            after=after,
            request=request,
        )
        if mail:
            application_mail(locked, template=mail, context={"note": note, **(mail_context or {})})
    application.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return locked


def application_mail(
    application: Application,
    *,
    template: str,
    context: dict | None = None,
    to_applicant: bool = True,
) -> int:
    """Queue mail ``template`` about ``application`` to the filer and (unless
    ``to_applicant`` is False) the applicant's notification address (A-3, 002 Q4-30); return
    how many were queued. Both in the filer's language. Call inside the caller's transaction.

    The template gets ``application``, ``role`` ("filer" / "applicant"), ``procedure_name``,
    ``state_label``, ``site_url`` and the caller's ``context``.
    """
    filer = application.filer
    language = filer.language or "ja"
    recipients = []
    if filer.email:
        recipients.append((filer.email, "filer"))
    applicant = application.applicant_email if to_applicant else ""
    if applicant and applicant.lower() != (filer.email or "").lower():
        recipients.append((applicant, "applicant"))
    for address, role in recipients:
        with translation.override(language):
            procedure = application.procedure
            full = {
                "application": application,
                "role": role,
                "procedure_name": procedure.name_ja if language == "ja" else procedure.name_en,
                "procedure_name_ja": procedure.name_ja,
                "state_label": str(ApplicationState(application.state).label),
                "site_url": settings.ZAIRYU_SITE_URL,
                **(context or {}),
            }
        mail_queue(
            template=template, to=address, language=language, context=full, related=application
        )
    return len(recipients)


# --- numbers (A-10, REFERENCE.md §5) ---------------------------------------------------------


def next_receipt_number(*, bureau: Bureau, letter: str) -> str:
    """Take the next receipt number of ``bureau`` for procedure ``letter`` (e.g. 東オン更00000001).

    Must run inside the caller's transaction (the one that stores the number): the counter row
    is locked with ``select_for_update`` until it commits, so concurrent assignments of one
    office and letter queue up, and a number once taken is never handed out again (a rolled
    back transaction rolls back the counter too, so no gap is visible and nothing is reused).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_receipt_number must run inside a transaction")
    ReceiptCounter.objects.get_or_create(bureau=bureau, letter=letter)
    counter = ReceiptCounter.objects.select_for_update().get(bureau=bureau, letter=letter)
    counter.last += 1
    if counter.last > 99_999_999:
        raise NumberExhausted(f"{bureau.pk} {letter}: 8 digits exhausted")
    counter.save(update_fields=["last"])
    return f"{bureau.receipt_prefix}{letter}{counter.last:08d}"


PROVISIONAL_SERIES = "provisional"


def next_provisional_number() -> str:
    """Take the next provisional receipt number (申請受付仮番号, e.g. 仮0000000001): one series
    for the whole system, separate from the receipt numbers; same locking as above."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_provisional_number must run inside a transaction")
    ProvisionalCounter.objects.get_or_create(series=PROVISIONAL_SERIES)
    counter = ProvisionalCounter.objects.select_for_update().get(series=PROVISIONAL_SERIES)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"仮{counter.last:010d}"


# --- fees (REFERENCE.md §7, A-13) ------------------------------------------------------------


@dataclass(frozen=True)
class FeeLine:
    procedure: str  # reference.Procedure code
    amount: int


@dataclass(frozen=True)
class FeeBreakdown:
    """The revenue-stamp fee of an application: one line per procedure (0 = free)."""

    lines: tuple[FeeLine, ...]
    on: dt.date
    online: bool

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def fee_for_application(
    application: Application, *, on: dt.date | None = None, online: bool = True
) -> FeeBreakdown:
    """Return the fee of ``application`` accepted on ``on`` (REFERENCE.md §7, REF-6).

    ``on`` is the acceptance date: by default the filing date (``filed_on``), else today. Lines:
    the main procedure (change / extension 5,500 online from 2025-04-01, 4,000 before; work
    certificate 1,600 / 1,200; COE and acquisition free), then the re-entry permit (single
    3,500 / multiple 6,500 online) and other-activity permission (free) when applied for with
    it. ``online=False`` gives the counter amounts (an application moved to the counter).
    Amounts are reference data (``reference.Fee``), never constants here.
    """
    on = on or application.filed_on or clock.today()
    codes = [application.procedure_id]
    if application.reentry:
        codes.append(REENTRY_PROCEDURE[application.reentry])
    if application.other_activity:
        codes.append(OTHER_ACTIVITY_PROCEDURE)
    lines = tuple(FeeLine(code, fee_for(code, on=on, online=online)) for code in codes)
    return FeeBreakdown(lines=lines, on=on, online=online)


# --- the steps: what each asks, when it applies ----------------------------------------

STEPS = ("step1", "personal1", "personal2", "organization", "step3")

# The fields each step stores in ``content[step]`` (anything else a caller sends is ignored).
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "step1": ("procedure", "status", "period_requested", "reentry", "other_activity"),
    # STEP2-1: who the applicant is (as printed on the card / passport) and where they live.
    "personal1": (
        "nationality",
        "roman_name",
        "sex",
        "birth_date",
        "prefecture",
        "municipality",
        "address",
        "kanji_name",
        "relationship",
        "event_date",
        "kanji_name_requested",
        "phone",
        "passport_number",
    ),
    # STEP2-2: the residence card (card holders only: change, extension, work certificate).
    "personal2": ("card_number", "card_valid_until"),
    # STEP2-3: the organization (COE, staff, and statuses tied to an organization, 002 Q5-11).
    "organization": (
        "organization_name",
        "corporate_number",
        "organization_prefecture",
        "organization_municipality",
        "organization_address",
        "organization_phone",
    ),
    # STEP3: receipt, notification address (documents and photo have their own services).
    "step3": ("applicant_email", "receipt_method"),
}
BOOLEAN_FIELDS = frozenset({"other_activity", "kanji_name_requested"})
DATE_FIELDS = frozenset({"birth_date", "event_date", "card_valid_until"})
TEXT_MAX = 200

FIELD_LABELS = {
    "procedure": _lazy("Procedure"),
    "status": _lazy("Status of residence"),
    "period_requested": _lazy("Period of stay applied for"),
    "reentry": _lazy("Re-entry permit"),
    "other_activity": _lazy("Permission for other activity"),
    "nationality": _lazy("Nationality or region"),
    "roman_name": _lazy("Name (roman letters)"),
    "sex": _lazy("Sex"),
    "birth_date": _lazy("Date of birth"),
    "prefecture": _lazy("Prefecture"),
    "municipality": _lazy("Municipality"),
    "address": _lazy("Address (street, building)"),
    "kanji_name": _lazy("Name (kanji)"),
    "relationship": _lazy("Relationship to the applicant"),
    "event_date": _lazy("Date of birth or of the event"),
    "phone": _lazy("Telephone number"),
    "passport_number": _lazy("Passport number"),
    "card_number": _lazy("Residence card number"),
    "card_valid_until": _lazy("Residence card valid until"),
    "organization_name": _lazy("Name of the organization"),
    "corporate_number": _lazy("Corporate number"),
    "organization_prefecture": _lazy("Prefecture of the organization"),
    "organization_municipality": _lazy("Municipality of the organization"),
    "organization_address": _lazy("Address of the organization (street, building)"),
    "organization_phone": _lazy("Telephone number of the organization"),
    "applicant_email": _lazy("Applicant's notification e-mail address"),
    "receipt_method": _lazy("Receipt method"),
    "kanji_name_requested": _lazy("Kanji name on the residence card"),
}

# Holders of a residence card apply for these (STEP2-2 asks the card); a COE applicant is
# abroad and an acquisition applicant (born in Japan, lost Japanese nationality) has none.
CARD_HOLDER_PROCEDURES = frozenset(
    {MainProcedure.CHANGE_OF_STATUS, MainProcedure.EXTENSION, MainProcedure.WORK_CERTIFICATE}
)
# A-7 (002 Q4-6, Q4-7, Q8-2): a photo for a residence card and for the (paper) COE; a work
# certificate has none. Under 16 no photo (cards of holders under 16 carry none).
PHOTO_PROCEDURES = frozenset({MainProcedure.COE, *CARD_PROCEDURES})
PHOTO_MIN_AGE = 16
STAFF_CATEGORIES = frozenset(
    {Category.ORGANIZATION_STAFF, Category.PUBLIC_INTEREST_STAFF, Category.RSO_STAFF}
)
REPRESENTATIVE_CATEGORIES = frozenset({Category.LEGAL_REPRESENTATIVE, Category.RELATIVE})
# 002 Q5-11: statuses whose application includes the organization's part (別記第19号様式).
ORGANIZATION_STATUSES = frozenset(
    {
        "professor",
        "artist",
        "religious_activities",
        "journalist",
        "hsp_1a",
        "hsp_1b",
        "hsp_1c",
        "hsp_2",
        "business_manager",
        "legal_accounting_services",
        "medical_services",
        "researcher",
        "instructor",
        "engineer_humanities_international",
        "intra_company_transferee",
        "intra_company_transferee_2",
        "nursing_care",
        "entertainer",
        "skilled_labor",
        "ssw_1",
        "ssw_2",
        "technical_intern_1a",
        "technical_intern_1b",
        "technical_intern_2a",
        "technical_intern_2b",
        "technical_intern_3a",
        "technical_intern_3b",
        "employment_skill_development",
        "cultural_activities",
        "student",
        "trainee",
        "dependent",
    }
)
# 002 Q5-11 names the COE, the extension and the change of status (not the acquisition).
ORGANIZATION_FORM_PROCEDURES = frozenset(
    {MainProcedure.COE, MainProcedure.EXTENSION, MainProcedure.CHANGE_OF_STATUS}
)
# Refusals about the organization wait until STEP2-3 has been entered.
ORGANIZATION_REFUSALS = frozenset({"not_own_organization", "not_commissioned"})
# A receipt number that failed this many times goes to エラー(申請受付番号取得エラー).
MAX_RECEIPT_ATTEMPTS = 5


def organization_step_applies(application: Application) -> bool:
    """Whether STEP2-3 (organization data) is asked (A-3 [B]: only where it applies).

    Never for a foreign national applying themselves: they attach the organization's part of
    the form (別記第19号様式) as a document instead (002 Q5-11). Always for a COE (the office is
    the organization's, 002 Q4-16) and for staff (A-2: their organization or client). For the
    other filers, for a change, extension or acquisition to a status tied to an organization.
    """
    if application.filer.category == Category.FOREIGN_NATIONAL:
        return False
    if application.procedure_id == MainProcedure.COE:
        return True
    if application.filer.category in STAFF_CATEGORIES:
        return True
    return (
        application.procedure_id in CARD_PROCEDURES
        and application.status_id in ORGANIZATION_STATUSES
    )


def steps_for(application: Application) -> tuple[str, ...]:
    """The steps of ``application`` in order (A-3): STEP2-2 only for card holders, STEP2-3
    only where ``organization_step_applies``."""
    steps = ["step1", "personal1"]
    if application.procedure_id in CARD_HOLDER_PROCEDURES:
        steps.append("personal2")
    if organization_step_applies(application):
        steps.append("organization")
    steps.append("step3")
    return tuple(steps)


def organization_form_required(application: Application) -> bool:
    """002 Q5-11: a foreign national applying themselves for a status tied to an organization
    attaches the organization's part of the form (別記第19号様式) with the documents (the page
    says so; a PDF may hold several documents, so submission does not refuse without one)."""
    return (
        application.filer.category == Category.FOREIGN_NATIONAL
        and application.procedure_id in ORGANIZATION_FORM_PROCEDURES
        and application.status_id in ORGANIZATION_STATUSES
    )


def photo_needed(application: Application, *, today: dt.date | None = None) -> bool:
    """A-7 [B]: a photo is asked only for a residence card or a COE, and not for an applicant
    under 16 (judged on ``today``; unknown birth date: asked)."""
    if application.procedure_id not in PHOTO_PROCEDURES:
        return False
    birth_date = application.applicant_birth_date
    if birth_date is not None:
        return rules.age_on(birth_date, today or clock.today()) >= PHOTO_MIN_AGE
    return True


# --- errors -------------------------------------------------------------------------------


def _refusal(
    code: str, message: str, field: str = NON_FIELD_ERRORS, params: dict | None = None
) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code, params=params)]})


def _not_draft() -> ValidationError:
    return _refusal(
        "not_draft",
        _(
            "This application is no longer an unsubmitted draft, so it cannot be changed here. "
            "Open it from your application list to see its state."
        ),
    )


def _card_mismatch() -> ValidationError:
    """002 Q4-21: one message and the same mark on each card field, never which one differed."""
    check = ValidationError(
        _("Check this entry against the applicant's residence card."), code="card_check"
    )
    return ValidationError(
        {
            "card_number": [check],
            "card_valid_until": [check],
            NON_FIELD_ERRORS: [
                ValidationError(
                    _(
                        "The data do not match a valid residence card. Check that the "
                        "nationality or region, name, sex, date of birth and address "
                        "(prefecture and municipality) of personal data 1 and the card number "
                        "and card validity of personal data 2 are entered exactly as printed "
                        "on the applicant's residence card (the latest address may be on the "
                        "back)."
                    ),
                    code="card_mismatch",
                )
            ],
        }
    )


def _required(field: str) -> ValidationError:
    return ValidationError(
        _("%(field)s: enter it.") % {"field": FIELD_LABELS.get(field, field)}, code="required"
    )


def _merge(errors: dict[str, list], more: ValidationError) -> None:
    for field, items in more.error_dict.items() if hasattr(more, "error_dict") else []:
        errors.setdefault(field, []).extend(items)
    if not hasattr(more, "error_dict"):
        errors.setdefault(NON_FIELD_ERRORS, []).extend(more.error_list)


# --- field formats (FMT-*) ------------------------------------------------------------------


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(clock.TOKYO).date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _clean_value(step: str, field: str, value: Any) -> Any:
    """One field in its stored form (dates ISO, text normalised), or raise ValidationError."""
    label = FIELD_LABELS.get(field, field)
    if field in BOOLEAN_FIELDS:
        return value in (True, "1", "true", "on", "yes", 1)
    text = "" if value is None else str(value).strip()
    if field in DATE_FIELDS:
        day = _as_date(value)
        if day is None:
            raise ValidationError(
                _("%(field)s: enter a date such as 1990-04-01.") % {"field": label},
                code="date_invalid",
            )
        if field in ("birth_date", "event_date"):
            DateNotInFuture(field=label, birth=field == "birth_date")(day)
        return day.isoformat()
    if field not in ("phone", "organization_phone"):  # 12-digit phones pass by chance
        refuse_my_number(text, field=str(label))
    if field == "roman_name":
        return RomanName(RomanNameForm.COMMAS, field=label).clean(text).value
    if field == "card_number":
        return ResidenceCardNumber(field=label).clean(text).value
    if field == "corporate_number":
        return CorporateNumber(field=label).clean(text).value
    if field == "applicant_email":
        EmailValidator(
            message=_("%(field)s: enter an e-mail address such as name@example.jp.")
            % {"field": label},
            code="email_invalid",
        )(text)
        return User.objects.normalize_email(text)  # the domain in lower case
    if field in ("kanji_name", "address", "organization_name", "organization_address"):
        street = field in ("address", "organization_address")
        return (
            JisX0208Text(field=label, max_length=TEXT_MAX, convert_halfwidth=street)
            .clean(text)
            .value
        )
    if field == "nationality":
        code = text.upper()
        if not Nationality.objects.filter(pk=code).exists():
            raise ValidationError(
                _("%(field)s: choose one from the list.") % {"field": label}, code="invalid_choice"
            )
        return code
    if field in ("prefecture", "organization_prefecture"):
        if not Prefecture.objects.filter(pk=text).exists():
            raise ValidationError(
                _("%(field)s: choose one from the list.") % {"field": label}, code="invalid_choice"
            )
        return text
    if field in ("municipality", "organization_municipality"):
        if not Municipality.objects.filter(pk=text).exists():
            raise ValidationError(
                _("%(field)s: choose one from the list.") % {"field": label}, code="invalid_choice"
            )
        return text
    choices = {
        "sex": ("M", "F"),
        "relationship": Relationship.values,
        "reentry": Reentry.values,
        "receipt_method": ReceiptMethod.values,
        "procedure": MainProcedure.values,
    }.get(field)
    if choices is not None:
        if text not in choices:
            raise ValidationError(
                _("%(field)s: choose one from the list.") % {"field": label}, code="invalid_choice"
            )
        return text
    if field == "status":
        if not Status.objects.filter(pk=text).exists():
            raise ValidationError(
                _("%(field)s: choose one from the list.") % {"field": label}, code="invalid_choice"
            )
        return text
    if field == "period_requested":
        period = normalise.period_of_stay(text)
        if not period:
            raise ValidationError(
                _("%(field)s: enter a period such as 1 year (P1Y) or 6 months (P6M).")
                % {"field": label},
                code="period_invalid",
            )
        return period
    if field in ("phone", "organization_phone", "passport_number"):
        compact = unicodedata.normalize("NFKC", text).replace(" ", "")
        allowed = None if field == "passport_number" else "0123456789-+()"
        if (
            len(compact) > 30
            or (allowed is not None and any(c not in allowed for c in compact))
            or (allowed is None and not compact.isalnum())
        ):
            raise ValidationError(
                _("%(field)s: use digits (and for a passport letters) only.") % {"field": label},
                code="format_invalid",
            )
        return compact.upper()
    return text[:TEXT_MAX]


def _clean_fields(step: str, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list]]:
    """Per-field format checks of one step: (what to store, errors by field).

    A value that fails its check is kept as typed (the user corrects it later) unless it
    holds a My Number, which is never stored (002 Q2-8). Empty values are stored as "".
    """
    stored: dict[str, Any] = {}
    errors: dict[str, list] = {}
    for field in STEP_FIELDS[step]:
        if field not in data:
            continue
        value = data[field]
        if field not in BOOLEAN_FIELDS and (value is None or str(value).strip() == ""):
            stored[field] = ""
            continue
        try:
            stored[field] = _clean_value(step, field, value)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.error_list)
            if not any(e.code == "my_number_refused" for e in exc.error_list):
                if isinstance(value, dt.date):
                    value = value.isoformat()
                stored[field] = str(value)[: TEXT_MAX * 2]
    return stored, errors


# --- reading the content --------------------------------------------------------------------


def _content(application: Application, step: str) -> dict[str, Any]:
    return dict((application.content or {}).get(step) or {})


def _date(application: Application, step: str, field: str) -> dt.date | None:
    value = _content(application, step).get(field)
    return _as_date(value) if value else None


def _status(application: Application) -> Status | None:
    return application.status


def _unsaved_organization(data: dict[str, Any]) -> Organization | None:
    if not data.get("organization_name"):
        return None
    return Organization(
        name=data["organization_name"],
        corporate_number=data.get("corporate_number") or None,
        prefecture_id=data.get("organization_prefecture") or None,
    )


def _resolve_organization(application: Application, user: User) -> Organization | None:
    """The organization STEP2-3 names: a registered one (by corporate number, or the staff
    user's own by name), else an unsaved one for the rules; organization staff default to
    their own organization (A-2)."""
    data = _content(application, "organization")
    own = rules.staff_organization(user) if user.category in STAFF_CATEGORIES else None
    number = data.get("corporate_number")
    if number:
        found = Organization.objects.filter(corporate_number=number).first()
        if found is not None:
            return found
    if (
        own is not None
        and data.get("organization_name")
        and rules._fold(data["organization_name"]) == rules._fold(own.name)
        and (not number or number == own.corporate_number)
    ):
        return own
    if data.get("organization_name"):
        return _unsaved_organization(data)
    if user.category == Category.ORGANIZATION_STAFF:
        return own
    return None


def _applicant_key(application: Application, card: ResidenceCard | None) -> str:
    personal = _content(application, "personal1")
    return rules.applicant_key(
        card=card,
        nationality=personal.get("nationality", "") or "",
        birth_date=_as_date(personal.get("birth_date") or ""),
        name=personal.get("roman_name", "") or "",
    )


def _match_card(application: Application) -> ResidenceCard | None:
    personal = _content(application, "personal1")
    card = _content(application, "personal2")
    birth_date = _as_date(personal.get("birth_date") or "")
    valid_until = _as_date(card.get("card_valid_until") or "")
    if birth_date is None or valid_until is None:
        return None
    return card_match(
        number=card.get("card_number", ""),
        roman_name=personal.get("roman_name", ""),
        nationality=personal.get("nationality", ""),
        birth_date=birth_date,
        sex=personal.get("sex", ""),
        prefecture=personal.get("prefecture") or None,
        municipality=personal.get("municipality") or None,
        card_valid_until=valid_until,
        allow_expired=True,
    )


def _eligibility(
    application: Application,
    *,
    user: User,
    card: ResidenceCard | None,
    organization: Organization | None,
    client_ip: str | None,
    organization_known: bool,
    today: dt.date | None = None,
) -> list[rules.Refusal]:
    personal = _content(application, "personal1")
    refusals = rules.check_eligibility(
        user=user,
        procedure=application.procedure_id,
        status=application.status,
        card=card,
        applicant_name=personal.get("roman_name", "") or "",
        applicant_birth_date=_as_date(personal.get("birth_date") or ""),
        event_date=_as_date(personal.get("event_date") or ""),
        organization=organization,
        relationship=application.relationship,
        reentry=application.reentry,
        other_activity=application.other_activity,
        client_ip=client_ip,
        applicant_key=_applicant_key(application, card),
        exclude_id=application.pk,
        today=today,
    )
    if not organization_known:
        refusals = [r for r in refusals if r.code not in ORGANIZATION_REFUSALS]
    return refusals


def _bureau_for(application: Application, organization: Organization | None) -> Bureau | None:
    """Q4-16: the office of the applicant's address; a COE's is the organization's."""
    if application.procedure_id == MainProcedure.COE:
        if organization is not None and organization.pk and organization.bureau_id:
            return organization.bureau
        prefecture = _content(application, "organization").get("organization_prefecture")
    elif application.applicant_card is not None:
        prefecture = application.applicant_card.prefecture_id
    else:
        prefecture = _content(application, "personal1").get("prefecture")
    if not prefecture:
        return None
    try:
        return bureau_for_prefecture(prefecture)
    except Prefecture.DoesNotExist:
        return None


# --- validating a whole step ----------------------------------------------------------------


def _required_fields(application: Application, step: str) -> tuple[str, ...]:
    procedure = application.procedure_id
    if step == "step1":
        return ("procedure",) + (() if procedure == MainProcedure.WORK_CERTIFICATE else ("status",))
    if step == "personal1":
        fields = ["nationality", "roman_name", "sex", "birth_date"]
        if procedure != MainProcedure.COE:  # a COE applicant lives abroad
            fields += ["prefecture", "municipality"]
        if application.filer.category in REPRESENTATIVE_CATEGORIES:
            fields.append("relationship")
        return tuple(fields)
    if step == "personal2":
        return ("card_number", "card_valid_until")
    if step == "organization":
        return ("organization_name", "organization_prefecture")
    return ("applicant_email", "receipt_method")


def _validate_step(
    application: Application,
    step: str,
    *,
    user: User,
    client_ip: str | None,
    today: dt.date | None = None,
) -> None:
    """Check ``content[step]`` of a locked application in full and set the columns it decides
    (not saved). Raises ValidationError (field errors, refusals, ``card_mismatch``)."""
    data = _content(application, step)
    stored, errors = _clean_fields(step, data)
    for field in _required_fields(application, step):
        if field in errors:
            continue
        if stored.get(field) in (None, ""):
            if field == "applicant_email":
                errors.setdefault(field, []).append(
                    ValidationError(
                        _(
                            "Enter the applicant's notification e-mail address: the provisional "
                            "and the receipt number are sent to it (002 Q4-30). If the applicant "
                            "has no address, enter one where they can read the notices."
                        ),
                        code="applicant_email_required",
                    )
                )
            else:
                errors.setdefault(field, []).append(_required(field))
    if errors:
        raise ValidationError(errors)
    if step == "step1":
        _apply_step1(application, stored, user=user)
        return
    if step == "personal1":
        application.relationship = stored.get("relationship", "")
        application.applicant_name = stored["roman_name"][:100]
        application.applicant_birth_date = _as_date(stored["birth_date"])
        application.kanji_name_requested = application.procedure_id in CARD_PROCEDURES and bool(
            stored.get("kanji_name_requested")
        )
        if application.procedure_id not in CARD_HOLDER_PROCEDURES:
            _identify(application, card=None, user=user, client_ip=client_ip, today=today)
        return
    if step == "personal2":
        card = _match_card(application)
        if card is None:
            raise _card_mismatch()
        _identify(application, card=card, user=user, client_ip=client_ip, today=today)
        return
    if step == "organization":
        organization = _resolve_organization(application, user)
        refusals = _eligibility(
            application,
            user=user,
            card=application.applicant_card,
            organization=organization,
            client_ip=client_ip,
            organization_known=True,
            today=today,
        )
        if refusals:
            raise rules.refusals_as_error(refusals)
        application.organization = organization if organization and organization.pk else None
        if application.procedure_id == MainProcedure.COE:
            application.bureau = _bureau_for(application, organization)
        return
    # step3
    application.applicant_email = stored["applicant_email"]
    refusal = rules.refuse_receipt_method(
        stored["receipt_method"],
        application.procedure_id,
        **rules.application_receipt_facts(application, today=today),
    )
    if refusal is not None:
        raise refusal.as_error()
    application.receipt_method = stored["receipt_method"]


def _apply_step1(application: Application, stored: dict[str, Any], *, user: User) -> None:
    procedure = stored.get("procedure") or application.procedure_id
    code = stored.get("status")
    status = Status.objects.filter(pk=code).first() if code else None
    found = [
        rules.refuse_procedure(
            procedure,
            reentry=stored.get("reentry", ""),
            other_activity=bool(stored.get("other_activity")),
        )
    ]
    if found[0] is None:
        found += [
            rules.refuse_category(user, procedure),
            rules.refuse_status(procedure, status=status),
        ]
    refusals = [r for r in found if r is not None]
    if refusals:
        raise rules.refusals_as_error(refusals)
    application.procedure_id = procedure
    application.status = status
    application.period_requested = stored.get("period_requested", "")
    application.reentry = stored.get("reentry", "")
    application.other_activity = bool(stored.get("other_activity"))


def _identify(
    application: Application,
    *,
    card: ResidenceCard | None,
    user: User,
    client_ip: str | None,
    today: dt.date | None,
) -> None:
    """The applicant is known (STEP2-2's card, or STEP2-1 for a COE / an acquisition): run the
    eligibility rules and set who it is, where it is filed and the A-5 key."""
    organization_known = "organization" in (application.steps_done or []) or (
        user.category == Category.ORGANIZATION_STAFF
    )
    organization = (
        _resolve_organization(application, user)
        if organization_known or application.organization_id
        else application.organization
    )
    refusals = _eligibility(
        application,
        user=user,
        card=card,
        organization=organization,
        client_ip=client_ip,
        organization_known=organization_known and organization_step_applies(application),
        today=today,
    )
    if refusals:
        raise rules.refusals_as_error(refusals)
    application.applicant_card = card
    application.applicant_person = card.person if card is not None else None
    application.applicant_key = _applicant_key(application, card)
    if card is not None:
        application.applicant_name = card.roman_name[:100]
        application.applicant_birth_date = card.birth_date
    if application.procedure_id != MainProcedure.COE:
        application.bureau = _bureau_for(application, organization)
    # A foreign national's own card, proved by their My Number certificate: remember the
    # registry person on the account (later applications and A-5 know them at STEP1).
    if (
        card is not None
        and user.category == Category.FOREIGN_NATIONAL
        and user.person_id is None
        and application.filer_id == user.pk
    ):
        User.objects.filter(pk=user.pk, person__isnull=True).update(person=card.person)
        user.person = card.person


_DEPENDENT_STEPS = {"step1": STEPS[1:], "personal1": ("personal2", "organization")}


def _save_draft(application: Application, fields: set[str]) -> None:
    """Save a locked draft; the A-5 index backs ``refuse_open_draft`` under a race."""
    now = clock.now()
    application.updated_at = now
    application.last_saved_at = now
    fields |= {"updated_at", "last_saved_at"}
    try:
        with transaction.atomic():
            application.save(update_fields=sorted(fields))
    except IntegrityError as exc:
        refusal = rules.refuse_open_draft(
            applicant_key=application.applicant_key,
            procedure=application.procedure_id,
            user=application.filer,
            exclude_id=application.pk,
        )
        if refusal is None:
            raise
        raise refusal.as_error() from exc


def _lock(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("procedure", "filer", "status", "applicant_card", "organization")
        .get(pk=application.pk)
    )


def _lock_own_draft(user: User, application: Application) -> Application:
    locked = _lock(application)
    if locked.filer_id != user.pk or locked.state != S.DRAFT:
        raise _not_draft()
    return locked


def _sync(application: Application, locked: Application) -> Application:
    application.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    application._state = locked._state
    fields_cache = getattr(locked._state, "fields_cache", None)
    if fields_cache is not None:
        application._state.fields_cache = dict(fields_cache)
    return locked


# Columns a full step validation may set.
_STEP_COLUMNS = (
    "procedure",
    "status",
    "period_requested",
    "reentry",
    "other_activity",
    "relationship",
    "applicant_name",
    "applicant_birth_date",
    "applicant_card",
    "applicant_person",
    "applicant_key",
    "bureau",
    "organization",
    "applicant_email",
    "kanji_name_requested",
    "receipt_method",
)


# --- the public API ---------------------------------------------------------------------------


def application_start(
    *,
    user: User,
    procedure: str,
    status: str | None = None,
    period_requested: str = "",
    reentry: str = "",
    other_activity: bool = False,
    client_ip: str | None = None,
    request: HttpRequest | None = None,
) -> Application:
    """STEP1 (A-3): create a draft for ``procedure`` (a ``MainProcedure`` value) and ``status``.

    Checks: ``rules.refuse_client_address``, ``refuse_procedure``, ``refuse_category``,
    ``refuse_status`` (the rules that need the applicant run again at STEP2); a foreign
    national whose account knows their registry person is also checked for A-5 at once (002
    Q4-8: "open it from your list"). ``status`` is required except for a work certificate
    (code ``required``); an unknown status or period: ``invalid_choice`` / ``period_invalid``.
    Writes: the ``Application`` via ``transition(new, to=draft)`` (state-change row, audit
    ``applications.application.draft``), ``content["step1"]``, ``steps_done=["step1"]``,
    ``organization`` = the organization staff user's organization (``rules.staff_organization``).
    No mail. Raises ValidationError with the refusal codes (``procedure_not_online``,
    ``add_on_not_allowed``, ``category_not_permitted``, ``coe_recipient``,
    ``status_not_online``, ``status_not_current``, ``address_not_allowed``,
    ``open_draft_exists``).
    """
    refusals = [
        r
        for r in (
            rules.refuse_client_address(client_ip),
            rules.refuse_procedure(procedure, reentry=reentry, other_activity=other_activity),
        )
        if r is not None
    ]
    if refusals:
        raise rules.refusals_as_error(refusals)
    data = {
        "procedure": procedure,
        "status": status or "",
        "period_requested": period_requested or "",
        "reentry": reentry or "",
        "other_activity": bool(other_activity),
    }
    stored, errors = _clean_fields("step1", data)
    if procedure != MainProcedure.WORK_CERTIFICATE and not stored.get("status") and not errors:
        errors["status"] = [_required("status")]
    if errors:
        raise ValidationError(errors)
    status_row = Status.objects.filter(pk=stored["status"]).first() if stored["status"] else None
    found = [
        rules.refuse_category(user, procedure),
        rules.refuse_status(procedure, status=status_row),
    ]
    key = ""
    if user.category == Category.FOREIGN_NATIONAL and user.person_id:
        key = rules.applicant_key(person=user.person_id)
        found.append(rules.refuse_open_draft(applicant_key=key, procedure=procedure, user=user))
    refusals = [r for r in found if r is not None]
    if refusals:
        raise rules.refusals_as_error(refusals)
    organization = (
        rules.staff_organization(user) if user.category == Category.ORGANIZATION_STAFF else None
    )
    application = Application(
        procedure_id=procedure,
        status=status_row,
        period_requested=stored["period_requested"],
        reentry=stored["reentry"],
        other_activity=stored["other_activity"],
        filer=user,
        organization=organization,
        applicant_key=key,
        content={"step1": stored},
        steps_done=["step1"],
    )
    try:
        with transaction.atomic():
            return transition(application, to=S.DRAFT, actor=user, request=request)
    except IntegrityError as exc:  # a second tab started the same draft at the same moment
        refusal = rules.refuse_open_draft(applicant_key=key, procedure=procedure, user=user)
        if refusal is None:
            raise
        raise refusal.as_error() from exc


def draft_save(
    *,
    user: User,
    application: Application,
    step: str,
    data: dict[str, Any],
    partial: bool = True,
    client_ip: str | None = None,
    request: HttpRequest | None = None,
) -> Application:
    """Save one step's input of a draft (A-3, A-9): ``step`` is ``step1``, ``personal1``,
    ``personal2``, ``organization`` or ``step3`` (fields: ``STEP_FIELDS``; others ignored).

    ``partial=True`` (autosave while typing): stores ``data`` under ``content[step]`` after
    per-field format checks only (FMT validators), never refuses for missing fields and never
    loses input: a value that fails its format is stored as typed (only a My Number is
    dropped) and the problems are returned on ``application.save_errors`` (a
    ``ValidationError`` or None) for the page to show. A changed step (and the steps that
    depend on it) leaves ``steps_done``.
    ``partial=False`` ("next"): stores the input as above, then validates the whole step
    (required fields — only those that apply; ``personal2`` runs
    ``cards.selectors.card_match(..., allow_expired=True)`` → code ``card_mismatch`` without
    saying which field, 002 Q4-21; then ``rules.check_eligibility`` with the card →
    ``applicant_person``, ``applicant_card``, ``applicant_key``, ``applicant_name``,
    ``applicant_birth_date``, ``bureau`` from the card's prefecture or, for a COE, the
    organization's bureau; a COE or acquisition is identified at ``personal1``) and adds
    ``step`` to ``steps_done``; raises ValidationError when it fails (the input stays saved).
    A foreign national's account gets ``person`` once their own card matches. Only the filer
    of a draft (``state == draft``); otherwise ValidationError code ``not_draft``; a step that
    does not apply: code ``step_not_applicable``. Sets ``last_saved_at`` and ``updated_at``;
    audit ``applications.application.saved`` (step name only, no content).
    A-5: a second draft for the same applicant and procedure → code ``open_draft_exists``
    (the unique index ``applications_one_draft_per_applicant`` backs it under a race).
    """
    if step not in STEPS:
        raise _refusal("step_not_applicable", _("This step does not exist."), field="step")
    stored, format_errors = _clean_fields(step, data or {})
    with transaction.atomic():
        locked = _lock_own_draft(user, application)
        if step not in steps_for(locked):
            raise _refusal(
                "step_not_applicable",
                _("This step is not asked for this application; continue with the next one."),
                field="step",
            )
        content = dict(locked.content or {})
        before = dict(content.get(step) or {})
        merged = {**before, **stored}
        content[step] = merged
        locked.content = content
        if merged != before:
            drop = {step, *_DEPENDENT_STEPS.get(step, ())}
            locked.steps_done = [s for s in (locked.steps_done or []) if s not in drop]
        _save_draft(locked, {"content", "steps_done"})
        audit_record(
            action="applications.application.saved",
            obj=locked,
            actor=user,
            after={"step": step, "partial": partial},
            request=request,
        )
    if partial:
        locked.save_errors = ValidationError(format_errors) if format_errors else None
        return _sync(application, locked)
    with transaction.atomic():
        locked = _lock_own_draft(user, application)
        if format_errors:
            raise ValidationError(format_errors)
        _validate_step(locked, step, user=user, client_ip=client_ip)
        locked.steps_done = [s for s in (locked.steps_done or []) if s != step] + [step]
        _save_draft(locked, {"steps_done", *_STEP_COLUMNS})
    locked.save_errors = None
    return _sync(application, locked)


# --- documents and photo (A-6, A-7) -------------------------------------------------------------


def current_documents(application: Application, *, version: int | None = None):
    """The documents of ``version`` (default: the documents now attached, including those
    added or removed for the next amendment)."""
    documents = application.documents.all()
    if version is None:
        return documents.filter(version_removed__isnull=True)
    return documents.filter(version_added__lte=version).exclude(version_removed__lte=version)


def _document_mode(application: Application, user: User) -> str:
    """How a document may be attached now: "draft", "amend" or "reattach"; else refused."""
    if application.filer_id != user.pk:
        raise _not_draft()
    if application.state == S.DRAFT:
        return "draft"
    if application.reattachment_open and application.state in PENDING:
        return "reattach"
    if application.state in AMENDABLE and application.examination_opened_at is None:
        return "amend"
    raise _refusal(
        "not_amendable",
        _(
            "Documents can no longer be attached to this application. If the office asks for "
            "more documents it opens re-attachment and tells you (002 Q4-3, Q4-5)."
        ),
        field="file",
    )


def _stored_name(prefix: str, extension: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}.{extension}"


def document_add(
    *,
    user: User,
    application: Application,
    kind: str,
    upload,
    over_limit_declaration: bool = False,
    request: HttpRequest | None = None,
) -> ApplicationDocument:
    """Attach one PDF (A-6): ``upload`` is checked by ``applications.uploads`` (real PDF, not
    encrypted, no restrictions, no JavaScript or embedded files, per-file and total limits) and
    refused at once with the reason (field ``file``, codes from uploads). Allowed on a draft,
    and on a submitted application while amendable (A-12, becomes part of the next version) or
    while ``reattachment_open`` (Q4-3, Q4-5: ``requested_by_office=True``; the limit counts the
    files of this re-attachment). ``kind`` is a ``DocumentKind`` (field ``kind``, code
    ``invalid_choice``). The over-limit path (Q4-3): files that would pass the total are
    refused (``pdf_total_too_large``); the user attaches what fits with
    ``over_limit_declaration=True`` and the declaration (kind ``declaration``, 参考様式9) and
    the rest when the office opens re-attachment. Writes an ``ApplicationDocument`` (sha256,
    size, original name, ``version_added``) and audit
    ``applications.application.document_added``. Returns the document.
    """
    if kind not in DocumentKind.values:
        raise _refusal(
            "invalid_choice", _("Choose what the document is from the list."), field="kind"
        )
    try:
        checked = uploads.check_pdf(upload)
    except ValidationError as exc:
        raise ValidationError({"file": exc.error_list}) from exc
    with transaction.atomic():
        locked = _lock(application)
        mode = _document_mode(locked, user)
        documents = current_documents(locked)
        if mode == "reattach":
            documents = (
                documents.filter(
                    requested_by_office=True, uploaded_at__gte=locked.reattachment_opened_at
                )
                if locked.reattachment_opened_at
                else documents.filter(requested_by_office=True)
            )
        else:
            documents = documents.filter(requested_by_office=False)
        try:
            uploads.check_total([*documents.values_list("size", flat=True), checked.size])
        except ValidationError as exc:
            raise ValidationError({"file": exc.error_list}) from exc
        version = {
            "draft": 0,
            "amend": locked.version + 1,
            "reattach": locked.version,
        }[mode]
        document = ApplicationDocument(
            application=locked,
            kind=kind,
            original_name=checked.name[:200],
            size=checked.size,
            sha256=checked.sha256,
            uploaded_at=clock.now(),
            uploaded_by=user,
            version_added=version,
            over_limit_declaration=bool(over_limit_declaration),
            requested_by_office=mode == "reattach",
        )
        document.file.save(_stored_name("document", "pdf"), File(upload), save=False)
        document.save()
        locked.updated_at = clock.now()
        fields = ["updated_at"]
        if mode == "draft":
            locked.last_saved_at = locked.updated_at
            fields.append("last_saved_at")
        locked.save(update_fields=fields)
        audit_record(
            action="applications.application.document_added",
            obj=locked,
            actor=user,
            after={
                "document": document.pk,
                "kind": kind,
                "size": checked.size,
                "sha256": checked.sha256,
                "version": version,
                "requested_by_office": document.requested_by_office,
            },
            request=request,
        )
    _sync(application, locked)
    return document


def _delete_files_after_commit(files) -> None:
    files = [(f.name, f.storage) for f in files if f]
    if files:
        transaction.on_commit(lambda: [storage.delete(name) for name, storage in files])


def document_remove(
    *, user: User, application: Application, document_id: int, request: HttpRequest | None = None
) -> None:
    """Remove an attached PDF: deleted (row and file) on a draft, and a file added for the
    next amendment; on a submitted application (amendment, A-12) only marked
    ``version_removed`` so earlier versions keep it. Audit
    ``applications.application.document_removed``. Code ``not_amendable`` when neither
    applies; an unknown document (or another application's): code ``not_found``.
    """
    with transaction.atomic():
        locked = _lock(application)
        if locked.filer_id != user.pk:
            raise _not_draft()
        document = (
            ApplicationDocument.objects.select_for_update()
            .filter(application=locked, pk=document_id, version_removed__isnull=True)
            .first()
        )
        if document is None:
            raise _refusal(
                "not_found", _("This document is not attached (any more)."), field="document"
            )
        amendable = locked.state in AMENDABLE and locked.examination_opened_at is None
        if locked.state == S.DRAFT or (amendable and document.version_added > locked.version):
            _delete_files_after_commit([document.file])
            document.delete()
            removed = "deleted"
        elif amendable:
            document.version_removed = locked.version + 1
            document.save(update_fields=["version_removed"])
            removed = "next_version"
        else:
            raise _refusal(
                "not_amendable",
                _(
                    "Documents of an application under examination cannot be removed. Contact "
                    "the office that received it (002 Q4-29)."
                ),
                field="document",
            )
        locked.updated_at = clock.now()
        fields = ["updated_at"]
        if locked.state == S.DRAFT:
            locked.last_saved_at = locked.updated_at
            fields.append("last_saved_at")
        locked.save(update_fields=fields)
        audit_record(
            action="applications.application.document_removed",
            obj=locked,
            actor=user,
            after={"document": document_id, "removed": removed},
            request=request,
        )
    _sync(application, locked)


def photo_set(
    *, user: User, application: Application, upload, request: HttpRequest | None = None
) -> Application:
    """Attach the face photo (A-7): JPEG ≤ 50 KB, decoded safely (``uploads``; field
    ``photo``), only for procedures that need one (``photo_needed``: a residence card or a
    COE, not an applicant under 16; code ``photo_not_needed`` otherwise). On a draft, and on a
    submitted application while amendable (the next version). Replaces an earlier photo
    (a draft's old file is deleted); stores ``photo``, ``photo_sha256``, ``photo_size``.
    002 Q5-7: once the examination opened, a wrong person's photo is replaced only after the
    office opened it (``officer.photo_replacement_allow`` sets ``photo_replacement_open``);
    the replacement closes it again, the earlier file is kept and the audit event names both.
    Audit ``applications.application.photo_set``.
    """
    with transaction.atomic():
        locked = _lock(application)
        # 002 Q5-7: a wrong person's photo is replaced once the office opens it.
        replacing = (
            locked.photo_replacement_open and locked.filer_id == user.pk and locked.state in PENDING
        )
        mode = "replace" if replacing else _document_mode(locked, user)
        if mode == "reattach" and not (
            locked.state in AMENDABLE and locked.examination_opened_at is None
        ):
            raise _refusal(
                "not_amendable",
                _(
                    "The photo can no longer be replaced online. Contact the office that received "
                    "the application (002 Q5-7)."
                ),
                field="photo",
            )
        if not photo_needed(locked):
            raise _refusal(
                "photo_not_needed",
                _("No photo is needed for this application; nothing has to be attached."),
                field="photo",
            )
        try:
            checked = uploads.check_photo(upload)
        except ValidationError as exc:
            raise ValidationError({"photo": exc.error_list}) from exc
        old = locked.photo if locked.photo and locked.state == S.DRAFT else None
        old_name = old.name if old else ""
        before_sha256 = locked.photo_sha256
        locked.photo.save(_stored_name("photo", "jpg"), File(upload), save=False)
        locked.photo_sha256 = checked.sha256
        locked.photo_size = checked.size
        locked.updated_at = clock.now()
        fields = ["photo", "photo_sha256", "photo_size", "updated_at"]
        if mode == "replace":  # once: the office opens it again if need be
            locked.photo_replacement_open = False
            fields.append("photo_replacement_open")
        if locked.state == S.DRAFT:
            locked.last_saved_at = locked.updated_at
            fields.append("last_saved_at")
        locked.save(update_fields=fields)
        if old_name:
            storage = locked.photo.storage
            transaction.on_commit(lambda: storage.delete(old_name))
        audit_record(
            action="applications.application.photo_set",
            obj=locked,
            actor=user,
            before={"sha256": before_sha256} if before_sha256 else None,
            after={"sha256": checked.sha256, "size": checked.size, "mode": mode},
            request=request,
        )
    return _sync(application, locked)


# --- submission (A-10) -------------------------------------------------------------------------


def _documents_snapshot(application: Application, version: int) -> list[dict]:
    return [
        {
            "id": d.pk,
            "kind": d.kind,
            "name": d.original_name,
            "size": d.size,
            "sha256": d.sha256,
            "requested_by_office": d.requested_by_office,
        }
        for d in current_documents(application, version=version)
    ]


def _final_checks(
    application: Application, *, user: User, client_ip: str | None, today: dt.date
) -> None:
    """Every step again in full, then what only submission checks (A-6, A-7, A-8, Q4-30)."""
    errors: dict[str, list] = {}
    steps = steps_for(application)
    missing = [s for s in steps if s not in (application.steps_done or [])]
    if missing:
        errors.setdefault(NON_FIELD_ERRORS, []).append(
            ValidationError(
                _("Complete every step first; the first one left is %(step)s.")
                % {"step": STEP_NAMES.get(missing[0], missing[0])},
                code="steps_incomplete",
                params={"step": missing[0]},
            )
        )
        raise ValidationError(errors)
    for step in steps:
        try:
            _validate_step(application, step, user=user, client_ip=client_ip, today=today)
        except ValidationError as exc:
            _merge(errors, exc)
    documents = list(current_documents(application))
    if not documents:
        errors.setdefault("file", []).append(
            ValidationError(
                _(
                    "Attach the documents for the activity in Japan as PDF files (002 Q4-1) "
                    "before submitting."
                ),
                code="documents_required",
            )
        )
    if any(d.over_limit_declaration for d in documents) and not any(
        d.kind == DocumentKind.DECLARATION for d in documents
    ):
        errors.setdefault("file", []).append(
            ValidationError(
                _(
                    "Some documents follow later: attach the declaration on attached documents "
                    "(参考様式9) with what fits now (002 Q4-3)."
                ),
                code="declaration_required",
            )
        )
    if photo_needed(application, today=today) and not application.photo_sha256:
        errors.setdefault("photo", []).append(
            ValidationError(
                _("Attach the applicant's face photo (JPEG, at most 50 KB) before submitting."),
                code="photo_required",
            )
        )
    if errors:
        raise ValidationError(errors)


STEP_NAMES = {
    "step1": _lazy("STEP1 procedure and status"),
    "personal1": _lazy("STEP2-1 personal data 1"),
    "personal2": _lazy("STEP2-2 personal data 2"),
    "organization": _lazy("STEP2-3 organization data"),
    "step3": _lazy("STEP3 attachments and receipt"),
}


def application_submit(
    *,
    user: User,
    application: Application,
    token: uuid.UUID,
    client_ip: str | None = None,
    request: HttpRequest | None = None,
) -> Application:
    """Submit a draft from the confirmation page (A-10): "submit to the agency".

    Idempotent (A-9): ``token`` comes from the confirmation page; an application already
    submitted with the same ``submit_token`` is returned unchanged, and so is this application
    when it is no longer a draft (a re-sent form, a double click or the back button never
    files twice and creates nothing twice). Checks again: every step done and valid
    (``steps_incomplete`` otherwise, the step in ``params``), ``applicant_email`` (code
    ``applicant_email_required``, Q4-30), documents (``documents_required``: at least one PDF;
    ``declaration_required`` on the over-limit path) and the photo where needed
    (``photo_required``), receipt method offered (``rules.refuse_receipt_method``),
    ``rules.check_eligibility`` on the day (A-4 with ``clock.today()``). Writes, in one
    transaction: ``provisional_number`` (``next_provisional_number``), ``version=1`` and the
    first ``ApplicationVersion``, ``transition(to=submitted, mail="application_submitted")``
    (mailed at once to the user and the applicant with the provisional number, Q4-15),
    ``filed_on`` = today (Q4-14); after commit enqueues the receipt-number task
    (``core.work.enqueue_on_commit``). Another user's application: code ``not_draft``.
    """
    existing = Application.objects.filter(submit_token=token, filer=user).first()
    if existing is not None:
        return existing
    from .tasks import receipt_number_task

    with transaction.atomic():
        locked = _lock(application)
        if locked.filer_id != user.pk:
            raise _not_draft()
        if locked.state != S.DRAFT:
            return _sync(application, locked)  # submitted meanwhile (the other click)
        today = clock.today()
        _final_checks(locked, user=user, client_ip=client_ip, today=today)
        _save_draft(locked, set(_STEP_COLUMNS))
        provisional = next_provisional_number()
        locked.documents.filter(version_added=0).update(version_added=1)
        submitted = transition(
            locked,
            to=S.SUBMITTED,
            actor=user,
            request=request,
            changes={
                "provisional_number": provisional,
                "version": 1,
                "submit_token": token,
                "filed_on": today,
            },
            mail="application_submitted",
        )
        ApplicationVersion.objects.create(
            application=submitted,
            number=1,
            content=submitted.content,
            documents=_documents_snapshot(submitted, 1),
            receipt_method=submitted.receipt_method,
            photo_sha256=submitted.photo_sha256,
            created_at=clock.now(),
            actor=user,
            actor_repr=str(user)[:150],
        )
        enqueue_on_commit(receipt_number_task, submitted.pk)
    return _sync(application, submitted)


# --- receipt numbers (A-10, REFERENCE.md §5) --------------------------------------------------


def _receipt_ready(now: dt.datetime) -> Q:
    return Q(state=S.SUBMITTED, receipt_number__isnull=True) & (
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    )


def _receipt_failed(application: Application, code: str, note: str) -> None:
    """エラー(申請受付番号取得エラー) for an officer (BO-5); the filer is told."""
    failed = transition(
        application,
        to=S.RECEIPT_ERROR,
        note=note,
        changes={"receipt_error_code": code, "leased_until": None, "attempts": 0},
    )
    application_mail(failed, template="application_receipt_error", to_applicant=False)


def receipt_number_assign(*, application_id: int) -> bool:
    """Assign the receipt number (A-10, REFERENCE.md §5); the background task's body.

    Claims the application with a lease (``core.work.claim``, ready = submitted, no receipt
    number, lease empty or expired; ``attempts`` + 1 is the fencing token). Office: ``bureau``
    (the applicant's address; COE: the organization's), derived again when empty; letter: the
    main procedure's ``receipt_kanji``. In one transaction: ``next_receipt_number``,
    ``receipt_number``, ``receipt_assigned_at``, lease cleared, audit
    ``applications.application.receipt_assigned`` and mail ``application_receipt_number`` to
    the user and the applicant. A failure (no office: ``no_office``; no letter: ``no_letter``;
    exhausted series: ``number_exhausted``; too many attempts: ``too_many_attempts``) →
    ``transition(to=receipt_error)`` with ``receipt_error_code`` (attempts reset, so the task
    runs again once an officer moves it back to 申請完了). Returns True when it moved the
    application; idempotent.
    """
    now = clock.now()
    if not claim(
        Application.objects,
        pk=application_id,
        ready=_receipt_ready(now),
        claimed={"leased_until": lease_until(), "attempts": F("attempts") + 1},
    ):
        return False
    attempts = Application.objects.values_list("attempts", flat=True).get(pk=application_id)
    exhausted = False
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("procedure", "filer", "bureau", "organization", "applicant_card")
            .get(pk=application_id)
        )
        if locked.state != S.SUBMITTED or locked.receipt_number or locked.attempts != attempts:
            return False  # withdrawn meanwhile, or a newer claim took over (fencing)
        if attempts > MAX_RECEIPT_ATTEMPTS:
            _receipt_failed(locked, "too_many_attempts", "receipt number: too many attempts")
            return True
        bureau = locked.bureau or _bureau_for(locked, locked.organization)
        if bureau is None:
            _receipt_failed(
                locked, "no_office", "no office has jurisdiction over the address given"
            )
            return True
        letter = locked.procedure.receipt_kanji
        if not letter:
            _receipt_failed(locked, "no_letter", "the procedure has no receipt-number letter")
            return True
        try:
            with transaction.atomic():
                number = next_receipt_number(bureau=bureau, letter=letter)
        except NumberExhausted:
            exhausted = True
        else:
            at = clock.now()
            locked.receipt_number = number
            locked.receipt_assigned_at = at
            locked.bureau = bureau
            locked.leased_until = None
            locked.receipt_error_code = ""
            locked.updated_at = at
            locked.save(
                update_fields=[
                    "receipt_number",
                    "receipt_assigned_at",
                    "bureau",
                    "leased_until",
                    "receipt_error_code",
                    "updated_at",
                ]
            )
            audit_record(
                action="applications.application.receipt_assigned",
                obj=locked,
                after={"receipt_number": number, "bureau": bureau.pk},
            )
            application_mail(locked, template="application_receipt_number")
        if exhausted:
            _receipt_failed(locked, "number_exhausted", "the office's series is exhausted")
    return True


def receipt_sweep(*, limit: int = 1000) -> int:
    """Re-enqueue submitted applications without a receipt number whose lease ran out or whose
    task never ran (registered with ``core.work.register_sweeper``: every
    ``ZAIRYU_SWEEP_SECONDS``, so the number follows within a minute). An application the task
    never claimed is handed out once it has waited one sweep interval. Uses the partial index
    ``applications_receipt_idx``. Returns how many were enqueued."""
    from .tasks import receipt_number_task

    now = clock.now()
    grace = now - dt.timedelta(seconds=settings.ZAIRYU_SWEEP_SECONDS)
    ids = list(
        Application.objects.filter(state=S.SUBMITTED, receipt_number__isnull=True)
        .filter(Q(leased_until__lt=now) | Q(leased_until__isnull=True, state_changed_at__lte=grace))
        .order_by("state_changed_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        receipt_number_task.delay(pk)
    return len(ids)


# --- after submission (A-8, A-12) -------------------------------------------------------------


def application_amend(
    *,
    user: User,
    application: Application,
    content: dict[str, Any],
    note: str = "",
    request: HttpRequest | None = None,
) -> Application:
    """Amend a submitted application before examination (A-12 [B]).

    Only the filer, while ``state`` is in ``AMENDABLE`` (申請完了) and
    ``examination_opened_at`` is empty (code ``not_amendable`` otherwise). ``content`` maps
    steps to their changed fields (merged into the stored step; an empty dict amends only the
    documents / photo changed since the last version). Validates every step in full like
    ``draft_save(partial=False)`` (the procedure cannot change: ``procedure_changed``; the
    applicant cannot change: code ``applicant_changed``), increments ``version`` and writes a
    new ``ApplicationVersion`` (content, current documents, receipt method, photo); earlier
    versions stay. Audit ``applications.application.amended`` (version numbers only); mail
    ``application_amended`` to the filer. State unchanged.
    """
    with transaction.atomic():
        locked = _lock(application)
        if (
            locked.filer_id != user.pk
            or locked.state not in AMENDABLE
            or locked.examination_opened_at is not None
        ):
            raise _refusal(
                "not_amendable",
                _(
                    "This application can no longer be amended online: an officer has opened "
                    "the examination. Contact the office that received it (002 Q4-29)."
                ),
            )
        merged = dict(locked.content or {})
        errors: dict[str, list] = {}
        for step, data in (content or {}).items():
            if step not in steps_for(locked):
                raise _refusal(
                    "step_not_applicable",
                    _("This step is not asked for this application."),
                    field="step",
                )
            stored, format_errors = _clean_fields(step, data or {})
            for field, items in format_errors.items():
                errors.setdefault(field, []).extend(items)
            merged[step] = {**(merged.get(step) or {}), **stored}
        if errors:
            raise ValidationError(errors)
        if (merged.get("step1") or {}).get("procedure", locked.procedure_id) != locked.procedure_id:
            raise _refusal(
                "procedure_changed",
                _(
                    "The procedure cannot be changed by an amendment. Ask the office to withdraw "
                    "this application and file a new one (002 Q4-31)."
                ),
                field="procedure",
            )
        key_before = locked.applicant_key
        locked.content = merged
        for step in steps_for(locked):
            try:
                _validate_step(locked, step, user=user, client_ip=None)
            except ValidationError as exc:
                _merge(errors, exc)
        if errors:
            raise ValidationError(errors)
        if locked.applicant_key != key_before:
            raise _refusal(
                "applicant_changed",
                _(
                    "An amendment cannot change who the applicant is. Ask the office to withdraw "
                    "this application and file one for the right person."
                ),
            )
        if not current_documents(locked, version=locked.version + 1).exists():
            raise ValidationError(
                {
                    "file": [
                        ValidationError(
                            _("Keep at least one document attached."), code="documents_required"
                        )
                    ]
                }
            )
        before = locked.version
        now = clock.now()
        locked.version = before + 1
        locked.updated_at = now
        locked.save(update_fields=sorted({"content", "version", "updated_at", *_STEP_COLUMNS}))
        ApplicationVersion.objects.create(
            application=locked,
            number=locked.version,
            content=locked.content,
            documents=_documents_snapshot(locked, locked.version),
            receipt_method=locked.receipt_method,
            photo_sha256=locked.photo_sha256,
            created_at=now,
            actor=user,
            actor_repr=str(user)[:150],
            note=(note or "")[:500],
        )
        audit_record(
            action="applications.application.amended",
            obj=locked,
            actor=user,
            before={"version": before},
            after={"version": locked.version},
            request=request,
        )
        application_mail(
            locked,
            template="application_amended",
            context={"version": locked.version, "note": note},
            to_applicant=False,
        )
    return _sync(application, locked)


def withdrawal_request(
    *,
    user: User,
    application: Application,
    reason: str,
    add_on: str = "",
    request: HttpRequest | None = None,
) -> Application:
    """Request withdrawal (A-12 [B]): the officer decides (``transition(to=withdrawn)``).

    Only the filer, in ``WITHDRAWABLE`` states (code ``not_withdrawable``) and once (code
    ``withdrawal_already_requested``); reason required (JIS text, code ``required`` or the
    JIS codes). ``add_on`` (002 Q4-33: ``"reentry"`` or ``"other_activity"``) asks to withdraw
    only the re-entry permit or the other-activity permission filed with the application (field
    ``add_on``: code ``invalid_choice``, or ``add_on_not_applied`` when the application has
    none); the officer then records it with ``officer.add_on_withdrawal_record``. Sets
    ``withdrawal_requested_at``, ``withdrawal_reason``, ``withdrawal_add_on``; audit
    ``applications.application.withdrawal_requested``; mail ``application_withdrawal_requested``
    to the filer. State unchanged until the officer acts.
    """
    add_on = add_on or ""
    if add_on not in WithdrawalAddOn.values:
        raise _refusal(
            "invalid_choice", _("Choose what to withdraw from the list."), field="add_on"
        )
    text = (reason or "").strip()
    if not text:
        raise _refusal(
            "required",
            _("Write why the application should be withdrawn."),
            field="reason",
        )
    try:
        refuse_my_number(text, field=str(_("Reason for withdrawal")))
        text = (
            JisX0208Text(
                field=_("Reason for withdrawal"), max_length=1000, allow_ascii=True, multiline=True
            )
            .clean(text)
            .value
        )
    except ValidationError as exc:
        raise ValidationError({"reason": exc.error_list}) from exc
    with transaction.atomic():
        locked = _lock(application)
        if locked.filer_id != user.pk or locked.state not in WITHDRAWABLE:
            raise _refusal(
                "not_withdrawable",
                _("An application that is %(state)s cannot be withdrawn.")
                % {"state": ApplicationState(locked.state).label},
            )
        if locked.withdrawal_requested_at is not None:
            raise _refusal(
                "withdrawal_already_requested",
                _(
                    "Withdrawal has already been requested; the office decides and tells you by "
                    "e-mail."
                ),
            )
        if (add_on == WithdrawalAddOn.REENTRY and not locked.reentry) or (
            add_on == WithdrawalAddOn.OTHER_ACTIVITY and not locked.other_activity
        ):
            raise _refusal(
                "add_on_not_applied",
                _(
                    "This application does not include it. Choose the whole application or "
                    "what was applied for with it."
                ),
                field="add_on",
            )
        now = clock.now()
        locked.withdrawal_requested_at = now
        locked.withdrawal_reason = text
        locked.withdrawal_add_on = add_on
        locked.updated_at = now
        locked.save(
            update_fields=[
                "withdrawal_requested_at",
                "withdrawal_reason",
                "withdrawal_add_on",
                "updated_at",
            ]
        )
        audit_record(
            action="applications.application.withdrawal_requested",
            obj=locked,
            actor=user,
            after={"state": locked.state, "add_on": add_on},
            request=request,
        )
        with translation.override(locked.filer.language or "ja"):
            add_on_label = str(WithdrawalAddOn(add_on).label) if add_on else ""
        application_mail(
            locked,
            template="application_withdrawal_requested",
            context={"reason": text, "add_on": add_on, "add_on_label": add_on_label},
            to_applicant=False,
        )
    return _sync(application, locked)


def receipt_method_change(
    *,
    user: User,
    application: Application,
    method: str,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> Application:
    """Change the receipt method (A-8, 002 Q5-1): cards and work certificates only, while
    ``RECEIPT_METHOD_CHANGEABLE`` (申請完了 / 審査中; code ``not_changeable``); a COE's method
    is fixed once filed (Q8-4, Q8-5: code ``coe_method_fixed``). ``method`` must be offered
    (``rules.refuse_receipt_method`` with ``rules.application_receipt_facts``). ``user`` is the
    filer (code ``not_changeable`` for anybody else) unless ``actor`` is an officer (BO-5).
    The same method again changes nothing. Audit
    ``applications.application.receipt_method_changed`` (before/after); mail
    ``application_receipt_method_changed`` to the filer and the applicant.
    """
    officer = actor is not None and is_officer(actor, "change")
    with transaction.atomic():
        locked = _lock(application)
        if not officer and locked.filer_id != user.pk:
            raise _refusal("not_changeable", _("Only the filer can change the receipt method."))
        if locked.procedure_id == MainProcedure.COE:
            raise _refusal(
                "coe_method_fixed",
                _(
                    "The receipt method of a Certificate of Eligibility cannot be changed once "
                    "the application is filed (002 Q5-1, Q8-4, Q8-5). Contact the office that "
                    "received the application."
                ),
                field="receipt_method",
            )
        if locked.state not in RECEIPT_METHOD_CHANGEABLE:
            raise _refusal(
                "not_changeable",
                _(
                    "The receipt method can be changed only while the application is submitted "
                    "or under examination (002 Q5-1)."
                ),
                field="receipt_method",
            )
        refusal = rules.refuse_receipt_method(
            method, locked.procedure_id, **rules.application_receipt_facts(locked)
        )
        if refusal is not None:
            raise refusal.as_error()
        before = locked.receipt_method
        if before == method:
            return _sync(application, locked)
        locked.receipt_method = method
        locked.updated_at = clock.now()
        content = dict(locked.content or {})
        content["step3"] = {**(content.get("step3") or {}), "receipt_method": method}
        locked.content = content
        locked.save(update_fields=["receipt_method", "content", "updated_at"])
        audit_record(
            action="applications.application.receipt_method_changed",
            obj=locked,
            actor=actor if officer else user,
            before={"receipt_method": before},
            after={"receipt_method": method},
            request=request,
        )
        with translation.override(locked.filer.language or "ja"):
            labels = {
                "before_label": str(ReceiptMethod(before).label) if before else "",
                "after_label": str(ReceiptMethod(method).label),
            }
        application_mail(locked, template="application_receipt_method_changed", context=labels)
    return _sync(application, locked)


def handover_refusal(user: User, to_user: User) -> rules.Refusal | None:
    """A-17: who may receive a draft from ``user`` — an active user of the same organization,
    or a lawyer / gyoseishoshi when ``user`` is staff."""
    if to_user.pk == user.pk or to_user.state != "active" or not to_user.is_active:
        return rules.Refusal(
            "handover_not_allowed",
            _("Choose another active user to hand the draft to."),
            field="to_user",
        )
    own = rules.staff_organization(user) if user.category in STAFF_CATEGORIES else None
    if own is not None:
        if to_user.category == Category.LAWYER:
            return None
        theirs = rules.staff_organization(to_user) if to_user.category in STAFF_CATEGORIES else None
        if theirs is not None and theirs.pk == own.pk:
            return None
    return rules.Refusal(
        "handover_not_allowed",
        _(
            "A draft can be handed only to another user of your organization, or from staff to "
            "a lawyer or gyoseishoshi the organization uses."
        ),
        field="to_user",
    )


def draft_handover(
    *,
    user: User,
    application: Application,
    to_user: User,
    note: str = "",
    request: HttpRequest | None = None,
) -> Application:
    """Hand a draft to another user (A-17 [B]): a user of the same organization, or from a
    staff member to a lawyer the organization uses (``handover_refusal``: code
    ``handover_not_allowed``). Only the filer's drafts (code ``not_draft``); the new filer must
    be allowed to file it (``rules.check_eligibility`` with ``user=to_user``; codes as there;
    steps the new filer's category does not ask leave ``steps_done``). Sets ``filer``; writes
    ``ApplicationHandover`` and audit ``applications.application.handed_over``; mails
    ``application_handed_over`` to ``to_user``.
    """
    with transaction.atomic():
        locked = _lock_own_draft(user, application)
        refusal = handover_refusal(user, to_user)
        if refusal is not None:
            raise refusal.as_error()
        locked.filer = to_user
        organization = _resolve_organization(locked, to_user) or locked.organization
        refusals = _eligibility(
            locked,
            user=to_user,
            card=locked.applicant_card,
            organization=organization,
            client_ip=None,
            organization_known="organization" in (locked.steps_done or []),
        )
        if refusals:
            raise rules.refusals_as_error(refusals)
        applicable = steps_for(locked)
        locked.steps_done = [s for s in (locked.steps_done or []) if s in applicable]
        now = clock.now()
        locked.updated_at = now
        locked.last_saved_at = now
        locked.save(update_fields=["filer", "steps_done", "updated_at", "last_saved_at"])
        ApplicationHandover.objects.create(
            application=locked,
            from_user=user,
            to_user=to_user,
            from_repr=str(user)[:150],
            to_repr=str(to_user)[:150],
            at=now,
            note=(note or "")[:500],
        )
        audit_record(
            action="applications.application.handed_over",
            obj=locked,
            actor=user,
            before={"filer": user.pk},
            after={"filer": to_user.pk},
            request=request,
        )
        if to_user.email:
            language = to_user.language or "ja"
            with translation.override(language):
                procedure_name = (
                    locked.procedure.name_ja if language == "ja" else locked.procedure.name_en
                )
            mail_queue(
                template="application_handed_over",
                to=to_user.email,
                language=language,
                context={
                    "application": locked,
                    "recipient": to_user,
                    "from_user": user,
                    "note": note,
                    "procedure_name": procedure_name,
                    "site_url": settings.ZAIRYU_SITE_URL,
                },
                related=locked,
            )
    return _sync(application, locked)


def draft_purge(*, now: dt.datetime | None = None) -> int:
    """Delete drafts nobody saved for ``ZAIRYU_DRAFT_PURGE_DAYS`` (A-9): rows, documents, photo
    files (after commit). Daily (``core.work.register_housekeeper``); uses
    ``applications_draft_idx``. Audit ``applications.application.purged`` per draft (id only).
    Returns the number deleted."""
    now = now or clock.now()
    cutoff = now - dt.timedelta(days=settings.ZAIRYU_DRAFT_PURGE_DAYS)
    ids = list(
        Application.objects.filter(state=S.DRAFT, last_saved_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    purged = 0
    for pk in ids:
        with transaction.atomic():
            draft = (
                Application.objects.select_for_update()
                .filter(pk=pk, state=S.DRAFT, last_saved_at__lt=cutoff)
                .first()
            )
            if draft is None:
                continue  # saved or submitted meanwhile
            files = [d.file for d in draft.documents.all()]
            if draft.photo:
                files.append(draft.photo)
            _delete_files_after_commit(files)
            audit_record(
                action="applications.application.purged",
                object_type=draft._meta.label_lower,
                object_id=str(pk),
                after={"id": pk},
            )
            draft.delete()
            purged += 1
    return purged
