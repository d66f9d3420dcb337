"""The filer's steps (A-3, A-5, A-9..A-11): the application list, STEP1 of a new draft, each
step of a draft (a normal GET/POST page, autosaved while typing), the confirmation with
"submit to the agency" and the page after it.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zairyu.core import clock
from zairyu.core.forms import add_service_errors
from zairyu.filings.labels import local_name

from .. import forms, rules, selectors, services
from ..forms import STEP1, STEP3, STEPS
from ..models import ADD_ON_PROCEDURES, Application
from ..presenters import STEP_NUMBERS, STEP_TITLES, content_sections, fee_rows, post_refusal
from .base import (
    CONFIRM,
    PAGE_SIZE,
    S,
    _documents,
    _error_dict,
    _existing_draft,
    _indicator,
    _ip,
    _limits,
    _next_step,
    _own,
    _own_draft,
    _previous_step,
    _step_url,
    filer_required,
    photo_needed,
    resume_step,
    resume_url,
    steps_for,
)


def receipt_methods(application: Application) -> list[str]:
    """A-8: the receipt methods offered for this application (rules decide)."""
    return rules.application_receipt_methods(application)


def _build_form(application: Application, step: str, user, data=None):
    return forms.step_form(application, step, user, data)


# --- the list (A-11) ----------------------------------------------------------------------------


@require_GET
@filer_required
def application_list(request: HttpRequest) -> HttpResponse:
    """申請情報一覧: the user's applications (and their organization's), searchable by state."""
    state = request.GET.get("state", "")
    state = state if state in S.values else ""
    text = request.GET.get("q", "").strip()[:100]
    applications = selectors.application_list(request.user, state=state or None, text=text)
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "application": a,
            "procedure": local_name(a.procedure),
            "own": a.filer_id == request.user.pk,
            "resume": resume_url(a) if rules.may_edit_draft(a, request.user) else "",
        }
        for a in page.object_list
    ]
    return render(
        request,
        "applications/list.html",
        {
            "page": page,
            "rows": rows,
            "states": S.choices,
            "state": state,
            "q": text,
            "counts": selectors.state_counts(request.user),
        },
    )


# --- STEP1: a new draft ---------------------------------------------------------------------------


@filer_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """STEP1 of a new application: procedure and status (A-1); creates the draft."""
    form = forms.Step1Form(request.POST or None, user=request.user)
    existing = None
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_start(
                user=request.user,
                client_ip=_ip(request),
                request=request,
                **form.start_kwargs(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            existing = _existing_draft(exc, request.user)
        else:
            return redirect(_step_url(application, _next_step(application, STEP1)))
    return _render_step(request, None, STEP1, form, existing=existing)


# --- the steps of a draft -------------------------------------------------------------------------


def _step3_context(
    request: HttpRequest, application: Application, *, document_form=None, photo_form=None
) -> dict:
    return {
        "documents": _documents(application),
        "document_form": document_form or forms.DocumentForm(**_limits()),
        "photo_needed": photo_needed(application),
        "photo_form": photo_form or forms.PhotoForm(),
        "post_refusal": post_refusal(application),
        "document_form_action": reverse("applications:document_add", args=[application.pk]),
    }


def _render_step(
    request: HttpRequest,
    application: Application | None,
    step: str,
    form,
    *,
    existing: Application | None = None,
    status: int | None = None,
    extra: dict | None = None,
) -> HttpResponse:
    context = {
        "application": application,
        "step": step,
        "step_number": STEP_NUMBERS[step],
        "step_title": STEP_TITLES[step],
        "steps": _indicator(application, step),
        "form": form,
        "existing": existing,
        "existing_url": resume_url(existing) if existing is not None else "",
        "previous_url": (
            _step_url(application, _previous_step(application, step))
            if application is not None and _previous_step(application, step)
            else ""
        ),
        # STEP1 is saved by "Next" only: a stray click on a procedure while typing must not
        # send the later steps back to be checked again.
        "autosave_url": (
            reverse("applications:autosave", args=[application.pk, step])
            if application is not None and step != STEP1
            else ""
        ),
        "conversions": getattr(form, "conversions", []),
        "add_ons": ADD_ON_PROCEDURES,
    }
    if application is not None and step == STEP3:
        context.update(_step3_context(request, application))
    context.update(extra or {})
    if status is None:
        status = 400 if form.is_bound and form.errors else 200
    return render(request, "applications/step.html", context, status=status)


def _saved_message(application: Application) -> str:
    saved = timezone.localtime(application.last_saved_at or clock.now())
    return _("Draft saved at %(time)s.") % {"time": saved.strftime("%H:%M")}


@filer_required
@require_http_methods(["GET", "POST"])
def step_page(request: HttpRequest, application_id: int, step: str) -> HttpResponse:  # noqa: C901 - a debt (docs/architecture.md)
    """One step of a draft: GET shows what was saved; POST saves ("save draft") or checks the
    whole step and goes on ("next")."""
    application = _own_draft(request, application_id)
    if isinstance(application, HttpResponse):
        return application
    if step not in STEPS or step not in steps_for(application):
        raise Http404
    if request.method == "GET":
        form = _build_form(application, step, request.user)
        return _render_step(request, application, step, form)
    action = request.POST.get("action", "next")
    form = _build_form(application, step, request.user, request.POST)
    if action in ("save", "back", "refresh"):
        try:
            application = services.draft_save(
                user=request.user,
                application=application,
                step=step,
                data=forms.StepForm.raw_content(request.POST, form.fields),
                partial=True,
                client_ip=_ip(request),
                request=request,
            )
        except ValidationError as exc:
            form.is_valid()
            add_service_errors(form, exc)
            return _render_step(request, application, step, form, status=400)
        problems = getattr(application, "save_errors", None)
        if action == "save" and problems is not None:
            # Saved as typed (A-9: nothing is lost); the page says what needs correcting.
            form.is_valid()
            add_service_errors(form, problems)
            messages.info(request, _saved_message(application))
            return _render_step(request, application, step, form, status=400)
        if action == "back":
            previous = _previous_step(application, step) or step
            return redirect(_step_url(application, previous))
        if action == "save":
            messages.success(request, _saved_message(application))
        return redirect(_step_url(application, step))
    existing = None
    if form.is_valid():
        try:
            application = services.draft_save(
                user=request.user,
                application=application,
                step=step,
                data=form.as_content(),
                partial=False,
                client_ip=_ip(request),
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            existing = _existing_draft(exc, request.user)
        else:
            return redirect(_step_url(application, _next_step(application, step)))
    return _render_step(request, application, step, form, existing=existing)


@filer_required
@require_POST
def autosave(request: HttpRequest, application_id: int, step: str) -> JsonResponse:
    """A-9: the step's fields as typed, saved after a pause by autosave.js (partial=True)."""
    application = _own(request, application_id)
    if (
        not rules.may_edit_draft(application, request.user)
        or step not in STEPS
        or step not in steps_for(application)
    ):
        raise Http404
    form = _build_form(application, step, request.user)
    try:
        application = services.draft_save(
            user=request.user,
            application=application,
            step=step,
            data=forms.StepForm.raw_content(request.POST, form.fields),
            partial=True,
            client_ip=_ip(request),
            request=request,
        )
    except ValidationError as exc:
        return JsonResponse(
            {
                "saved": False,
                "message": _("Not saved: %(errors)s") % {"errors": " ".join(exc.messages)},
                "errors": _error_dict(exc),
            },
            status=400,
        )
    saved = timezone.localtime(application.last_saved_at or clock.now())
    problems = getattr(application, "save_errors", None)
    payload = {
        "saved": True,
        "saved_at": saved.strftime("%H:%M"),
        "message": _saved_message(application),
    }
    if problems is not None:
        payload["errors"] = _error_dict(problems)
        payload["message"] += " " + _("Some entries need correcting before you go on.")
    return JsonResponse(payload)


# --- confirmation and submission (A-3, A-10) ---------------------------------------------------


@filer_required
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, application_id: int) -> HttpResponse:
    """The confirmation page (printable) and "submit to the agency"; idempotent by token."""
    application = _own(request, application_id)
    if request.method == "POST":
        token_text = request.POST.get("token", "")
        try:
            token = uuid.UUID(token_text)
        except ValueError:
            messages.error(request, _("The confirmation page expired. Check and submit again."))
            return redirect("applications:confirm", application_id=application.pk)
        if application.state != S.DRAFT:
            if application.submit_token == token:  # re-sent form, back button
                return redirect("applications:done", application_id=application.pk)
            return redirect("applications:detail", application_id=application.pk)
        try:
            application = services.application_submit(
                user=request.user,
                application=application,
                token=token,
                client_ip=_ip(request),
                request=request,
            )
        except ValidationError as exc:
            return _render_confirm(request, application, errors=exc, status=400)
        return redirect("applications:done", application_id=application.pk)
    if application.state != S.DRAFT:
        return redirect("applications:detail", application_id=application.pk)
    missing = resume_step(application)
    if missing != CONFIRM:
        messages.info(request, _("Complete this step first."))
        return redirect(_step_url(application, missing))
    return _render_confirm(request, application)


def _render_confirm(request, application, *, errors: ValidationError | None = None, status=200):
    error_list = []
    if errors is not None:
        if hasattr(errors, "error_dict"):
            for items in errors.error_dict.values():
                error_list += [message for e in items for message in e.messages]
        else:
            error_list = list(errors.messages)
    return render(
        request,
        "applications/confirm.html",
        {
            "application": application,
            "steps": _indicator(application, CONFIRM),
            "sections": content_sections(application, request.user),
            "documents": _documents(application),
            "photo_needed": photo_needed(application),
            "fee": fee_rows(application),
            "token": uuid.uuid4(),
            "errors": error_list,
            "existing": _existing_draft(errors, request.user) if errors is not None else None,
        },
        status=status,
    )


@require_GET
@filer_required
def done(request: HttpRequest, application_id: int) -> HttpResponse:
    """After "submit": the provisional number at once, the receipt number within a minute."""
    application = _own(request, application_id)
    if application.state == S.DRAFT:
        return redirect(resume_url(application))
    return render(request, "applications/done.html", {"application": application})
