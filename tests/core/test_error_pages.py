"""Issue 15 / UX-3: every error page in the user's language, with the helpdesk from the
configuration and a way back; a 403 says which service the page belongs to and who may use it."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from ..filings.factories import make_resident

LANGUAGES = ("ja", "en", "zh-hans", "zh-hant", "ko", "es", "pt", "tl")

pytestmark = pytest.mark.django_db


def client_in(language: str) -> Client:
    client = Client(raise_request_exception=False)
    client.cookies["django_language"] = language
    return client


def in_language(language: str, message: str) -> str:
    """The message as the page shows it in ``language``; translated in every language but en."""
    with translation.override(language):
        text = translation.gettext(message)
    assert (text == message) == (language == "en"), (language, message)
    return text


def assert_error_page(response, status: int, settings, language: str) -> str:
    assert response.status_code == status
    html = response.content.decode()
    assert f'lang="{language}"' in html
    assert settings.ZAIRYU_HELPDESK["phone"] in html
    assert 'href="/"' in html  # a way back
    assert "Traceback" not in html and "URLconf" not in html
    return html


@pytest.mark.parametrize("language", LANGUAGES)
def test_ux3_404_page_in_every_language(settings, language):
    html = assert_error_page(client_in(language).get("/no-such-page/"), 404, settings, language)
    assert in_language(language, "Page not found") in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_ux3_405_page_in_every_language(settings, language):
    response = client_in(language).put("/healthz")
    html = assert_error_page(response, 405, settings, language)
    assert response.has_header("Allow")
    assert in_language(language, "This page cannot be used this way") in html


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("error", "status", "title"),
    [
        (RuntimeError("boom"), 500, "Something went wrong"),
        (OperationalError("connection refused"), 503, "Temporarily unavailable"),
    ],
)
def test_ux3_500_and_503_pages_in_every_language(settings, language, error, status, title):
    settings.ZAIRYU_METRICS_TOKEN = "t"
    with mock.patch("zairyu.core.views.exposition", side_effect=error):
        response = client_in(language).get("/metrics", HTTP_AUTHORIZATION="Bearer t")
    html = assert_error_page(response, status, settings, language)
    assert in_language(language, title) in html
    assert "boom" not in html and "refused" not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_ux3_400_page_in_every_language(settings, language):
    response = client_in(language).get("/", HTTP_HOST="not-allowed.example")
    html = assert_error_page(response, 400, settings, language)
    assert in_language(language, "The request could not be read") in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_ux3_403_says_which_service_and_who_may_use_it(settings, language):
    resident, _card = make_resident()
    client = client_in(language)
    client.force_login(resident)
    response = client.get(reverse("applications:list"))
    html = assert_error_page(response, 403, settings, language)
    service = in_language(language, "the Online Residence Application System")
    assert service in html
    with translation.override(language):
        who = translation.gettext(
            "foreign nationals, their legal representatives and relatives, lawyers and "
            "gyoseishoshi, and staff of organizations approved by the bureau"
        )
    assert who in html
    assert in_language(language, "Not allowed") in html
