"""Zairyu's own help (UX-4): one page per topic users need, in plain words and 8 languages.

Each topic's text is a template per language, ``portal/help/<language>/<slug>.html``, written
from the agency's Q&A; its title is a message here (translated by the catalogues). Every page
of a service links to the topic that explains it (``topic_for``: by the page's URL name), so no
page needs to cite the Q&A's file and question numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import select_template
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Topic:
    slug: str
    title: Promise
    summary: Promise


TOPICS = (
    Topic(
        "who-must-notify",
        _("Who must notify, and by when"),
        _("Residents: the notifications about your organization or your spouse, within 14 days."),
    ),
    Topic(
        "organization-notifications",
        _("Notifications by organizations"),
        _("Organizations that accept residents, schools, and notifications made for a resident."),
    ),
    Topic(
        "ssw-and-support-organizations",
        _("Specified skilled workers and support organizations"),
        _("The notifications and reports of affiliated and registered support organizations."),
    ),
    Topic(
        "registering",
        _("Getting an account"),
        _("How residents, organizations and applicants register, and what proves who you are."),
    ),
    Topic(
        "auth-id-and-password",
        _("Your auth ID and password"),
        _("How long they are valid, why they expire, and how to get new ones."),
    ),
    Topic(
        "locked-out",
        _("If you cannot sign in"),
        _("Locked after wrong passwords, an expired link, a new residence card."),
    ),
    Topic(
        "after-you-file",
        _("After you file"),
        _("The mails you get, registration, the history page, receipts and corrections."),
    ),
    Topic(
        "bulk-files",
        _("Filing many at once"),
        _("Spreadsheet templates, row errors, the result mail and the API."),
    ),
    Topic(
        "online-residence-application",
        _("Online residence applications"),
        _("Who may apply online, which procedures, when, and what to prepare."),
    ),
    Topic(
        "documents-and-photos",
        _("Documents and photos"),
        _("Attaching PDF files and the face photo, and replacing them when asked."),
    ),
    Topic(
        "receiving-the-result",
        _("Receiving the result"),
        _("At the counter or by post, the fee, the electronic certificate of eligibility."),
    ),
    Topic(
        "languages-and-accessibility",
        _("Languages, phones and printing"),
        _("The site in 8 languages, on a phone, printed, and where to ask for help."),
    ),
)
BY_SLUG = {topic.slug: topic for topic in TOPICS}

# The topic each page explains, by URL name ("namespace:name") or namespace ("namespace:").
PAGE_TOPICS = {
    "accounts:login": "locked-out",
    "accounts:resident_renotify": "locked-out",
    "accounts:resident_register": "registering",
    "accounts:service_a_register": "registering",
    "accounts:me": "auth-id-and-password",
    "accounts:password_change": "auth-id-and-password",
    "accounts:otp_manage": "auth-id-and-password",
    "accounts:otp_setup": "auth-id-and-password",
    "accounts:otp_verify": "auth-id-and-password",
    "accounts:": "registering",
    "filings:resident_events": "who-must-notify",
    "filings:resident_form": "who-must-notify",
    "filings:organization_events": "organization-notifications",
    "filings:organization_form": "organization-notifications",
    "filings:proxy_form": "organization-notifications",
    "filings:": "after-you-file",
    "service_o:": "ssw-and-support-organizations",
    "bulk:": "bulk-files",
    "api_keys:": "bulk-files",
    "applications:": "online-residence-application",
    "coe:": "receiving-the-result",
}


def topic_for(namespace: str, url_name: str) -> Topic | None:
    """The help topic of the page named ``namespace:url_name``, or None."""
    slug = PAGE_TOPICS.get(f"{namespace}:{url_name}") or PAGE_TOPICS.get(f"{namespace}:")
    return BY_SLUG.get(slug) if slug else None


def topic_template(topic: Topic, language: str | None = None):
    """The topic's text in ``language`` (the active one), else in English."""
    language = (language or get_language() or "ja").lower()
    names = [f"portal/help/{language}/{topic.slug}.html", f"portal/help/en/{topic.slug}.html"]
    return select_template(names)
