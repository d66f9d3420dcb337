"""Back-office pages for service A applications (BO-1, BO-5, A-11..A-14): the queues of the
officer's offices (the day's work first), the search, one application's full view with its
documents, photo, versions and timeline, and the actions of ``applications.officer``. Thin:
parse → service → render.

Applications are reached only through ``access.access_application_by_id`` (the office with
jurisdiction; missing, drafts and other offices' applications give the same 404). Every page
that shows personal data writes an audit event (BO-1, SEC-6): the application page
``applications.application.viewed``, a document or the photo ``.document_viewed`` /
``.photo_viewed``, the PDFs ``.coe_downloaded`` / ``.fee_slip_downloaded``, each page of a list
``applications.application.listed`` with the ids shown. Search criteria (names) travel in the
POST body and the session, never in the URL.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from zairyu.applications import coe, officer, payment_slip, rules, selectors
from zairyu.applications.models import (
    Application,
    ApplicationDocument,
    ApplicationState,
    ReceiptMethod,
    WithdrawalAddOn,
)
from zairyu.audit.services import audit_record
from zairyu.core import clock
from zairyu.reference.models import Bureau

from .access import (
    access_application_by_id,
    applications_in_jurisdiction,
    is_officer,
    officer_required,
)
from .forms import DateInput, OfficerForm, TypedDateField, add_service_errors

S = ApplicationState
SEARCH_SESSION_KEY = "backoffice.application_search"
PAGE_SIZE = 25
ACCESS = "applications_decide"

# The queues (BO-5): "today" is the day's work; then one per state an officer works on.
QUEUES = [
    ("today", gettext_lazy("Today's work")),
    (S.SUBMITTED, S.SUBMITTED.label),
    (S.EXAMINING, S.EXAMINING.label),
    (S.AWAITING_ISSUE, S.AWAITING_ISSUE.label),
    (S.RECEIPT_ERROR, S.RECEIPT_ERROR.label),
    (S.COMPLETED, S.COMPLETED.label),
    (S.DENIED, S.DENIED.label),
    (S.WITHDRAWN, S.WITHDRAWN.label),
]


# --- forms ------------------------------------------------------------------------------------


class SearchForm(OfficerForm):
    number = forms.CharField(
        label=gettext_lazy("Receipt number"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("Whole or part, e.g. 東オン更00000012; the provisional number too."),
    )
    name = forms.CharField(
        label=gettext_lazy("Applicant's name"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Part of the name in roman letters, e.g. HOUMU."),
    )
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        states = [
            (value, label) for value, label in S.choices if value not in ("draft", "bulk_error")
        ]
        self.fields["state"].choices = [("", _("Any")), *states]

    def clean(self):
        data = super().clean()
        if not self.errors and not any(data.values()):
            raise ValidationError(_("Enter at least one criterion."), code="empty")
        return data


class EmptyForm(OfficerForm):
    """An action that needs only the button."""


class NoteForm(OfficerForm):
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FixReceiptForm(OfficerForm):
    note = forms.CharField(
        label=gettext_lazy("What was fixed"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("E.g. the office with jurisdiction was set from the address."),
    )
    bureau = forms.ModelChoiceField(
        label=gettext_lazy("Office with jurisdiction"),
        queryset=Bureau.objects.order_by("sort_order", "code"),
        required=False,
        help_text=gettext_lazy("Only when the office was the cause; otherwise leave it empty."),
    )


class DocumentsForm(OfficerForm):
    text = forms.CharField(
        label=gettext_lazy("Documents requested"),
        max_length=officer.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "What the filer must add, e.g. the employment contract. It is mailed as written "
            "here, and re-attachment opens for the filer."
        ),
    )


class ApproveForm(OfficerForm):
    period_granted = forms.CharField(
        label=gettext_lazy("Period of stay granted"),
        required=False,
        max_length=16,
        help_text=gettext_lazy(
            "ISO 8601, e.g. P1Y, P3Y, P6M. Needed for a COE and a residence card."
        ),
    )
    stay_until_granted = TypedDateField(
        label=gettext_lazy("End of the period granted"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("The last day of the new period (residence card procedures)."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)


class DenyForm(OfficerForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason for denial"),
        max_length=officer.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Mailed to the filer and the applicant as written here."),
    )


class IssueForm(OfficerForm):
    card_number = forms.CharField(
        label=gettext_lazy("New residence card number"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("E.g. AB12345678CD. The new card enters the registry."),
    )
    card_valid_until = TypedDateField(
        label=gettext_lazy("Card valid until"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("Leave empty for the end of the period granted."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)


class WithdrawForm(OfficerForm):
    note = forms.CharField(
        label=gettext_lazy("How the request was made"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("E.g. the online request, or a call from the filer on 2026-04-01."),
    )


class ReceiptMethodForm(OfficerForm):
    method = forms.ChoiceField(
        label=gettext_lazy("New receipt method"), choices=ReceiptMethod.choices
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)

    def __init__(self, *args, application: Application | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if application is not None:
            # Offer only what the office may set (A-8, BO-5), e.g. no e-mail for an extension.
            offered = rules.office_receipt_methods(
                application.procedure_id, **rules.application_receipt_facts(application)
            )
            self.fields["method"].choices = [
                (value, label) for value, label in ReceiptMethod.choices if value in offered
            ]


class AddOnWithdrawForm(OfficerForm):
    """002 Q4-33: withdraw only the re-entry permit or the other-activity permission."""

    add_on = forms.ChoiceField(
        label=gettext_lazy("What to withdraw"),
        choices=[c for c in WithdrawalAddOn.choices if c[0]],
    )
    note = forms.CharField(
        label=gettext_lazy("How the request was made"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RevokeForm(OfficerForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason for revocation"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


FORMS = {
    "fix_receipt": FixReceiptForm,
    "examine": EmptyForm,
    "request_documents": DocumentsForm,
    "close_reattachment": EmptyForm,
    "approve": ApproveForm,
    "deny": DenyForm,
    "papers": NoteForm,
    "issue": IssueForm,
    "withdraw": WithdrawForm,
    "receipt_method": ReceiptMethodForm,
    "coe_revoke": RevokeForm,
    "withdraw_add_on": AddOnWithdrawForm,
    "photo_replacement": NoteForm,
}


def _run(action: str, user, application: Application, data: dict, request) -> None:  # noqa: C901, PLR0912 - a debt (docs/architecture.md)
    common = {"officer": user, "application": application, "request": request}
    if action == "fix_receipt":
        officer.receipt_error_fix(note=data["note"], bureau=data.get("bureau"), **common)
    elif action == "examine":
        officer.examination_open(**common)
    elif action == "request_documents":
        officer.documents_request(text=data["text"], **common)
    elif action == "close_reattachment":
        officer.reattachment_close(**common)
    elif action == "approve":
        officer.application_approve(
            period_granted=data["period_granted"],
            stay_until_granted=data["stay_until_granted"],
            note=data["note"],
            **common,
        )
    elif action == "deny":
        officer.application_deny(reason=data["reason"], **common)
    elif action == "papers":
        officer.papers_received(note=data["note"], **common)
    elif action == "issue":
        officer.issuance_record(
            card_number=data["card_number"],
            card_valid_until=data["card_valid_until"],
            note=data["note"],
            **common,
        )
    elif action == "withdraw":
        officer.withdrawal_record(note=data["note"], **common)
    elif action == "receipt_method":
        officer.receipt_method_change_by_officer(method=data["method"], note=data["note"], **common)
    elif action == "coe_revoke":
        coe.coe_revoke(reason=data["reason"], **common)
    elif action == "withdraw_add_on":
        officer.add_on_withdrawal_record(add_on=data["add_on"], note=data["note"], **common)
    elif action == "photo_replacement":
        officer.photo_replacement_allow(note=data["note"], **common)


DONE = {
    "fix_receipt": gettext_lazy("The receipt-number error is fixed; the number is assigned again."),
    "examine": gettext_lazy("The examination is open; the filer can no longer amend."),
    "request_documents": gettext_lazy(
        "Documents requested; re-attachment is open and the filer was mailed."
    ),
    "close_reattachment": gettext_lazy("Re-attachment is closed."),
    "approve": gettext_lazy("Approved; the filer was mailed what follows."),
    "deny": gettext_lazy("Denied; the filer was mailed the reason."),
    "papers": gettext_lazy("The papers are recorded as received."),
    "issue": gettext_lazy("The issuance is recorded."),
    "withdraw": gettext_lazy("The application is withdrawn."),
    "receipt_method": gettext_lazy("The receipt method is changed; the filer was mailed."),
    "coe_revoke": gettext_lazy("The COE is revoked; the verification page says so."),
    "withdraw_add_on": gettext_lazy(
        "The add-on is withdrawn; the application goes on and the filer was mailed."
    ),
    "photo_replacement": gettext_lazy(
        "The filer can now attach the right photo once and was mailed."
    ),
}


# --- lists ------------------------------------------------------------------------------------


def _visible(request: HttpRequest):
    return applications_in_jurisdiction(request.user).select_related("procedure", "bureau")


def _audit_listing(request: HttpRequest, page, *, list_name: str, **extra) -> None:
    audit_record(
        action="applications.application.listed",
        request=request,
        object_type="applications.application",
        after={
            "list": list_name,
            "page": page.number,
            "applications": [a.pk for a in page],
            **extra,
        },
    )


@officer_required(ACCESS)
def queue(request: HttpRequest) -> HttpResponse:
    """The queues of the officer's offices; "today" first (BO-5)."""
    which = request.GET.get("state") or "today"
    if which not in dict(QUEUES):
        raise Http404
    visible = _visible(request)
    counts = dict(visible.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    counts["today"] = selectors.today_queue(visible).count()
    if which == "today":
        applications = selectors.today_queue(visible)
    else:
        order = (
            ("submitted_at", "id")
            if which in (S.SUBMITTED, S.EXAMINING, S.RECEIPT_ERROR)
            else ("-state_changed_at", "-id")
        )
        applications = visible.filter(state=which).order_by(*order)
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    _audit_listing(request, page, list_name=which)
    return render(
        request,
        "backoffice/applications/queue.html",
        {
            "queues": [(key, label, counts.get(key, 0)) for key, label in QUEUES],
            "current": which,
            "current_label": dict(QUEUES)[which],
            "page": page,
            "today": clock.today(),
            "filed_today": visible.filter(filed_on=clock.today()).count(),
        },
    )


@officer_required(ACCESS)
@require_http_methods(["GET", "POST"])
def search(request: HttpRequest) -> HttpResponse:
    """Search by receipt number, name and state; results paged, every page audited."""
    if request.method == "POST":
        if "clear" in request.POST:
            request.session.pop(SEARCH_SESSION_KEY, None)
            return redirect("bo_applications:search")
        form = SearchForm(request.POST)
        if form.is_valid():
            request.session[SEARCH_SESSION_KEY] = {k: v or "" for k, v in form.cleaned_data.items()}
            return redirect("bo_applications:search")
        return render(request, "backoffice/applications/search.html", {"form": form}, status=400)
    criteria = request.session.get(SEARCH_SESSION_KEY)
    form = SearchForm(initial=criteria or {})
    page = None
    if criteria:
        results = selectors.officer_search(
            _visible(request),
            number=criteria.get("number", ""),
            name=criteria.get("name", ""),
            state=criteria.get("state", ""),
        )
        page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
        _audit_listing(request, page, list_name="search", criteria=criteria)
    return render(
        request,
        "backoffice/applications/search.html",
        {"form": form, "page": page, "criteria": criteria},
    )


# --- one application --------------------------------------------------------------------------


def _content_sections(application: Application) -> list[dict]:
    from zairyu.applications.views import content_sections

    try:
        return content_sections(application, application.filer)
    except Exception:  # a row the filer pages cannot lay out (e.g. old content): show raw
        return [
            {"step": step, "number": "", "title": step, "rows": sorted(values.items())}
            for step, values in (application.content or {}).items()
            if isinstance(values, dict)
        ]


def _version_changes(versions: list) -> list[dict]:
    """Each version with what changed from the one before (A-12): steps and fields."""
    rows = []
    previous = None
    for version in versions:
        changes = []
        if previous is not None:
            for step in sorted(set(previous.content) | set(version.content)):
                old, new = previous.content.get(step) or {}, version.content.get(step) or {}
                if not isinstance(old, dict) or not isinstance(new, dict):
                    continue
                for key in sorted(set(old) | set(new)):
                    if old.get(key) != new.get(key):
                        changes.append((step, key, old.get(key), new.get(key)))
            before = {d.get("id") for d in previous.documents}
            after = {d.get("id") for d in version.documents}
            added = [d for d in version.documents if d.get("id") not in before]
            removed = [d for d in previous.documents if d.get("id") not in after]
        else:
            added, removed = list(version.documents), []
        rows.append({"version": version, "changes": changes, "added": added, "removed": removed})
        previous = version
    return rows


def _detail(
    request: HttpRequest, application: Application, *, bound: dict | None = None, status=200
):
    offered = officer.actions_offered(application)
    can_change = is_officer(request.user, ACCESS)
    forms_ = {}
    # A refused action stays on the page with its errors, even if the state no longer offers it.
    for action in offered | set(bound or {}):
        if bound and action in bound:
            forms_[action] = bound[action]
        elif action == "receipt_method":
            forms_[action] = ReceiptMethodForm(
                initial={"method": application.receipt_method},
                prefix=action,
                application=application,
            )
        else:
            forms_[action] = FORMS[action](prefix=action)
    with_papers = application.decision == "approved"
    context = {
        "application": application,
        "sections": _content_sections(application),
        "documents": application.documents.order_by("uploaded_at", "id"),
        "versions": _version_changes(list(application.versions.order_by("number"))),
        "timeline": application.state_changes.order_by("at", "id"),
        "forms": forms_,
        "can_change": can_change,
        "delivery": officer.delivery_address(application),
        "papers": officer.required_papers(application) if with_papers else [],
        "slip": payment_slip.slip_available(application),
        "coe_code": coe.format_code(application.coe_verification_code)
        if application.coe_verification_code
        else "",
        "coe_valid_until": coe.valid_until(application)
        if application.coe_verification_code
        else None,
        "is_ecoe": coe.is_electronic_coe(application),
        "gives_card": officer.gives_card(application),
        "today": clock.today(),
    }
    return render(request, "backoffice/applications/detail.html", context, status=status)


@officer_required(ACCESS)
def detail(request: HttpRequest, application_id: int) -> HttpResponse:
    application = access_application_by_id(request.user, application_id)
    audit_record(action="applications.application.viewed", obj=application, request=request)
    return _detail(request, application)


@officer_required(ACCESS)
@require_POST
def act(request: HttpRequest, application_id: int, action: str) -> HttpResponse:
    """Run one of the actions of ``officer`` (the page shows only those the state allows; a
    stale page posting another gets the service's refusal, shown on the page)."""
    application = access_application_by_id(request.user, application_id)
    if action not in FORMS:
        raise Http404
    # Each action's form has its prefix, so the page's fields have unique ids.
    extra = {"application": application} if action == "receipt_method" else {}
    form = FORMS[action](request.POST, prefix=action, **extra)
    if form.is_valid():
        try:
            _run(action, request.user, application, form.cleaned_data, request)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, str(DONE[action]))
            return redirect("bo_applications:detail", application_id=application.pk)
    application = access_application_by_id(request.user, application_id)
    return _detail(request, application, bound={action: form}, status=400)


def _file_response(field, name: str, content_type: str) -> FileResponse:
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=False, filename=name, content_type=content_type)


@officer_required(ACCESS)
def document(request: HttpRequest, application_id: int, document_id: int) -> FileResponse:
    application = access_application_by_id(request.user, application_id)
    doc = ApplicationDocument.objects.filter(application=application, pk=document_id).first()
    if doc is None:
        raise Http404
    audit_record(
        action="applications.application.document_viewed",
        obj=application,
        after={"document": doc.pk},
        request=request,
    )
    return _file_response(doc.file, doc.original_name, "application/pdf")


@officer_required(ACCESS)
def photo(request: HttpRequest, application_id: int) -> FileResponse:
    application = access_application_by_id(request.user, application_id)
    if not application.photo:
        raise Http404
    audit_record(action="applications.application.photo_viewed", obj=application, request=request)
    return _file_response(application.photo, "photo.jpg", "image/jpeg")


def _pdf(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@officer_required(ACCESS)
def coe_pdf(request: HttpRequest, application_id: int) -> HttpResponse:
    application = access_application_by_id(request.user, application_id)
    if not coe.is_electronic_coe(application):
        raise Http404
    audit_record(action="applications.application.coe_downloaded", obj=application, request=request)
    return _pdf(coe.render_coe_pdf(application), f"coe-{application.pk}.pdf")


@officer_required(ACCESS)
def fee_slip(request: HttpRequest, application_id: int) -> HttpResponse:
    application = access_application_by_id(request.user, application_id)
    if not payment_slip.slip_available(application):
        raise Http404
    audit_record(
        action="applications.application.fee_slip_downloaded", obj=application, request=request
    )
    return _pdf(payment_slip.render_payment_slip(application), f"fee-slip-{application.pk}.pdf")
