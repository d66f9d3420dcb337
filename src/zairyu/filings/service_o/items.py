"""The vocabulary of service O filings (REFERENCE.md §4): item types, ``Item``, ``Sheet`` and
``KindSpec``, the choice lists, and the items and sheets several kinds share. ``specs.SPECS``
says which kind asks which of them; ``kinds`` is where the rest of the code reads them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

TEXT = "text"  # one line of Japanese text (FMT-4)
LONG_TEXT = "long_text"  # several lines of Japanese text (FMT-4)
DATE = "date"
MONTH = "month"  # YYYY-MM
CHOICE = "choice"
INTEGER = "integer"
DECIMAL = "decimal"  # one decimal place
YEN = "yen"  # whole yen
CARD_NUMBER = "card_number"  # FMT-5
ROMAN_NAME = "roman_name"  # FMT-3, parts separated by spaces (as on the card)
RSO_NUMBER = "rso_number"  # 登録支援機関の登録番号, e.g. 19登-000001

MAX_ROWS = 300  # BK-1 / 004 Q14: at most 300 people in one filing


@dataclass(frozen=True)
class Item:
    """One item of a filing or of a sheet row."""

    code: str
    label: Promise
    type: str = TEXT
    required: bool = True
    max_length: int | None = None
    help: Promise | str = ""
    choices: str = ""  # a source in CHOICE_SOURCES
    min_value: Any = None
    max_value: Any = None
    not_future: bool = True  # dates: the event happened (FMT-7, 001 Q69)


@dataclass(frozen=True)
class Sheet:
    """Rows of people in one filing (workers or students)."""

    label: Promise
    row_label: Promise  # with %(n)d
    items: tuple[Item, ...]
    multiple: bool | None = None  # None: the kind's ``several_workers`` decides
    max_rows: int = MAX_ROWS


Check = Callable[[dict, list[dict]], dict[str, list[ValidationError]]]


@dataclass(frozen=True)
class KindSpec:
    items: tuple[Item, ...]
    sheet: Sheet | None = None
    # The item the deadline counts from (ServiceOKind.deadline), "" for none.
    date_item: str = ""
    checks: tuple[Check, ...] = field(default=())


# --- choices ---------------------------------------------------------------------------------


def _ssw_fields(language=None):
    from zairyu.filings.labels import local_name
    from zairyu.reference.models import SswField

    return [(f.code, local_name(f, language)) for f in SswField.objects.all()]


def _difficulty_reasons(language=None):
    """Grouped by side (organization / worker), as form 3-4 lists them."""
    from zairyu.filings.labels import local_name
    from zairyu.reference.models import DifficultyReason

    sides = {
        DifficultyReason.Side.ORGANIZATION: _("Organization side"),
        DifficultyReason.Side.WORKER: _("Worker side"),
    }
    groups: dict[str, list] = {}
    for reason in DifficultyReason.objects.all():
        groups.setdefault(reason.side, []).append((reason.code, local_name(reason, language)))
    return [(sides.get(side, side), rows) for side, rows in groups.items()]


def _nationalities(language=None):
    from zairyu.reference.selectors import nationality_choices

    # REF-2, 004 Q8: grouped by region, then Japanese reading.
    return nationality_choices(order="region", language=language)


def _sex(language=None):
    return [("M", _("Male (M)")), ("F", _("Female (F)"))]


def _yes_no(language=None):
    return [("yes", _("Yes")), ("no", _("No"))]


def _contract_end_reasons(language=None):
    return [
        ("expiry", _("The contract period ended")),
        ("worker", _("The worker's own reasons")),
        ("organization", _("The organization's reasons")),
        ("dismissal", _("Dismissal for cause")),
        ("death", _("Death of the worker")),
        ("other", _("Other")),
    ]


CHOICE_SOURCES: dict[str, Callable] = {
    "ssw_field": _ssw_fields,
    "difficulty_reason": _difficulty_reasons,
    "nationality": _nationalities,
    "sex": _sex,
    "yes_no": _yes_no,
    "contract_end_reason": _contract_end_reasons,
}


def choices(item: Item, language: str | None = None) -> list:
    """The choices of a CHOICE item (possibly grouped: [(group, [(code, label)])])."""
    return CHOICE_SOURCES[item.choices](language)


def _flat(options: list) -> dict[str, str]:
    flat: dict[str, str] = {}
    for value, label in options:
        if isinstance(label, list | tuple):
            flat.update({str(v): str(lbl) for v, lbl in label})
        else:
            flat[str(value)] = str(label)
    return flat


# --- the items ---------------------------------------------------------------------------------

_JIS_HELP = gettext_lazy(
    "In Japanese; half-width characters are converted to full width. JIS level-1 and level-2 "
    "characters only."
)


def _date(code: str, label, help_text=None, *, not_future: bool = True, required: bool = True):
    return Item(
        code,
        label,
        DATE,
        required=required,
        not_future=not_future,
        help=help_text
        or (
            gettext_lazy("The day it happened (not in the future), e.g. 2026-04-01.")
            if not_future
            else gettext_lazy("E.g. 2026-04-01.")
        ),
    )


def _text(code: str, label, max_length: int, *, required: bool = True, help_text=None):
    return Item(
        code, label, TEXT, required=required, max_length=max_length, help=help_text or _JIS_HELP
    )


def _long(code: str, label, max_length: int = 800, *, required: bool = True, help_text=None):
    return Item(
        code,
        label,
        LONG_TEXT,
        required=required,
        max_length=max_length,
        help=help_text or _JIS_HELP,
    )


PERSON_ITEMS = (
    Item(
        "card_number",
        gettext_lazy("Residence card number"),
        CARD_NUMBER,
        help=gettext_lazy("12 characters, e.g. AB12345678CD."),
    ),
    Item(
        "roman_name",
        gettext_lazy("Name (roman letters)"),
        ROMAN_NAME,
        help=gettext_lazy("As printed on the residence card, e.g. HOUMU TAROU."),
    ),
    Item("nationality", gettext_lazy("Nationality or region"), CHOICE, choices="nationality"),
    _date("birth_date", gettext_lazy("Date of birth"), gettext_lazy("E.g. 1998-04-01.")),
    Item("sex", gettext_lazy("Sex"), CHOICE, choices="sex"),
)

WORKERS = Sheet(
    label=gettext_lazy("Specified skilled workers"),
    row_label=gettext_lazy("Worker %(n)d"),
    items=PERSON_ITEMS,
)
ONE_WORKER = Sheet(
    label=gettext_lazy("The specified skilled worker"),
    row_label=gettext_lazy("Worker %(n)d"),
    items=PERSON_ITEMS,
    multiple=False,
)
PERIODIC_WORKERS = Sheet(
    label=gettext_lazy("Per-worker sheet (the fiscal year's monthly averages)"),
    row_label=gettext_lazy("Worker %(n)d"),
    items=(
        *PERSON_ITEMS,
        Item(
            "working_days",
            gettext_lazy("Average working days a month"),
            DECIMAL,
            min_value=Decimal("0"),
            max_value=Decimal("31"),
            help=gettext_lazy("0 to 31, one decimal place, e.g. 21.5."),
        ),
        Item(
            "working_hours",
            gettext_lazy("Average working hours a month"),
            DECIMAL,
            min_value=Decimal("0"),
            max_value=Decimal("744"),
            help=gettext_lazy("0 to 744, one decimal place, e.g. 168.0."),
        ),
        Item(
            "monthly_pay",
            gettext_lazy("Average pay a month (yen)"),
            YEN,
            min_value=0,
            max_value=10_000_000,
            help=gettext_lazy("Whole yen before deductions, e.g. 230000."),
        ),
    ),
)
STUDENTS_WITHDRAWN = Sheet(
    label=gettext_lazy("Students who withdrew"),
    row_label=gettext_lazy("Student %(n)d"),
    items=(
        *PERSON_ITEMS,
        _date("withdrawal_date", gettext_lazy("Date of withdrawal")),
        _text("withdrawal_reason", gettext_lazy("Reason for the withdrawal"), 40),
    ),
    multiple=True,
)
STUDENTS_ATTENDANCE = Sheet(
    label=gettext_lazy("Students whose attendance fell below 50%"),
    row_label=gettext_lazy("Student %(n)d"),
    items=(
        *PERSON_ITEMS,
        Item(
            "attendance_rate",
            gettext_lazy("Attendance rate in the month (%)"),
            DECIMAL,
            min_value=Decimal("0"),
            max_value=Decimal("49.9"),
            help=gettext_lazy("Below 50, one decimal place, e.g. 42.5."),
        ),
        _text(
            "part_time_employer",
            gettext_lazy("Part-time employer"),
            60,
            required=False,
            help_text=gettext_lazy("Name of the employer of the student's part-time job, if any."),
        ),
    ),
    multiple=True,
)

_CHANGE = _long("change_content", gettext_lazy("What changed"), 800)
_MEASURES = _long("measures", gettext_lazy("Measures taken or planned"), 800)
_RSO_NAME = _text("rso_name", gettext_lazy("Name of the registered support organization"), 100)
_RSO_NUMBER = Item(
    "rso_number",
    gettext_lazy("Registration number of the support organization"),
    RSO_NUMBER,
    help=gettext_lazy("E.g. 19登-000001."),
)
_MONTH_ITEM = Item(
    "month",
    gettext_lazy("Month reported"),
    MONTH,
    help=gettext_lazy("The month the students are reported for, e.g. 2026-04."),
)


def _counts(code: str, label) -> Item:
    return Item(code, label, INTEGER, min_value=0, max_value=100_000)
