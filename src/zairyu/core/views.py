"""Health and metrics endpoints (SEC-7), the error answers every part of the site shares
(server error, database unavailable, refused input; the API's as JSON) and the benchmark
baseline."""

import hmac
import logging
import sys

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .metrics import exposition
from .models import BaselineRow

log = logging.getLogger(__name__)

# How long a client is asked to wait before retrying when the database is unavailable.
RETRY_AFTER_SECONDS = 60
# The API's JSON, as django-ninja labels it.
API_JSON = "application/json; charset=utf-8"


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database answers a query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "unavailable", "database": "error"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """SEC-7: the gauges of ``core.metrics`` for a Prometheus scraper. Answers 404 unless
    ``ZAIRYU_METRICS_TOKEN`` is set; then only to ``Authorization: Bearer <that token>``."""
    token = settings.ZAIRYU_METRICS_TOKEN
    if not token:
        raise Http404
    sent = request.headers.get("Authorization", "")
    if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        response = HttpResponse("", status=401, content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")


@csrf_exempt  # mounted only by zairyu.bench_urls, never in the site's URL map
@require_POST
def bench_baseline(request: HttpRequest) -> JsonResponse:
    """Insert one row and answer: the floor every later benchmark is measured against."""
    row = BaselineRow.objects.create(payload="baseline")
    return JsonResponse({"id": row.pk}, status=201)


# --- error answers --------------------------------------------------------------------------


def is_api_request(request: HttpRequest) -> bool:
    """Say whether the request is for the REST API (its answers, errors too, are JSON)."""
    try:
        prefix = reverse("api:api-root")
    except NoReverseMatch:  # a URL map without the API
        return False
    return request.path_info.startswith(prefix)


def problem(detail: str, errors: list[dict] | None = None) -> dict:
    """The API's error body (docs/api.md): ``{"detail", "errors": [{field, code, message}]}``."""
    return {"detail": detail, "errors": errors or []}


def api_error_detail(status: int) -> str:
    """The ``detail`` of an API error the API's own handlers did not word (unknown path,
    method not allowed, server error, database unavailable …)."""
    if status == 400:
        return _("The request is not valid.")
    if status == 403:
        return _("This request is not allowed.")
    if status == 404:
        return _("Not found.")
    if status == 405:
        return _("This method is not allowed on this path.")
    if status == 413:
        return _("The request is too large.")
    if status == 503:
        return _("The service is temporarily unavailable. Try again in a few minutes.")
    if status >= 500:
        return _(
            "Something went wrong on our side. It has been recorded; try again later, and "
            "contact the helpdesk if it happens again."
        )
    return _("The request could not be completed (HTTP %(status)s).") % {"status": status}


def _plain_page(template_name: str, status: int) -> HttpResponse:
    """An error page that needs neither the database nor the request (a server error or an
    unreadable request may have no working session): the helpdesk comes from the settings."""
    try:
        body = loader.get_template(template_name).render(
            {"helpdesk": settings.ZAIRYU_HELPDESK, "LANGUAGE_CODE": get_language()}
        )
    except Exception:  # the page of last resort must not fail itself
        log.exception("Error page %s could not be rendered", template_name)
        body = f"<!doctype html><title>{status}</title><h1>{status}</h1>"
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: a request that could not be read (too large, malformed, wrong host)."""
    return _plain_page("400.html", 400)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: 503 with Retry-After when the database is unavailable (a connection refused
    or dropped is temporary, and clients and proxies should retry), 500 otherwise.

    Django calls this while handling the exception and logs it with the traceback (logger
    ``django.request``) after it returns; API paths are turned into JSON by
    ``ApiErrorMiddleware``.
    """
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        response = _plain_page("503.html", 503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return _plain_page("500.html", 500)


def refused_input(request: HttpRequest, errors: dict[str, ValidationError]) -> HttpResponse:
    """400 for a request whose fields hold control characters (SEC-2), each field named:
    the API's problem JSON, ``{"message", "errors": {field: [...]}}`` for scripts (autosave),
    or a page."""
    messages = {field: list(error.messages) for field, error in errors.items()}
    summary = _(
        "Not accepted: control characters (such as NUL) cannot be stored. Delete them from "
        "these fields and send again: %(fields)s."
    ) % {"fields": ", ".join(f"“{field}”" for field in messages)}
    if is_api_request(request):
        listed = [
            {"field": field, "code": error.error_list[0].code or "invalid", "message": text}
            for field, error in errors.items()
            for text in error.messages[:1]
        ]
        return JsonResponse(
            problem(summary, listed),
            status=400,
            content_type=API_JSON,
            json_dumps_params={"ensure_ascii": False},
        )
    if (
        request.headers.get("X-Requested-With") == "XMLHttpRequest"
        or request.content_type == "application/json"
        or "application/json" in request.headers.get("Accept", "")
    ):
        return JsonResponse({"message": summary, "errors": messages}, status=400)
    return render(
        request,
        "core/refused_input.html",
        {"summary": summary, "field_errors": messages},
        status=400,
    )


# Which service a path belongs to and who may use it, for the 403 page (the first prefix that
# matches; the page says where the user stands instead of a bare "forbidden").
SERVICE_AREAS = (
    (
        "/backoffice/",
        _lazy("the back office of the regional immigration services bureaus"),
        _lazy("immigration officers and the bureau's staff, with a second factor"),
    ),
    (
        "/admin/",
        _lazy("the system administration"),
        _lazy("administrators, with a second factor"),
    ),
    (
        "/applications/",
        _lazy("the Online Residence Application System"),
        _lazy(
            "foreign nationals, their legal representatives and relatives, lawyers and "
            "gyoseishoshi, and staff of organizations approved by the bureau"
        ),
    ),
    (
        "/bulk/",
        _lazy("bulk filing"),
        _lazy("organization accounts and approved organization staff"),
    ),
    (
        "/service-o/",
        _lazy(
            "the e-Notification System (specified skilled workers, support organizations, schools)"
        ),
        _lazy(
            "the organization accounts of accepting organizations, support organizations and "
            "schools"
        ),
    ),
    (
        "/notifications/",
        _lazy("the e-Notification System"),
        _lazy("residents with an auth ID and organization accounts"),
    ),
)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler403: the page says which service the page belongs to and who may use it."""
    area = next((a for a in SERVICE_AREAS if request.path.startswith(a[0])), None)
    context = {"service": area[1], "who": area[2]} if area else {}
    return render(request, "403.html", context, status=403)


def method_not_allowed_page(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A 405 as a page (Django answers it with an empty body), keeping its ``Allow``."""
    page = render(request, "405.html", status=405)
    if response.has_header("Allow"):
        page["Allow"] = response["Allow"]
    return page
