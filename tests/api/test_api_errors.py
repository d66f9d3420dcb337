"""UX-5: the API answers every error as JSON in the documented shape (docs/api.md) — also an
unknown path (404), a method the path does not take (405), a request Django cannot read
(400), a server error (500) and the database unavailable (503, with Retry-After). The
tracebacks are logged, never sent."""

from __future__ import annotations

import logging
from unittest import mock

import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.test import Client

from tests.bulk.helpers import university
from zairyu.api.services import api_key_issue

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def client():
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def key():
    user, _organization = university()
    return api_key_issue(user=user, name="sys")[1]


def _bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], list)
    return body


@pytest.mark.parametrize("path", ["/nothing", "/bulk/jobs/1/nothing", "/bulk"])
def test_ux5_api_unknown_path_is_json_404(client, key, path):
    body = assert_problem(client.get(f"{API}{path}", **_bearer(key)), 404)
    assert body["detail"] == "Not found."


def test_ux5_api_unknown_path_is_json_404_without_a_key(client):
    assert_problem(client.get(f"{API}/nothing"), 404)


def test_ux5_api_pages_keep_their_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", "/bulk/kinds", "GET"),
        ("get", "/bulk/jobs", "POST"),
        ("put", "/bulk/jobs/1", "GET"),
    ],
)
def test_ux5_api_wrong_method_is_json_405(client, key, method, path, allowed):
    response = getattr(client, method)(f"{API}{path}", **_bearer(key))
    body = assert_problem(response, 405)
    assert "not allowed" in body["detail"]
    assert response["Allow"] == allowed


def test_ux5_api_unreadable_request_is_json_400(client, key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    response = client.post(f"{API}/bulk/jobs", {"kind": "x" * 100, "options": "{}"}, **_bearer(key))
    assert_problem(response, 400)


def test_ux5_api_server_error_is_json_500_and_logged(client, key, caplog):
    with (
        caplog.at_level(logging.ERROR, logger="django.request"),
        mock.patch("zairyu.api.api.kinds_for", side_effect=RuntimeError("secret detail")),
    ):
        response = client.get(f"{API}/bulk/kinds", **_bearer(key))
    body = assert_problem(response, 500)
    assert "secret detail" not in response.content.decode()
    assert "helpdesk" in body["detail"]
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info and "secret detail" in str(record.exc_info[1])


@pytest.mark.parametrize(
    "error", [OperationalError("could not connect to server"), InterfaceError("closed")]
)
def test_ux5_api_database_unavailable_is_json_503(client, key, error, caplog):
    with (
        caplog.at_level(logging.ERROR, logger="django.request"),
        mock.patch("zairyu.api.services.api_key_user", side_effect=error),
    ):
        response = client.get(f"{API}/bulk/kinds", **_bearer(key))
    body = assert_problem(response, 503)
    assert response["Retry-After"] == "60"
    assert "temporarily unavailable" in body["detail"]
    assert "connect" not in response.content.decode()
    assert any(r.name == "django.request" and r.exc_info for r in caplog.records)


def test_ux5_api_error_in_the_users_language(key):
    client = Client(raise_request_exception=False)
    body = assert_problem(client.get(f"{API}/nothing"), 404)  # no key read: Japanese
    assert body["detail"] != "Not found."


def test_ux5_api_handled_errors_keep_their_own_answers(client, key):
    # The API's own handlers (401, 404 for another's job, 422) are not rewritten.
    unauthorized = assert_problem(client.get(f"{API}/bulk/kinds"), 401)
    assert "API key" in unauthorized["detail"]
    missing = assert_problem(client.get(f"{API}/bulk/jobs/999999", **_bearer(key)), 404)
    assert missing["detail"] == "Not found."
    invalid = client.get(f"{API}/bulk/jobs/1/rows", {"state": "nope"}, **_bearer(key))
    assert invalid.status_code in (404, 422)
