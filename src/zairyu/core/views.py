"""Health and metrics endpoints (SEC-7) and the benchmark baseline."""

import hmac

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .metrics import exposition
from .models import BaselineRow


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
