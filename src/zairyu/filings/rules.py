"""The rules of service N that are worth a module: who may file which event, the items an
event asks, deadlines (NF-2) and what makes two filings identical (NF-6).

Events, their items and the statuses each applies to are reference data
(``zairyu.reference``: ``NotificationEvent``, ``EventItem``, ``Status.notification_groups``);
the functions here only read them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zairyu.cards.models import Organization, ResidenceCard
from zairyu.core import days
from zairyu.reference.models import NotificationEvent, Status
from zairyu.reference.selectors import (
    notification_event,
    notification_events,
    notification_events_for_status,
)

ART_19_16 = NotificationEvent.Article.ART_19_16
ART_19_17 = NotificationEvent.Article.ART_19_17

# Which kinds of organization (cards.Organization.Kind) file which Art. 19-17 events
# (REFERENCE.md §3): schools report their students (留学), other accepting organizations the
# residents they accept. Specified skilled worker organizations file in service O instead and
# registered support organizations accept nobody, so neither files here. A university is both a
# school (students) and an accepting organization (professors, researchers).
ORGANIZATION_KINDS_19_17: dict[str, frozenset[str]] = {
    NotificationEvent.OrganizationKind.SCHOOL: frozenset(
        {Organization.Kind.UNIVERSITY, Organization.Kind.LANGUAGE_SCHOOL}
    ),
    NotificationEvent.OrganizationKind.ACCEPTING: frozenset(
        {
            Organization.Kind.COMPANY,
            Organization.Kind.UNIVERSITY,
            Organization.Kind.PUBLIC_INTEREST,
            Organization.Kind.LAW_OFFICE,
            Organization.Kind.OTHER,
        }
    ),
}

# NF-4 (001 Q20): an organization may file only these Art. 19-16 events for a resident —
# the change of its own name or address. Read from the items, not from codes: an event whose
# items name a new organization name or a new address, and no other organization.
PROXY_ITEM_SETS = (
    frozenset({"event_date", "old_org_name", "old_org_address", "new_org_name"}),
    frozenset({"event_date", "org_name", "old_org_address", "new_org_address"}),
)

# Items holding an organization's name, whose corporate number the form also asks (NF-1: "the
# organization (name, address; corporate number where known)"), with the extra field's name.
CORPORATE_NUMBER_FOR = {
    "org_name": "org_corporate_number",
    "old_org_name": "org_corporate_number",
    "new_org_name": "new_org_corporate_number",
}

DATE_ITEMS = frozenset({"event_date", "start_date", "end_date"})

# 001 Q19: who notifies a transfer (移籍) or a new contract (新たな契約の締結) must in principle
# also notify leaving the old organization (離脱) or the end of the old contract (契約の終了);
# exceptions (e.g. a change of status granted with the move) are confirmed with the bureau.
# Event codes of the reference data (notification_events.json).
ALSO_TO_FILE: dict[str, str] = {
    "act_transfer": "act_leaving",
    "con_new_contract": "con_contract_end",
}

# How long each text item may be (characters, after conversion to full width); addresses and
# places take ADDRESS_MAX_LENGTH.
TEXT_MAX_LENGTH = {
    "org_name": 100,
    "old_org_name": 100,
    "new_org_name": 100,
    "new_activity": 200,
    "activity": 200,
    "end_reason_detail": 200,
}
ADDRESS_MAX_LENGTH = 200

# Why a school's acceptance of a student ended (REFERENCE.md §3: graduation, withdrawal,
# expulsion…); "other" needs the reason in words (``end_reason_detail``).
END_REASONS = [
    ("graduation", _("Graduation or completion (卒業・修了)")),
    ("withdrawal", _("Withdrawal (退学)")),
    ("expulsion", _("Expulsion (除籍)")),
    ("missing", _("Whereabouts unknown (所在不明)")),
    ("other", pgettext_lazy("end reason", "Other (その他)")),
]


def text_max_length(code: str) -> int:
    return TEXT_MAX_LENGTH.get(code, ADDRESS_MAX_LENGTH)


def end_reason_label(value: str) -> str:
    return str(dict(END_REASONS).get(value, value))


@dataclass(frozen=True)
class Item:
    """One item an event asks of one filer (EventItem, with the status exceptions applied)."""

    code: str
    required: bool
    name_ja: str
    name_en: str


def event_items(event: NotificationEvent, status: Status | str | None = None) -> list[Item]:
    """Return the items ``event`` asks, in order, leaving out those not asked for ``status``.

    E.g. a transfer asks the new activity, except of a student (REFERENCE.md §2).
    """
    status_code = getattr(status, "pk", status)
    items = []
    for line in event.lines.all():
        if status_code and any(s.pk == status_code for s in line.not_for_statuses.all()):
            continue
        items.append(
            Item(
                code=line.item_id,
                required=line.required,
                name_ja=line.item.name_ja,
                name_en=line.item.name_en,
            )
        )
    return items


def date_item(event: NotificationEvent) -> str | None:
    """Return the code of the item that dates the event (event, start or end date)."""
    for line in event.lines.all():
        if line.item_id in DATE_ITEMS:
            return line.item_id
    return None


def resident_events(status: Status) -> list[NotificationEvent]:
    """Return the Art. 19-16 events a holder of ``status`` notifies (NF-1); [] for none."""
    return notification_events_for_status(status.pk)


def resident_may_file(event: NotificationEvent, status: Status) -> bool:
    """Say whether a holder of ``status`` notifies ``event`` under Art. 19-16."""
    return event.article == ART_19_16 and event.group in status.notification_groups


def also_to_file(event: NotificationEvent) -> NotificationEvent | None:
    """Return the notification 001 Q19 says is in principle also needed with ``event`` (the
    leaving or end of contract that goes with a transfer or a new contract), or None."""
    code = ALSO_TO_FILE.get(event.pk)
    if code is None:
        return None
    event = notification_event(code)
    return event if event is not None and event.article == ART_19_16 else None


def proxy_events() -> list[NotificationEvent]:
    """Return the Art. 19-16 events an organization may file for a resident (NF-4)."""
    return [e for e in notification_events() if is_proxy_event(e)]


def is_proxy_event(event: NotificationEvent) -> bool:
    if event.article != ART_19_16:
        return False
    codes = frozenset(line.item_id for line in event.lines.all() if line.required)
    return codes in PROXY_ITEM_SETS


def organization_event_kinds(organization: Organization) -> set[str]:
    """Return the Art. 19-17 organization kinds (accepting, school) ``organization`` is."""
    return {kind for kind, kinds in ORGANIZATION_KINDS_19_17.items() if organization.kind in kinds}


def organization_events(organization: Organization) -> list[NotificationEvent]:
    """Return the Art. 19-17 events ``organization`` may file (NF-3); [] for none."""
    kinds = organization_event_kinds(organization)
    if not kinds:
        return []
    return sorted(
        (
            e
            for e in notification_events()
            if e.article == ART_19_17 and e.organization_kind in kinds
        ),
        key=lambda e: (e.sort_order, e.pk),
    )


def organization_may_file(event: NotificationEvent, organization: Organization) -> bool:
    return event.article == ART_19_17 and event.organization_kind in organization_event_kinds(
        organization
    )


def status_accepted(event: NotificationEvent, status: Status) -> bool:
    """Say whether an Art. 19-17 event covers residents of ``status`` (REFERENCE.md §3)."""
    return any(s.pk == status.pk for s in event.statuses.all())


def is_roster(event: NotificationEvent) -> bool:
    return bool(event.periodic_dates)


def as_of_dates(event: NotificationEvent, *, today: dt.date, count: int = 2) -> list[dt.date]:
    """Return the latest ``count`` reference dates of a periodic event on or before ``today``,
    newest first (the roster as of 1 May / 1 November)."""
    found: list[dt.date] = []
    marks = [
        tuple(int(p) for p in part.strip().split("-")) for part in event.periodic_dates.split(",")
    ]
    year = today.year
    while len(found) < count and year > today.year - 3:
        for month, day in sorted(marks, reverse=True):
            candidate = dt.date(year, month, day)
            if candidate <= today and len(found) < count:
                found.append(candidate)
        year -= 1
    return found


def deadline(event: NotificationEvent, event_date: dt.date) -> dt.date:
    """Return the last day to notify ``event`` of ``event_date`` (NF-2; the business-day rule
    of zairyu.core.days: the period starts the next day and a closed last day moves on)."""
    return days.deadline(event_date, days=event.deadline_days)


def is_late(last_day: dt.date, filed_on: dt.date) -> bool:
    return filed_on > last_day


def card_snapshot(card: ResidenceCard) -> dict:
    """Return the common items (REFERENCE.md §2) as the registry holds them for ``card``."""
    municipality = card.municipality.name_ja if card.municipality_id else ""
    return {
        "card_number": card.number,
        "roman_name": card.roman_name,
        "kanji_name": card.kanji_name,
        "nationality": card.nationality_id,
        "birth_date": card.birth_date.isoformat(),
        "sex": card.sex,
        "prefecture": card.prefecture_id,
        "municipality": card.municipality_id or "",
        "address": f"{card.prefecture.name_ja}{municipality}{card.street}",
        "status": card.status_id,
    }


def content_digest(
    *, event_code: str, subject: str, organization_id: int | None, items: dict
) -> str:
    """Return what makes two filings identical (NF-6, 001 Q73: 全く同じ内容).

    The event, the person it is about (card number, or the school for a roster), the filing
    organization for Art. 19-17 and every item as entered. Not the filer: the same notification
    filed by the resident and, on their request, by their organization is the same notification.
    """
    payload = {
        "event": event_code,
        "subject": subject,
        "organization": organization_id,
        "items": items,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
