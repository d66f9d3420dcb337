"""What the pages and the back office show of an application (A-11, A-13, A-16): the steps'
titles, the content as rows of labels and values, the fee, the timeline, why post is not
offered, and the papers the filer sends or brings.

Pure presentation: nothing here decides what is allowed (``rules``) or changes anything
(``services``).
"""

from __future__ import annotations

from django.forms import BooleanField
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from zairyu.filings.labels import local_name
from zairyu.reference.models import Procedure

from . import rules, selectors
from .fees import fee_for_application
from .forms import ORGANIZATION, PERIODS, PERSONAL1, PERSONAL2, STEP1, STEP3, step_form
from .models import ADD_ON_PROCEDURES, Application, MainProcedure, ReceiptMethod, Reentry

STEP_TITLES = {
    STEP1: _lazy("Procedure and status"),
    PERSONAL1: _lazy("Personal data 1"),
    PERSONAL2: _lazy("Personal data 2 (residence card)"),
    ORGANIZATION: _lazy("Organization data"),
    STEP3: _lazy("Documents, photo and receipt"),
}
# The agency's step names (STEP1, STEP2-1 …), shown beside the titles.
STEP_NUMBERS = {
    STEP1: "STEP1",
    PERSONAL1: "STEP2-1",
    PERSONAL2: "STEP2-2",
    ORGANIZATION: "STEP2-3",
    STEP3: "STEP3",
}


def post_refusal(application: Application) -> str:
    """A-8: why post is not offered, or ""."""
    if ReceiptMethod.POST in rules.application_receipt_methods(application):
        return ""
    facts = rules.application_receipt_facts(application)
    refusal = rules.refuse_post(application.procedure_id, **facts)
    return refusal.message if refusal is not None else ""


# --- what an application says (confirmation, detail, the back office) ---------------------------


def _display(field, value) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, bool) or isinstance(field, BooleanField):
        return _("Yes") if value in (True, "True", "true", "on", "1") else _("No")
    choices = getattr(field, "choices", None)
    if choices:
        flat = {}
        for key, label in choices:
            if isinstance(label, (list, tuple)):
                flat.update({str(k): v for k, v in label})
            else:
                flat[str(key)] = label
        return str(flat.get(str(value), value))
    return str(value)


def step1_rows(application: Application) -> list[tuple]:
    return [
        (_("Procedure"), local_name(application.procedure)),
        (_("Status of residence"), local_name(application.status) if application.status else ""),
        (
            _("Period of stay applied for"),
            dict(PERIODS).get(application.period_requested, application.period_requested),
        ),
        *(
            [
                (_("Re-entry permit"), Reentry(application.reentry).label),
                (
                    _("Permission for other activity"),
                    _("Yes") if application.other_activity else _("No"),
                ),
            ]
            if application.procedure_id in ADD_ON_PROCEDURES
            else []
        ),
    ]


def content_sections(application: Application, user) -> list[dict]:
    """Every step's content as (label, value) rows, in step order (A-11 full content)."""
    content = application.content or {}
    sections = []
    for step in rules.steps_for(application):
        if step == STEP1:
            rows = step1_rows(application)
        else:
            data = content.get(step) or {}
            form = step_form(application, step, application.filer)
            rows = [
                (field.label, _display(field, data.get(name)))
                for name, field in form.fields.items()
            ]
            if step == STEP3:
                rows = [
                    (
                        _("How the result is received"),
                        ReceiptMethod(application.receipt_method).label
                        if application.receipt_method
                        else _display(form.fields["receipt_method"], data.get("receipt_method")),
                    ),
                    (
                        _("Applicant's notification e-mail address"),
                        application.applicant_email or data.get("applicant_email", ""),
                    ),
                ]
        sections.append(
            {
                "step": step,
                "number": STEP_NUMBERS[step],
                "title": STEP_TITLES[step],
                "rows": rows,
            }
        )
    return sections


def fee_rows(application: Application) -> dict:
    """REFERENCE §7: the fee of this application (paid with revenue stamps on approval)."""
    fee = fee_for_application(application)
    names = {
        p.pk: p for p in Procedure.objects.filter(pk__in=[line.procedure for line in fee.lines])
    }
    return {
        "lines": [(local_name(names.get(line.procedure)), line.amount) for line in fee.lines],
        "total": fee.total,
        "on": fee.on,
    }


# --- the full content and timeline (A-11) ---------------------------------------------------------


def _timeline_line(entry) -> str:
    if entry.kind == "state":
        return _("State: %(state)s") % {"state": entry.to_label}
    if entry.kind == "version":
        return _("Amended: version %(number)s") % {"number": entry.version}
    if entry.kind == "handover":
        return _("Draft handed over to %(user)s") % {"user": entry.note}
    if entry.kind == "withdrawal_request":
        return _("Withdrawal requested")
    if entry.kind == "receipt_number":
        return _("Receipt number assigned: %(number)s") % {"number": entry.note}
    return entry.kind


def timeline(application: Application) -> list[dict]:
    """A-11 [B]: every change (states, versions, hand-overs, requests; selectors.timeline) and
    every document attached or removed, oldest first."""
    events = [
        {
            "at": entry.at,
            "what": _timeline_line(entry),
            "who": entry.actor,
            "note": entry.note if entry.kind in ("state", "version", "withdrawal_request") else "",
        }
        for entry in selectors.timeline(application)
    ]
    for document in application.documents.all():
        events.append(
            {
                "at": document.uploaded_at,
                "what": _("Document attached: %(name)s (%(kind)s)")
                % {"name": document.original_name, "kind": document.get_kind_display()},
                "who": "",
                "note": "",
            }
        )
    events.sort(key=lambda e: e["at"])
    return events


# --- the papers (A-13; 002 Q5-5, Q6-5, Q7-2) ------------------------------------------------------


def required_papers(application: Application) -> list[str]:
    """What the filer sends by post (002 Q6-5) or brings to the counter (Q7-2), in the
    filer's language (call inside ``translation.override``); ``rules.paper_codes`` says the
    same as codes for the mails."""
    fee = application.fee_amount or 0
    code = application.procedure_id
    post = application.receipt_method == ReceiptMethod.POST
    number = application.receipt_number or application.number
    papers: list[str] = []
    if post:
        thing = {
            MainProcedure.COE: _lazy("Certificate of Eligibility"),
            MainProcedure.WORK_CERTIFICATE: _lazy("certificate of authorized employment"),
        }.get(code, _lazy("residence card"))
        papers.append(
            str(
                _lazy(
                    "A return envelope for the %(thing)s: stamps for simplified registered mail "
                    "(簡易書留) on it, addressed to your current address (the address must be "
                    "the one registered with the system), and the receipt number %(number)s "
                    "written on its back."
                )
                % {"thing": thing, "number": number}
            )
        )
    if fee:
        papers.append(
            str(
                _lazy(
                    "The fee payment slip (手数料納付書) with revenue stamps (収入印紙) for "
                    "%(fee)s yen, the receipt number %(number)s in the number box at the top "
                    "right and the applicant's name in the name box at the bottom right. "
                    "Download the pre-filled slip from the application's page."
                )
                % {"fee": f"{fee:,}", "number": number}
            )
        )
    if rules.is_card_procedure(application) and application.applicant_card_id:
        papers.append(
            str(
                _lazy(
                    "The applicant's current residence card (the original). It is returned "
                    "with its IC chip invalidated by punching."
                )
            )
        )
    if code == MainProcedure.WORK_CERTIFICATE:
        papers.append(
            str(
                _lazy(
                    "A copy of the applicant's residence card (without one, a copy of the "
                    "passport's page with the personal data)."
                )
            )
        )
    if rules.needs_designation(application) and rules.is_card_procedure(application):
        papers.append(
            str(
                _lazy(
                    "The designation (指定書), taken out of the passport. Do not send the passport."
                )
            )
        )
    if not post:
        papers.append(
            str(
                _lazy(
                    "This mail, shown on screen or printed, and the applicant's passport. The "
                    "applicant or you as the user of the system may collect it; nobody else "
                    "can, and not while the applicant is abroad."
                )
            )
        )
    return papers
