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
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zairyu.core import clock
from zairyu.core.validators import (
    DateNotInFuture,
    JisX0208Text,
    ResidenceCardNumber,
    RomanName,
    RomanNameForm,
    conversion_notice,
    refuse_my_number,
)

# Item types (how a value is typed, checked and shown).
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

_RSO_NUMBER_PATTERN = re.compile(r"^(\d{2})登-?(\d{6})$")
_MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")


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


def _attainment_check(items: dict, rows: list[dict]) -> dict[str, list[ValidationError]]:
    """No. 44: each group and their sum cannot exceed the completers."""
    completers = items.get("completers")
    if not isinstance(completers, int):
        return {}
    found: dict[str, list[ValidationError]] = {}
    parts = ("further_study", "work_status_changes", "cefr_a2")
    for code in parts:
        value = items.get(code)
        if isinstance(value, int) and value > completers:
            found[code] = [
                ValidationError(
                    _(
                        "This number (%(value)d) is larger than the number of completers "
                        "(%(total)d)."
                    )
                    % {"value": value, "total": completers},
                    code="more_than_completers",
                )
            ]
    if not found and all(isinstance(items.get(c), int) for c in parts):
        total = sum(items[c] for c in parts)
        if total > completers:
            found["cefr_a2"] = [
                ValidationError(
                    _(
                        "Further study, changes to a work status and CEFR-J A2 or above count "
                        "each completer once; together they are %(sum)d, more than the "
                        "%(total)d completers. Correct the numbers."
                    )
                    % {"sum": total, "total": completers},
                    code="sum_more_than_completers",
                )
            ]
    return found


def _counts(code: str, label) -> Item:
    return Item(code, label, INTEGER, min_value=0, max_value=100_000)


SPECS: dict[str, KindSpec] = {
    # SSW organizations, ad hoc within 14 days (forms 3-1-1 .. 3-5)
    "ssw_contract_change": KindSpec(
        items=(_date("event_date", gettext_lazy("Date of the change")), _CHANGE),
        sheet=WORKERS,
        date_item="event_date",
    ),
    "ssw_contract_end": KindSpec(
        items=(
            _date("event_date", gettext_lazy("Date the contract ended")),
            Item(
                "end_reason",
                gettext_lazy("Reason for the end"),
                CHOICE,
                choices="contract_end_reason",
            ),
            _text("end_reason_detail", gettext_lazy("Reason in detail"), 200, required=False),
        ),
        sheet=WORKERS,
        date_item="event_date",
    ),
    "ssw_contract_new": KindSpec(
        items=(
            _date("event_date", gettext_lazy("Date the contract was concluded")),
            Item(
                "ssw_field", gettext_lazy("Specified industrial field"), CHOICE, choices="ssw_field"
            ),
            _text("job", gettext_lazy("Work to be done"), 100),
            _date(
                "contract_start",
                gettext_lazy("Start of the contract period"),
                not_future=False,
            ),
            _date(
                "contract_end",
                gettext_lazy("End of the contract period"),
                not_future=False,
            ),
            Item(
                "monthly_pay",
                gettext_lazy("Monthly pay (yen)"),
                YEN,
                min_value=0,
                max_value=10_000_000,
                help=gettext_lazy("Whole yen before deductions, e.g. 230000."),
            ),
        ),
        sheet=WORKERS,
        date_item="event_date",
    ),
    "ssw_support_plan_change": KindSpec(
        items=(_date("event_date", gettext_lazy("Date of the change")), _CHANGE),
        sheet=ONE_WORKER,
        date_item="event_date",
    ),
    "ssw_entrustment_conclusion": KindSpec(
        items=(
            _date("event_date", gettext_lazy("Date the contract was concluded")),
            _RSO_NAME,
            _RSO_NUMBER,
            _long("scope", gettext_lazy("Support entrusted"), 800),
        ),
        date_item="event_date",
    ),
    "ssw_entrustment_change": KindSpec(
        items=(
            _date("event_date", gettext_lazy("Date of the change")),
            _RSO_NAME,
            _RSO_NUMBER,
            _CHANGE,
        ),
        date_item="event_date",
    ),
    "ssw_entrustment_end": KindSpec(
        items=(
            _date("event_date", gettext_lazy("Date the contract ended")),
            _RSO_NAME,
            _RSO_NUMBER,
            _text("end_reason_text", gettext_lazy("Reason for the end"), 200),
        ),
        date_item="event_date",
    ),
    "ssw_acceptance_difficulty": KindSpec(
        items=(
            Item(
                "reason",
                gettext_lazy("Reason for the difficulty"),
                CHOICE,
                choices="difficulty_reason",
            ),
            _date("event_date", gettext_lazy("Date the difficulty arose")),
            _text(
                "summary",
                gettext_lazy("Summary of the circumstances"),
                20,
                help_text=gettext_lazy(
                    "At most 20 full-width characters (form 3-4); half-width characters are "
                    "converted to full width."
                ),
            ),
            Item(
                "worker_reachable",
                gettext_lazy("Can the worker be contacted?"),
                CHOICE,
                choices="yes_no",
            ),
            _long("measures", gettext_lazy("Measures to continue the acceptance"), 800),
        ),
        sheet=ONE_WORKER,
        date_item="event_date",
    ),
    "ssw_non_conformity": KindSpec(
        items=(
            _date("event_date", gettext_lazy("Date the organization learned of it")),
            _text("standard", gettext_lazy("Standard not met"), 100),
            _long("details", gettext_lazy("What happened"), 800),
            _MEASURES,
        ),
        date_item="event_date",
    ),
    "ssw_support_difficulty": KindSpec(
        items=(
            _date("event_date", gettext_lazy("Date the difficulty arose")),
            _long("details", gettext_lazy("Support that cannot be carried out, and why"), 800),
            _MEASURES,
        ),
        sheet=ONE_WORKER,
        date_item="event_date",
    ),
    # Form 3-6: once a year, period 1 April - 31 March, filed 1 April - 31 May. The fiscal year
    # is not typed: it is the one that ended on the last 31 March (rules.periodic_period).
    "ssw_periodic": KindSpec(
        items=(
            _long(
                "support_status",
                gettext_lazy("How the support plan was carried out"),
                800,
                help_text=gettext_lazy(
                    "Includes the registered support organization's periodic support report "
                    "when support is entrusted (filed jointly)."
                ),
            ),
        ),
        sheet=PERIODIC_WORKERS,
    ),
    # Registered support organizations
    "rso_registered_matters_change": KindSpec(
        items=(
            _date("event_date", gettext_lazy("Date of the change")),
            _text("matter", gettext_lazy("Registered matter changed"), 60),
            _long("old_value", gettext_lazy("Before the change"), 400),
            _long("new_value", gettext_lazy("After the change"), 400),
        ),
        date_item="event_date",
    ),
    "rso_suspension": KindSpec(
        items=(
            _date("event_date", gettext_lazy("Date support was suspended")),
            _long("reason_text", gettext_lazy("Reason"), 400),
        ),
        date_item="event_date",
    ),
    "rso_abolition": KindSpec(
        items=(
            _date("event_date", gettext_lazy("Date support was abolished")),
            _long("reason_text", gettext_lazy("Reason"), 400),
        ),
        date_item="event_date",
    ),
    "rso_resumption": KindSpec(
        items=(
            _date(
                "resume_date",
                gettext_lazy("Date support resumes"),
                gettext_lazy("File at least one month before this day, e.g. 2026-07-01."),
                not_future=False,
            ),
        ),
        date_item="resume_date",
    ),
    "rso_special_incident": KindSpec(
        items=(
            _date("event_date", gettext_lazy("Date of the incident")),
            _date("known_date", gettext_lazy("Date the organization learned of it")),
            _long("details", gettext_lazy("What happened"), 800),
        ),
        date_item="known_date",
    ),
    # Japanese-language institutions (notice-standard reports; only these can be returned)
    "jli_38_withdrawals": KindSpec(
        items=(_MONTH_ITEM,), sheet=STUDENTS_WITHDRAWN, date_item="month"
    ),
    "jli_39_attendance": KindSpec(
        items=(_MONTH_ITEM,), sheet=STUDENTS_ATTENDANCE, date_item="month"
    ),
    "jli_44_attainment": KindSpec(
        items=(
            Item(
                "school_year",
                gettext_lazy("School year (the year it started)"),
                INTEGER,
                min_value=2000,
                max_value=2100,
                help=gettext_lazy("E.g. 2025 for the year from April 2025."),
            ),
            _counts("completers", gettext_lazy("Students who completed the course")),
            _counts("further_study", gettext_lazy("Of them: went on to further study in Japan")),
            _counts(
                "work_status_changes",
                gettext_lazy("Of them: changed to a work status of residence"),
            ),
            _counts("cefr_a2", gettext_lazy("Of them: reached CEFR-J A2 or above (others)")),
        ),
        checks=(_attainment_check,),
    ),
    "jli_45_changes": KindSpec(
        items=(
            _date("event_date", gettext_lazy("Date of the change")),
            _text("matter", gettext_lazy("Matter changed"), 60),
            _long("details", gettext_lazy("What changed"), 800),
        ),
        date_item="event_date",
    ),
    "jli_46_self_inspection": KindSpec(
        items=(
            Item(
                "school_year",
                gettext_lazy("School year (the year it started)"),
                INTEGER,
                min_value=2000,
                max_value=2100,
            ),
            _long("results", gettext_lazy("Results of the self-inspection"), 2000),
        ),
    ),
}


def spec_for(kind) -> KindSpec | None:
    """The items of a kind, or None when no items are defined for it (it cannot be filed)."""
    return SPECS.get(getattr(kind, "code", kind))


def sheet_multiple(kind, spec: KindSpec) -> bool:
    if spec.sheet is None:
        return False
    if spec.sheet.multiple is not None:
        return spec.sheet.multiple
    return bool(kind.several_workers)


def row_key(index: int, code: str) -> str:
    """The form field and error key of one item of one sheet row (the formset's names)."""
    return f"workers-{index}-{code}"


# --- cleaning (forms, services, bulk and API all call this) ----------------------------------


@dataclass
class Cleaned:
    items: dict[str, Any]
    rows: list[dict[str, Any]]
    notices: list[str]
    errors: dict[str, list[ValidationError]]


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _text_of(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


def clean_value(item: Item, value: Any, *, label: str | None = None) -> tuple[Any, str | None]:
    """Return (stored value, conversion notice or None); raise ValidationError naming the field."""
    label = label or str(item.label)
    if item.type in (TEXT, LONG_TEXT):
        refuse_my_number(value, field=label)
        result = JisX0208Text(
            field=label,
            max_length=item.max_length,
            convert_halfwidth=True,
            multiline=item.type == LONG_TEXT,
        ).clean(value)
        return result.value, conversion_notice(result, field=label)
    if item.type == CARD_NUMBER:
        result = ResidenceCardNumber(field=label).clean(value)
        return result.value, conversion_notice(result, field=label)
    if item.type == ROMAN_NAME:
        result = RomanName(RomanNameForm.SPACES, field=label).clean(value)
        return result.value, conversion_notice(result, field=label)
    if item.type == DATE:
        day = _date_value(value, label)
        if item.not_future:
            DateNotInFuture(field=label, birth=item.code == "birth_date")(day)
        return day.isoformat(), None
    if item.type == MONTH:
        return _month_value(value, label), None
    if item.type == CHOICE:
        text = str(value).strip()
        if text not in _flat(choices(item)):
            raise ValidationError(
                _("%(field)s: choose one from the list.") % {"field": label},
                code="invalid_choice",
            )
        return text, None
    if item.type in (INTEGER, YEN):
        return _number(item, value, label, whole=True), None
    if item.type == DECIMAL:
        return _number(item, value, label, whole=False), None
    if item.type == RSO_NUMBER:
        text = _text_of(value).replace("ー", "-").replace("−", "-")
        match = _RSO_NUMBER_PATTERN.match(text)
        if match is None:
            raise ValidationError(
                _("%(field)s: write two digits, 登, a hyphen and six digits, e.g. 19登-000001.")
                % {"field": label},
                code="rso_number",
            )
        return f"{match[1]}登-{match[2]}", None
    raise ValueError(f"unknown item type {item.type!r}")


def _date_value(value: Any, label: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.astimezone(clock.TOKYO).date()
    if isinstance(value, dt.date):
        return value
    text = _text_of(value).replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        if re.fullmatch(r"\d{8}", text):
            try:
                return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
            except ValueError:
                pass
        raise ValidationError(
            _("%(field)s is not a date. Enter it as YYYY-MM-DD, e.g. 2026-04-01.")
            % {"field": label},
            code="invalid_date",
        ) from None


def _month_value(value: Any, label: str) -> str:
    if isinstance(value, dt.date):
        year, month = value.year, value.month
    else:
        match = _MONTH.match(_text_of(value))
        if match is None:
            raise ValidationError(
                _("%(field)s: enter the year and month as YYYY-MM, e.g. 2026-04.")
                % {"field": label},
                code="invalid_month",
            )
        year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise ValidationError(
            _("%(field)s: the month must be 01 to 12.") % {"field": label}, code="invalid_month"
        )
    today = clock.today()
    if (year, month) > (today.year, today.month):
        raise ValidationError(
            _("%(field)s (%(month)s) is in the future. Enter this month or an earlier one.")
            % {"field": label, "month": f"{year:04d}-{month:02d}"},
            code="month_in_future",
        )
    return f"{year:04d}-{month:02d}"


def _number(item: Item, value: Any, label: str, *, whole: bool):
    text = _text_of(value).replace(",", "").replace("円", "").replace("%", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValidationError(
            _("%(field)s is not a number. Enter digits only, e.g. %(example)s.")
            % {"field": label, "example": "230000" if whole else "21.5"},
            code="invalid_number",
        )
    if whole and number != number.to_integral_value():
        raise ValidationError(
            _("%(field)s: enter a whole number.") % {"field": label}, code="not_whole"
        )
    if not whole and number != number.quantize(Decimal("0.1")):
        raise ValidationError(
            _("%(field)s: use at most one decimal place.") % {"field": label},
            code="too_many_decimals",
        )
    low, high = item.min_value, item.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValidationError(
            _("%(field)s must be between %(min)s and %(max)s.")
            % {"field": label, "min": low, "max": high},
            code="out_of_range",
        )
    return int(number) if whole else str(number.quantize(Decimal("0.1")))


def _required(label: str) -> ValidationError:
    return ValidationError(_("%(field)s is empty. Fill it in.") % {"field": label}, code="required")


def clean_values(
    kind, items: Mapping[str, Any], rows: list[Mapping[str, Any]] | None = None
) -> Cleaned:
    """Check a filing's items and sheet rows against the kind's definition.

    Returns the stored values, the conversions made (to show) and every error, keyed by the
    item code or by ``row_key(index, code)`` for a sheet row, so forms show each by its field.
    """
    spec = spec_for(kind)
    if spec is None:
        raise ValueError(f"no items are defined for the kind {kind!r}")
    found: dict[str, list[ValidationError]] = {}
    notices: list[str] = []
    stored: dict[str, Any] = {}
    for item in spec.items:
        value = items.get(item.code)
        if _empty(value):
            if item.required:
                found[item.code] = [_required(str(item.label))]
            continue
        try:
            stored[item.code], notice = clean_value(item, value)
        except ValidationError as exc:
            found[item.code] = exc.error_list
            continue
        if notice:
            notices.append(notice)
    if stored.get("end_reason") == "other" and not stored.get("end_reason_detail"):
        found.setdefault("end_reason_detail", []).append(
            ValidationError(
                _("Reason in detail is empty. Describe the reason when it is “Other”."),
                code="required",
            )
        )
    cleaned_rows: list[dict[str, Any]] = []
    if spec.sheet is not None:
        given = [row for row in (rows or []) if not all(_empty(v) for v in row.values())]
        if not given:
            found.setdefault("workers", []).append(
                ValidationError(
                    _("%(sheet)s: enter at least one person.") % {"sheet": spec.sheet.label},
                    code="no_rows",
                )
            )
        limit = spec.sheet.max_rows if sheet_multiple(kind, spec) else 1
        if len(given) > limit:
            found.setdefault("workers", []).append(
                ValidationError(
                    _(
                        "%(sheet)s: at most %(max)d people in one filing; %(count)d were "
                        "entered. File the others separately."
                    )
                    % {"sheet": spec.sheet.label, "max": limit, "count": len(given)},
                    code="too_many_rows",
                )
            )
        for index, row in enumerate(rows or []):
            if all(_empty(v) for v in row.values()):
                continue
            row_label = str(spec.sheet.row_label) % {"n": index + 1}
            stored_row: dict[str, Any] = {}
            for item in spec.sheet.items:
                label = f"{row_label}: {item.label}"
                value = row.get(item.code)
                key = row_key(index, item.code)
                if _empty(value):
                    if item.required:
                        found[key] = [_required(label)]
                    continue
                try:
                    stored_row[item.code], notice = clean_value(item, value, label=label)
                except ValidationError as exc:
                    found[key] = exc.error_list
                    continue
                if notice:
                    notices.append(notice)
            cleaned_rows.append(stored_row)
        numbers = [r.get("card_number") for r in cleaned_rows if r.get("card_number")]
        if len(numbers) != len(set(numbers)):
            found.setdefault("workers", []).append(
                ValidationError(
                    _("The same residence card number is entered twice. List each person once."),
                    code="duplicate_person",
                )
            )
    start, end = stored.get("contract_start"), stored.get("contract_end")
    if start and end and end < start:
        found.setdefault("contract_end", []).append(
            ValidationError(
                _("The end of the contract period is before its start. Correct the dates."),
                code="date_order",
            )
        )
    if not found:
        for check in spec.checks:
            for key, errors in check(stored, cleaned_rows).items():
                found.setdefault(key, []).extend(errors)
    return Cleaned(items=stored, rows=cleaned_rows, notices=notices, errors=found)


# --- showing stored values ----------------------------------------------------------------


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
