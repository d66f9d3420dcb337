"""Bulk filing pages (mounted at /bulk/). Thin: parse → call a service → render.

Jobs are addressed by their database id and reached only through ``selectors.job_for`` (the
uploader only; the same 404 for another's and a missing job, SEC-1). The job page shows a
``<progress>`` bar that a small static script refreshes from ``status.json``; without
JavaScript the page reloads itself while the job runs.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from zairyu.core.forms import add_service_errors

from . import selectors, services
from .forms import UploadForm
from .kinds import get_kind, kinds_for
from .models import FileFormat, JobState

FORMATS = {"xlsx": FileFormat.XLSX, "csv": FileFormat.CSV}
SERVICE_ORDER = {"N": 0, "O": 1, "A": 2}


def bulk_user_required(view):
    """An account that may use at least one kind of bulk filing."""

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        kinds = kinds_for(request.user)
        if not kinds:
            raise PermissionDenied
        request.bulk_kinds = kinds
        return view(request, *args, **kwargs)

    return wrapped


def _kind(request: HttpRequest, key: str):
    kind = get_kind(key)
    if kind is None or not kind.available_to(request.user):
        raise Http404
    return kind


def _download(content: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@bulk_user_required
def index(request: HttpRequest) -> HttpResponse:
    kinds = sorted(request.bulk_kinds, key=lambda k: SERVICE_ORDER.get(k.service, 9))
    jobs = list(selectors.jobs_of(request.user)[:20])
    return render(
        request,
        "bulk/index.html",
        {"kinds": kinds, "jobs": jobs, "max_rows": settings.ZAIRYU_BULK_MAX_ROWS},
    )


@require_GET
@bulk_user_required
def template_download(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    content, name, content_type = services.template_file(
        _kind(request, kind), request.user, FORMATS[fmt]
    )
    return _download(content, name, content_type)


@require_http_methods(["GET", "POST"])
@bulk_user_required
def upload(request: HttpRequest, kind: str) -> HttpResponse:
    row_kind = _kind(request, kind)
    form = UploadForm(request.POST or None, request.FILES or None, kind=row_kind, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.bulk_upload(
                user=request.user,
                file=form.cleaned_data["file"],
                kind=row_kind.key,
                options=form.options(),
                file_name=form.cleaned_data["file"].name,
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("bulk:job", job_id=job.pk)
    return render(
        request,
        "bulk/upload.html",
        {"kind": row_kind, "form": form, "columns": row_kind.columns(request.user)},
        status=400 if form.errors else 200,
    )


def _status(job) -> dict:
    return {
        "state": job.state,
        "state_label": str(JobState(job.state).label),
        "final": job.is_final,
        "percent": job.percent,
        "total": job.total_rows,
        "processed": job.processed_rows,
        "accepted": job.accepted_rows,
        "errors": job.error_rows,
    }


@require_GET
@login_required
def job(request: HttpRequest, job_id: int) -> HttpResponse:
    found = selectors.job_for(request.user, job_id)
    kind = get_kind(found.kind)
    columns = {c.name: c.label for c in kind.columns(request.user)} if kind else {}
    rows = []
    if found.state == JobState.DONE:
        for row in selectors.error_rows(found):
            cells = [
                {
                    "column": columns.get(e.get("column"), ""),
                    "value": row.values.get(e.get("column"), "") if e.get("column") else "",
                    "message": e["message"],
                }
                for e in row.errors
            ]
            rows.append(
                {
                    "number": row.row_number,
                    "errors": cells,
                    "id": row.pk,
                    # BK-5: a row's application in エラー(一括登録) can be opened and deleted.
                    "application_id": (
                        row.object_id
                        if row.object_type == "applications.application" and row.object_id
                        else ""
                    ),
                }
            )
    return render(
        request,
        "bulk/job.html",
        {
            "job": found,
            "kind": kind,
            "error_rows": rows,
            "status": _status(found),
        },
    )


@require_http_methods(["POST"])
@login_required
def delete_row(request: HttpRequest, job_id: int, row_id: int) -> HttpResponse:
    """BK-5 (002 Q4-25): delete a row's application in エラー(一括登録)."""
    found = selectors.job_for(request.user, job_id)
    if not found.rows.filter(pk=row_id).exists():
        raise Http404
    try:
        services.bulk_error_delete(user=request.user, row_id=row_id, request=request)
    except ValidationError:
        raise Http404 from None
    return redirect("bulk:job", job_id=found.pk)


@require_GET
@login_required
def job_status(request: HttpRequest, job_id: int) -> JsonResponse:
    return JsonResponse(_status(selectors.job_for(request.user, job_id)))


@require_GET
@login_required
def error_file(request: HttpRequest, job_id: int, fmt: str) -> HttpResponse:
    found = selectors.job_for(request.user, job_id)
    if fmt not in FORMATS or found.state != JobState.DONE or not found.error_rows:
        raise Http404
    content, name, content_type = services.error_file(found, FORMATS[fmt])
    return _download(content, name, content_type)
