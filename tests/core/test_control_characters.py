"""SEC-2: a NUL byte or another control character in any field is a field error (400 naming
the field), never a server error — one check (core.middleware.ControlCharacterMiddleware with
core.validators.NoControlCharacters) for the pages, the autosave endpoint and the API.

PostgreSQL refuses NUL in text and in JSON ("unsupported Unicode escape sequence"; psycopg:
"A string literal cannot contain NUL"), so a NUL that reached the database answered 500 there:
``roman_name=A\\x00B`` saved by autosave at 5c9959d, and the list search ``?q=A%00B`` (checked
without this middleware on PostgreSQL: 500; with it: 400). Run this module with
DATABASE_URL=postgres://… to see it hold on PostgreSQL too."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.applications.drafting import resident
from tests.bulk.helpers import SCHOOL_START, university
from zairyu.api.services import api_key_issue
from zairyu.applications.models import Application
from zairyu.bulk.models import Job
from zairyu.core.validators import NoControlCharacters, control_character_errors

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.ZAIRYU_SERVICE_A_ALLOWED_NETWORKS = []


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def draft(client):
    user, _card = resident()
    client.force_login(user)
    response = client.post(
        reverse("applications:start"),
        {
            "procedure": "extension",
            "status": "engineer_humanities_international",
            "period_requested": "P1Y",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    pk = int(re.search(r"/applications/(\d+)/", response["Location"]).group(1))
    return Application.objects.get(pk=pk)


# --- the validator ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["A\x00B", "\x1b[31m", "a\x7fb", "a\x85b", "\ud800", "\x0b"])
def test_sec2_control_characters_refused_with_code(text):
    with pytest.raises(ValidationError) as caught:
        NoControlCharacters(field="Name")(text)
    error = caught.value.error_list[0]
    assert error.code == "control_character"
    assert error.params["field"] == "Name"
    assert "U+" in error.params["characters"]
    assert "control character" in error.messages[0] and "Name" in error.messages[0]


@pytest.mark.parametrize("text", ["line one\r\nline two", "a\tb", "山田　太郎", "", 12])
def test_sec2_tab_newline_and_ordinary_text_pass(text):
    NoControlCharacters()(text)


def test_sec2_message_gives_position_and_code_point():
    with pytest.raises(ValidationError) as caught:
        NoControlCharacters(field="Name")("AB\x00")
    assert caught.value.error_list[0].params | {"field": "Name"} == {
        "field": "Name",
        "characters": "U+0000",
        "positions": "3",
        "count": 1,
    }


def test_sec2_field_name_with_a_control_character_is_named_by_code_point():
    errors = control_character_errors([("a\x00b", "fine"), ("ok", "fine")])
    assert list(errors) == ["aU+0000b"]


# --- a form page ------------------------------------------------------------------------------


def _personal1(client, draft, action, value):
    url = reverse("applications:step", args=[draft.pk, "personal1"])
    return client.post(url, {"roman_name": value, "action": action})


@pytest.mark.parametrize("action", ["save", "next"])
def test_sec2_nul_byte_in_form_page_is_field_error(client, draft, action):
    response = _personal1(client, draft, action, "A\x00B")
    assert response.status_code == 400
    page = response.content.decode()
    assert "roman_name" in page and "control character" in page and "U+0000" in page
    assert response["Content-Type"].startswith("text/html")
    draft.refresh_from_db()
    assert "A\x00B" not in json.dumps(draft.content)  # nothing stored


def test_sec2_nul_byte_in_form_page_in_the_users_language(client, draft):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    response = _personal1(client, draft, "save", "A\x00B")
    assert response.status_code == 400
    assert '<html lang="ja">' in response.content.decode()


def test_sec2_other_control_character_in_form_page_is_field_error(client, draft):
    assert _personal1(client, draft, "save", "YAMADA\x1b[2JTARO").status_code == 400


def test_sec2_textarea_line_breaks_still_accepted(client, draft):
    # A tab or line break is not refused by this check (the field's own format may still be).
    response = _personal1(client, draft, "save", "YAMADA\tTARO")
    assert response.status_code in (200, 302, 400)
    assert "control character" not in response.content.decode()


def test_sec2_nul_byte_in_query_string_is_field_error(client, draft):
    response = client.get(reverse("applications:list"), {"q": "x\x00"})
    assert response.status_code == 400 and "“q”" in response.content.decode()


def test_sec2_forged_request_without_csrf_token_still_refused_by_csrf_first(draft):
    from django.test import Client

    forged = Client(enforce_csrf_checks=True)
    forged.force_login(draft.filer)
    url = reverse("applications:autosave", args=[draft.pk, "personal1"])
    assert forged.post(url, {"roman_name": "A\x00B"}).status_code == 403


# --- the autosave endpoint --------------------------------------------------------------------


def test_sec2_nul_byte_in_autosave_is_field_error(client, draft):
    url = reverse("applications:autosave", args=[draft.pk, "personal1"])
    response = client.post(
        url,
        {"roman_name": "A\x00B", "family_name_kanji": "山田"},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["roman_name"]
    assert "U+0000" in body["errors"]["roman_name"][0]
    assert "roman_name" in body["message"]  # autosave.js shows the message
    draft.refresh_from_db()
    assert "personal1" not in (draft.content or {})  # nothing stored, not even the good field


def test_sec2_autosave_still_saves_clean_input(client, draft):
    url = reverse("applications:autosave", args=[draft.pk, "personal1"])
    response = client.post(
        url, {"roman_name": "YAMADA TARO"}, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    )
    assert response.status_code == 200 and response.json()["saved"] is True


# --- the API ----------------------------------------------------------------------------------


@pytest.fixture
def key():
    user, _organization = university()
    return api_key_issue(user=user, name="学務システム")[1]


def _bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_sec2_nul_byte_in_api_form_field_is_field_error(client, key):
    response = client.post(
        "/api/v1/bulk/jobs",
        {"kind": f"{SCHOOL_START}\x00", "file": SimpleUploadedFile("rows.csv", b"a,b\n")},
        **_bearer(key),
    )
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == [
        {"field": "kind", "code": "control_character", "message": body["errors"][0]["message"]}
    ]
    assert "U+0000" in body["errors"][0]["message"] and "kind" in body["detail"]
    assert not Job.objects.exists()


def test_sec2_nul_byte_in_api_query_is_field_error(client, key):
    response = client.get("/api/v1/bulk/jobs/1/rows", {"state": "error\x00"}, **_bearer(key))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "state"


@pytest.mark.parametrize("text", ['{"kind": "a\\u0000b"}', '{"rows": [{"name": "\\ud800"}]}'])
def test_sec2_nul_byte_in_api_json_body_is_field_error(client, key, text):
    response = client.post(
        "/api/v1/bulk/jobs", text, content_type="application/json", **_bearer(key)
    )
    assert response.status_code == 400
    field = response.json()["errors"][0]["field"]
    assert field in {"kind", "rows.0.name"}


# --- bulk files -------------------------------------------------------------------------------


def test_sec2_control_character_in_a_bulk_csv_cell_is_a_cell_error_and_the_error_file_opens():
    """A CSV cell is not a request field: the row's own format checks refuse it by cell (BK-4),
    and the .xlsx error file, which XML cannot give a control character, shows its code point
    (it answered 500, openpyxl's IllegalCharacterError)."""
    import io

    import openpyxl
    from django.test import Client

    from tests.bulk.helpers import csv_file, face_row, students, upload_and_process

    user, _organization = university()
    rows = [face_row(card) for card in students(1)]
    rows[0]["address"] = "千代田区\x01霞が関"
    job = upload_and_process(user, SCHOOL_START, csv_file(SCHOOL_START, user, rows))
    assert job.error_rows == 1
    (row,) = job.rows.all()
    assert "address" in {error["column"] for error in row.errors}
    client = Client(raise_request_exception=False)
    client.force_login(user)
    response = client.get(reverse("bulk:error_file", args=[job.pk, "xlsx"]))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [cell.value for line in sheet.iter_rows() for cell in line]
    assert "千代田区U+0001霞が関" in values
