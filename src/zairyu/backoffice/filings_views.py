"""Back-office pages for service N filings (BO-4): the queue of registration errors to review,
the filings search, withdrawals. Thin: parse → service → render.

Filings are reached only through ``zairyu.filings.selectors.access_filing_by_id`` (officers see
the filings of their jurisdiction; missing and forbidden give the same 404). Every page that
shows personal data writes an audit event (BO-1, SEC-6): a filing page ``filings.filing.viewed``,
each page of a list ``filings.filing.listed`` with the ids shown; every action is audited by its
service (``filings.filing.withdrawn``, ``.registering`` for a retry, ``.reviewed``). Search
criteria travel in the POST body and the session, never in the URL.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from zairyu.audit.services import audit_record
from zairyu.filings import selectors, services
from zairyu.filings.labels import local_name
from zairyu.filings.models import FilingState
from zairyu.filings.views import detail_context
from zairyu.reference.models import NotificationEvent

from .access import is_officer, officer_required
from .forms import DateInput, OfficerForm, TypedDateField, add_service_errors

SEARCH_SESSION_KEY = "backoffice.filing_search"
PAGE_SIZE = 25


class FilingSearchForm(OfficerForm):
    number = forms.CharField(
        label=gettext_lazy("Notification number"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("E.g. N0000000123"),
    )
    card_number = forms.CharField(
        label=gettext_lazy("Residence card number"), required=False, max_length=20
    )
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)
    event = forms.ChoiceField(label=gettext_lazy("Notification"), required=False)
    filed_from = TypedDateField(
        label=gettext_lazy("Filed from"), required=False, widget=DateInput()
    )
    filed_to = TypedDateField(label=gettext_lazy("Filed until"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("Any")), *FilingState.choices]
        self.fields["event"].choices = [
            ("", _("Any")),
            *((e.pk, f"{e.article} {local_name(e)}") for e in NotificationEvent.objects.all()),
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("filed_from"), data.get("filed_to")
        if start and end and end < start:
            self.add_error(
                "filed_to",
                ValidationError(
                    _("“Filed until” is before “Filed from”. Enter a later date."), code="order"
                ),
            )
        if not self.errors and not any(data.values()):
            raise ValidationError(_("Enter at least one criterion."), code="empty")
        return data

    def criteria(self) -> dict:
        data = self.cleaned_data
        return {
            key: (value.isoformat() if isinstance(value, dt.date) else value or "")
            for key, value in data.items()
        }


class WithdrawForm(OfficerForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the withdrawal"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "E.g. the filer's request received at the counter on 2026-04-01. The "
            "filer is told by mail."
        ),
    )


class ReviewForm(OfficerForm):
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("What was done, e.g. the filer was told to file again."),
    )


def _search(criteria: dict) -> selectors.FilingSearch:
    def day(value):
        return dt.date.fromisoformat(value) if value else None

    return selectors.FilingSearch(
        number=criteria.get("number", ""),
        card_number=criteria.get("card_number", ""),
        state=criteria.get("state", ""),
        event=criteria.get("event", ""),
        filed_from=day(criteria.get("filed_from")),
        filed_to=day(criteria.get("filed_to")),
    )


def _rows(page) -> list:
    return [(filing, local_name(filing.event)) for filing in page.object_list]


def _audit_listing(request: HttpRequest, page, *, list_name: str, **extra) -> None:
    audit_record(
        action="filings.filing.listed",
        request=request,
        object_type="filings.filing",
        after={"list": list_name, "page": page.number, "filings": [f.pk for f in page], **extra},
    )


def _context(request: HttpRequest, **context) -> dict:
    context.setdefault("can_change", is_officer(request.user, "change"))
    context.setdefault("can_create", is_officer(request.user, "create"))
    return context


@officer_required("view")
@require_http_methods(["GET", "POST"])
def filing_search(request: HttpRequest) -> HttpResponse:
    """Search filings of the officer's jurisdiction; results are paged and every page audited."""
    if request.method == "POST":
        if "clear" in request.POST:
            request.session.pop(SEARCH_SESSION_KEY, None)
            return redirect("backoffice:filing_search")
        form = FilingSearchForm(request.POST)
        if form.is_valid():
            request.session[SEARCH_SESSION_KEY] = form.criteria()
            return redirect("backoffice:filing_search")
        return render(
            request, "backoffice/filings/search.html", _context(request, form=form), status=400
        )
    criteria = request.session.get(SEARCH_SESSION_KEY)
    form = FilingSearchForm(initial=criteria or {})
    page = None
    if criteria:
        results = selectors.filing_search(
            selectors.filings_visible_to(request.user), _search(criteria)
        )
        page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
        _audit_listing(request, page, list_name="search", criteria=criteria)
    return render(
        request,
        "backoffice/filings/search.html",
        _context(
            request, form=form, page=page, rows=_rows(page) if page else [], criteria=criteria
        ),
    )


@officer_required("view")
def filing_errors(request: HttpRequest) -> HttpResponse:
    """BO-4: registration errors nobody has reviewed yet, oldest first."""
    filings = selectors.error_queue(selectors.filings_visible_to(request.user))
    page = Paginator(filings, PAGE_SIZE).get_page(request.GET.get("page"))
    _audit_listing(request, page, list_name="errors")
    return render(
        request,
        "backoffice/filings/errors.html",
        _context(request, page=page, rows=_rows(page)),
    )


@officer_required("view")
def filing_withdrawals(request: HttpRequest) -> HttpResponse:
    """BO-4: the filings withdrawn, newest first, with who withdrew them and why."""
    filings = (
        selectors.filings_visible_to(request.user)
        .filter(state=FilingState.WITHDRAWN)
        .order_by("-state_changed_at", "-id")
    )
    page = Paginator(filings, PAGE_SIZE).get_page(request.GET.get("page"))
    _audit_listing(request, page, list_name="withdrawals")
    rows = []
    for filing, name in _rows(page):
        change = filing.changes.filter(to_state=FilingState.WITHDRAWN).last()
        rows.append((filing, name, change))
    return render(
        request,
        "backoffice/filings/withdrawals.html",
        _context(request, page=page, rows=rows),
    )


def _detail(request: HttpRequest, filing, *, withdraw_form=None, review_form=None) -> HttpResponse:
    return render(
        request,
        "backoffice/filings/detail.html",
        _context(
            request,
            **detail_context(filing),
            withdraw_form=withdraw_form or WithdrawForm(),
            review_form=review_form or ReviewForm(),
            withdrawable=FilingState.WITHDRAWN in filing.TRANSITIONS[filing.state],
        ),
    )


@officer_required("view")
def filing_detail(request: HttpRequest, filing_id: int) -> HttpResponse:
    filing = selectors.access_filing_by_id(request.user, filing_id)
    audit_record(action="filings.filing.viewed", obj=filing, request=request)
    return _detail(request, filing)


@officer_required("change")
@require_POST
def filing_withdraw(request: HttpRequest, filing_id: int) -> HttpResponse:
    filing = selectors.access_filing_by_id(request.user, filing_id)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.filing_withdraw(
                actor=request.user,
                filing=filing,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Notification %(number)s withdrawn.") % {"number": filing.number}
            )
            return redirect("backoffice:filing_detail", filing_id=filing.pk)
    response = _detail(request, filing, withdraw_form=form)
    response.status_code = 400
    return response


@officer_required("change")
@require_POST
def filing_retry(request: HttpRequest, filing_id: int) -> HttpResponse:
    filing = selectors.access_filing_by_id(request.user, filing_id)
    try:
        services.filing_retry(actor=request.user, filing=filing, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(m for msgs in exc.message_dict.values() for m in msgs))
    else:
        messages.success(
            request,
            _("Registration of %(number)s runs again.") % {"number": filing.number},
        )
    return redirect("backoffice:filing_detail", filing_id=filing.pk)


@officer_required("change")
@require_POST
def filing_review(request: HttpRequest, filing_id: int) -> HttpResponse:
    filing = selectors.access_filing_by_id(request.user, filing_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.filing_review(
                actor=request.user,
                filing=filing,
                note=form.cleaned_data["note"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(number)s marked as reviewed; it leaves the error queue.")
                % {"number": filing.number},
            )
            return redirect("backoffice:filing_errors")
    response = _detail(request, filing, review_form=form)
    response.status_code = 400
    return response
