"""SEC-2: the CSP, frame denial and the other security headers on every response — pages,
static files served by WhiteNoise, error pages (400, 403, 404, 500, 503), the API and the demo
mailbox. The header middlewares sit outside WhiteNoise and outside everything that can fail
(settings.MIDDLEWARE)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import Client

from tests.bulk.helpers import university
from tests.filings.factories import make_resident
from zairyu.api.services import api_key_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    # Exceptions become the error pages a browser would get, not test failures.
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def assert_security_headers(response) -> None:
    csp = response["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "frame-ancestors 'none'"):
        assert directive in csp, csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_sec2_security_headers_on_a_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.parametrize("path", ["/static/portal/site.css", "/static/applications/autosave.js"])
def test_sec2_security_headers_on_static_files(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")  # cacheable, unlike pages
    assert_security_headers(response)
    b"".join(response.streaming_content)


def test_sec2_security_headers_on_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert_security_headers(response)


def test_sec2_security_headers_on_static_404(client):
    response = client.get("/static/no-such-file.css")
    assert response.status_code == 404
    assert_security_headers(response)


def test_sec2_security_headers_on_403_permission_denied(client):
    resident, _card = make_resident()  # a service N account: not a service A filer
    client.force_login(resident)
    response = client.get("/applications/new/")
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()
    assert_security_headers(response)


def test_sec2_security_headers_on_403_csrf_failure():
    forged = Client(enforce_csrf_checks=True)
    response = forged.post("/accounts/login/", {"auth_id": "x", "password": "y"})
    assert response.status_code == 403
    assert_security_headers(response)


def test_sec2_security_headers_on_400_bad_host(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    assert_security_headers(response)


def test_sec2_security_headers_on_500(client, settings):
    settings.ZAIRYU_METRICS_TOKEN = "t"
    with mock.patch("zairyu.core.views.exposition", side_effect=RuntimeError("boom")):
        response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and "boom" not in page
    assert settings.ZAIRYU_HELPDESK["phone"] in page
    assert_security_headers(response)


def test_sec2_security_headers_on_503_database_unavailable(client, settings):
    settings.ZAIRYU_METRICS_TOKEN = "t"
    refused = OperationalError("connection to server at 127.0.0.1 refused")
    with mock.patch("zairyu.core.views.exposition", side_effect=refused):
        response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "Temporarily unavailable" in page and "127.0.0.1" not in page
    assert_security_headers(response)


def test_sec2_security_headers_on_an_error_in_a_middleware(client):
    # A database failure while the session loads (before any view) still gets the headers.
    resident, _card = make_resident()
    client.force_login(resident)
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.load",
        side_effect=OperationalError("gone"),
    ):
        response = client.get("/accounts/")
    assert response.status_code == 503
    assert_security_headers(response)


def test_sec2_security_headers_on_an_api_route(client):
    user, _organization = university()
    key = api_key_issue(user=user, name="sys")[1]
    response = client.get("/api/v1/bulk/kinds", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert_security_headers(response)
    refused = client.get("/api/v1/bulk/kinds")
    assert refused.status_code == 401
    assert_security_headers(refused)


def test_sec2_security_headers_on_an_api_error(client):
    response = client.get("/api/v1/no-such-route")
    assert response.status_code == 404
    assert_security_headers(response)


def test_sec2_security_headers_on_the_demo_mailbox(client, settings):
    settings.ZAIRYU_DEMO_MAILBOX = True
    response = client.get("/demo/mailbox/")
    assert response.status_code == 200
    assert_security_headers(response)


def test_sec2_security_headers_on_health_endpoints(client):
    for path in ("/healthz", "/readyz"):
        assert_security_headers(client.get(path))


def test_sec2_security_headers_on_a_refused_input(client):
    response = client.get("/", {"q": "\x00"})
    assert response.status_code == 400
    assert_security_headers(response)
