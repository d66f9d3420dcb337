"""Documents and the face photo on the filer pages (A-6, A-7; 002 Q4-3, Q4-5, Q5-7): attach a
PDF, remove one, attach or replace the photo, and download what was attached (to those who may
see the application only). Where a file may be attached now is ``rules.document_mode``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zairyu.core.forms import add_service_errors

from .. import forms, rules, services
from ..forms import STEP3
from ..models import Application
from .base import S, _application, _limits, _no_store, _own, _step_url, filer_required
from .detail import _render_amend, _render_detail
from .steps import _build_form, _render_step, _step3_context

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
    _check_editable_for_documents(application, request.user)
    return application


def _check_editable_for_documents(application: Application, user) -> None:
    if rules.document_mode(application, user) is None:
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


@filer_required
@require_POST
def photo_upload(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _own(request, application_id)
    replacing = rules.may_replace_photo(application, request.user)
    if not replacing:
        _check_editable_for_documents(application, request.user)
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
