"""What each kind of service O filing asks, keyed by ``ServiceOKind.code`` (REFERENCE.md §4,
SPEC OF-1): the one table ``SPECS`` and its look-ups."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .items import (
    _CHANGE,
    _MEASURES,
    _MONTH_ITEM,
    _RSO_NAME,
    _RSO_NUMBER,
    CHOICE,
    INTEGER,
    ONE_WORKER,
    PERIODIC_WORKERS,
    STUDENTS_ATTENDANCE,
    STUDENTS_WITHDRAWN,
    WORKERS,
    YEN,
    Item,
    KindSpec,
    _counts,
    _date,
    _long,
    _text,
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
