"""What each kind of service O filing asks (REFERENCE.md §4, SPEC OF-1): ONE definition.

Which kinds exist, who files them, their deadline rule and whether they can be returned is
reference data (``zairyu.reference.models.ServiceOKind``, editable by administrators). The items
each kind asks are defined here, keyed by ``ServiceOKind.code``: the input form, the
confirmation page, the history and back-office pages, the mails and bulk upload all read
``SPECS`` and clean values with ``clean_values`` — nothing else lists a kind's items.

A kind may carry a *sheet*: one row per worker (SSW notifications, the periodic notification's
per-worker sheet of form 3-6) or per student (JLI reports Nos. 38 and 39). A row's identity
items are checked with the shared validators (FMT-3 roman name, FMT-5 card number, FMT-7 dates).

Stored values are JSON: dates ``YYYY-MM-DD``, months ``YYYY-MM``, decimals as strings, whole
numbers as ints, choices as their codes, text normalised (FMT-4, half-width converted to
full-width and the conversion reported).

This module is where the rest of the code reads them; the parts are ``items`` (item types,
``Item``, ``Sheet``, ``KindSpec``, choice lists, shared items), ``specs`` (``SPECS`` and its
look-ups), ``cleaning`` (``clean_value``, ``clean_values``) and ``display`` (``display_value``,
``item_rows``, ``sheet_table``).
"""

from __future__ import annotations

from .cleaning import (
    _MONTH,
    _RSO_NUMBER_PATTERN,
    Cleaned,
    _clean_items,
    _clean_sheet,
    _empty,
    _month_value,
    _number,
    _required,
    _text_of,
    clean_value,
    clean_values,
)
from .display import display_value, item_rows, sheet_table
from .items import (
    _CHANGE,
    _JIS_HELP,
    _MEASURES,
    _MONTH_ITEM,
    _RSO_NAME,
    _RSO_NUMBER,
    CARD_NUMBER,
    CHOICE,
    CHOICE_SOURCES,
    DATE,
    DECIMAL,
    INTEGER,
    LONG_TEXT,
    MAX_ROWS,
    MONTH,
    ONE_WORKER,
    PERIODIC_WORKERS,
    PERSON_ITEMS,
    ROMAN_NAME,
    RSO_NUMBER,
    STUDENTS_ATTENDANCE,
    STUDENTS_WITHDRAWN,
    TEXT,
    WORKERS,
    YEN,
    Check,
    Item,
    KindSpec,
    Sheet,
    _contract_end_reasons,
    _counts,
    _date,
    _difficulty_reasons,
    _flat,
    _long,
    _nationalities,
    _sex,
    _ssw_fields,
    _text,
    _yes_no,
    choices,
)
from .specs import SPECS, _attainment_check, row_key, sheet_multiple, spec_for

__all__ = [
    "CARD_NUMBER",
    "CHOICE",
    "CHOICE_SOURCES",
    "DATE",
    "DECIMAL",
    "INTEGER",
    "LONG_TEXT",
    "MAX_ROWS",
    "MONTH",
    "ONE_WORKER",
    "PERIODIC_WORKERS",
    "PERSON_ITEMS",
    "ROMAN_NAME",
    "RSO_NUMBER",
    "SPECS",
    "STUDENTS_ATTENDANCE",
    "STUDENTS_WITHDRAWN",
    "TEXT",
    "WORKERS",
    "YEN",
    "_CHANGE",
    "_JIS_HELP",
    "_MEASURES",
    "_MONTH",
    "_MONTH_ITEM",
    "_RSO_NAME",
    "_RSO_NUMBER",
    "_RSO_NUMBER_PATTERN",
    "Check",
    "Cleaned",
    "Item",
    "KindSpec",
    "Sheet",
    "_attainment_check",
    "_clean_items",
    "_clean_sheet",
    "_contract_end_reasons",
    "_counts",
    "_date",
    "_difficulty_reasons",
    "_empty",
    "_flat",
    "_long",
    "_month_value",
    "_nationalities",
    "_number",
    "_required",
    "_sex",
    "_ssw_fields",
    "_text",
    "_text_of",
    "_yes_no",
    "choices",
    "clean_value",
    "clean_values",
    "display_value",
    "item_rows",
    "row_key",
    "sheet_multiple",
    "sheet_table",
    "spec_for",
]
