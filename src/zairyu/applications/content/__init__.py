"""The content of an application (``Application.content``, by step): each field's validator
(``fields.FIELDS``) and the functions that store and read it.

A draft saves partial input (A-9): ``clean_fields`` checks each field's format and keeps a value
that fails as typed (the user corrects it later), except one holding a My Number, which is never
stored (002 Q2-8).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError

from zairyu.core.validators import parse_typed_date, refuse_my_number

from ..models import Application
from ..rules.steps import STEP_FIELDS
from .fields import (
    BOOLEAN,
    BOOLEAN_FIELDS,
    DATE,
    DATE_FIELDS,
    FIELD_LABELS,
    FIELDS,
    TEXT_MAX,
    ContentField,
)


def clean_value(step: str, field: str, value: Any) -> Any:
    """One field in its stored form (dates ISO, text normalised), or raise ValidationError."""
    spec = FIELDS.get(field)
    label = spec.label if spec is not None else field
    if spec is not None and spec.kind in (BOOLEAN, DATE):
        return spec.clean(value, label)
    text = "" if value is None else str(value).strip()
    if spec is None or spec.my_number:
        refuse_my_number(text, field=str(label))
    if spec is None:
        return text[:TEXT_MAX]
    return spec.clean(text, label)


def clean_fields(step: str, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list]]:
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
            stored[field] = clean_value(step, field, value)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.error_list)
            if not any(e.code == "my_number_refused" for e in exc.error_list):
                if isinstance(value, dt.date):
                    value = value.isoformat()
                stored[field] = str(value)[: TEXT_MAX * 2]
    return stored, errors


def step_content(application: Application, step: str) -> dict[str, Any]:
    """What ``application`` stores for ``step`` (a copy; {} when nothing yet)."""
    return dict((application.content or {}).get(step) or {})


def content_date(value: Any) -> dt.date | None:
    """A stored date (ISO text, or as typed when it failed its check) as a date, else None."""
    return parse_typed_date(value) if value else None


def set_step3_receipt_method(application: Application, method: str) -> None:
    """Keep STEP3's stored choice equal to the ``receipt_method`` column (one source of truth
    for the pages); not saved."""
    content = dict(application.content or {})
    content["step3"] = {**(content.get("step3") or {}), "receipt_method": method}
    application.content = content


__all__ = [
    "BOOLEAN_FIELDS",
    "DATE_FIELDS",
    "FIELDS",
    "FIELD_LABELS",
    "TEXT_MAX",
    "ContentField",
    "clean_fields",
    "clean_value",
    "content_date",
    "set_step3_receipt_method",
    "step_content",
]
