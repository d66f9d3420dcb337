"""The REST API (UX-5), mounted at /api/v1/, for organizations' HR and school systems: bulk
filing (the kinds and their columns, uploading a file, a job's state and rows) and the state
of each record a row made (a notification, a service O filing, an application). docs/api.md.

Authentication: ``Authorization: Bearer zr_<prefix>_<secret>``, a key issued on the account's
"API keys" page (``services.api_key_issue``). Failed keys count against the client address as
failed log-ins do (SEC-5): past the limit the address gets 429 until the window ends. Every
operation goes through the same services and selectors as the pages: a job or a record is
reachable only as on the pages, with the same 404 for another's and a missing one (SEC-1).
The OpenAPI document is at /api/v1/openapi.json (no interactive page: the CSP allows no
third-party script).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import File, Form, NinjaAPI, Status
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.files import UploadedFile
from ninja.security import HttpBearer

from zairyu.accounts import rules as account_rules
from zairyu.applications import selectors as application_selectors
from zairyu.applications.models import ApplicationState
from zairyu.audit.services import client_ip
from zairyu.bulk import selectors as bulk_selectors
from zairyu.bulk import services as bulk_services
from zairyu.bulk.kinds import errors_from, kinds_for
from zairyu.bulk.models import Job, JobState, RowState
from zairyu.core import ratelimit
from zairyu.filings import errors as filing_errors
from zairyu.filings import selectors as filing_selectors
from zairyu.filings.labels import local_name
from zairyu.filings.models import FilingState
from zairyu.filings.service_o import selectors as ofiling_selectors
from zairyu.filings.service_o.models import OFilingState

from . import services
from .schemas import JobOut, KindOut, Problem, RecordOut, RowOut


class TooManyAttempts(Exception):
    pass


class KeyAuth(HttpBearer):
    openapi_description = "An API key from the account's API keys page: zr_<prefix>_<secret>."

    def authenticate(self, request: HttpRequest, token: str):
        limit, window = account_rules.login_rate_limit()
        key = f"api-key:{client_ip(request) or '-'}"
        if ratelimit.exceeded(key, limit=limit, window=window):
            raise TooManyAttempts
        user = services.api_key_user(token)
        if user is None:
            ratelimit.hit(key, limit=limit, window=window)
            return None
        request.user = user
        # As on the pages once signed in: the account's language (docs/decisions/0003);
        # before that (a refused key) Japanese.
        translation.activate(user.language or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()
        return user


api = NinjaAPI(
    title="Zairyu API",
    version="1",
    description=__doc__,
    urls_namespace="api",
    docs_url=None,
    auth=KeyAuth(),
)

ERRORS = {400: Problem, 401: Problem, 404: Problem, 422: Problem, 429: Problem}


def _problem(detail: str, errors: list | None = None) -> dict:
    return {"detail": detail, "errors": errors or []}


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    return api.create_response(
        request,
        _problem(_("Send a valid API key: Authorization: Bearer zr_…")),
        status=401,
    )


@api.exception_handler(TooManyAttempts)
def _too_many(request, exc):
    return api.create_response(
        request,
        _problem(_("Too many failed attempts from this address. Try again in 15 minutes.")),
        status=429,
    )


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, _problem(_("Not found.")), status=404)


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc):
    errors = [
        {
            "field": ".".join(str(part) for part in error.get("loc", [])[1:]),
            "code": str(error.get("type", "invalid")),
            "message": str(error.get("msg", "")),
        }
        for error in exc.errors
    ]
    return api.create_response(
        request, _problem(_("The request is not valid."), errors), status=422
    )


def _field_problems(exc: ValidationError) -> list[dict]:
    """A service's refusal as {field, code, message}: the conversion bulk filing uses for its
    rows (``kinds.errors_from``), every named field kept ("" for the request as a whole)."""
    fields = [name for name in getattr(exc, "error_dict", {}) if name != NON_FIELD_ERRORS]
    return [
        {"field": error.column, "code": error.code or "invalid", "message": error.message}
        for error in errors_from(exc, fields)
    ]


def _job(job: Job) -> dict:
    return {
        "id": job.pk,
        "number": job.number,
        "kind": job.kind,
        "state": job.state,
        "state_label": str(JobState(job.state).label),
        "final": job.is_final,
        "percent": job.percent,
        "file_name": job.file_name,
        "file_format": job.file_format,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "accepted_rows": job.accepted_rows,
        "error_rows": job.error_rows,
        "reasons": list(job.reasons or []),
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


@api.get("/bulk/kinds", response={200: list[KindOut], **ERRORS}, tags=["bulk filing"])
def bulk_kinds(request: HttpRequest):
    """The kinds of bulk filing this account may use, with their columns and options."""
    user = request.auth
    return [
        {
            "key": kind.key,
            "service": kind.service,
            "title": str(kind.title),
            "description": str(kind.description),
            "columns": [
                {
                    "name": column.name,
                    "label": column.label,
                    "required": column.required,
                    "type": column.type,
                    "help_text": column.help_text,
                    "choices": [[code, str(label)] for code, label in column.choices],
                }
                for column in kind.columns(user)
            ],
            "options": list(kind.option_fields(user)),
        }
        for kind in kinds_for(user)
    ]


@api.post("/bulk/jobs", response={201: JobOut, **ERRORS}, tags=["bulk filing"])
def bulk_upload(
    request: HttpRequest,
    kind: Form[str],
    file: File[UploadedFile],
    options: Form[str] = "{}",
):
    """Upload a filled-in template (.xlsx or .csv, at most 300 rows) of ``kind``.

    ``options``: a JSON object of the kind's options (``GET /bulk/kinds``), e.g.
    ``{"not_bound_to_report": true}``. The answer is the job: ``received`` (the file passed the
    checks made at once — size, type, workbook structure — and is read and filed in the
    background; ``total_rows`` is 0 until it is read: poll ``GET /bulk/jobs/{id}``, which may
    then answer ``reception_error``) or ``reception_error`` with the ``reasons`` the whole file
    was refused (BK-3).
    """
    user = request.auth
    try:
        parsed = json.loads(options or "{}")
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        return Status(
            422,
            _problem(
                _("options must be a JSON object, e.g. {}."),
                [{"field": "options", "code": "invalid", "message": _("Not a JSON object.")}],
            ),
        )
    try:
        job = bulk_services.bulk_upload(
            user=user,
            file=file,
            kind=kind,
            options=parsed,
            file_name=file.name or "",
            request=request,
        )
    except ValidationError as exc:
        return Status(422, _problem(_("The upload was refused."), _field_problems(exc)))
    return Status(201, _job(job))


@api.get("/bulk/jobs/{job_id}", response={200: JobOut, **ERRORS}, tags=["bulk filing"])
def bulk_job(request: HttpRequest, job_id: int):
    """A job this account uploaded: its state and counts (``final`` once done)."""
    return Status(200, _job(bulk_selectors.job_for(request.auth, job_id)))


@api.get("/bulk/jobs/{job_id}/rows", response={200: list[RowOut], **ERRORS}, tags=["bulk filing"])
def bulk_job_rows(request: HttpRequest, job_id: int, state: str = ""):
    """The rows of a job: what each created (``object_number``) or its errors by column.
    ``state``: only ``accepted``, ``error`` or ``pending`` rows."""
    job = bulk_selectors.job_for(request.auth, job_id)
    rows = job.rows.order_by("row_number")
    if state:
        if state not in RowState.values:
            return Status(
                422,
                _problem(
                    _("state must be accepted, error or pending."),
                    [{"field": "state", "code": "invalid_choice", "message": state}],
                ),
            )
        rows = rows.filter(state=state)
    return Status(
        200,
        [
            {
                "row_number": row.row_number,
                "state": row.state,
                "errors": [
                    {
                        "column": error.get("column", ""),
                        "code": error.get("code", ""),
                        "message": error.get("message", ""),
                    }
                    for error in row.errors
                ],
                "object_type": row.object_type,
                "object_id": row.object_id,
                "object_number": row.object_number,
            }
            for row in rows
        ],
    )


def _record(found, *, kind, state_label: str, message: str = "") -> dict:
    return {
        "id": found.pk,
        "number": found.number,
        "kind": kind.pk,
        "kind_name": local_name(kind),
        "state": found.state,
        "state_label": state_label,
        "final": found.is_final,
        "state_changed_at": found.state_changed_at,
        "message": message,
    }


@api.get("/filings/{filing_id}", response={200: RecordOut, **ERRORS}, tags=["state"])
def filing(request: HttpRequest, filing_id: int):
    """A notification (届出, service N) this account's organization filed (a row's
    ``object_id``): 登録中 registering until the registry took it, then registered, or error
    with the reason in ``message`` (NF-5, NF-6)."""
    found = filing_selectors.access_filing_by_id(request.auth, filing_id)
    message = (
        filing_errors.error_message(found.error_code, found.error_params)
        if found.error_code
        else ""
    )
    label = str(FilingState(found.state).label)
    return Status(200, _record(found, kind=found.event, state_label=label, message=message))


@api.get("/service-o/filings/{filing_id}", response={200: RecordOut, **ERRORS}, tags=["state"])
def service_o_filing(request: HttpRequest, filing_id: int):
    """A filing of the organization filings system (service O) this account's organization
    made: 処理待ち pending, 返却中 returned (with the officer's correction request in
    ``message``), 完了 completed or withdrawn (OF-2)."""
    found = ofiling_selectors.access_ofiling_by_id(request.auth, filing_id)
    label = str(OFilingState(found.state).label)
    message = found.correction_request if found.state == OFilingState.RETURNED else ""
    return Status(200, _record(found, kind=found.kind, state_label=label, message=message))


@api.get("/applications/{application_id}", response={200: RecordOut, **ERRORS}, tags=["state"])
def application(request: HttpRequest, application_id: int):
    """An application (在留申請, service A) this account filed or, for organization staff,
    a draft of their organization (A-11 states; a bulk row's application starts as 入力完了
    or エラー(一括登録), BK-5)."""
    found = application_selectors.filer_application_by_id(request.auth, application_id)
    label = str(ApplicationState(found.state).label)
    return Status(200, _record(found, kind=found.procedure, state_label=label))
