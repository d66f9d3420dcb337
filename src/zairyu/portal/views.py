"""Top page and the service entry points."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from zairyu.accounts.models import SERVICE_A_CATEGORIES, SERVICE_N_CATEGORIES, Category
from zairyu.api.services import may_hold_keys

from . import help_topics
from .models import Notice

# What each entry point of the top page leads to. The texts follow the agency's Q&A (seeds 001,
# 002, 004); the sign-in and filing pages of each service hang off these pages.
SERVICES = {
    "residents": {
        "label": _("Notifications (届出) for residents"),
        "system": _("e-Notification System"),
        "summary": _(
            "Mid to long-term residents notify changes of their affiliated organization or "
            "spouse (Immigration Control Act Article 19-16) within 14 days."
        ),
        "who": [
            _("Mid to long-term residents with a residence card (在留カード)."),
        ],
        "what": [
            _(
                "Changes of the organization you work for or study at: its name, its address, "
                "its dissolution, leaving it, moving to a new one."
            ),
            _("End of a contract or a new contract with an organization."),
            _("Divorce from or death of your spouse."),
        ],
        "not_here": _(
            "Changes of name, nationality or region, date of birth, sex or address are not "
            "notified here: go to your regional immigration bureau, or to your municipal office "
            "for an address change."
        ),
    },
    "organizations": {
        "label": _("Notifications (届出) for organizations"),
        "system": _("e-Notification System"),
        "summary": _(
            "Organizations that accept mid to long-term residents report acceptance "
            "(Article 19-17); specified skilled worker organizations, registered support "
            "organizations and Japanese-language institutions file their notifications and reports."
        ),
        "who": [
            _("Organizations accepting mid to long-term residents (Article 19-17)."),
            _("Specified skilled worker organizations and registered support organizations."),
            _("Japanese-language educational institutions."),
        ],
        "what": [
            _("Start and end of acceptance of each resident; schools' enrolment rosters."),
            _("Notifications on employment contracts, support plans and acceptance difficulties."),
            _("Reports under the notification standards for Japanese-language institutions."),
        ],
        "not_here": _(
            "An organization's user ID (認証ID) is registered by the regional immigration bureau "
            "from the paper user-registration form; organizations cannot register themselves."
        ),
    },
    "applications": {
        "label": _("Residence applications (在留申請)"),
        "system": _("Online Residence Application System"),
        "summary": _(
            "Apply online for a certificate of eligibility, a change of status of residence, an "
            "extension of the period of stay, an acquisition of status, or a certificate of "
            "authorized employment."
        ),
        "who": [
            _(
                "Foreign nationals in Japan, their legal representatives and relatives "
                "(with a My Number card)."
            ),
            _("Lawyers and certified administrative procedures specialists (gyoseishoshi)."),
            _(
                "Staff of accepting organizations, public-interest corporations and registered "
                "support organizations approved by the regional immigration bureau."
            ),
        ],
        "what": [
            _(
                "Certificate of Eligibility, change of status, extension of period of stay, "
                "acquisition of status, certificate of authorized employment."
            ),
            _(
                "A re-entry permit or permission to engage in other activities, together with a "
                "change, extension or acquisition."
            ),
        ],
        "not_here": _("Permanent residence and residence card procedures are not handled online."),
    },
}


def index(request: HttpRequest) -> HttpResponse:
    notices = Notice.objects.published()
    services = [{"slug": slug, **info} for slug, info in SERVICES.items()]
    return render(request, "portal/index.html", {"notices": notices, "services": services})


def service(request: HttpRequest, slug: str) -> HttpResponse:
    info = SERVICES.get(slug)
    if info is None:
        raise Http404
    return render(request, "portal/service.html", {"service": {"slug": slug, **info}})


@require_safe
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico whatever the page links: send them to the static file."""
    return HttpResponsePermanentRedirect(static("portal/favicon.ico"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """After sign-in: the services and menus the user's category allows."""
    user = request.user
    return render(
        request,
        "accounts/home.html",
        {
            "service_n": user.category in SERVICE_N_CATEGORIES,
            "service_a": user.category in SERVICE_A_CATEGORIES
            and user.category != Category.COE_RECIPIENT,
            "coe_recipient": user.category == Category.COE_RECIPIENT,
            "back_office": user.is_back_office,
            "api_keys": may_hold_keys(user),
        },
    )


@require_safe
def help_index(request: HttpRequest) -> HttpResponse:
    """UX-4: Zairyu's help, one entry per topic."""
    return render(request, "portal/help/index.html", {"topics": help_topics.TOPICS})


@require_safe
def help_topic(request: HttpRequest, slug: str) -> HttpResponse:
    """UX-4: one help topic in the reader's language."""
    topic = help_topics.BY_SLUG.get(slug)
    if topic is None:
        raise Http404
    return HttpResponse(help_topics.topic_template(topic).render({"topic": topic}, request))
