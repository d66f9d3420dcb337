"""Submission (NF-1, NF-3, NF-4): a resident's own notification, an organization's for a
resident on their request (proxy) and an organization's Art. 19-17 notification (one resident or
a school's roster). Each checks what it is given, then creates the filing in 登録中 — one at a
time, or handed to a ``FilingBatch`` that writes many together."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from zairyu.accounts.models import User
from zairyu.cards.models import Organization, ResidenceCard
from zairyu.core import clock
from zairyu.reference.models import NotificationEvent
from zairyu.reference.selectors import bureau_for_prefecture

from .. import rules
from ..models import FILING, NEW, FiledAs, Filing, FilingState
from ..selectors import organization_of, resident_card
from .checks import (
    CardFace,
    RosterLine,
    _card_mismatch,
    _check_items,
    _refusal,
    _roster_line_ok,
    _status_refusal,
)
from .lifecycle import _record

# The roster of a school (REFERENCE.md §3) lists at most this many students per filing.
ROSTER_MAX_LINES = 1000


class FilingBatch:
    """New filings of one filer that a caller filing many at once writes together.

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
    FILING.check(NEW, FilingState.REGISTERING, label="new")
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
    (filing many at once), instead of a query per filing."""
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
    ``previous=`` of the submit services (filing many at once). Read it in the transaction that then
    files the batch."""
    wanted = {uuid.UUID(str(token)) for token in tokens}
    if not wanted:
        return {}
    return {f.token: f for f in Filing.objects.filter(token__in=wanted).order_by()}


def _with_source(content: dict, source: str) -> dict:
    """The content with its ``source`` (``lifecycle.has_source``), when there is one."""
    if source:
        content["source"] = source
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
    previous: dict[uuid.UUID, Filing] | None = None,
) -> Filing:
    """NF-1: a resident files their own Art. 19-16 notification.

    The common items come from the registry (the resident's current card), so nothing the
    resident types can disagree with it; the items of the event come from the form.
    ``previous``: ``previous_filings([token])`` when the caller has read it already.
    """
    existing = _previous(token, user, previous)
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
    source: str = "",
    previous: dict[uuid.UUID, Filing] | None = None,
    batch: FilingBatch | None = None,
) -> Filing:
    """NF-4 (001 Q20): an organization files, on a registered resident's request, that
    resident's notification of the change of the organization's name or address.

    ``source``: where the filing comes from when a program files it as one of many (e.g. the
    number of the upload it is a row of): its filer gets the program's one summary mail
    instead of a mail per filing, and the program queues the registration
    (``lifecycle.has_source``). ``previous``: ``previous_filings`` of the batch's tokens
    (default: looked up here). ``batch``: a ``FilingBatch`` that writes the new filing with the
    batch's others (the filing returned is then written by ``batch.write()``).
    """
    existing = _previous(token, user, previous)
    if existing is not None:
        return existing
    organization = _organization(user)
    _check_proxy_request(event, requested_by_resident)
    card, accounts = _proxy_resident(face, event)
    stored = _check_items(event, card.status, items)
    content = {
        "resident": _face_snapshot(face, card),
        "items": stored,
        "organization": _organization_snapshot(organization),
        "requested_by_resident": True,
    }
    return _create(
        filer=user,
        token=token,
        filed_as=FiledAs.PROXY,
        event=event,
        event_date=_event_date(event, stored),
        content=_with_source(content, source),
        subject=card.number,
        bureau_id=bureau_for_prefecture(face.prefecture).pk,
        organization=organization,
        resident_account=accounts[0],
        card=card,
        request=request,
        batch=batch,
    )


def _check_proxy_request(event: NotificationEvent, requested_by_resident: bool) -> None:
    """An organization files for a resident only its own change, and only on request."""
    if not rules.is_proxy_event(event):
        raise _refusal(
            "not_proxy_event",
            _(
                "An organization may file for a resident only the change of its own name or "
                "address. The resident files other notifications themselves."
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


def _proxy_resident(face: CardFace, event: NotificationEvent) -> tuple[ResidenceCard, list[User]]:
    """The card ``face`` matches and its holder's registered accounts, or the refusal."""
    card = face.match()
    if card is None:
        raise _card_mismatch()
    accounts = face.resident_accounts(card)
    if not accounts:
        raise _refusal(
            "resident_not_registered",
            _(
                "This resident is not registered with the e-Notification System, so the "
                "organization cannot file for them. The resident can register and "
                "file themselves, or file at the regional immigration bureau."
            ),
        )
    if not rules.resident_may_file(event, card.status):
        raise _status_refusal(card.status)
    return card, accounts


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
    source: str = "",
    previous: dict[uuid.UUID, Filing] | None = None,
    batch: FilingBatch | None = None,
) -> Filing:
    """NF-3 (001 Q16-Q18): an organization's Art. 19-17 notification — acceptance started or
    ended for one resident (``face``), or a school's roster as of 1 May / 1 November
    (``roster`` and ``as_of``). ``source``, ``previous`` and ``batch`` (not for a roster) as
    for ``filing_submit_proxy``."""
    existing = _previous(token, user, previous)
    if existing is not None:
        return existing
    organization = _organization(user)
    _check_organization_files(event, organization, not_bound_to_report)
    if rules.is_roster(event):
        return _submit_roster(
            user=user,
            organization=organization,
            event=event,
            roster=roster or [],
            as_of=as_of,
            token=token,
            request=request,
            source=source,
        )
    if face is None:
        raise ValueError("an Art. 19-17 notification for one resident needs the card face")
    card = _accepted_card(face, event)
    stored = _check_items(event, card.status, items)
    content = {
        "resident": _face_snapshot(face, card),
        "items": stored,
        "organization": _organization_snapshot(organization),
    }
    return _create(
        filer=user,
        token=token,
        filed_as=FiledAs.ORGANIZATION,
        event=event,
        event_date=_event_date(event, stored),
        content=_with_source(content, source),
        subject=card.number,
        bureau_id=organization.bureau_id,
        organization=organization,
        card=card,
        request=request,
        batch=batch,
    )


def _check_organization_files(
    event: NotificationEvent, organization: Organization, not_bound_to_report: bool
) -> None:
    """The organization's kind files this Art. 19-17 notification (and, for an accepting
    organization, it confirmed that it does not report to Hello Work instead)."""
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


def _accepted_card(face: CardFace, event: NotificationEvent) -> ResidenceCard:
    """The card ``face`` matches, of a status the notification is filed for, or the refusal."""
    card = face.match()
    if card is None:
        raise _card_mismatch()
    if not rules.status_accepted(event, card.status):
        raise _status_refusal(card.status)
    return card


def _submit_roster(
    *,
    user: User,
    organization: Organization,
    event: NotificationEvent,
    roster: list[RosterLine],
    as_of: dt.date | None,
    token: uuid.UUID,
    request: HttpRequest | None,
    source: str = "",
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
    content = {
        "items": {"as_of": as_of.isoformat()},
        "roster": [line.as_content() for line in roster],
        "organization": _organization_snapshot(organization),
    }
    return _create(
        filer=user,
        token=token,
        filed_as=FiledAs.ORGANIZATION,
        event=event,
        event_date=as_of,
        content=_with_source(content, source),
        subject=f"organization:{organization.pk}",
        bureau_id=organization.bureau_id,
        organization=organization,
        request=request,
    )
