"""Showing a service O filing's stored values (confirmation, history, back office, mails)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import formats

from .items import CHOICE, DATE, YEN, Item, _flat, choices
from .specs import spec_for


def display_value(item: Item, value: Any, language: str | None = None) -> str:
    """A stored value as a reader sees it (confirmation, history, back office, mails)."""
    if value in (None, ""):
        return ""
    if item.type == DATE:
        try:
            return formats.date_format(dt.date.fromisoformat(value), "DATE_FORMAT")
        except ValueError:
            return str(value)
    if item.type == CHOICE:
        if item.choices == "nationality":
            from zairyu.reference.selectors import nationality_name

            return nationality_name(value, language=language)
        return _flat(choices(item, language)).get(str(value), str(value))
    if item.type == YEN:
        return f"{int(value):,}"
    return str(value)


def item_rows(kind, items: dict, language: str | None = None) -> list[tuple[str, str]]:
    """(label, value) rows of a filing's items, in the kind's order."""
    spec = spec_for(kind)
    if spec is None:
        return [(code, str(value)) for code, value in items.items()]
    return [
        (str(item.label), display_value(item, items.get(item.code), language))
        for item in spec.items
        if item.code in items or item.required
    ]


def sheet_table(kind, rows: list[dict], language: str | None = None) -> dict | None:
    """The sheet as a table: {"label", "headers", "rows"} or None when the kind has none."""
    spec = spec_for(kind)
    if spec is None or spec.sheet is None:
        return None
    return {
        "label": str(spec.sheet.label),
        "headers": [str(item.label) for item in spec.sheet.items],
        "rows": [
            [display_value(item, row.get(item.code), language) for item in spec.sheet.items]
            for row in rows
        ],
    }
