"""Pages of service N (mounted at /notifications/). Thin: parse → call a service → render.

Every filing goes input → confirmation → submit (PRG at each step). The input form's URL
carries a token made when the form is first opened; the draft waits in the session under that
token and the filing is created with it, so the back button, a reload or a re-sent form lands
on the same filing instead of creating a second one. Filings are reached only through
``selectors.access_filing_by_id`` (same 404 for missing and forbidden, SEC-1).
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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zairyu.accounts.models import Category
from zairyu.core import clock, days
from zairyu.core.forms import add_service_errors
from zairyu.reference.models import NotificationEvent
from zairyu.reference.selectors import notification_event

from . import forms, presenters, receipt, rules, selectors, services
from .errors import error_message
from .labels import local_name
from .models import FiledAs, FilingState

DRAFTS_KEY = "filings.drafts"
MAX_DRAFTS = 10
PAGE_SIZE = 20

RESIDENT, PROXY, ORGANIZATION = FiledAs.RESIDENT, FiledAs.PROXY, FiledAs.ORGANIZATION


# --- who may use which page --------------------------------------------------------------------


def resident_required(view):
    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.category != Category.RESIDENT or request.user.person_id is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def organization_required(view):
    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        organization = selectors.organization_of(request.user)
        if organization is None:
            raise PermissionDenied
        request.organization = organization
        return view(request, *args, **kwargs)

    return wrapped


def filer_required(view):
    """A resident or an organization account of service N."""

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if user.category == Category.RESIDENT and user.person_id is not None:
            return view(request, *args, **kwargs)
        if selectors.organization_of(user) is not None:
            return view(request, *args, **kwargs)
        raise PermissionDenied

    return wrapped


# --- drafts (the data between the input form and the confirmation) -----------------------------


def _drafts(request: HttpRequest) -> dict:
    return request.session.get(DRAFTS_KEY, {})


def _save_draft(request: HttpRequest, token: uuid.UUID, *, kind: str, event: str, data) -> None:
    drafts = _drafts(request)
    drafts.pop(str(token), None)
    while len(drafts) >= MAX_DRAFTS:
        drafts.pop(next(iter(drafts)))
    drafts[str(token)] = {
        "kind": kind,
        "event": event,
        "data": {k: v for k, v in data.lists() if k != "csrfmiddlewaretoken"},
    }
    request.session[DRAFTS_KEY] = drafts


def _draft(request: HttpRequest, token: uuid.UUID) -> dict | None:
    return _drafts(request).get(str(token))


def _drop_draft(request: HttpRequest, token: uuid.UUID) -> None:
    drafts = _drafts(request)
    if drafts.pop(str(token), None) is not None:
        request.session[DRAFTS_KEY] = drafts


def _as_querydict(data: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in data.items():
        query.setlist(key, values)
    return query


# --- which events a user may file ---------------------------------------------------------------


def _resident_card(request: HttpRequest):
    """The signed-in resident's current card, read once per request (several parts of a page
    ask for it)."""
    if not hasattr(request, "_zairyu_resident_card"):
        request._zairyu_resident_card = selectors.resident_card(request.user)
    return request._zairyu_resident_card


def _event(code: str) -> NotificationEvent:
    """The event with its lines and statuses, from the reference cache."""
    event = notification_event(code)
    if event is None:
        raise Http404
    return event


def _refused(request: HttpRequest, message: str, *, back: str) -> HttpResponse:
    return render(request, "filings/refused.html", {"message": message, "back": back}, status=403)


def _check_event(request: HttpRequest, kind: str, event: NotificationEvent) -> HttpResponse | None:
    """Return a refusal page when the user may not file ``event`` as ``kind``, else None."""
    if kind == RESIDENT:
        card = _resident_card(request)
        if card is None:
            return _refused(request, _no_card_message(), back=reverse("filings:index"))
        if not rules.resident_may_file(event, card.status):
            return _refused(
                request,
                _(
                    "“%(event)s” is not a notification for holders of the status %(status)s. "
                    "Choose one of the notifications your status allows."
                )
                % {"event": local_name(event), "status": local_name(card.status)},
                back=reverse("filings:resident_events"),
            )
        return None
    organization = selectors.organization_of(request.user)
    if organization is None:
        raise PermissionDenied
    if kind == PROXY and not rules.is_proxy_event(event):
        return _refused(
            request,
            _(
                "An organization may file for a resident only the change of its own name or "
                "address."
            ),
            back=reverse("filings:organization_events"),
        )
    if kind == ORGANIZATION and not rules.organization_may_file(event, organization):
        return _refused(
            request,
            _(
                "Your kind of organization (%(kind)s) does not file “%(event)s”. Schools report "
                "their students; other accepting organizations the residents they accept."
            )
            % {"kind": organization.get_kind_display(), "event": local_name(event)},
            back=reverse("filings:organization_events"),
        )
    return None


def _no_card_message() -> str:
    return _(
        "The registry holds no valid residence card for you, so no notification can be filed "
        "online. Contact the regional immigration bureau."
    )


def _build_form(request: HttpRequest, kind: str, event: NotificationEvent, data=None, **kwargs):
    if kind == RESIDENT:
        card = _resident_card(request)
        return forms.ResidentFilingForm(data, event=event, status=card.status, **kwargs)
    organization = selectors.organization_of(request.user)
    if kind == PROXY:
        return forms.ProxyFilingForm(data, event=event, organization=organization, **kwargs)
    if rules.is_roster(event):
        if data is None:
            students = selectors.accepted_students(organization)
            kwargs.setdefault("initial", {"roster": forms.roster_text(students)})
        return forms.RosterForm(data, event=event, today=clock.today(), **kwargs)
    return forms.OrganizationFilingForm(data, event=event, **kwargs)


def _form_url(kind: str, event: str, token: uuid.UUID) -> str:
    name = {
        RESIDENT: "filings:resident_form",
        PROXY: "filings:proxy_form",
        ORGANIZATION: "filings:organization_form",
    }[kind]
    return reverse(name, args=[event, token])


def _deadline_context(event: NotificationEvent, event_date=None) -> dict:
    """NF-2: the deadline and the days left, for an event today (form) or on a date (confirm)."""
    today = clock.today()
    if rules.is_roster(event):
        return {"deadline_days": event.deadline_days}
    on = event_date or today
    last_day = rules.deadline(event, on)
    left = days.days_left(last_day, today=today)
    return {
        "deadline_days": event.deadline_days,
        "deadline": last_day,
        "days_left": left,
        "days_late": -left if left < 0 else 0,
        "late": left < 0,
        "for_today": event_date is None,
    }


# --- resident and organization start pages -------------------------------------------------------


@require_GET
@filer_required
def index(request: HttpRequest) -> HttpResponse:
    if request.user.category == Category.RESIDENT:
        return redirect("filings:resident_events")
    return redirect("filings:organization_events")


@require_GET
@resident_required
def resident_events(request: HttpRequest) -> HttpResponse:
    """NF-1: the notifications the resident's status allows, and what is filed elsewhere (Q8)."""
    card = _resident_card(request)
    events = rules.resident_events(card.status) if card is not None else []
    return render(
        request,
        "filings/resident_events.html",
        {
            "card": card,
            "events": [(e, local_name(e)) for e in events],
            "status_name": local_name(card.status) if card else "",
            "no_card_message": _no_card_message() if card is None else "",
            "resident_rows": presenters.resident_rows(rules.card_snapshot(card)) if card else [],
        },
    )


@require_GET
@organization_required
def organization_events(request: HttpRequest) -> HttpResponse:
    """NF-3 and NF-4: the organization's own notifications and those it may file for residents."""
    organization = request.organization
    own = [
        (
            e,
            local_name(e),
            [local_name(s) for s in e.statuses.all()],
            rules.as_of_dates(e, today=clock.today()) if rules.is_roster(e) else [],
        )
        for e in rules.organization_events(organization)
    ]
    return render(
        request,
        "filings/organization_events.html",
        {
            "organization": organization,
            "own_events": own,
            "proxy_events": [(e, local_name(e)) for e in rules.proxy_events()],
        },
    )


# --- input → confirmation → submit ---------------------------------------------------------------


def _start(request: HttpRequest, kind: str, event_code: str) -> HttpResponse:
    event = _event(event_code)
    refusal = _check_event(request, kind, event)
    if refusal is not None:
        return refusal
    return redirect(_form_url(kind, event.pk, uuid.uuid4()))


def _already_filed(
    request: HttpRequest, token: uuid.UUID, known: dict | None = None
) -> HttpResponse | None:
    """The filing page, with a note, when this form was already submitted (the back button).
    ``known``: ``services.previous_filings([token])`` when the view has read it already."""
    if known is None:
        filing = selectors.filing_for_token(request.user, token)
    else:
        filing = known.get(token)
        filing = filing if filing is not None and filing.filer_id == request.user.pk else None
    if filing is None:
        return None
    _drop_draft(request, token)
    messages.info(
        request,
        _(
            "This notification was already submitted (%(number)s). To correct it, file a new "
            "notification."
        )
        % {"number": filing.number},
    )
    return redirect("filings:detail", filing_id=filing.pk)


def _form_page(request: HttpRequest, kind: str, event_code: str, token: uuid.UUID) -> HttpResponse:
    done = _already_filed(request, token)
    if done is not None:
        return done
    event = _event(event_code)
    refusal = _check_event(request, kind, event)
    if refusal is not None:
        return refusal
    if request.method == "POST":
        data = request.POST
    else:
        draft = _draft(request, token)
        data = (
            _as_querydict(draft["data"])
            if draft and draft["event"] == event.pk and draft["kind"] == kind
            else None
        )
    form = _build_form(request, kind, event, data)
    if request.method == "POST" and form.is_valid():
        _save_draft(request, token, kind=kind, event=event.pk, data=request.POST)
        return redirect("filings:confirm", token=token)
    return _render_form(request, kind, event, form, token)


def _also_to_file_context(event: NotificationEvent) -> dict:
    """001 Q19: the notification that in principle goes with this one (transfer → leaving)."""
    other = rules.also_to_file(event)
    return {"also_to_file": other, "also_to_file_name": local_name(other) if other else ""}


def _render_form(request, kind, event, form, token, *, status=None) -> HttpResponse:
    card = _resident_card(request) if kind == RESIDENT else None
    context = {
        **_also_to_file_context(event),
        "kind": kind,
        "event": event,
        "event_name": local_name(event),
        "form": form,
        "token": token,
        "card": card,
        "resident_rows": presenters.resident_rows(rules.card_snapshot(card)) if card else [],
        "roster": rules.is_roster(event),
        "back": reverse(
            "filings:resident_events" if kind == RESIDENT else "filings:organization_events"
        ),
        **_deadline_context(event),
    }
    if status is None:
        status = 400 if form.is_bound and form.errors else 200
    return render(request, "filings/form.html", context, status=status)


@resident_required
def resident_start(request: HttpRequest, event: str) -> HttpResponse:
    return _start(request, RESIDENT, event)


@resident_required
@require_http_methods(["GET", "POST"])
def resident_form(request: HttpRequest, event: str, token: uuid.UUID) -> HttpResponse:
    return _form_page(request, RESIDENT, event, token)


@organization_required
def proxy_start(request: HttpRequest, event: str) -> HttpResponse:
    return _start(request, PROXY, event)


@organization_required
@require_http_methods(["GET", "POST"])
def proxy_form(request: HttpRequest, event: str, token: uuid.UUID) -> HttpResponse:
    return _form_page(request, PROXY, event, token)


@organization_required
def organization_start(request: HttpRequest, event: str) -> HttpResponse:
    return _start(request, ORGANIZATION, event)


@organization_required
@require_http_methods(["GET", "POST"])
def organization_form(request: HttpRequest, event: str, token: uuid.UUID) -> HttpResponse:
    return _form_page(request, ORGANIZATION, event, token)


_apply = add_service_errors


def _submit(request, kind: str, event: NotificationEvent, form, token: uuid.UUID, previous):
    """Submit through the service of the kind; ``previous``: the token's filing as read by the
    view (one query for the view's check and the service's)."""
    user = request.user
    if kind == RESIDENT:
        return services.filing_submit_resident(
            user=user,
            event=event,
            items=form.items(),
            token=token,
            request=request,
            previous=previous,
        )
    if kind == PROXY:
        return services.filing_submit_proxy(
            user=user,
            face=form.card_face(),
            event=event,
            items=form.items(),
            requested_by_resident=form.cleaned_data["requested_by_resident"],
            token=token,
            request=request,
            previous=previous,
        )
    if rules.is_roster(event):
        return services.filing_submit_organization(
            user=user,
            event=event,
            items={},
            roster=form.lines,
            as_of=form.cleaned_data["as_of"],
            token=token,
            request=request,
            previous=previous,
        )
    return services.filing_submit_organization(
        user=user,
        event=event,
        items=form.items(),
        face=form.card_face(),
        not_bound_to_report=form.cleaned_data.get("not_bound_to_report", False),
        token=token,
        request=request,
        previous=previous,
    )


@filer_required
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    """The confirmation page (print it to keep a copy, 001 Q71) and the submission."""
    known = services.previous_filings([token])
    done = _already_filed(request, token, known)
    if done is not None:
        return done
    draft = _draft(request, token)
    if draft is None:
        messages.error(
            request,
            _("The form you confirmed is no longer available. Please fill it in again."),
        )
        return redirect("filings:index")
    kind, event = draft["kind"], _event(draft["event"])
    refusal = _check_event(request, kind, event)
    if refusal is not None:
        return refusal
    form = _build_form(request, kind, event, _as_querydict(draft["data"]))
    if not form.is_valid():  # e.g. the day changed and the date is now something else
        return redirect(_form_url(kind, event.pk, token))
    if request.method == "POST":
        if request.POST.get("action") == "change":
            return redirect(_form_url(kind, event.pk, token))
        try:
            filing = _submit(request, kind, event, form, token, known)
        except ValidationError as exc:
            _apply(form, exc)
            return _render_form(request, kind, event, form, token, status=400)
        _drop_draft(request, token)
        messages.success(
            request,
            _(
                "Notification %(number)s was received. Its registration is under way; a mail "
                "tells you when it is complete."
            )
            % {"number": filing.number},
        )
        return redirect("filings:detail", filing_id=filing.pk)
    return render(
        request,
        "filings/confirm.html",
        _confirm_context(request, kind, event, form, token),
    )


def _confirm_context(request, kind, event, form, token) -> dict:
    context = {
        "kind": kind,
        "event": event,
        "event_name": local_name(event),
        "token": token,
        "conversions": form.all_conversions(),
        "change_url": _form_url(kind, event.pk, token),
        **_also_to_file_context(event),
    }
    if kind == RESIDENT:
        card = _resident_card(request)
        context["resident_rows"] = presenters.resident_rows(rules.card_snapshot(card))
    elif not rules.is_roster(event):
        face = form.card_face()
        context["resident_rows"] = [
            (_("Residence card number"), face.number),
            (_("Name"), face.roman_name),
            (_("Date of birth"), presenters.show_date(face.birth_date)),
            (_("Sex"), dict(form.fields["sex"].choices).get(face.sex, face.sex)),
            (
                _("Nationality or region"),
                dict(form.fields["nationality"].choices).get(face.nationality, face.nationality),
            ),
            (
                # The resident's 住居地: the common item's own name, as on the filing's page
                # (the msgid "Address" reads 所在地, an organization's address, in Japanese).
                presenters.common_label("address"),
                dict(form.fields["prefecture"].choices).get(face.prefecture, "") + face.address,
            ),
        ]
    if rules.is_roster(event):
        as_of = form.cleaned_data["as_of"]
        context["item_rows"] = [(_("As of"), presenters.show_date(as_of))]
        context["roster_rows"] = presenters.roster_rows([line.as_content() for line in form.lines])
        context.update(_roster_deadline(event, as_of))
    else:
        items = presenters.stored_items(form.items())
        context["item_rows"] = presenters.item_rows(event, items)
        date_code = rules.date_item(event)
        context.update(_deadline_context(event, form.cleaned_data.get(date_code)))
    if kind == PROXY:
        context["declaration"] = _("The resident asked us to file this notification for them.")
    if kind == ORGANIZATION and form.cleaned_data.get("not_bound_to_report"):
        context["declaration"] = _(
            "Our organization does not report the employment of foreign nationals to Hello Work."
        )
    return context


def _roster_deadline(event, as_of) -> dict:
    last_day = rules.deadline(event, as_of)
    left = days.days_left(last_day)
    return {
        "deadline_days": event.deadline_days,
        "deadline": last_day,
        "days_left": left,
        "days_late": -left if left < 0 else 0,
        "late": left < 0,
        "for_today": False,
    }


# --- history (NF-7) ------------------------------------------------------------------------------


@require_GET
@filer_required
def history(request: HttpRequest) -> HttpResponse:
    """届出状況参照: every filing with its state; a resident's includes those filed for them."""
    filings = selectors.filings_visible_to(request.user)
    state = request.GET.get("state", "")
    if state in FilingState.values:
        filings = filings.filter(state=state)
    page = Paginator(filings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "filings/history.html",
        {
            "page": page,
            "rows": [(f, local_name(f.event)) for f in page.object_list],
            "states": FilingState.choices,
            "state": state,
            "is_resident": request.user.category == Category.RESIDENT,
        },
    )


def detail_context(filing) -> dict:
    """What a filing's page shows (also the back office's): full content, timeline, error."""
    content = filing.content
    return {
        "filing": filing,
        "event_name": local_name(filing.event),
        "resident_rows": presenters.resident_rows(content.get("resident")),
        "item_rows": presenters.item_rows(filing.event, content.get("items", {})),
        "roster_rows": presenters.roster_rows(content.get("roster")),
        "organization": content.get("organization"),
        "changes": list(filing.changes.all()),
        "error_message": (
            error_message(filing.error_code, filing.error_params) if filing.error_code else ""
        ),
    }


@require_GET
@filer_required
def detail(request: HttpRequest, filing_id: int) -> HttpResponse:
    filing = selectors.access_filing_by_id(request.user, filing_id)
    return render(request, "filings/detail.html", detail_context(filing))


@require_GET
@filer_required
def receipt_pdf(request: HttpRequest, filing_id: int) -> HttpResponse:
    """NF-7 [B]: the printable receipt of one filing."""
    filing = selectors.access_filing_by_id(request.user, filing_id)
    response = HttpResponse(receipt.render_receipt(filing), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filing.number}.pdf"'
    return response
