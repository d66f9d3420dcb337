"""Back-office pages for service O (BO-4): the pending queue of the officer's bureau, the
search, a filing's page, and the actions complete, return for correction (JLI reports only,
with the correction request mailed) and withdrawal record. Thin: parse → service → render.

Filings are reached only through ``zairyu.filings.service_o.selectors`` (officers see the
filings of their jurisdiction — the filing organization's bureau, ``access.filings_in_
jurisdiction``; missing and forbidden give the same 404). Every page that shows filings writes
an audit event (BO-1, SEC-6): a filing page ``service_o.filing.viewed``, each page of a list
``service_o.filing.listed`` with the ids shown; every action is audited by its service. Search
criteria travel in the POST body and the session, never in the URL.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from zairyu.audit.services import audit_record
from zairyu.filings.labels import local_name
from zairyu.filings.service_o import rules, selectors, services
from zairyu.filings.service_o.models import OFiling, OFilingState
from zairyu.filings.service_o.views import detail_context
from zairyu.reference.models import ServiceOKind

from .access import is_officer, officer_required
from .forms import DateInput, OfficerForm, TypedDateField, add_service_errors

SEARCH_SESSION_KEY = "backoffice.service_o_search"
PAGE_SIZE = 25


class OFilingSearchForm(OfficerForm):
    number = forms.CharField(
        label=gettext_lazy("Filing number"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("E.g. O0000000123"),
    )
    organization = forms.CharField(
        label=gettext_lazy("Organization"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Part of the name, or the corporate or registration number."),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Notification or report"), required=False)
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)
    filed_from = TypedDateField(
        label=gettext_lazy("Filed from"), required=False, widget=DateInput()
    )
    filed_to = TypedDateField(label=gettext_lazy("Filed until"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("Any")), *OFilingState.choices]
        self.fields["kind"].choices = [
            ("", _("Any")),
            *((k.pk, local_name(k)) for k in ServiceOKind.objects.all()),
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
        return {
            key: (value.isoformat() if isinstance(value, dt.date) else value or "")
            for key, value in self.cleaned_data.items()
        }


class ReturnForm(OfficerForm):
    text = forms.CharField(
        label=gettext_lazy("Correction request"),
        max_length=services.CORRECTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "What the school must correct. It is mailed to the school as it is written here "
            "(修正依頼メール) and shown with the report."
        ),
    )


class WithdrawForm(OfficerForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the withdrawal"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "E.g. the organization's request received by post on 2026-04-01. The organization "
            "is told by mail."
        ),
    )


def _search(criteria: dict) -> selectors.OFilingSearch:
    def day(value):
        return dt.date.fromisoformat(value) if value else None

    return selectors.OFilingSearch(
        number=criteria.get("number", ""),
        organization=criteria.get("organization", ""),
        kind=criteria.get("kind", ""),
        state=criteria.get("state", ""),
        filed_from=day(criteria.get("filed_from")),
        filed_to=day(criteria.get("filed_to")),
    )


def _rows(page) -> list:
    return [(filing, local_name(filing.kind)) for filing in page.object_list]


def _audit_listing(request: HttpRequest, page, *, list_name: str, **extra) -> None:
    audit_record(
        action="service_o.filing.listed",
        request=request,
        object_type="filings.ofiling",
        after={"list": list_name, "page": page.number, "filings": [f.pk for f in page], **extra},
    )


def _context(request: HttpRequest, **context) -> dict:
    context.setdefault("can_change", is_officer(request.user, "change"))
    context.setdefault("can_create", is_officer(request.user, "create"))
    return context


def _access(request: HttpRequest, filing_id: int) -> OFiling:
    """The filing if it lies in the officer's jurisdiction; 404 otherwise (SEC-1)."""
    if not is_officer(request.user, "view"):
        raise Http404
    return selectors.access_ofiling_by_id(request.user, filing_id)


@officer_required("view")
def queue(request: HttpRequest) -> HttpResponse:
    """BO-4: pending filings of the officer's bureau(s), oldest first."""
    filings = selectors.pending_queue(selectors.ofilings_visible_to(request.user))
    page = Paginator(filings, PAGE_SIZE).get_page(request.GET.get("page"))
    _audit_listing(request, page, list_name="pending")
    return render(
        request,
        "backoffice/service_o/queue.html",
        _context(request, page=page, rows=_rows(page)),
    )


@officer_required("view")
@require_http_methods(["GET", "POST"])
def search(request: HttpRequest) -> HttpResponse:
    """Search filings of the officer's jurisdiction; results are paged and every page audited."""
    if request.method == "POST":
        if "clear" in request.POST:
            request.session.pop(SEARCH_SESSION_KEY, None)
            return redirect("bo_service_o:search")
        form = OFilingSearchForm(request.POST)
        if form.is_valid():
            request.session[SEARCH_SESSION_KEY] = form.criteria()
            return redirect("bo_service_o:search")
        return render(
            request, "backoffice/service_o/search.html", _context(request, form=form), status=400
        )
    criteria = request.session.get(SEARCH_SESSION_KEY)
    form = OFilingSearchForm(initial=criteria or {})
    page = None
    if criteria:
        results = selectors.ofiling_search(
            selectors.ofilings_visible_to(request.user), _search(criteria)
        )
        page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
        _audit_listing(request, page, list_name="search", criteria=criteria)
    return render(
        request,
        "backoffice/service_o/search.html",
        _context(
            request, form=form, page=page, rows=_rows(page) if page else [], criteria=criteria
        ),
    )


def _detail(request: HttpRequest, filing: OFiling, *, return_form=None, withdraw_form=None):
    transitions = filing.TRANSITIONS[filing.state]
    return render(
        request,
        "backoffice/service_o/detail.html",
        _context(
            request,
            **detail_context(filing),
            return_form=return_form or ReturnForm(),
            withdraw_form=withdraw_form or WithdrawForm(),
            completable=OFilingState.COMPLETED in transitions,
            returnable=rules.may_transition(filing.kind, filing.state, OFilingState.RETURNED)
            or bool(return_form and return_form.errors),
            withdrawable=OFilingState.WITHDRAWN in transitions,
        ),
    )


@officer_required("view")
def detail(request: HttpRequest, filing_id: int) -> HttpResponse:
    filing = _access(request, filing_id)
    audit_record(action="service_o.filing.viewed", obj=filing, request=request)
    return _detail(request, filing)


@officer_required("change")
@require_POST
def complete(request: HttpRequest, filing_id: int) -> HttpResponse:
    filing = _access(request, filing_id)
    try:
        services.ofiling_complete(actor=request.user, filing=filing, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(m for msgs in exc.message_dict.values() for m in msgs))
    else:
        messages.success(request, _("%(number)s completed.") % {"number": filing.number})
    return redirect("bo_service_o:detail", filing_id=filing.pk)


@officer_required("change")
@require_POST
def return_for_correction(request: HttpRequest, filing_id: int) -> HttpResponse:
    filing = _access(request, filing_id)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.ofiling_return(
                actor=request.user, filing=filing, text=form.cleaned_data["text"], request=request
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(number)s returned for correction; the school was mailed the request.")
                % {"number": filing.number},
            )
            return redirect("bo_service_o:detail", filing_id=filing.pk)
    response = _detail(request, filing, return_form=form)
    response.status_code = 400
    return response


@officer_required("change")
@require_POST
def withdraw(request: HttpRequest, filing_id: int) -> HttpResponse:
    filing = _access(request, filing_id)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.ofiling_withdraw_by_officer(
                actor=request.user,
                filing=filing,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(number)s withdrawn.") % {"number": filing.number})
            return redirect("bo_service_o:detail", filing_id=filing.pk)
    response = _detail(request, filing, withdraw_form=form)
    response.status_code = 400
    return response
