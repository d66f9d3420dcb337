"""Back-office pages for staff requests for use (ID-5), periodic reports (ID-10) and staff
resignation, change reports and client organizations (ID-11, Q3-12) — BO-3.

Thin: parse → ``zairyu.accounts.staff`` → redirect. Every object is fetched through the
officer's bureaus (``access.officer_bureaus``): a missing object and one of another bureau give
the same 404. Views of a request or report are audited.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from zairyu.accounts import staff
from zairyu.accounts.forms_staff import PeriodicReportForm, StaffRequestForm, declarations_of
from zairyu.accounts.models import (
    PeriodicReport,
    StaffAccount,
    StaffChangeReport,
    StaffChannel,
    StaffDecision,
    StaffDocument,
    StaffRequest,
)
from zairyu.audit.services import audit_record

from .access import is_officer, officer_bureaus, officer_required, organizations_in_jurisdiction
from .forms import add_service_errors


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("approve", gettext_lazy("Approve")), ("refuse", gettext_lazy("Refuse"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (mailed when refused)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ClientForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Client organization"), max_length=200)
    corporate_number = forms.CharField(
        label=gettext_lazy("Corporate number"), max_length=20, required=False
    )


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("The resignation report (離職報告書) has been received."),
    )


def _scoped(user, queryset, bureau_field: str):
    bureaus = officer_bureaus(user)
    return queryset if bureaus is None else queryset.filter(**{f"{bureau_field}__in": bureaus})


def _get(user, queryset, bureau_field: str, pk: int, action: str = "accounts_view"):
    if not is_officer(user, action):
        raise Http404
    obj = _scoped(user, queryset, bureau_field).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _viewed(request: HttpRequest, obj) -> None:
    audit_record(action="accounts.staff_paper.viewed", actor=request.user, obj=obj, request=request)


def _decide(request, obj, *, decide, done_url, template: str, context: dict) -> HttpResponse:
    form = DecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            decide(
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data.get("reason") or "",
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The decision has been recorded and mailed."))
            return redirect(done_url)
    else:
        _viewed(request, obj)
    return render(
        request,
        template,
        {
            **context,
            "form": form,
            "can_decide": obj.state == StaffDecision.SUBMITTED,
            "can_change_accounts": is_officer(request.user, "accounts_change"),
        },
        status=400 if form.errors else 200,
    )


# --- Queue -------------------------------------------------------------------------------------


@officer_required("accounts_view")
@require_GET
def staff_queue(request: HttpRequest) -> HttpResponse:
    """What waits for a decision in the officer's bureaus."""
    submitted = StaffDecision.SUBMITTED
    return render(
        request,
        "backoffice/staff/queue.html",
        {
            "requests": _scoped(
                request.user, StaffRequest.objects.filter(state=submitted), "bureau_id"
            ).order_by("submitted_at"),
            "reports": _scoped(
                request.user,
                PeriodicReport.objects.filter(state=submitted).select_related("organization"),
                "bureau_id",
            ).order_by("submitted_at"),
            "changes": _scoped(
                request.user,
                StaffChangeReport.objects.filter(state=submitted).select_related(
                    "account__organization", "account__user"
                ),
                "account__organization__bureau_id",
            ).order_by("submitted_at"),
            "organizations": _scoped(
                request.user,
                organizations_in_jurisdiction(request.user)
                .filter(staff_accounts__isnull=False)
                .distinct(),
                "bureau_id",
            ).order_by("name")[:200],
        },
    )


# --- Requests for use (ID-5) -------------------------------------------------------------------


@officer_required("accounts_register")
@require_http_methods(["GET", "POST"])
def request_record(request: HttpRequest) -> HttpResponse:
    """Record a request for use brought or posted on paper (documents stay in the file)."""
    form = StaffRequestForm(
        request.POST if request.method == "POST" else None, with_documents=False
    )
    if request.method == "POST" and form.is_valid():
        bureaus = officer_bureaus(request.user)
        data = form.request_data()
        try:
            if bureaus is not None and form.cleaned_data["prefecture"].bureau_id not in bureaus:
                raise ValidationError(
                    {"prefecture": _("This address lies outside your bureau's jurisdiction.")}
                )
            created = staff.staff_request_submit(
                data=data, channel=StaffChannel.PAPER, actor=request.user, request=request
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("backoffice:staff_request", request_id=created.pk)
    return render(
        request,
        "backoffice/staff/form.html",
        {"form": form, "title": _("Record a request for use from paper")},
        status=400 if form.errors else 200,
    )


@officer_required("accounts_view")
@require_http_methods(["GET", "POST"])
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    action = "accounts_register" if request.method == "POST" else "accounts_view"
    obj = _get(request.user, StaffRequest.objects.all(), "bureau_id", request_id, action)
    return _decide(
        request,
        obj,
        decide=lambda approve, reason: staff.staff_request_decide(
            staff_request=obj, actor=request.user, approve=approve, reason=reason, request=request
        ),
        done_url=request.path,
        template="backoffice/staff/request.html",
        context={"obj": obj, "documents": obj.documents.defer("content")},
    )


@officer_required("accounts_view")
@require_GET
def request_document(request: HttpRequest, request_id: int, document_id: int) -> HttpResponse:
    obj = _get(request.user, StaffRequest.objects.all(), "bureau_id", request_id)
    document = StaffDocument.objects.filter(request=obj, pk=document_id).first()
    if document is None:
        raise Http404
    audit_record(
        action="accounts.staffdocument.viewed", actor=request.user, obj=document, request=request
    )
    response = HttpResponse(bytes(document.content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="document-{document.pk}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Periodic reports (ID-10) ------------------------------------------------------------------


@officer_required("accounts_view")
@require_http_methods(["GET", "POST"])
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    action = "accounts_change" if request.method == "POST" else "accounts_view"
    obj = _get(
        request.user,
        PeriodicReport.objects.select_related("organization"),
        "bureau_id",
        report_id,
        action,
    )
    return _decide(
        request,
        obj,
        decide=lambda approve, reason: staff.periodic_report_decide(
            report=obj, actor=request.user, approve=approve, reason=reason, request=request
        ),
        done_url=request.path,
        template="backoffice/staff/report.html",
        context={"obj": obj, "users": obj.accounts.select_related("user")},
    )


@officer_required("accounts_change")
@require_http_methods(["GET", "POST"])
def organization_staff(request: HttpRequest, organization_id: int) -> HttpResponse:
    """An organization's staff users; record a paper periodic report (e.g. late, Q9-5)."""
    organization = _get(
        request.user,
        organizations_in_jurisdiction(request.user),
        "bureau_id",
        organization_id,
        "accounts_change",
    )
    form = PeriodicReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            report = staff.periodic_report_submit(
                organization=organization,
                declarations=declarations_of(form.cleaned_data),
                clients=form.cleaned_data.get("clients") or "",
                channel=StaffChannel.PAPER,
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("backoffice:staff_report", report_id=report.pk)
    return render(
        request,
        "backoffice/staff/organization.html",
        {
            "organization": organization,
            "accounts": StaffAccount.objects.filter(organization=organization).select_related(
                "user"
            ),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


# --- Resignation, clients, changes (ID-11, Q3-12) ----------------------------------------------


def _account(request: HttpRequest, account_id: int) -> StaffAccount:
    return _get(
        request.user,
        StaffAccount.objects.select_related("user", "organization"),
        "organization__bureau_id",
        account_id,
        "accounts_change",
    )


@officer_required("accounts_change")
@require_http_methods(["GET", "POST"])
def account_resign(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            staff.resignation_report(
                account=account, actor=request.user, channel=StaffChannel.PAPER, request=request
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The auth ID has been deleted and its holder told."))
            return redirect(
                "backoffice:staff_organization", organization_id=account.organization_id
            )
    return render(
        request,
        "backoffice/staff/form.html",
        {"form": form, "title": _("Record a resignation report"), "account": account},
        status=400 if form.errors else 200,
    )


@officer_required("accounts_change")
@require_http_methods(["GET", "POST"])
def account_client_add(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id)
    form = ClientForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            staff.staff_client_add(
                account=account, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The client organization has been added."))
            return redirect(
                "backoffice:staff_organization", organization_id=account.organization_id
            )
    return render(
        request,
        "backoffice/staff/form.html",
        {"form": form, "title": _("Add a client organization"), "account": account},
        status=400 if form.errors else 200,
    )


@officer_required("accounts_view")
@require_http_methods(["GET", "POST"])
def change_detail(request: HttpRequest, change_id: int) -> HttpResponse:
    action = "accounts_change" if request.method == "POST" else "accounts_view"
    obj = _get(
        request.user,
        StaffChangeReport.objects.select_related("account__user", "account__organization"),
        "account__organization__bureau_id",
        change_id,
        action,
    )
    return _decide(
        request,
        obj,
        decide=lambda approve, reason: staff.change_report_decide(
            report=obj, actor=request.user, approve=approve, reason=reason, request=request
        ),
        done_url=request.path,
        template="backoffice/staff/change.html",
        context={"obj": obj},
    )
