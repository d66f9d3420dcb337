"""The audit trail viewer, its CSV export and the chain check (BO-8, SEC-6).

**Who.** Supervisors and administrators, for every event; officers and helpdesk not at all
(``access.BACK_OFFICE_ROLES``). Audit rows carry no bureau, and none can be derived reliably:
an event names its actor and its object by type and id, and either may lie in another bureau
or in none (a failed log-in, a headquarters officer's look-up, a mail re-queue). A bureau view
cut from such guesses would hide exactly what the trail exists to reveal — access across
jurisdictions — so the trail is read whole, by the roles whose job is oversight.

**Personal data.** Criteria (an auth ID, an object number) travel in the POST body and the
session, never in the URL. Reading the trail is itself audited: each page of results
(``audit.listed``), each event opened (``audit.event.viewed``), every export
(``audit.exported``, with its criteria and row count) and every chain check
(``audit.verified``).

**Export.** Streamed (``StreamingHttpResponse`` over an iterator), UTF-8 with a byte-order
mark so spreadsheet programs read Japanese; any cell that a spreadsheet would take for a
formula (starting with = + - @, a tab or a carriage return) is prefixed with ``'`` (SEC-4's
formula injection, applied to what the trail copied from users' input).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator

from django.contrib import messages
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zairyu.audit.models import AuditEvent
from zairyu.audit.services import audit_record, audit_verify
from zairyu.core import clock

from .access import is_officer, officer_required
from .audit_forms import AuditFilterForm

SEARCH_SESSION_KEY = "backoffice.audit_search"
VERIFY_SESSION_KEY = "backoffice.audit_verify"
PAGE_SIZE = 50
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = [
    "id",
    "chain_position",
    "time",
    "actor_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object",
    "ip",
    "before",
    "after",
    "hash",
]


def audit_filter(criteria: dict | None) -> QuerySet[AuditEvent]:
    """The events matching the criteria (all when none), newest first."""
    events = AuditEvent.objects.order_by("-id")
    if not criteria:
        return events
    if criteria.get("date_from"):
        start = dt.datetime.combine(
            dt.date.fromisoformat(criteria["date_from"]), dt.time(), tzinfo=clock.TOKYO
        )
        events = events.filter(created_at__gte=start)
    if criteria.get("date_to"):
        end = dt.datetime.combine(
            dt.date.fromisoformat(criteria["date_to"]) + dt.timedelta(days=1),
            dt.time(),
            tzinfo=clock.TOKYO,
        )
        events = events.filter(created_at__lt=end)
    if criteria.get("actor"):
        actor = criteria["actor"]
        events = events.filter(Q(actor_repr=actor) | Q(actor_id=actor))
    if criteria.get("action"):
        action = criteria["action"]
        events = events.filter(Q(action=action) | Q(action__startswith=action.rstrip(".") + "."))
    if criteria.get("object_type"):
        events = events.filter(object_type=criteria["object_type"])
    if criteria.get("object_id"):
        events = events.filter(object_id=criteria["object_id"])
    return events


def csv_safe(value) -> str:
    """A cell as text that no spreadsheet runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        text = value.astimezone(clock.TOKYO).isoformat()
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder)
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)
    for event in events.order_by("id").iterator(chunk_size=2000):
        yield writer.writerow(
            [
                csv_safe(value)
                for value in (
                    event.pk,
                    event.seal_seq,
                    event.created_at,
                    event.actor_id,
                    event.actor_repr,
                    event.action,
                    event.object_type,
                    event.object_id,
                    event.object_repr,
                    event.ip,
                    event.before,
                    event.after,
                    event.hash,
                )
            ]
        )


@officer_required("audit_view")
@require_http_methods(["GET", "POST"])
def audit_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if "clear" in request.POST:
            request.session.pop(SEARCH_SESSION_KEY, None)
            return redirect("backoffice:audit")
        form = AuditFilterForm(request.POST)
        if form.is_valid():
            request.session[SEARCH_SESSION_KEY] = form.criteria()
            return redirect("backoffice:audit")
        return render(request, "backoffice/audit/list.html", _context(request, form=form))
    criteria = request.session.get(SEARCH_SESSION_KEY)
    form = AuditFilterForm(initial=AuditFilterForm.initial_from(criteria))
    page = Paginator(audit_filter(criteria), PAGE_SIZE).get_page(request.GET.get("page"))
    audit_record(
        action="audit.listed",
        request=request,
        object_type="audit.auditevent",
        after={
            "criteria": criteria or {},
            "page": page.number,
            "events": [event.pk for event in page.object_list],
        },
    )
    return render(
        request,
        "backoffice/audit/list.html",
        _context(
            request,
            form=form,
            page=page,
            criteria=criteria,
            verified=request.session.pop(VERIFY_SESSION_KEY, None),
        ),
    )


def _context(request: HttpRequest, **context) -> dict:
    context["can_export"] = is_officer(request.user, "audit_export")
    return context


@officer_required("audit_view")
@require_GET
def audit_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    event = AuditEvent.objects.filter(pk=event_id).first()
    if event is None:
        raise Http404
    audit_record(action="audit.event.viewed", obj=event, request=request)

    def pretty(value):
        if value is None:
            return ""
        return json.dumps(
            value, ensure_ascii=False, indent=2, sort_keys=True, cls=DjangoJSONEncoder
        )

    return render(
        request,
        "backoffice/audit/detail.html",
        {"event": event, "before": pretty(event.before), "after": pretty(event.after)},
    )


@officer_required("audit_export")
@require_POST
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    """The events matching the current criteria as CSV, oldest first; the export is audited."""
    criteria = request.session.get(SEARCH_SESSION_KEY) or {}
    events = audit_filter(criteria)
    audit_record(
        action="audit.exported",
        request=request,
        object_type="audit.auditevent",
        after={"criteria": criteria, "rows": events.count()},
    )
    response = StreamingHttpResponse(csv_rows(events), content_type="text/csv; charset=utf-8")
    filename = f"audit-{clock.now():%Y%m%d-%H%M%S}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@officer_required("audit_view")
@require_POST
def audit_verify_chain(request: HttpRequest) -> HttpResponse:
    """Run the chain check of ``manage.py audit_verify`` and show its result (PRG)."""
    report = audit_verify()
    result = {
        "ok": report.ok,
        "checked": report.checked,
        "unsealed": report.unsealed,
        "broken_seq": report.broken_seq,
        "broken_event_id": report.broken_event_id,
        "reason": report.reason,
    }
    audit_record(action="audit.verified", request=request, after=result)
    request.session[VERIFY_SESSION_KEY] = result
    if report.ok:
        messages.success(request, _("The audit chain is intact."))
    else:
        messages.error(request, _("The audit chain is broken: see the details below."))
    return redirect("backoffice:audit")
