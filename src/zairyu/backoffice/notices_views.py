"""Notices on the top page (BO-7): list, publish, edit and end them, maintenance windows
included (001 Q24, 002 Q2-3). Supervisors and administrators (``access.BACK_OFFICE_ROLES``).

Thin: parse → ``notices_services`` (which audits every change) → redirect (POST-redirect-GET).
Notices are public text, so no view of them is audited; every change is.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zairyu.core import clock
from zairyu.portal.models import Notice

from . import notices_services as services
from .access import officer_required
from .forms import add_service_errors
from .notices_forms import NoticeForm

PAGE_SIZE = 25


def _notice(notice_id: int) -> Notice:
    notice = Notice.objects.filter(pk=notice_id).first()
    if notice is None:
        raise Http404
    return notice


@officer_required("notices")
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    """Every notice, newest first, with whether it is scheduled, shown or ended."""
    page = Paginator(Notice.objects.order_by("-published_from", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = clock.now()
    rows = [(notice, services.notice_state(notice, now)) for notice in page.object_list]
    return render(request, "backoffice/notices/list.html", {"page": page, "rows": rows})


@officer_required("notices")
@require_http_methods(["GET", "POST"])
def notice_create(request: HttpRequest) -> HttpResponse:
    initial = {"kind": Notice.Kind.INFO, "published_from": clock.now().replace(second=0)}
    form = NoticeForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.notice_create(actor=request.user, data=form.cleaned_data, request=request)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The notice is saved."))
            return redirect("backoffice:notices")
    return render(request, "backoffice/notices/form.html", {"form": form, "title": _("New notice")})


@officer_required("notices")
@require_http_methods(["GET", "POST"])
def notice_edit(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = _notice(notice_id)
    form = NoticeForm(
        request.POST if request.method == "POST" else None,
        initial=NoticeForm.initial_from(notice),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.notice_update(
                actor=request.user, notice_id=notice.pk, data=form.cleaned_data, request=request
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The notice is saved."))
            return redirect("backoffice:notices")
    return render(
        request,
        "backoffice/notices/form.html",
        {
            "form": form,
            "notice": notice,
            "state": services.notice_state(notice),
            "title": _("Edit the notice"),
        },
    )


@officer_required("notices")
@require_http_methods(["GET", "POST"])
def notice_end(request: HttpRequest, notice_id: int) -> HttpResponse:
    """Ask, then stop showing the notice now."""
    notice = _notice(notice_id)
    error = None
    if request.method == "POST":
        try:
            services.notice_end(actor=request.user, notice_id=notice.pk, request=request)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("The notice is no longer shown on the top page."))
            return redirect("backoffice:notices")
    return render(
        request,
        "backoffice/notices/end.html",
        {"notice": notice, "state": services.notice_state(notice), "error": error},
    )
