"""Back-office pages for the residence card registry (BO-2). Thin: parse → service → render.

Every page that shows personal data writes an audit event (BO-1, SEC-6): a card page
``cards.card.viewed``, each page of search results ``cards.card.listed`` with the ids shown.
Search criteria (names, dates of birth) travel in the POST body and the session, never in the
URL, so they stay out of access logs and browser history.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, resolve, reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from zairyu.audit.services import audit_record
from zairyu.cards import selectors, services

from . import forms
from .access import access_card_by_id, cards_in_jurisdiction, is_officer, officer_required

SEARCH_SESSION_KEY = "backoffice.card_search"

# How the card page's history names each recorded change.
HISTORY_LABELS = {
    "cards.card.created": _lazy("Registered"),
    "cards.card.renewed": _lazy("Registered as the next card of the holder"),
    "cards.card.invalidated": _lazy("Invalidated"),
    "cards.card.departed": _lazy("Departure on a re-entry permit recorded"),
    "cards.card.returned": _lazy("Return recorded"),
    "cards.card.moving_in_recorded": _lazy("Moving-in notification recorded"),
    "cards.card.address_changed": _lazy("Address corrected"),
    "cards.card.demo_refreshed": _lazy("Demo data re-dated"),
}
PAGE_SIZE = 25


class OfficerLoginView(auth_views.LoginView):
    """Officers' log-in (Django auth for now; the identity work adds TOTP, ID-17)."""

    template_name = "backoffice/login.html"
    authentication_form = forms.OfficerLoginForm
    redirect_authenticated_user = True
    next_page = reverse_lazy("backoffice:card_search")

    def get_default_redirect_url(self):
        # Card officers start at the card search; other roles at the home page's links.
        if not is_officer(self.request.user, "view"):
            return reverse("backoffice:home")
        return super().get_default_redirect_url()

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(
            action="backoffice.login.succeeded", actor=form.get_user(), request=self.request
        )
        return response

    def form_invalid(self, form):
        audit_record(
            action="backoffice.login.failed",
            after={"username": (form.data.get("username") or "")[:150]},
            request=self.request,
        )
        return super().form_invalid(form)


class OfficerLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("backoffice:login")


def _posted(request: HttpRequest):
    """The POST data of a POST (even an empty one, which must show "required" errors)."""
    return request.POST if request.method == "POST" else None


def _page_context(request: HttpRequest, **context) -> dict:
    context.setdefault("can_change", is_officer(request.user, "change"))
    context.setdefault("can_create", is_officer(request.user, "create"))
    return context


@officer_required("home")
def home(request: HttpRequest) -> HttpResponse:
    """The back-office home: each role sees the links to what it may do (SEC-1)."""
    return render(request, "backoffice/home.html", {"links": home_links(request.user)})


# The pages the home page offers, each shown to the roles whose action its view requires.
HOME_PAGES = [
    ("backoffice:card_search", _lazy("Search residence cards")),
    ("backoffice:account_search", _lazy("Search accounts")),
    ("backoffice:staff_queue", _lazy("Staff requests")),
    ("backoffice:filing_errors", _lazy("Notifications")),
    ("bo_service_o:queue", _lazy("Organization filings")),
    ("bo_applications:queue", _lazy("Applications")),
    ("bo_applications:dashboard", _lazy("Dashboard")),
    ("backoffice:notices", _lazy("Notices on the top page")),
    ("backoffice:audit", _lazy("Audit trail")),
    ("backoffice:maillog", _lazy("Mail log")),
]


def home_links(user) -> list[tuple[str, str]]:
    """(URL, label) of the pages ``user``'s role may open: the action each page's view is
    wrapped in (``officer_required``) decides, so the links never disagree with the pages."""
    links = []
    for name, label in HOME_PAGES:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # a page not (yet) installed
        action = getattr(resolve(url).func, "officer_action", None)
        if action is not None and is_officer(user, action):
            links.append((url, label))
    return links


@officer_required("view")
@require_http_methods(["GET", "POST"])
def card_search(request: HttpRequest) -> HttpResponse:
    """Search by number, name or date of birth; results are paged and every page audited."""
    if request.method == "POST":
        if "clear" in request.POST:
            request.session.pop(SEARCH_SESSION_KEY, None)
            return redirect("backoffice:card_search")
        form = forms.CardSearchForm(request.POST)
        if form.is_valid():
            request.session[SEARCH_SESSION_KEY] = form.criteria()
            return redirect("backoffice:card_search")
        return render(request, "backoffice/card_search.html", _page_context(request, form=form))

    criteria = request.session.get(SEARCH_SESSION_KEY)
    form = forms.CardSearchForm(initial=criteria or {})
    page = None
    if criteria:
        birth_date = (
            dt.date.fromisoformat(criteria["birth_date"]) if criteria["birth_date"] else None
        )
        results = cards_in_jurisdiction(
            request.user,
            selectors.card_search(
                number=criteria["number"], name=criteria["name"], birth_date=birth_date
            ),
        )
        page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
        audit_record(
            action="cards.card.listed",
            request=request,
            object_type="cards.residencecard",
            after={
                "criteria": criteria,
                "page": page.number,
                "cards": [card.pk for card in page.object_list],
            },
        )
    return render(
        request,
        "backoffice/card_search.html",
        _page_context(request, form=form, page=page, criteria=criteria),
    )


@officer_required("view")
def card_detail(request: HttpRequest, card_id: int) -> HttpResponse:
    card = access_card_by_id(request.user, card_id)
    audit_record(action="cards.card.viewed", obj=card, request=request)
    return render(
        request,
        "backoffice/card_detail.html",
        _page_context(
            request,
            card=card,
            standing=card.standing(),
            other_cards=selectors.person_cards(card.person).exclude(pk=card.pk),
            history=[
                (event, HISTORY_LABELS.get(event.action, event.action))
                for event in selectors.card_history(card)[:50]
            ],
        ),
    )


def _viewed(request: HttpRequest, card, page: str):
    """Audit an action page that shows the card's personal data (BO-1), on GET."""
    if request.method == "GET":
        audit_record(action="cards.card.viewed", obj=card, after={"page": page}, request=request)
    return card


def _form_page(request, template: str, form, **context) -> HttpResponse:
    return render(request, template, _page_context(request, form=form, **context))


@officer_required("create")
@require_http_methods(["GET", "POST"])
def card_create(request: HttpRequest) -> HttpResponse:
    form = forms.CardForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            card = services.card_create(actor=request.user, data=form.card_data(), request=request)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("Card %(number)s registered.") % {"number": card.number})
            return redirect("backoffice:card_detail", card_id=card.pk)
    return _form_page(request, "backoffice/card_form.html", form, title=_("Register a new card"))


@officer_required("create")
@require_http_methods(["GET", "POST"])
def card_renew(request: HttpRequest, card_id: int) -> HttpResponse:
    card = _viewed(request, access_card_by_id(request.user, card_id), "renew")
    form = forms.RenewForm(_posted(request), initial=forms.CardForm.initial_from(card))
    if request.method == "POST" and form.is_valid():
        try:
            new = services.card_renew(
                actor=request.user,
                card=card,
                data=form.card_data(keep=card),
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("New card %(new)s registered; card %(old)s is invalidated.")
                % {"new": new.number, "old": card.number},
            )
            return redirect("backoffice:card_detail", card_id=new.pk)
    return _form_page(
        request,
        "backoffice/card_form.html",
        form,
        card=card,
        title=_("Issue a new card to the holder of %(number)s") % {"number": card.number},
    )


def _card_action(
    request: HttpRequest,
    card_id: int,
    *,
    form_class,
    template: str,
    title: str,
    page: str,
    act,
    done: str,
    initial: dict | None = None,
) -> HttpResponse:
    """The shape every one-card action shares: GET form, POST → service → redirect (PRG)."""
    card = _viewed(request, access_card_by_id(request.user, card_id), page)
    form = form_class(_posted(request), initial=initial or forms.today_initial())
    if request.method == "POST" and form.is_valid():
        try:
            act(card, form.cleaned_data)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("backoffice:card_detail", card_id=card.pk)
    return _form_page(request, template, form, card=card, title=title)


@officer_required("change")
@require_http_methods(["GET", "POST"])
def card_invalidate(request: HttpRequest, card_id: int) -> HttpResponse:
    return _card_action(
        request,
        card_id,
        form_class=forms.InvalidateForm,
        page="invalidate",
        template="backoffice/card_action.html",
        title=_("Invalidate the card"),
        initial={},
        act=lambda card, data: services.card_invalidate(
            actor=request.user,
            card=card,
            reason=data["reason"],
            note=data["note"],
            request=request,
        ),
        done=_("The card is invalidated."),
    )


@officer_required("change")
@require_http_methods(["GET", "POST"])
def card_departure(request: HttpRequest, card_id: int) -> HttpResponse:
    return _card_action(
        request,
        card_id,
        form_class=forms.DepartureForm,
        page="departure",
        template="backoffice/card_action.html",
        title=_("Record a departure on a re-entry permit"),
        act=lambda card, data: services.card_record_departure(
            actor=request.user, card=card, departed_on=data["departed_on"], request=request
        ),
        done=_("Departure recorded: the holder is abroad on a re-entry permit."),
    )


@officer_required("change")
@require_http_methods(["GET", "POST"])
def card_return(request: HttpRequest, card_id: int) -> HttpResponse:
    return _card_action(
        request,
        card_id,
        form_class=forms.ReturnForm,
        page="return",
        template="backoffice/card_action.html",
        title=_("Record the return to Japan"),
        act=lambda card, data: services.card_record_return(
            actor=request.user, card=card, returned_on=data["returned_on"], request=request
        ),
        done=_("Return recorded."),
    )


@officer_required("change")
@require_http_methods(["GET", "POST"])
def card_moving_in(request: HttpRequest, card_id: int) -> HttpResponse:
    card = access_card_by_id(request.user, card_id)
    return _card_action(
        request,
        card_id,
        form_class=forms.MovingInForm,
        page="moving_in",
        template="backoffice/card_action.html",
        title=_("Record a moving-in notification"),
        initial={
            **forms.today_initial(),
            "prefecture": card.prefecture_id,
            "municipality": card.municipality_id or "",
            "street": card.street,
        },
        act=lambda card, data: services.card_record_moving_in(
            actor=request.user,
            card=card,
            notified_on=data["notified_on"],
            prefecture_id=data["prefecture"].pk,
            municipality_id=data.get("municipality") or None,
            street=data["street"],
            request=request,
        ),
        done=_("Moving-in notification recorded with the new address."),
    )
