"""An application after submission, for its filer (A-8, A-11, A-12, A-16, A-17): the detail page
with its full content and timeline, the receipt PDF, amendment, the withdrawal request, the
receipt method, and handing a draft over. What each page offers is ``rules.actions``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zairyu.accounts.models import AccountState, Category, User
from zairyu.core.forms import add_service_errors
from zairyu.filings.labels import local_name

from .. import coe, forms, payment_slip, receipt, rules, selectors, services
from ..forms import STEP1
from ..models import Application
from ..presenters import STEP_NUMBERS, STEP_TITLES, content_sections, post_refusal, timeline
from .base import (
    _application,
    _documents,
    _no_store,
    _organization_id,
    _own,
    _own_draft,
    filer_required,
    photo_needed,
    resume_url,
    steps_for,
)
from .steps import _build_form, _step3_context, receipt_methods


def actions_for(application: Application, user) -> dict:
    """What the detail page offers ``user`` (``rules.filer_actions``) with the links it needs:
    the draft to resume, the e-COE and the fee payment slip (A-14, A-13: ``coe_urls``)."""
    actions = rules.filer_actions(application, user)
    return {
        **actions,
        "resume": resume_url(application) if actions["edit"] else "",
        "coe": coe.is_electronic_coe(application) and not application.coe_revoked_at,
        "fee_slip": payment_slip.slip_available(application),
    }


@require_GET
@filer_required
def detail(request: HttpRequest, application_id: int) -> HttpResponse:
    return _render_detail(request, _application(request, application_id))


def _render_detail(request, application, *, photo_form=None, status=200) -> HttpResponse:
    removed = list(application.documents.filter(version_removed__isnull=False).order_by("id"))
    actions = actions_for(application, request.user)
    return render(
        request,
        "applications/detail.html",
        {
            "photo_form": (photo_form or forms.PhotoForm()) if actions["photo_replace"] else None,
            "application": application,
            "procedure": local_name(application.procedure),
            "sections": content_sections(application, request.user),
            "documents": _documents(application),
            "removed_documents": removed,
            "versions": list(selectors.versions(application)),
            "timeline": timeline(application),
            "actions": actions,
            "photo_needed": photo_needed(application),
        },
        status=status,
    )


@require_GET
@filer_required
def receipt_pdf(request: HttpRequest, application_id: int) -> HttpResponse:
    """A-16 [B]: a PDF receipt that proves the pending application (002 Q4-38)."""
    application = _application(request, application_id)
    if not application.provisional_number:
        raise Http404
    response = HttpResponse(receipt.render_receipt(application), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{application.pk}.pdf"'
    return _no_store(response)


# --- after submission: amendment, withdrawal, receipt method (A-8, A-12) --------------------------


def _amendable(request: HttpRequest, application_id: int) -> Application | HttpResponse:
    """The amendment page (A-12) while amendable, or while re-attachment is open (Q4-3, Q4-5)."""
    application = _own(request, application_id)
    if rules.document_mode(application, request.user) not in ("amend", "reattach"):
        messages.error(
            request,
            _(
                "This application can no longer be changed online: the office has opened "
                "the examination. Contact the office that received it."
            ),
        )
        return redirect("applications:detail", application_id=application.pk)
    return application


def _render_amend(request, application, *, document_form=None, photo_form=None, status=200):
    steps = [s for s in steps_for(application) if s != STEP1]
    return render(
        request,
        "applications/amend.html",
        {
            "application": application,
            "steps": [
                {
                    "key": s,
                    "number": STEP_NUMBERS[s],
                    "title": STEP_TITLES[s],
                    "url": reverse("applications:amend_step", args=[application.pk, s]),
                }
                for s in steps
            ],
            "amendable": rules.amendable(application),
            "note_form": forms.AmendNoteForm(),
            **_step3_context(
                request, application, document_form=document_form, photo_form=photo_form
            ),
        },
        status=status,
    )


@filer_required
@require_http_methods(["GET", "POST"])
def amend(request: HttpRequest, application_id: int) -> HttpResponse:
    """A-12 [B]: change content or attachments before examination; each change a version."""
    application = _amendable(request, application_id)
    if isinstance(application, HttpResponse):
        return application
    if request.method == "POST":
        form = forms.AmendNoteForm(request.POST)
        form.is_valid()
        try:
            application = services.application_amend(
                user=request.user,
                application=application,
                content={},
                note=form.cleaned_data.get("note", ""),
                request=request,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("applications:amend", application_id=application.pk)
        messages.success(
            request,
            _("The amendment was sent as version %(version)s.") % {"version": application.version},
        )
        return redirect("applications:detail", application_id=application.pk)
    return _render_amend(request, application)


@filer_required
@require_http_methods(["GET", "POST"])
def amend_step(request: HttpRequest, application_id: int, step: str) -> HttpResponse:
    application = _amendable(request, application_id)
    if isinstance(application, HttpResponse):
        return application
    if step == STEP1 or step not in steps_for(application):
        raise Http404
    form = _build_form(application, step, request.user, request.POST or None)
    note_form = forms.AmendNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and note_form.is_valid():
        try:
            application = services.application_amend(
                user=request.user,
                application=application,
                content={step: form.as_content()},
                note=note_form.cleaned_data.get("note", ""),
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The amendment was sent as version %(version)s.")
                % {"version": application.version},
            )
            return redirect("applications:detail", application_id=application.pk)
    return render(
        request,
        "applications/amend_step.html",
        {
            "application": application,
            "step_number": STEP_NUMBERS[step],
            "step_title": STEP_TITLES[step],
            "form": form,
            "note_form": note_form,
            "conversions": form.conversions,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@filer_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, application_id: int) -> HttpResponse:
    """A-12 [B]: ask the office to withdraw the application; the officer decides."""
    application = _own(request, application_id)
    if rules.refuse_withdrawal_request(application, request.user) is not None:
        messages.error(request, _("A withdrawal cannot be requested for this application now."))
        return redirect("applications:detail", application_id=application.pk)
    form = forms.WithdrawalForm(request.POST or None, application=application)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdrawal_request(
                user=request.user,
                application=application,
                reason=form.cleaned_data["reason"],
                add_on=form.cleaned_data.get("add_on", ""),  # 002 Q4-33
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Your withdrawal request was sent. The office decides and a mail tells you."),
            )
            return redirect("applications:detail", application_id=application.pk)
    return render(
        request,
        "applications/withdraw.html",
        {"application": application, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@filer_required
@require_http_methods(["GET", "POST"])
def receipt_method(request: HttpRequest, application_id: int) -> HttpResponse:
    """A-8 (002 Q5-1): change how the card or certificate is received while 申請完了/審査中."""
    application = _own(request, application_id)
    if rules.refuse_receipt_method_change(application, request.user) is not None:
        messages.error(
            request,
            _(
                "The receipt method can be changed only while the application is Submitted or "
                "Under examination, and never for a Certificate of Eligibility."
            ),
        )
        return redirect("applications:detail", application_id=application.pk)
    methods = receipt_methods(application)
    form = forms.ReceiptMethodForm(
        request.POST or None,
        methods=methods,
        initial={"receipt_method": application.receipt_method},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.receipt_method_change_by_filer(
                user=request.user,
                application=application,
                method=form.cleaned_data["receipt_method"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The receipt method was changed."))
            return redirect("applications:detail", application_id=application.pk)
    return render(
        request,
        "applications/receipt_method.html",
        {"application": application, "form": form, "post_refusal": post_refusal(application)},
        status=400 if form.is_bound and form.errors else 200,
    )


# --- hand-over (A-17) ----------------------------------------------------------------------------


def handover_candidates(user) -> list[User]:
    """Colleagues of the user's organization, and lawyers / gyoseishoshi who hold drafts or
    applications with it (the organization's lawyers); the service has the last word."""
    organization_id = _organization_id(user)
    if organization_id is None:
        return []
    colleagues = User.objects.filter(
        staff_account__organization_id=organization_id, state=AccountState.ACTIVE
    ).exclude(pk=user.pk)
    lawyers = User.objects.filter(
        category=Category.LAWYER,
        state=AccountState.ACTIVE,
        applications__organization_id=organization_id,
    )
    return list((colleagues | lawyers).distinct().order_by("username"))


@filer_required
@require_http_methods(["GET", "POST"])
def handover(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _own_draft(request, application_id)
    if isinstance(application, HttpResponse):
        return application
    candidates = handover_candidates(request.user)
    form = forms.HandoverForm(request.POST or None, candidates=candidates)
    lawyer_id = (request.POST.get("lawyer_auth_id") or "").strip()
    if request.method == "POST" and lawyer_id:
        lawyer = User.objects.filter(
            username=lawyer_id, category=Category.LAWYER, state=AccountState.ACTIVE
        ).first()
        form = forms.HandoverForm(
            {**request.POST.dict(), "to_user": str(lawyer.pk) if lawyer else ""},
            candidates=[*candidates, *([lawyer] if lawyer else [])],
        )
        if lawyer is None:
            form.is_valid()
            form.add_error(
                "to_user",
                ValidationError(
                    _("No lawyer or gyoseishoshi uses this auth ID. Check it and try again."),
                    code="unknown_lawyer",
                ),
            )
    if request.method == "POST" and form.is_valid():
        try:
            services.draft_handover(
                user=request.user,
                application=application,
                to_user=form.cleaned_data["to_user"],
                note=form.cleaned_data.get("note", ""),
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The draft was handed to %(user)s.")
                % {"user": form.cleaned_data["to_user"].username},
            )
            return redirect("applications:list")
    return render(
        request,
        "applications/handover.html",
        {"application": application, "form": form, "lawyer_auth_id": lawyer_id},
        status=400 if form.is_bound and form.errors else 200,
    )
