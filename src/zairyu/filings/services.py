"""Service N actions: submit (NF-1, NF-3, NF-4), register (NF-5, NF-6), withdraw and review
(BO-4). Each changes state only through ``transition`` and writes its audit event and mails in
the same transaction (ML-2).

Audit actions: ``filings.filing.submitted``, ``filings.filing.<state>`` for every later state
(registered, error, superseded, withdrawn, registering = retried), ``filings.filing.reviewed``.

Mails (templates in ``templates/mail/<lang>/``): ``filing_received`` at reception,
``filing_registered`` / ``filing_error`` / ``filing_superseded`` at the end of registration,
``filing_withdrawn``. A resident gets them for a notification an organization filed for them
(NF-4) as well as the organization.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from zairyu.accounts.models import User
from zairyu.accounts.officers import is_officer
from zairyu.audit.services import audit_entry, audit_record, audit_record_many
from zairyu.cards.models import Organization, ResidenceCard
from zairyu.cards.selectors import card_match
from zairyu.core import clock
from zairyu.core.validators import (
    CorporateNumber,
    DateNotInFuture,
    JisX0208Text,
    refuse_my_number,
)
from zairyu.core.work import claim, enqueue_on_commit, lease_until
from zairyu.mail.services import mail_queue
from zairyu.reference.models import NotificationEvent
from zairyu.reference.selectors import bureau_for_prefecture

from . import errors, rules
from .labels import local_name
from .models import NEW, TRANSITIONS, FiledAs, Filing, FilingState, FilingStateChange
from .selectors import organization_of, registered_resident_accounts, resident_card

log = logging.getLogger(__name__)

# A registration that failed this many times for a reason of the system (not of the filing)
# stops retrying and goes to the officers' error queue.
MAX_REGISTRATION_ATTEMPTS = 5
# The roster of a school (REFERENCE.md §3) lists at most this many students per filing.
ROSTER_MAX_LINES = 1000

CARD_FIELDS = ("number", "roman_name", "nationality", "birth_date", "sex", "prefecture")


class FilingStateError(Exception):
    """A transition the state table does not allow."""


@dataclass(frozen=True)
class CardFace:
    """A resident's card data as an organization typed them (common items, REFERENCE.md §2)."""

    number: str
    roman_name: str
    nationality: str
    birth_date: dt.date
    sex: str
    prefecture: str
    address: str = ""

    def match(self) -> ResidenceCard | None:
        return card_match(
            number=self.number,
            roman_name=self.roman_name,
            nationality=self.nationality,
            birth_date=self.birth_date,
            sex=self.sex,
            prefecture=self.prefecture,
        )

    def resident_accounts(self, card: ResidenceCard) -> list[User]:
        """The matched resident's registered accounts (NF-4); bulk filing answers for a whole
        batch at once (``registered_resident_accounts_many``)."""
        return registered_resident_accounts(card.person_id)


@dataclass(frozen=True)
class RosterLine:
    """One student of a roster (line number as typed, for error messages)."""

    line: int
    number: str
    roman_name: str
    nationality: str
    birth_date: dt.date
    sex: str

    def match(self) -> ResidenceCard | None:
        return card_match(
            number=self.number,
            roman_name=self.roman_name,
            nationality=self.nationality,
            birth_date=self.birth_date,
            sex=self.sex,
        )

    def as_content(self) -> dict:
        return {
            "line": self.line,
            "card_number": self.number,
            "roman_name": self.roman_name,
            "nationality": self.nationality,
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex,
        }


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


def _check_items(event: NotificationEvent, status, items: dict[str, Any]) -> dict[str, str]:
    """Check the items a service receives and return them as stored (dates in ISO form, text
    normalised). Forms check them first; the API and bulk filing call the services directly,
    so the formats are checked here too (FMT-4 JIS text, FMT-6 corporate number, FMT-7 dates).
    """
    found: dict[str, list[ValidationError]] = {}
    stored: dict[str, str] = {}

    def fail(code: str, errors) -> None:
        found.setdefault(code, []).extend(errors)

    def text(code: str, label: str, value: Any) -> str | None:
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
            fail(code, exc.error_list)
            return None

    for item in rules.event_items(event, status):
        label = local_name(item)
        value = items.get(item.code)
        if item.code == "roster":
            continue
        if value in (None, "", []):
            if item.required:
                fail(
                    item.code,
                    [
                        ValidationError(
                            _("%(field)s: enter it.") % {"field": label}, code="required"
                        )
                    ],
                )
            continue
        if item.code in rules.DATE_ITEMS:
            if not isinstance(value, dt.date):
                fail(item.code, [ValidationError(_("Enter a date."), code="invalid")])
                continue
            try:
                DateNotInFuture(field=label)(value)
            except ValidationError as exc:
                fail(item.code, exc.error_list)
                continue
            stored[item.code] = value.isoformat()
        elif item.code == "end_reason":
            if value not in dict(rules.END_REASONS):
                fail(
                    item.code,
                    [ValidationError(_("Choose one of the reasons."), code="invalid_choice")],
                )
                continue
            stored[item.code] = value
        else:
            cleaned = text(item.code, label, value)
            if cleaned is not None:
                stored[item.code] = cleaned
    for code in ("org_corporate_number", "new_org_corporate_number"):
        if items.get(code):
            try:
                stored[code] = CorporateNumber().clean(items[code]).value
            except ValidationError as exc:
                fail(code, exc.error_list)
    if stored.get("end_reason") == "other" and not items.get("end_reason_detail"):
        fail(
            "end_reason_detail",
            [ValidationError(_("Describe the reason."), code="required")],
        )
    if items.get("end_reason_detail"):
        cleaned = text("end_reason_detail", _("Reason in detail"), items["end_reason_detail"])
        if cleaned is not None:
            stored["end_reason_detail"] = cleaned
    if found:
        raise ValidationError(found)
    return stored


# --- the one transition function -------------------------------------------------------------


def _recipients(filing: Filing) -> list[tuple[User, str]]:
    """Who is mailed about a filing, and as what (the filer; the resident of a proxy filing)."""
    people = [(filing.filer, "filer")]
    if filing.filed_as == FiledAs.PROXY and filing.resident_account_id:
        people.append((filing.resident_account, "resident"))
    return people


_MAILS = {
    FilingState.REGISTERING: "filing_received",
    FilingState.REGISTERED: "filing_registered",
    FilingState.ERROR: "filing_error",
    FilingState.SUPERSEDED: "filing_superseded",
    FilingState.WITHDRAWN: "filing_withdrawn",
}


# A filing made by a bulk job (content["bulk_job"]) does not mail its filer at reception nor
# at a registration that went as expected: the job mails one summary (BK-6). An error, a
# withdrawal and every mail to the resident of a proxy filing (NF-4) are still sent.
_QUIET_FOR_BULK_FILER = frozenset(
    {FilingState.REGISTERING, FilingState.REGISTERED, FilingState.SUPERSEDED}
)


def _queue_mails(filing: Filing, *, to: str, reason: str, retry: bool) -> None:
    if retry:
        return  # the end of the new registration is mailed; the retry itself is the bureau's
    template = _MAILS[to]
    bulk = bool(filing.content.get("bulk_job")) and to in _QUIET_FOR_BULK_FILER
    for user, role in _recipients(filing):
        if not user.email or (bulk and role == "filer"):
            continue
        with translation.override(user.language or "ja"):
            context = {
                "filing": filing,
                "role": role,
                "recipient": user,
                "event_name": local_name(filing.event, user.language),
                "event_name_ja": filing.event.name_ja,
                "state_label": str(FilingState(filing.state).label),
                "error_message": (
                    errors.error_message(filing.error_code, filing.error_params)
                    if filing.error_code
                    else ""
                ),
                "reason": reason,
                "site_url": settings.ZAIRYU_SITE_URL,
            }
        mail_queue(
            template=template,
            to=user.email,
            language=user.language or "ja",
            context=context,
            related=filing,
        )


def _record(
    filings: list[Filing],
    *,
    from_state: str,
    to: str,
    actor: User | None,
    reason: str = "",
    request: HttpRequest | None = None,
    action: str | None = None,
) -> None:
    """Append the history rows, the audit events and the mails of one state change of each
    of ``filings`` (one filing, or a bulk job's batch: one INSERT per table either way)."""
    FilingStateChange.objects.bulk_create(
        [
            FilingStateChange(
                filing=filing,
                at=filing.state_changed_at,
                from_state=from_state,
                to_state=to,
                actor=actor,
                actor_repr=str(actor)[:150] if actor is not None else "",
                reason=reason[:500],
            )
            for filing in filings
        ]
    )
    entries = []
    for filing in filings:
        after: dict[str, Any] = {"state": to}
        if reason:
            after["reason"] = reason
        if to == FilingState.ERROR:
            after["error_code"] = filing.error_code
        entries.append(
            audit_entry(
                action=action or f"filings.filing.{to}",
                obj=filing,
                actor=actor,
                before={"state": from_state} if from_state else None,
                after=after,
                request=request,
            )
        )
    audit_record_many(entries)
    retry = from_state == FilingState.ERROR and to == FilingState.REGISTERING
    for filing in filings:
        _queue_mails(filing, to=to, reason=reason, retry=retry)
        if to == FilingState.REGISTERING and not (
            from_state == NEW and filing.content.get("bulk_job")
        ):
            # A bulk job queues one registration task per batch (zairyu.bulk.tasks); the
            # sweeper hands out any filing still waiting either way.
            from .tasks import filing_register_task

            enqueue_on_commit(filing_register_task, filing.pk)


def transition(
    filing: Filing,
    *,
    to: str,
    actor: User | None = None,
    reason: str = "",
    error: tuple[str, dict] | None = None,
    request: HttpRequest | None = None,
) -> Filing:
    """Move ``filing`` to state ``to`` if the table allows it; return the updated row.

    Locks the row, checks ``TRANSITIONS``, applies the change and, in the same transaction,
    appends the history row, the audit event and the mails; entering 登録中 again (an officer's
    retry) queues the registration task after commit. Nothing else assigns ``Filing.state``.
    """
    with transaction.atomic():
        # of=("self",): lock the filing only, never the reference rows it is joined with.
        locked = (
            Filing.objects.select_for_update(of=("self",))
            .select_related("event", "filer", "resident_account", "organization")
            .get(pk=filing.pk)
        )
        from_state = locked.state
        if to not in TRANSITIONS.get(from_state, frozenset()):
            raise FilingStateError(f"filing {locked.pk}: {from_state} → {to} is not allowed")
        now = clock.now()
        locked.state = to
        locked.state_changed_at = now
        fields = ["state", "state_changed_at"]
        if to == FilingState.REGISTERED:
            locked.registered_at = now
            fields.append("registered_at")
        if to == FilingState.ERROR:
            locked.error_code, locked.error_params = error or (errors.SYSTEM_ERROR, {})
            fields += ["error_code", "error_params"]
        if to == FilingState.REGISTERING:
            locked.error_code, locked.error_params = "", {}
            locked.leased_until = None
            locked.attempts = 0
            locked.reviewed_at, locked.reviewed_by, locked.review_note = None, None, ""
            fields += [
                "error_code",
                "error_params",
                "leased_until",
                "attempts",
                "reviewed_at",
                "reviewed_by",
                "review_note",
            ]
        if to in (FilingState.REGISTERED, FilingState.ERROR, FilingState.SUPERSEDED):
            locked.leased_until = None
            fields.append("leased_until")
        locked.save(update_fields=fields)
        _record([locked], from_state=from_state, to=to, actor=actor, reason=reason, request=request)
    return locked


# --- submission ------------------------------------------------------------------------------


class FilingBatch:
    """New filings of one filer that a bulk job's batch writes together.

    The submit services check each filing exactly as they check a single one; given a
    ``batch=``, they hand the new filing, not yet written, to the batch instead of writing it.
    ``write`` then writes them all the one way a single filing is written (``_insert``): one
    INSERT each for the filings, their history rows and their audit events.
    """

    def __init__(self, filer: User) -> None:
        self.filer = filer
        self.filings: list[Filing] = []

    def add(self, filing: Filing) -> Filing:
        if filing.filer_id != self.filer.pk:
            raise ValueError("a batch holds the filings of one filer")
        self.filings.append(filing)
        return filing

    def write(self, *, request: HttpRequest | None = None) -> dict[uuid.UUID, Filing]:
        """Write the batch's filings; return {token: filing written} (a filing another
        request made with the same token meanwhile stands for the batch's)."""
        written = _insert(self.filings, filer=self.filer, request=request)
        self.filings = []
        return {filing.token: filing for filing in written}


def _create(
    *,
    filer: User,
    token: uuid.UUID,
    filed_as: str,
    event: NotificationEvent,
    event_date: dt.date,
    content: dict,
    subject: str,
    bureau_id: str,
    organization: Organization | None = None,
    resident_account: User | None = None,
    card: ResidenceCard | None = None,
    request: HttpRequest | None = None,
    batch: FilingBatch | None = None,
) -> Filing:
    """Create the filing in 登録中 with its reception mail (the caller found no filing made
    with ``token``: ``_previous``), or hand it to ``batch`` to write with the others."""
    if FilingState.REGISTERING not in TRANSITIONS[NEW]:
        raise FilingStateError("a new filing cannot start registering")
    now = clock.now()
    today = now.date()
    last_day = rules.deadline(event, event_date)
    items = content.get("items", {})
    digest = rules.content_digest(
        event_code=event.pk,
        subject=subject,
        organization_id=organization.pk if filed_as == FiledAs.ORGANIZATION else None,
        items={**items, "roster": content.get("roster")},
    )
    filing = Filing(
        filed_as=filed_as,
        event=event,
        state=FilingState.REGISTERING,
        filer=filer,
        organization=organization,
        resident_account=resident_account,
        person_id=card.person_id if card is not None else None,
        card=card,
        bureau_id=bureau_id,
        event_date=event_date,
        deadline=last_day,
        late=rules.is_late(last_day, today),
        content=content,
        digest=digest,
        token=token,
        filed_at=now,
        filed_on=today,
        state_changed_at=now,
    )
    if batch is not None:
        return batch.add(filing)
    return _insert([filing], filer=filer, request=request)[0]


def _insert(
    filings: list[Filing], *, filer: User, request: HttpRequest | None = None
) -> list[Filing]:
    """Write new filings of ``filer`` in 登録中 with their history, audit events and mails;
    return them in order. A token another request used meanwhile (the same form sent twice at
    the same moment: the unique token lets one through) gives that request's filing."""
    if not filings:
        return []
    try:
        with transaction.atomic():
            Filing.objects.bulk_create(filings)
            _record(
                filings,
                from_state=NEW,
                to=FilingState.REGISTERING,
                actor=filer,
                request=request,
                action="filings.filing.submitted",
            )
    except IntegrityError:
        if len(filings) > 1:
            # Which one collided is not known: write them one by one.
            for filing in filings:
                filing.pk = None
            return [_insert([filing], filer=filer, request=request)[0] for filing in filings]
        existing = Filing.objects.filter(token=filings[0].token, filer=filer).first()
        if existing is None:
            raise
        return [existing]
    return filings


def _previous(
    token: uuid.UUID, user: User, known: dict[uuid.UUID, Filing] | None = None
) -> Filing | None:
    """The filing ``token`` already made — a re-sent form or the back button gives the same
    filing (NF "no second") — or None; a token another account used is refused.

    ``known``: what ``previous_filings`` answered for a batch of tokens including this one
    (bulk filing), instead of a query per filing."""
    if known is not None:
        existing = known.get(uuid.UUID(str(token)))
    else:
        # The token is unique: no ORDER BY needed (the model's default order costs more).
        existing = next(iter(Filing.objects.filter(token=token).order_by()[:1]), None)
    if existing is not None and existing.filer_id != user.pk:
        raise _refusal("token_used", _("This form was already used. Start again."))
    return existing


def previous_filings(tokens) -> dict[uuid.UUID, Filing]:
    """{token: the filing it already made} for a batch of tokens, in one query: the
    ``previous=`` of the submit services (bulk filing). Read it in the transaction that then
    files the batch."""
    wanted = {uuid.UUID(str(token)) for token in tokens}
    if not wanted:
        return {}
    return {f.token: f for f in Filing.objects.filter(token__in=wanted).order_by()}


def _bulk_content(content: dict, bulk_job: int | None) -> dict:
    if bulk_job:
        content["bulk_job"] = bulk_job
    return content


def _event_date(event: NotificationEvent, stored: dict[str, str]) -> dt.date:
    code = rules.date_item(event)
    return dt.date.fromisoformat(stored[code])


def filing_submit_resident(
    *,
    user: User,
    event: NotificationEvent,
    items: dict[str, Any],
    token: uuid.UUID,
    request: HttpRequest | None = None,
) -> Filing:
    """NF-1: a resident files their own Art. 19-16 notification.

    The common items come from the registry (the resident's current card), so nothing the
    resident types can disagree with it; the items of the event come from the form.
    """
    existing = _previous(token, user)
    if existing is not None:
        return existing
    card = resident_card(user)
    if card is None:
        raise _refusal(
            "no_valid_card",
            _(
                "The registry holds no valid residence card for you, so no notification can be "
                "filed. Contact the regional immigration bureau."
            ),
        )
    if not rules.resident_may_file(event, card.status):
        raise _status_refusal(card.status)
    stored = _check_items(event, card.status, items)
    snapshot = rules.card_snapshot(card)
    return _create(
        filer=user,
        token=token,
        filed_as=FiledAs.RESIDENT,
        event=event,
        event_date=_event_date(event, stored),
        content={"resident": snapshot, "items": stored},
        subject=card.number,
        bureau_id=bureau_for_prefecture(card.prefecture_id).pk,
        resident_account=user,
        card=card,
        request=request,
    )


def _organization(user: User) -> Organization:
    organization = organization_of(user)
    if organization is None:
        raise _refusal(
            "not_organization",
            _("Only organization accounts registered for notifications can file this."),
        )
    return organization


def _face_snapshot(face: CardFace, card: ResidenceCard) -> dict:
    """The common items as typed, with what only the registry knows (status, kanji name)."""
    return {
        "card_number": card.number,
        "roman_name": card.roman_name,
        "kanji_name": card.kanji_name,
        "nationality": card.nationality_id,
        "birth_date": card.birth_date.isoformat(),
        "sex": card.sex,
        "prefecture": face.prefecture,
        "municipality": "",
        "address": f"{card.prefecture.name_ja}{face.address}",
        "status": card.status_id,
    }


def _organization_snapshot(organization: Organization) -> dict:
    return {
        "id": organization.pk,
        "name": organization.name,
        "corporate_number": organization.corporate_number or "",
        "kind": organization.kind,
    }


def filing_submit_proxy(
    *,
    user: User,
    face: CardFace,
    event: NotificationEvent,
    items: dict[str, Any],
    requested_by_resident: bool,
    token: uuid.UUID,
    request: HttpRequest | None = None,
    bulk_job: int | None = None,
    previous: dict[uuid.UUID, Filing] | None = None,
    batch: FilingBatch | None = None,
) -> Filing:
    """NF-4 (001 Q20): an organization files, on a registered resident's request, that
    resident's notification of the change of the organization's name or address.

    ``bulk_job``: the bulk job (``zairyu.bulk``) the filing comes from: its filer gets the
    job's one summary mail instead of a mail per filing, and the job queues the registration.
    ``previous``: ``previous_filings`` of the batch's tokens (default: looked up here).
    ``batch``: a ``FilingBatch`` that writes the new filing with the batch's others (the
    filing returned is then written by ``batch.write()``).
    """
    existing = _previous(token, user, previous)
    if existing is not None:
        return existing
    organization = _organization(user)
    if not rules.is_proxy_event(event):
        raise _refusal(
            "not_proxy_event",
            _(
                "An organization may file for a resident only the change of its own name or "
                "address (001 Q20). The resident files other notifications themselves."
            ),
        )
    if not requested_by_resident:
        raise _refusal(
            "not_requested",
            _(
                "Confirm that the resident asked the organization to file this notification for "
                "them; an organization files for a resident only on their request."
            ),
            field="requested_by_resident",
        )
    card = face.match()
    if card is None:
        raise _card_mismatch()
    accounts = face.resident_accounts(card)
    if not accounts:
        raise _refusal(
            "resident_not_registered",
            _(
                "This resident is not registered with the e-Notification System, so the "
                "organization cannot file for them (001 Q20). The resident can register and "
                "file themselves, or file at the regional immigration bureau."
            ),
        )
    if not rules.resident_may_file(event, card.status):
        raise _status_refusal(card.status)
    stored = _check_items(event, card.status, items)
    return _create(
        filer=user,
        token=token,
        filed_as=FiledAs.PROXY,
        event=event,
        event_date=_event_date(event, stored),
        content=_bulk_content(
            {
                "resident": _face_snapshot(face, card),
                "items": stored,
                "organization": _organization_snapshot(organization),
                "requested_by_resident": True,
            },
            bulk_job,
        ),
        subject=card.number,
        bureau_id=bureau_for_prefecture(face.prefecture).pk,
        organization=organization,
        resident_account=accounts[0],
        card=card,
        request=request,
        batch=batch,
    )


def filing_submit_organization(
    *,
    user: User,
    event: NotificationEvent,
    items: dict[str, Any],
    token: uuid.UUID,
    face: CardFace | None = None,
    roster: list[RosterLine] | None = None,
    as_of: dt.date | None = None,
    not_bound_to_report: bool = False,
    request: HttpRequest | None = None,
    bulk_job: int | None = None,
    previous: dict[uuid.UUID, Filing] | None = None,
    batch: FilingBatch | None = None,
) -> Filing:
    """NF-3 (001 Q16-Q18): an organization's Art. 19-17 notification — acceptance started or
    ended for one resident (``face``), or a school's roster as of 1 May / 1 November
    (``roster`` and ``as_of``). ``bulk_job``, ``previous`` and ``batch`` (not for a roster) as
    for ``filing_submit_proxy``."""
    existing = _previous(token, user, previous)
    if existing is not None:
        return existing
    organization = _organization(user)
    if not rules.organization_may_file(event, organization):
        raise _refusal(
            "organization_not_eligible",
            _(
                "Your kind of organization (%(kind)s) does not file this notification. Schools "
                "report their students; other accepting organizations the residents they "
                "accept; specified skilled worker organizations use the organization filings "
                "system instead."
            )
            % {"kind": organization.get_kind_display()},
        )
    if (
        event.organization_kind == NotificationEvent.OrganizationKind.ACCEPTING
        and not not_bound_to_report
    ):
        raise _refusal(
            "bound_to_report",
            _(
                "Only organizations that do not report the employment of foreign nationals to "
                "Hello Work (labour policy act, art. 28) file this notification. Confirm that "
                "yours does not, or report through Hello Work instead."
            ),
            field="not_bound_to_report",
        )
    if rules.is_roster(event):
        return _submit_roster(
            user=user,
            organization=organization,
            event=event,
            roster=roster or [],
            as_of=as_of,
            token=token,
            request=request,
            bulk_job=bulk_job,
        )
    if face is None:
        raise ValueError("an Art. 19-17 notification for one resident needs the card face")
    card = face.match()
    if card is None:
        raise _card_mismatch()
    if not rules.status_accepted(event, card.status):
        raise _status_refusal(card.status)
    stored = _check_items(event, card.status, items)
    return _create(
        filer=user,
        token=token,
        filed_as=FiledAs.ORGANIZATION,
        event=event,
        event_date=_event_date(event, stored),
        content=_bulk_content(
            {
                "resident": _face_snapshot(face, card),
                "items": stored,
                "organization": _organization_snapshot(organization),
            },
            bulk_job,
        ),
        subject=card.number,
        bureau_id=organization.bureau_id,
        organization=organization,
        card=card,
        request=request,
        batch=batch,
    )


def _submit_roster(
    *,
    user: User,
    organization: Organization,
    event: NotificationEvent,
    roster: list[RosterLine],
    as_of: dt.date | None,
    token: uuid.UUID,
    request: HttpRequest | None,
    bulk_job: int | None = None,
) -> Filing:
    today = clock.today()
    allowed = rules.as_of_dates(event, today=today)
    if as_of is None or as_of not in allowed:
        raise _refusal(
            "as_of",
            _("Choose one of the reference dates offered (the latest 1 May or 1 November)."),
            field="as_of",
        )
    if not roster:
        raise _refusal("roster_empty", _("List at least one student."), field="roster")
    if len(roster) > ROSTER_MAX_LINES:
        raise _refusal(
            "roster_too_long",
            _("A roster lists at most %(max)d students; this one lists %(count)d.")
            % {"max": ROSTER_MAX_LINES, "count": len(roster)},
            field="roster",
        )
    unmatched = [line.line for line in roster if not _roster_line_ok(event, line)]
    if unmatched:
        raise _refusal(
            "roster_not_matched",
            _(
                "Lines %(lines)s do not match a valid residence card of a student (留学). Enter "
                "each student's card number, name, nationality or region, date of birth and sex "
                "exactly as printed on their residence card."
            )
            % {"lines": ", ".join(str(n) for n in unmatched)},
            field="roster",
            params={"lines": unmatched},
        )
    return _create(
        filer=user,
        token=token,
        filed_as=FiledAs.ORGANIZATION,
        event=event,
        event_date=as_of,
        content=_bulk_content(
            {
                "items": {"as_of": as_of.isoformat()},
                "roster": [line.as_content() for line in roster],
                "organization": _organization_snapshot(organization),
            },
            bulk_job,
        ),
        subject=f"organization:{organization.pk}",
        bureau_id=organization.bureau_id,
        organization=organization,
        request=request,
    )


def _roster_line_ok(event: NotificationEvent, line: RosterLine) -> bool:
    card = line.match()
    return card is not None and rules.status_accepted(event, card.status)


# --- registration (the background task's work) ------------------------------------------------


def _content_face(content: dict) -> dict:
    resident = content["resident"]
    return {
        "number": resident["card_number"],
        "roman_name": resident["roman_name"],
        "nationality": resident["nationality"],
        "birth_date": dt.date.fromisoformat(resident["birth_date"]),
        "sex": resident["sex"],
        "prefecture": resident["prefecture"],
    }


def registration_problem(filing: Filing) -> tuple[str, dict] | None:
    """Check a filing against the registry again (NF-5); return (error code, params) or None.

    The registry may have moved since the form was checked: a card renewed or invalidated, a
    status changed, a resident's account deleted.
    """
    event = filing.event
    content = filing.content
    if filing.filed_as == FiledAs.ORGANIZATION and not rules.organization_may_file(
        event, filing.organization
    ):
        return errors.ORGANIZATION_NOT_ELIGIBLE, {}
    if rules.is_roster(event):
        unmatched = []
        for row in content.get("roster", []):
            line = RosterLine(
                line=row["line"],
                number=row["card_number"],
                roman_name=row["roman_name"],
                nationality=row["nationality"],
                birth_date=dt.date.fromisoformat(row["birth_date"]),
                sex=row["sex"],
            )
            if not _roster_line_ok(event, line):
                unmatched.append(line.line)
        return (errors.ROSTER_NOT_MATCHED, {"lines": unmatched}) if unmatched else None
    face = _content_face(content)
    if filing.filed_as == FiledAs.RESIDENT:
        # The resident's common items came from the registry itself; a move recorded since
        # (a new address) does not make the notification wrong, a new or invalid card does.
        face.pop("prefecture")
    card = card_match(**face)
    if card is None:
        return errors.CARD_NOT_MATCHED, {"number": face["number"]}
    if filing.filed_as == FiledAs.ORGANIZATION:
        if not rules.status_accepted(event, card.status):
            return errors.STATUS_NOT_ACCEPTED, {"status": card.status_id}
        return None
    if not rules.resident_may_file(event, card.status):
        return errors.STATUS_NOT_ELIGIBLE, {"status": card.status_id}
    if filing.filed_as == FiledAs.PROXY and not registered_resident_accounts(card.person_id):
        return errors.RESIDENT_NOT_REGISTERED, {}
    return None


def _ready(now: dt.datetime) -> Q:
    return Q(state=FilingState.REGISTERING) & (
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    )


def filing_register(*, filing_id: int) -> bool:
    """Register one filing if it is still 登録中 and nobody else holds it; True when it moved.

    Idempotent: a second call for the same filing (a duplicate broker message, the sweeper)
    finds it claimed or moved on and does nothing. Of identical filings of one day the last
    one filed counts (NF-6, 001 Q73): registering one supersedes the earlier ones already
    registered, and one registering after a later identical one was registered is superseded
    at once.
    """
    now = clock.now()
    if not claim(
        Filing.objects,
        pk=filing_id,
        ready=_ready(now),
        claimed={"leased_until": lease_until(), "attempts": F("attempts") + 1},
    ):
        return False
    filing = Filing.objects.select_related("event", "organization").get(pk=filing_id)
    if filing.attempts > MAX_REGISTRATION_ATTEMPTS:
        transition(filing, to=FilingState.ERROR, error=(errors.SYSTEM_ERROR, {}))
        return True
    problem = registration_problem(filing)
    with transaction.atomic():
        # Lock every filing identical to this one filed the same day, in id order, so two
        # workers registering twins decide one after the other.
        twins = list(
            Filing.objects.select_for_update()
            .filter(digest=filing.digest, filed_on=filing.filed_on)
            .order_by("id")
        )
        current = next(t for t in twins if t.pk == filing.pk)
        if current.state != FilingState.REGISTERING or current.attempts != filing.attempts:
            return False  # withdrawn meanwhile, or a newer claim took over (fencing)
        if problem is not None:
            transition(current, to=FilingState.ERROR, error=problem)
            return True
        later = [
            t
            for t in twins
            if t.state == FilingState.REGISTERED
            and (t.filed_at, t.pk) > (current.filed_at, current.pk)
        ]
        if later:
            transition(
                current,
                to=FilingState.SUPERSEDED,
                reason=_("An identical notification filed later the same day counts (%(number)s).")
                % {"number": later[-1].number},
            )
            return True
        registered = transition(current, to=FilingState.REGISTERED)
        for twin in twins:
            if twin.state == FilingState.REGISTERED and (twin.filed_at, twin.pk) < (
                current.filed_at,
                current.pk,
            ):
                transition(
                    twin,
                    to=FilingState.SUPERSEDED,
                    reason=_(
                        "An identical notification filed later the same day counts (%(number)s)."
                    )
                    % {"number": registered.number},
                )
    return True


def filing_sweep(*, limit: int = 1000) -> int:
    """Re-enqueue filings still 登録中 whose lease ran out or whose task never started."""
    from .tasks import filing_register_task

    now = clock.now()
    grace = now - dt.timedelta(seconds=settings.ZAIRYU_WORK_LEASE_SECONDS)
    # filings_registering_idx (partial, state = registering) serves this query.
    ids = list(
        Filing.objects.filter(state=FilingState.REGISTERING)
        .filter(Q(leased_until__lt=now) | Q(leased_until__isnull=True, state_changed_at__lt=grace))
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        filing_register_task.delay(pk)
    return len(ids)


# --- officers (BO-4) ----------------------------------------------------------------------------


def _require_officer_scope(actor: User, filing: Filing) -> None:
    """Officers act only on filings of their jurisdiction (views check first; this is the
    backstop for other callers)."""
    from .selectors import filings_visible_to

    if (
        not is_officer(actor, "change")
        or not filings_visible_to(actor).filter(pk=filing.pk).exists()
    ):
        raise PermissionError("the officer may not act on this filing")


def filing_withdraw(
    *, actor: User, filing: Filing, reason: str, request: HttpRequest | None = None
) -> Filing:
    """Withdraw a filing on the filer's request (001 Q74: through the bureau, not online)."""
    _require_officer_scope(actor, filing)
    reason = (reason or "").strip()
    if not reason:
        raise _refusal(
            "reason_required", _("Write why the notification is withdrawn."), field="reason"
        )
    try:
        return transition(
            filing, to=FilingState.WITHDRAWN, actor=actor, reason=reason, request=request
        )
    except FilingStateError as exc:
        raise _refusal(
            "not_withdrawable",
            _("A notification that is %(state)s cannot be withdrawn.")
            % {"state": FilingState(filing.state).label},
        ) from exc


def filing_retry(*, actor: User, filing: Filing, request: HttpRequest | None = None) -> Filing:
    """Run registration again for a filing in 登録エラー (e.g. after the registry was corrected)."""
    _require_officer_scope(actor, filing)
    try:
        return transition(
            filing,
            to=FilingState.REGISTERING,
            actor=actor,
            reason=_("Registration run again by the bureau."),
            request=request,
        )
    except FilingStateError as exc:
        raise _refusal(
            "not_retryable", _("Only a notification in registration error can be run again.")
        ) from exc


def filing_review(
    *, actor: User, filing: Filing, note: str = "", request: HttpRequest | None = None
) -> Filing:
    """Mark a registration error as reviewed (it leaves the queue); the filing stays in error."""
    _require_officer_scope(actor, filing)
    with transaction.atomic():
        locked = Filing.objects.select_for_update().get(pk=filing.pk)
        if locked.state != FilingState.ERROR:
            raise _refusal(
                "not_error", _("Only a notification in registration error can be reviewed.")
            )
        locked.reviewed_at = clock.now()
        locked.reviewed_by = actor
        locked.review_note = (note or "").strip()[:500]
        locked.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
        audit_record(
            action="filings.filing.reviewed",
            obj=locked,
            actor=actor,
            after={"note": locked.review_note},
            request=request,
        )
    return locked
