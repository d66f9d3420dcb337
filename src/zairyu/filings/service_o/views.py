"""Pages of service O (mounted at /service-o/). Thin: parse → call a service → render.

Every filing and every change goes input → confirmation ("確認へ進む") → submit (OF-4, PRG at
each step). The input form's URL carries a token made when the form is first opened; the draft
waits in the session under that token and the filing (or the change) is made with it, so the
back button, a reload or a double click on the confirmation lands on the same filing instead
of making a second one. Filings are reached only through ``selectors.access_ofiling_by_id``
(same 404 for missing and forbidden, SEC-1); accounts that are not service-O organizations get
403 on every page.
"""

from __future__ import annotations

import functools
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zairyu.core import clock, days
from zairyu.filings.labels import local_name
from zairyu.reference.models import ServiceOKind

from . import forms, kinds, rules, selectors, services
from .models import OFiling, OFilingState, OFilingVersion

DRAFTS_KEY = "service_o.drafts"
MAX_DRAFTS = 10
PAGE_SIZE = 20


def service_o_required(view):
    """An organization account registered for service O (SSW organization, RSO or JLI)."""

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        organization = selectors.organization_of(request.user)
        if organization is None:
            raise PermissionDenied
        request.organization = organization
        return view(request, *args, **kwargs)

    return wrapped


# --- drafts --------------------------------------------------------------------------------------


def _drafts(request: HttpRequest) -> dict:
    return request.session.get(DRAFTS_KEY, {})


def _save_draft(request, token: uuid.UUID, *, kind: str, filing_id: int | None, data) -> None:
    drafts = _drafts(request)
    drafts.pop(str(token), None)
    while len(drafts) >= MAX_DRAFTS:
        drafts.pop(next(iter(drafts)))
    drafts[str(token)] = {
        "kind": kind,
        "filing": filing_id,
        "data": {k: v for k, v in data.lists() if k not in ("csrfmiddlewaretoken", "action")},
    }
    request.session[DRAFTS_KEY] = drafts


def _draft(request, token: uuid.UUID) -> dict | None:
    return _drafts(request).get(str(token))


def _drop_draft(request, token: uuid.UUID) -> None:
    drafts = _drafts(request)
    if drafts.pop(str(token), None) is not None:
        request.session[DRAFTS_KEY] = drafts


def _as_querydict(data: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in data.items():
        query.setlist(key, values)
    return query


# --- kinds ----------------------------------------------------------------------------------------


def _kind(code: str) -> ServiceOKind:
    kind = ServiceOKind.objects.filter(pk=code).first()
    if kind is None or kinds.spec_for(kind) is None:
        raise Http404
    return kind


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(
        request,
        "service_o/refused.html",
        {"message": message, "back": reverse("service_o:index")},
        status=403,
    )


def _check_kind(request: HttpRequest, kind: ServiceOKind) -> HttpResponse | None:
    """A refusal page when the organization may not file ``kind`` today, else None."""
    organization = request.organization
    if not rules.may_file(kind, organization):
        return _refused(
            request,
            _(
                "Your kind of organization (%(organization_kind)s) does not file “%(kind)s”. "
                "Choose one of the notifications offered to you."
            )
            % {"organization_kind": organization.get_kind_display(), "kind": local_name(kind)},
        )
    today = clock.today()
    if not rules.may_file_today(kind, organization, today=today):
        exc = services.window_refusal(kind, today)
        return _refused(request, exc.error_dict["__all__"][0].message)
    return None


def _window_text(kind: ServiceOKind) -> str:
    if not rules.has_window(kind):
        return ""
    today = clock.today()
    start, end = rules.window(kind, today.year)
    year, period_start, period_end = rules.periodic_period(today=today)
    return _(
        "Filed from %(start)s to %(end)s for the fiscal year from %(period_start)s to "
        "%(period_end)s."
    ) % {
        "start": formats.date_format(start, "DATE_FORMAT"),
        "end": formats.date_format(end, "DATE_FORMAT"),
        "period_start": formats.date_format(period_start, "DATE_FORMAT"),
        "period_end": formats.date_format(period_end, "DATE_FORMAT"),
    }


def _deadline_text(kind: ServiceOKind) -> str:
    rule = kind.deadline
    value = kind.deadline_value
    Deadline = ServiceOKind.Deadline
    if rule == Deadline.DAYS_AFTER_EVENT:
        return _("Within %(days)d days of the event.") % {"days": value or 14}
    if rule == Deadline.DAYS_AFTER_KNOWING:
        return _("Within %(days)d days of learning of it.") % {"days": value or 14}
    if rule == Deadline.MONTHS_BEFORE:
        return _("At least %(months)d month(s) before the date.") % {"months": value or 1}
    if rule == Deadline.END_OF_NEXT_MONTH:
        return _("By the end of the following month.")
    if rule == Deadline.WINDOW:
        return _window_text(kind)
    return ""


# --- start page -------------------------------------------------------------------------------


@require_GET
@service_o_required
def index(request: HttpRequest) -> HttpResponse:
    """OF-1: the kinds the organization files, with their deadline rules; the notices."""
    organization = request.organization
    today = clock.today()
    rows = [
        {
            "kind": kind,
            "name": local_name(kind),
            "form_number": kind.form_number,
            "deadline": _deadline_text(kind),
            "open": rules.may_file_today(kind, organization, today=today),
            "returnable": kind.returnable,
        }
        for kind in rules.kinds_for(organization)
    ]
    return render(
        request,
        "service_o/index.html",
        # 004 Q3: maintenance and other notices (お知らせ) on the page after sign-in: the
        # template asks the portal for them ({% published_notices %}).
        {"organization": organization, "rows": rows},
    )


# --- input → confirmation → submit -------------------------------------------------------------


@service_o_required
def start(request: HttpRequest, kind: str) -> HttpResponse:
    found = _kind(kind)
    refusal = _check_kind(request, found)
    if refusal is not None:
        return refusal
    return redirect("service_o:form", kind=found.pk, token=uuid.uuid4())


def _already_filed(request: HttpRequest, token: uuid.UUID) -> HttpResponse | None:
    filing = selectors.ofiling_for_token(request.user, token)
    if filing is None:
        return None
    _drop_draft(request, token)
    messages.info(
        request,
        _("This filing was already submitted (%(number)s).") % {"number": filing.number},
    )
    return redirect("service_o:detail", filing_id=filing.pk)


def _already_changed(request, filing: OFiling, token: uuid.UUID) -> HttpResponse | None:
    if not OFilingVersion.objects.filter(filing=filing, replaced_by_token=token).exists():
        return None
    _drop_draft(request, token)
    messages.info(request, _("This change was already submitted."))
    return redirect("service_o:detail", filing_id=filing.pk)


def _render_form(request, kind, entry: forms.FilingInput, *, filing=None, status=None):
    context = {
        "kind": kind,
        "kind_name": local_name(kind),
        "entry": entry,
        "form": entry.form,
        "filing": filing,
        "deadline_text": _deadline_text(kind),
        "period": rules.periodic_period() if rules.has_window(kind) else None,
        "back": reverse("service_o:detail", args=[filing.pk])
        if filing
        else reverse("service_o:index"),
    }
    if status is None:
        status = 400 if entry.is_bound and entry.has_errors() else 200
    return render(request, "service_o/form.html", context, status=status)


def _input_from_draft(request, token, kind, *, filing=None) -> forms.FilingInput:
    """The input to show: the draft being changed (back from the confirmation), else the
    filing's content (a change), else an empty form."""
    draft = _draft(request, token)
    if draft and draft["kind"] == kind.pk and draft["filing"] == (filing.pk if filing else None):
        return forms.FilingInput(kind, _as_querydict(draft["data"]))
    return forms.FilingInput(kind, content=filing.content if filing else None)


def _form_step(request, kind: ServiceOKind, token: uuid.UUID, *, filing=None) -> HttpResponse:
    if request.method == "POST":
        entry = forms.FilingInput(kind, request.POST)
        if entry.is_valid():
            _save_draft(
                request,
                token,
                kind=kind.pk,
                filing_id=filing.pk if filing else None,
                data=request.POST,
            )
            if filing:
                return redirect("service_o:edit_confirm", filing_id=filing.pk, token=token)
            return redirect("service_o:confirm", token=token)
        return _render_form(request, kind, entry, filing=filing)
    entry = _input_from_draft(request, token, kind, filing=filing)
    return _render_form(request, kind, entry, filing=filing, status=200)


@service_o_required
@require_http_methods(["GET", "POST"])
def form(request: HttpRequest, kind: str, token: uuid.UUID) -> HttpResponse:
    done = _already_filed(request, token)
    if done is not None:
        return done
    found = _kind(kind)
    refusal = _check_kind(request, found)
    if refusal is not None:
        return refusal
    return _form_step(request, found, token)


def _confirm_context(kind, entry: forms.FilingInput, *, filing=None) -> dict:
    cleaned = entry.cleaned
    on = rules.event_date(kind, cleaned.items)
    today = clock.today()
    last_day = rules.deadline(kind, on, today=today) if not filing else filing.deadline
    context = {
        "kind": kind,
        "kind_name": local_name(kind),
        "filing": filing,
        "item_rows": kinds.item_rows(kind, cleaned.items),
        "sheet": kinds.sheet_table(kind, cleaned.rows),
        "conversions": cleaned.notices,
        "deadline": last_day,
        "late": rules.is_late(last_day, filing.filed_on if filing else today),
        "days_left": days.days_left(last_day, today=today) if last_day else None,
        "period": rules.periodic_period() if rules.has_window(kind) and not filing else None,
    }
    if kind.pk == "jli_44_attainment" and cleaned.items.get("completers"):
        total = sum(
            cleaned.items.get(code, 0)
            for code in ("further_study", "work_status_changes", "cefr_a2")
        )
        context["attainment_share"] = round(100 * total / cleaned.items["completers"], 1)
    return context


def _confirm_step(request, token: uuid.UUID, *, filing=None) -> HttpResponse:  # noqa: C901 - a debt (docs/architecture.md)
    draft = _draft(request, token)
    if draft is None or draft["filing"] != (filing.pk if filing else None):
        messages.error(
            request, _("The form you confirmed is no longer available. Please fill it in again.")
        )
        if filing:
            return redirect("service_o:detail", filing_id=filing.pk)
        return redirect("service_o:index")
    kind = filing.kind if filing else _kind(draft["kind"])
    if filing is None:
        refusal = _check_kind(request, kind)
        if refusal is not None:
            return refusal
    entry = forms.FilingInput(kind, _as_querydict(draft["data"]))
    back = (
        reverse("service_o:edit_form", args=[filing.pk, token])
        if filing
        else reverse("service_o:form", args=[kind.pk, token])
    )
    if not entry.is_valid():  # e.g. the day changed and a date is now in the future
        return redirect(back)
    if request.method == "POST":
        if request.POST.get("action") == "change":
            return redirect(back)
        try:
            if filing:
                result = services.ofiling_change(
                    user=request.user,
                    filing=filing,
                    items=entry.raw_items(),
                    rows=entry.raw_rows(),
                    token=token,
                    request=request,
                )
            else:
                result = services.ofiling_submit(
                    user=request.user,
                    kind=kind,
                    items=entry.raw_items(),
                    rows=entry.raw_rows(),
                    token=token,
                    request=request,
                )
        except ValidationError as exc:
            entry.apply(exc)
            return _render_form(request, kind, entry, filing=filing, status=400)
        _drop_draft(request, token)
        if filing:
            messages.success(
                request,
                _("%(number)s was changed. It is pending again; a mail confirms the change.")
                % {"number": result.number},
            )
        else:
            messages.success(
                request,
                _("%(number)s was received and is pending. A mail confirms it.")
                % {"number": result.number},
            )
        return redirect("service_o:detail", filing_id=result.pk)
    context = _confirm_context(kind, entry, filing=filing)
    context["change_url"] = back
    return render(request, "service_o/confirm.html", context)


@service_o_required
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    """The confirmation page (print it to keep a copy) and the submission."""
    done = _already_filed(request, token)
    if done is not None:
        return done
    return _confirm_step(request, token)


# --- change and withdrawal by the filer (004 Q11, Q12) --------------------------------------------


def _own_filing(request, filing_id: int) -> OFiling:
    return selectors.access_ofiling_by_id(request.user, filing_id)


def _not_changeable(request, filing: OFiling) -> HttpResponse:
    messages.error(
        request,
        _(
            "%(number)s is %(state)s, so it can no longer be changed or withdrawn. If it was "
            "wrong, file it again with the right content."
        )
        % {"number": filing.number, "state": OFilingState(filing.state).label},
    )
    return redirect("service_o:detail", filing_id=filing.pk)


@service_o_required
def edit(request: HttpRequest, filing_id: int) -> HttpResponse:
    filing = _own_filing(request, filing_id)
    if not filing.editable:
        return _not_changeable(request, filing)
    return redirect("service_o:edit_form", filing_id=filing.pk, token=uuid.uuid4())


@service_o_required
@require_http_methods(["GET", "POST"])
def edit_form(request: HttpRequest, filing_id: int, token: uuid.UUID) -> HttpResponse:
    filing = _own_filing(request, filing_id)
    done = _already_changed(request, filing, token)
    if done is not None:
        return done
    if not filing.editable:
        return _not_changeable(request, filing)
    return _form_step(request, filing.kind, token, filing=filing)


@service_o_required
@require_http_methods(["GET", "POST"])
def edit_confirm(request: HttpRequest, filing_id: int, token: uuid.UUID) -> HttpResponse:
    filing = _own_filing(request, filing_id)
    done = _already_changed(request, filing, token)
    if done is not None:
        return done
    if not filing.editable:
        return _not_changeable(request, filing)
    return _confirm_step(request, token, filing=filing)


@service_o_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, filing_id: int) -> HttpResponse:
    filing = _own_filing(request, filing_id)
    if not filing.editable:
        return _not_changeable(request, filing)
    form = forms.WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.ofiling_withdraw(user=request.user, filing=filing, request=request)
        except ValidationError:
            filing.refresh_from_db()
            return _not_changeable(request, filing)
        messages.success(request, _("%(number)s was withdrawn.") % {"number": filing.number})
        return redirect("service_o:detail", filing_id=filing.pk)
    return render(
        request,
        "service_o/withdraw.html",
        {**detail_context(filing), "form": form},
        status=400 if form.is_bound else 200,
    )


# --- 申込内容照会 (OF-3) ------------------------------------------------------------------------


@require_GET
@service_o_required
def history(request: HttpRequest) -> HttpResponse:
    """申込内容照会: every filing with its state; the page says how long entries are kept."""
    filings = selectors.ofilings_of_organization(request.organization)
    state = request.GET.get("state", "")
    if state in OFilingState.values:
        filings = filings.filter(state=state)
    page = Paginator(filings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "service_o/history.html",
        {
            "page": page,
            "rows": [(f, local_name(f.kind)) for f in page.object_list],
            "states": OFilingState.choices,
            "state": state,
            "retention_days": rules.retention_days(),
        },
    )


def detail_context(filing: OFiling) -> dict:
    """What a filing's page shows (also the back office's): full content, versions, timeline."""
    kind = filing.kind
    content = filing.content
    versions = [
        {
            "version": version,
            "item_rows": kinds.item_rows(kind, version.content.get("items", {})),
            "sheet": kinds.sheet_table(kind, version.content.get("workers", [])),
        }
        for version in filing.versions.all().order_by("-number")
    ]
    period = content.get("period")
    return {
        "filing": filing,
        "kind_name": local_name(kind),
        "item_rows": kinds.item_rows(kind, content.get("items", {})),
        "sheet": kinds.sheet_table(kind, content.get("workers", [])),
        "organization": content.get("organization"),
        "period": period,
        "changes": list(filing.changes.all()),
        "versions": versions,
        "retention_days": rules.retention_days(),
    }


@require_GET
@service_o_required
def detail(request: HttpRequest, filing_id: int) -> HttpResponse:
    filing = _own_filing(request, filing_id)
    return render(request, "service_o/detail.html", detail_context(filing))
