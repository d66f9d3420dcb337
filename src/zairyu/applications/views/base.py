"""What the filer pages share (SEC-1, A-3 [B], A-9): who may use them, the application a
user may open or change, where a draft resumes and the step indicator."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from zairyu.accounts.models import SERVICE_A_CATEGORIES, Category
from zairyu.audit.services import client_ip

from .. import rules, selectors, uploads
from ..forms import ORGANIZATION, PERSONAL1, PERSONAL2, STEP1, STEP3
from ..models import Application, ApplicationDocument, ApplicationState, MainProcedure
from ..presenters import STEP_NUMBERS, STEP_TITLES

S = ApplicationState
PAGE_SIZE = 20
CONFIRM = "confirm"


# --- who may use the pages ---------------------------------------------------------------------


def is_filer(user) -> bool:
    """Service A users who may file (COE e-delivery recipients only receive e-COEs, Q1-1)."""
    return (
        user.is_authenticated
        and user.category in SERVICE_A_CATEGORIES
        and user.category != Category.COE_RECIPIENT
    )


def filer_required(view):
    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.category == Category.COE_RECIPIENT:
            # Q1-1: the account only receives e-COEs; say so rather than a bare refusal.
            refusal = rules.refuse_category(request.user, MainProcedure.COE)
            return render(
                request,
                "applications/refused.html",
                {"message": refusal.message if refusal else ""},
                status=403,
            )
        if not is_filer(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _organization_id(user) -> int | None:
    organization = rules.staff_organization(user)
    return organization.pk if organization is not None else None


def _application(request: HttpRequest, application_id: int) -> Application:
    """The application if the user may see it; the same 404 otherwise (SEC-1)."""
    return selectors.filer_application_by_id(request.user, application_id)


def _own(request: HttpRequest, application_id: int) -> Application:
    """The application if the user filed it (only the filer changes it); 404 otherwise."""
    application = _application(request, application_id)
    if not rules.is_own(application, request.user):
        raise Http404
    return application


def _own_draft(request: HttpRequest, application_id: int) -> Application | HttpResponse:
    application = _own(request, application_id)
    if not rules.may_edit_draft(application, request.user):
        messages.info(
            request,
            _("Application %(number)s was already submitted; its steps cannot be changed.")
            % {"number": application.number},
        )
        return redirect("applications:detail", application_id=application.pk)
    return application


def _ip(request: HttpRequest) -> str | None:
    return client_ip(request)


# --- which steps apply (A-3 [B]) ------------------------------------------------------------------


def steps_for(application: Application) -> list[str]:
    """The steps this application asks, in order (A-3 [B]; the rules decide)."""
    return list(rules.steps_for(application))


def photo_needed(application: Application) -> bool:
    """A-7 [B]: a procedure that needs no photo does not ask for one."""
    return rules.photo_needed(application)


def _steps_done(application: Application) -> list[str]:
    return list(application.steps_done or [])


def resume_step(application: Application) -> str:
    """Where a draft resumes: the first step not done, else the confirmation (A-9)."""
    done = set(_steps_done(application))
    for step in steps_for(application):
        if step not in done:
            return step
    return CONFIRM


def _step_url(application: Application, step: str) -> str:
    if step == CONFIRM:
        return reverse("applications:confirm", args=[application.pk])
    return reverse("applications:step", args=[application.pk, step])


def resume_url(application: Application) -> str:
    return _step_url(application, resume_step(application))


def _indicator(application: Application | None, current: str) -> list[dict]:
    """The step indicator (an ol with aria-current="step")."""
    steps = steps_for(application) if application is not None else [STEP1]
    if application is None:
        steps = [STEP1, PERSONAL1, PERSONAL2, ORGANIZATION, STEP3]
    done = set(_steps_done(application)) if application is not None else set()
    rows = []
    for step in [*steps, CONFIRM]:
        reachable = application is not None and (
            step in done or step == resume_step(application) or step == STEP1
        )
        rows.append(
            {
                "key": step,
                "number": STEP_NUMBERS.get(step, ""),
                "title": STEP_TITLES.get(step, _("Confirmation")),
                "current": step == current,
                "done": step in done,
                "url": _step_url(application, step) if reachable and step != current else "",
            }
        )
    return rows


def _next_step(application: Application, step: str) -> str:
    steps = steps_for(application)
    index = steps.index(step) if step in steps else -1
    return steps[index + 1] if index + 1 < len(steps) else CONFIRM


def _previous_step(application: Application, step: str) -> str | None:
    steps = steps_for(application)
    index = steps.index(step) if step in steps else 0
    return steps[index - 1] if index > 0 else None


# --- refusals (A-4, A-5) -------------------------------------------------------------------------


def _existing_draft(exc: ValidationError, user) -> Application | None:
    """A-5: the user's own draft a refusal ``open_draft_exists`` points at, if any."""
    errors = exc.error_dict.values() if hasattr(exc, "error_dict") else [exc.error_list]
    for items in errors:
        for error in items:
            if error.code == "open_draft_exists" and (error.params or {}).get("own"):
                draft_id = error.params.get("application_id")
                return Application.objects.filter(pk=draft_id, filer=user).first()
    return None


def _error_dict(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {
            field: [m for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return {"__all__": list(exc.messages)}


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _documents(application: Application) -> list[ApplicationDocument]:
    return list(selectors.current_documents(application).order_by("uploaded_at", "id"))


def _limits() -> dict:
    return {
        "file_mb": uploads._mb(uploads.limit("ZAIRYU_UPLOAD_PDF_MAX_BYTES")),
        "total_mb": uploads._mb(uploads.limit("ZAIRYU_UPLOAD_TOTAL_MAX_BYTES")),
    }
