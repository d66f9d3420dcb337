"""What a filing's content looks like on a page, in the receipt and in the back office (NF-7):
rows of (label, value) in the reader's language, built from the stored content."""

from __future__ import annotations

import datetime as dt

from django.utils import formats
from django.utils.translation import gettext as _

from zairyu.cards.models import Sex
from zairyu.reference import cache
from zairyu.reference.models import NotificationEvent, NotificationItem
from zairyu.reference.selectors import (
    nationality_name,
    notification_event,
    statuses_by_code,
)

from . import rules
from .labels import local_name

EXTRA_LABELS = {
    "org_corporate_number": lambda: _("Corporate number of the organization"),
    "new_org_corporate_number": lambda: _("Corporate number of the new organization"),
    "end_reason_detail": lambda: _("Reason in detail"),
    "as_of": lambda: _("As of"),
}


def show_date(value) -> str:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def stored_items(items: dict) -> dict[str, str]:
    """Items as the services store them: dates in ISO form, empty values left out."""
    stored = {}
    for code, value in items.items():
        if value in (None, ""):
            continue
        stored[code] = value.isoformat() if isinstance(value, dt.date) else str(value)
    return stored


def _common_labels() -> dict[str, str]:
    """The common items' names (reference data) in the active language."""
    items = cache.cached("common_items", lambda: list(NotificationItem.objects.filter(common=True)))
    return {item.code: local_name(item) for item in items}


def common_label(code: str) -> str:
    """The name of one common item (``address`` → 住居地 / Address) in the active language."""
    return _common_labels().get(code, code)


def resident_rows(snapshot: dict | None) -> list[tuple[str, str]]:
    """The common items (REFERENCE.md §2) of the resident a filing is about, labelled with the
    items' names from the reference data, then the status of residence."""
    if not snapshot:
        return []
    labels = _common_labels()
    name = snapshot.get("roman_name", "")
    if snapshot.get("kanji_name"):
        name = f"{name}（{snapshot['kanji_name']}）"
    status = statuses_by_code().get(snapshot.get("status"))
    sex = snapshot.get("sex", "")
    values = {
        "card_number": snapshot.get("card_number", ""),
        "name": name,
        "birth_date": show_date(snapshot.get("birth_date", "")),
        "sex": str(Sex(sex).label) if sex in Sex.values else sex,
        "nationality": nationality_name(snapshot.get("nationality", "")),
        "address": snapshot.get("address", ""),
    }
    rows = [(labels.get(code, code), value) for code, value in values.items()]
    rows.append((_("Status of residence"), local_name(status) if status else ""))
    return rows


def item_rows(event: NotificationEvent, items: dict) -> list[tuple[str, str]]:
    """The event's items as filed, in the event's order, then the extras (corporate numbers)."""
    rows = []
    seen = set()
    # The event as the reference cache holds it, with its lines (the filing's own event row was
    # read without them).
    for item in rules.event_items(notification_event(event.pk) or event):
        if item.code not in items:
            continue
        value = items[item.code]
        if item.code in rules.DATE_ITEMS:
            value = show_date(value)
        elif item.code == "end_reason":
            value = rules.end_reason_label(value)
        rows.append((local_name(item), value))
        seen.add(item.code)
    for code, label in EXTRA_LABELS.items():
        if code in items and code not in seen:
            value = show_date(items[code]) if code == "as_of" else items[code]
            rows.append((label(), value))
    return rows


def roster_rows(roster: list[dict] | None) -> list[dict]:
    return [
        {
            **row,
            "nationality_name": nationality_name(row["nationality"]),
            "birth_date_shown": show_date(row["birth_date"]),
        }
        for row in roster or []
    ]
