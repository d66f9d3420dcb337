"""UX-4: Zairyu's own help, one page per topic in every language, linked from the pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

import zairyu.portal
from zairyu.portal.help_topics import PAGE_TOPICS, TOPICS, topic_for

LANGUAGES = [code for code, _name in settings.LANGUAGES]
HELP_DIR = Path(zairyu.portal.__file__).parent / "templates" / "portal" / "help"
SEED_REFERENCE = re.compile(r"\b00[0-4]\s*Q\d")


def _page(client, language: str, url: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(url)


def test_ux4_every_topic_is_written_in_all_8_languages():
    missing = [
        f"{language}/{topic.slug}"
        for language in LANGUAGES
        for topic in TOPICS
        if not (HELP_DIR / language / f"{topic.slug}.html").is_file()
    ]
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_ux4_help_pages_render_in_the_readers_language(client, language):
    index = _page(client, language, reverse("portal:help"))
    assert index.status_code == 200
    assert f'lang="{language}"' in index.text
    for topic in TOPICS:
        url = reverse("portal:help_topic", args=[topic.slug])
        assert url in index.text
        page = _page(client, language, url)
        assert page.status_code == 200, topic.slug
        text = (HELP_DIR / language / f"{topic.slug}.html").read_text()
        lead = re.search(r'<p class="lead">(.*?)</p>', text, re.S).group(1).strip()[:40]
        assert lead in page.text, (language, topic.slug)
        # Plain words: no file and question numbers of the agency's Q&A.
        assert not SEED_REFERENCE.search(page.text), (language, topic.slug)


@pytest.mark.django_db
def test_ux4_links_between_topics_lead_to_topics(client):
    slugs = {topic.slug for topic in TOPICS}
    for path in HELP_DIR.glob("*/*.html"):
        for slug in re.findall(r"help_topic' '([^']+)'", path.read_text()):
            assert slug in slugs, (path, slug)


@pytest.mark.django_db
def test_ux4_an_unknown_topic_is_not_found(client):
    assert client.get(reverse("portal:help_topic", args=["no-such-topic"])).status_code == 404


def test_ux4_every_page_topic_names_a_topic():
    slugs = {topic.slug for topic in TOPICS}
    assert set(PAGE_TOPICS.values()) <= slugs
    assert topic_for("filings", "resident_events").slug == "who-must-notify"
    assert topic_for("filings", "detail").slug == "after-you-file"  # the namespace's topic
    assert topic_for("portal", "index") is None


@pytest.mark.django_db
def test_ux4_a_service_page_links_to_its_help(client):
    from tests.accounts.factories import UserFactory

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("accounts:login"))
    assert reverse("portal:help_topic", args=["locked-out"]) in response.text
    assert "Help: If you cannot sign in" in response.text
    user = UserFactory()
    client.force_login(user)
    page = client.get(reverse("accounts:me"))
    assert reverse("portal:help_topic", args=["auth-id-and-password"]) in page.text
    # Every page's footer leads to the help.
    assert f'href="{reverse("portal:help")}"' in client.get("/").text


def test_ux4_no_user_facing_message_cites_a_qa_file_number():
    """The catalogues' messages (every page's text) name no file or question of the Q&A."""
    import polib

    for language in ("en", "ja", "ko", "tl"):
        catalogue = polib.pofile(
            str(
                Path(settings.LOCALE_PATHS[0])
                / language.replace("-", "_")
                / "LC_MESSAGES"
                / "django.po"
            )
        )
        cited = [e.msgid[:60] for e in catalogue if SEED_REFERENCE.search(e.msgid + e.msgstr)]
        assert cited == [], language
