"""Pages of service A for filers (mounted at /applications/; A-3, A-5..A-12, A-16, A-17).

Thin: parse → call a service → render. Every step of A-3 is a normal GET/POST page whose URL
carries the application's id only (no personal data); each POST saves the draft
(``services.draft_save``) and redirects (POST/redirect/GET), so the back button, a reload or a
new sign-in after the 30-minute timeout always finds the draft where the user left it (A-9,
002 Q4-20, Q4-27). The confirmation page carries a fresh submit token; a re-sent form finds the
application already submitted with it and shows the same page (A-9, A-10).

Access (SEC-1): service A users only (403 for everyone else); an application another user may
not see answers the same 404 as a missing one (``selectors.access_application_by_id``). Only the
filer changes an application; colleagues of the same organization see its drafts (A-17).
"""

from __future__ import annotations

import functools
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import BooleanField
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zairyu.accounts.models import SERVICE_A_CATEGORIES, AccountState, Category, User
from zairyu.audit.services import client_ip
from zairyu.core import clock
from zairyu.core.forms import add_service_errors
from zairyu.filings.labels import local_name
from zairyu.reference.models import Procedure

from . import coe, forms, payment_slip, receipt, rules, selectors, services, uploads
from .forms import ORGANIZATION, PERSONAL1, PERSONAL2, STEP1, STEP3, STEPS
from .models import (
    ADD_ON_PROCEDURES,
    AMENDABLE,
    PENDING,
    RECEIPT_METHOD_CHANGEABLE,
    WITHDRAWABLE,
    Application,
    ApplicationDocument,
    ApplicationState,
    MainProcedure,
    ReceiptMethod,
    Reentry,
)

S = ApplicationState
PAGE_SIZE = 20

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
    return selectors.access_application_by_id(request.user, application_id)


def _own(request: HttpRequest, application_id: int) -> Application:
    """The application if the user filed it (only the filer changes it); 404 otherwise."""
    application = _application(request, application_id)
    if application.filer_id != request.user.pk:
        raise Http404
    return application


def _own_draft(request: HttpRequest, application_id: int) -> Application | HttpResponse:
    application = _own(request, application_id)
    if application.state != S.DRAFT:
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
    """The steps this application asks, in order (A-3 [B]; the services decide)."""
    return list(services.steps_for(application))


def photo_needed(application: Application) -> bool:
    """A-7 [B]: a procedure that needs no photo does not ask for one."""
    return services.photo_needed(application)


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
            "resume": resume_url(a) if a.state == S.DRAFT and a.filer_id == request.user.pk else "",
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


def _organization_initial(application: Application) -> dict:
    """Staff apply for their own organization (A-2): STEP2-3 starts filled in with it."""
    organization = application.organization
    if organization is None:
        return {}
    return {
        "organization_name": organization.name,
        "corporate_number": organization.corporate_number or "",
        "organization_prefecture": organization.prefecture_id or "",
        "organization_municipality": organization.municipality_id or "",
        "organization_address": organization.street or "",
    }


def _initial(application: Application, step: str) -> dict:
    if step == STEP1:
        return {
            "procedure": application.procedure_id,
            "status": application.status_id or "",
            "period_requested": application.period_requested,
            "reentry": application.reentry,
            "other_activity": application.other_activity,
        }
    initial = dict((application.content or {}).get(step) or {})
    if step == ORGANIZATION and not initial:
        initial = _organization_initial(application)
    if step == STEP3:
        initial.setdefault("receipt_method", application.receipt_method)
        initial.setdefault("applicant_email", application.applicant_email)
    return initial


def receipt_methods(application: Application) -> list[str]:
    """A-8: the receipt methods offered for this application (rules decide)."""
    return list(
        rules.receipt_methods_offered(
            application.procedure_id, **rules.application_receipt_facts(application)
        )
    )


def post_refusal(application: Application) -> str:
    """A-8: why post is not offered, or ""."""
    if ReceiptMethod.POST in receipt_methods(application):
        return ""
    facts = rules.application_receipt_facts(application)
    refusal = rules.refuse_post(application.procedure_id, **facts)
    return refusal.message if refusal is not None else ""


def _build_form(application: Application, step: str, user, data=None):
    form_class = forms.STEP_FORMS[step]
    kwargs = {"application": application, "user": user, "initial": _initial(application, step)}
    if step == STEP3:
        kwargs["methods"] = receipt_methods(application)
    return form_class(data, **kwargs)


def _documents(application: Application) -> list[ApplicationDocument]:
    return list(services.current_documents(application).order_by("uploaded_at", "id"))


def _limits() -> dict:
    return {
        "file_mb": uploads._mb(uploads.limit("ZAIRYU_UPLOAD_PDF_MAX_BYTES")),
        "total_mb": uploads._mb(uploads.limit("ZAIRYU_UPLOAD_TOTAL_MAX_BYTES")),
    }


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
def step_page(request: HttpRequest, application_id: int, step: str) -> HttpResponse:
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
    if application.state != S.DRAFT or step not in STEPS or step not in steps_for(application):
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


def _error_dict(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {
            field: [m for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return {"__all__": list(exc.messages)}


# --- documents and photo (A-6, A-7) ---------------------------------------------------------------


def _back_to_documents(application: Application) -> str:
    if application.state == S.DRAFT:
        return _step_url(application, STEP3)
    return reverse("applications:amend", args=[application.pk])


def _render_documents_page(request, application, *, document_form=None, photo_form=None):
    """Re-render the page the upload came from with the refusal (A-6: at once, with why)."""
    if application.state == S.DRAFT:
        form = _build_form(application, STEP3, request.user)
        return _render_step(
            request,
            application,
            STEP3,
            form,
            status=400,
            extra=_step3_context(
                request, application, document_form=document_form, photo_form=photo_form
            ),
        )
    return _render_amend(
        request, application, document_form=document_form, photo_form=photo_form, status=400
    )


def _editable_for_documents(request: HttpRequest, application_id: int) -> Application:
    application = _own(request, application_id)
    _check_editable_for_documents(application)
    return application


def _check_editable_for_documents(application: Application) -> None:
    if application.state not in (S.DRAFT, *AMENDABLE) and not application.reattachment_open:
        raise Http404


@filer_required
@require_POST
def document_add(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _editable_for_documents(request, application_id)
    form = forms.DocumentForm(request.POST, request.FILES, **_limits())
    if form.is_valid():
        try:
            services.document_add(
                user=request.user,
                application=application,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                over_limit_declaration=form.cleaned_data["over_limit_declaration"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s was attached.") % {"name": form.cleaned_data["file"].name},
            )
            return redirect(_back_to_documents(application))
    return _render_documents_page(request, application, document_form=form)


@filer_required
@require_POST
def document_remove(request: HttpRequest, application_id: int, document_id: int) -> HttpResponse:
    application = _editable_for_documents(request, application_id)
    document = application.documents.filter(pk=document_id).first()
    if document is None:
        raise Http404
    try:
        services.document_remove(
            user=request.user, application=application, document_id=document.pk, request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s was removed.") % {"name": document.original_name})
    return redirect(_back_to_documents(application))


def photo_replacement_open(application: Application) -> bool:
    """002 Q5-7: the office let the filer replace a wrong person's photo (once)."""
    return (
        application.photo_replacement_open
        and application.state in PENDING
        and photo_needed(application)
    )


@filer_required
@require_POST
def photo_upload(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _own(request, application_id)
    replacing = application.state != S.DRAFT and photo_replacement_open(application)
    if not replacing:
        _check_editable_for_documents(application)
    form = forms.PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.photo_set(
                user=request.user,
                application=application,
                upload=form.cleaned_data["photo"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The photo was attached. Check it below."))
            if replacing:
                return redirect("applications:detail", application_id=application.pk)
            return redirect(_back_to_documents(application))
    if replacing:
        return _render_detail(request, application, photo_form=form, status=400)
    return _render_documents_page(request, application, photo_form=form)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@filer_required
def document_download(request: HttpRequest, application_id: int, document_id: int):
    """An attached PDF, to those who may see the application only (404 otherwise)."""
    application = _application(request, application_id)
    document = application.documents.filter(pk=document_id).first()
    if document is None or not document.file:
        raise Http404
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        content_type="application/pdf",
        as_attachment=True,
        filename=document.original_name or f"document-{document.pk}.pdf",
    )
    return _no_store(response)


@require_GET
@filer_required
def photo_file(request: HttpRequest, application_id: int):
    """ "Check photo" (A-7, 002 Q5-7): the attached photo, to those who may see it."""
    application = _application(request, application_id)
    if not application.photo:
        raise Http404
    try:
        handle = application.photo.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, content_type="image/jpeg", filename=f"photo-{application.pk}.jpg"
    )
    response["Content-Disposition"] = f'inline; filename="photo-{application.pk}.jpg"'
    return _no_store(response)


# --- what an application says (confirmation, detail) -------------------------------------------


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
            dict(forms.PERIODS).get(application.period_requested, application.period_requested),
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
    for step in steps_for(application):
        if step == STEP1:
            rows = step1_rows(application)
        else:
            data = content.get(step) or {}
            form = _build_form(application, step, application.filer)
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
    fee = services.fee_for_application(application)
    names = {
        p.pk: p for p in Procedure.objects.filter(pk__in=[line.procedure for line in fee.lines])
    }
    return {
        "lines": [(local_name(names.get(line.procedure)), line.amount) for line in fee.lines],
        "total": fee.total,
        "on": fee.on,
    }


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


def actions_for(application: Application, user) -> dict:
    own = application.filer_id == user.pk
    return {
        "own": own,
        "resume": resume_url(application) if own and application.state == S.DRAFT else "",
        "handover": own and application.state == S.DRAFT,
        "amend": own
        and application.state in AMENDABLE
        and application.examination_opened_at is None,
        "reattach": own and application.reattachment_open,
        "withdraw": own
        and application.state in WITHDRAWABLE
        and application.withdrawal_requested_at is None,
        "receipt_method": own
        and application.state in RECEIPT_METHOD_CHANGEABLE
        and application.procedure_id != MainProcedure.COE,
        "receipt": bool(application.provisional_number),
        # 002 Q5-7: the office opened the replacement of a wrong person's photo.
        "photo_replace": own
        and application.state != S.DRAFT
        and photo_replacement_open(application),
        # the e-COE and the fee payment slip (pages of coe_urls).
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
    application = _own(request, application_id)
    closed = application.state not in AMENDABLE or application.examination_opened_at is not None
    if closed and not application.reattachment_open:
        messages.error(
            request,
            _(
                "This application can no longer be changed online: the office has opened "
                "the examination. Contact the office that received it (002 Q4-29)."
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
            "amendable": application.state in AMENDABLE
            and application.examination_opened_at is None,
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
    if application.state not in WITHDRAWABLE or application.withdrawal_requested_at:
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
    if (
        application.state not in RECEIPT_METHOD_CHANGEABLE
        or application.procedure_id == MainProcedure.COE
    ):
        messages.error(
            request,
            _(
                "The receipt method can be changed only while the application is Submitted or "
                "Under examination, and never for a Certificate of Eligibility (002 Q5-1)."
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
            services.receipt_method_change(
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
