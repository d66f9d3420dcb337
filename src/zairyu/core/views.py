"""Health endpoints (SEC-7) and the benchmark baseline."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

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


@csrf_exempt  # mounted only by zairyu.bench_urls, never in the site's URL map
@require_POST
def bench_baseline(request: HttpRequest) -> JsonResponse:
    """Insert one row and answer: the floor every later benchmark is measured against."""
    row = BaselineRow.objects.create(payload="baseline")
    return JsonResponse({"id": row.pk}, status=201)
