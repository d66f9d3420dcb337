"""UX-5: the REST API for organizations' systems — API keys (issued once, revocable), bulk
filing through the same services as the pages, the same access rules (SEC-1), failed keys
rate-limited like failed log-ins (SEC-5)."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.bulk.helpers import (
    SCHOOL_START,
    csv_file,
    days_ago,
    face_row,
    students,
    university,
)
from tests.filings.factories import make_organization_account, make_resident
from zairyu.accounts.models import AccountState
from zairyu.api.models import ApiKey
from zairyu.api.services import MAX_ACTIVE_KEYS, api_key_issue, api_key_revoke
from zairyu.audit.models import AuditEvent
from zairyu.bulk.models import Job
from zairyu.bulk.services import bulk_process
from zairyu.filings.services import filing_register
from zairyu.mail.models import Mail

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded bulk files wait for the task in the default storage: a folder of the test's."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _bearer(text: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {text}"}


def _keyed():
    user, _organization = university()
    _key, text = api_key_issue(user=user, name="学務システム")
    return user, text


def _upload(client, text, content: bytes, *, kind=SCHOOL_START, name="rows.csv", options="{}"):
    return client.post(
        f"{API}/bulk/jobs",
        {"kind": kind, "file": SimpleUploadedFile(name, content), "options": options},
        **_bearer(text),
    )


# --- keys: the page and the service ----------------------------------------------------------


def test_ux5_key_shown_once_stored_as_digest_and_audited(client):
    user, _ = university()
    client.force_login(user)
    assert client.get("/accounts/api-keys/").status_code == 200
    response = client.post("/accounts/api-keys/", {"name": "人事システム"}, follow=True)
    assert response.redirect_chain == [("/accounts/api-keys/", 302)]  # a reload issues none
    key = ApiKey.objects.get(user=user)
    text = response.context["issued"]["text"]
    assert text.startswith(f"zr_{key.prefix}_") and text in response.content.decode()
    assert text not in key.digest and len(key.digest) == 64
    again = client.get("/accounts/api-keys/").content.decode()
    assert text not in again and "人事システム" in again  # shown once
    assert "api_key_issued" not in client.session
    event = AuditEvent.objects.get(action="api.key.issued")
    assert text.split("_", 2)[2] not in json.dumps(event.after)
    assert client.get(f"{API}/bulk/kinds", **_bearer(text)).status_code == 200
    # The account is told (a key its owner did not ask for gets noticed); never the secret.
    mail = Mail.objects.get(template="api_key_issued")
    assert mail.to_address == user.email and user.email
    assert "人事システム" in mail.body and key.prefix in mail.body
    assert text.split("_", 2)[2] not in mail.body
    client.post(f"/accounts/api-keys/{key.pk}/revoke/")
    revoked = Mail.objects.get(template="api_key_revoked")
    assert revoked.to_address == user.email and "人事システム" in revoked.body


def test_ux5_key_name_required_says_which_field(client):
    user, _ = university()
    client.force_login(user)
    response = client.post("/accounts/api-keys/", {"name": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert not ApiKey.objects.exists()


def test_ux5_at_most_five_active_keys_then_revoke_one(client):
    user, _ = university()
    keys = [api_key_issue(user=user, name=f"system {n}")[0] for n in range(MAX_ACTIVE_KEYS)]
    client.force_login(user)
    response = client.post("/accounts/api-keys/", {"name": "one too many"})
    assert response.status_code == 400
    assert "Revoke one" in response.content.decode()
    assert client.post(f"/accounts/api-keys/{keys[0].pk}/revoke/").status_code == 302
    assert client.post("/accounts/api-keys/", {"name": "now it fits"}).status_code == 302
    assert ApiKey.objects.filter(user=user, revoked_at__isnull=True).count() == MAX_ACTIVE_KEYS
    assert AuditEvent.objects.filter(action="api.key.revoked").count() == 1


def test_sec1_key_pages_only_for_accounts_that_file_in_bulk(client):
    resident, _card = make_resident()
    client.force_login(resident)
    assert client.get("/accounts/api-keys/").status_code == 403
    client.logout()
    assert client.get("/accounts/api-keys/").status_code == 302  # to the log-in page


def test_sec1_another_accounts_key_cannot_be_revoked(client):
    owner, _ = university()
    key, text = api_key_issue(user=owner, name="theirs")
    other, _ = university()
    client.force_login(other)
    assert client.post(f"/accounts/api-keys/{key.pk}/revoke/").status_code == 404
    assert client.get(f"{API}/bulk/kinds", **_bearer(text)).status_code == 200


# --- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer not-a-key",
        "Bearer zr_000000000000_wrong",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_sec1_api_refuses_a_missing_or_wrong_key(client, header):
    user, text = _keyed()
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get(f"{API}/bulk/kinds", **extra)
    assert response.status_code == 401
    assert "API key" in response.json()["detail"]


def test_sec1_revoked_key_and_suspended_account_refused(client):
    user, text = _keyed()
    assert client.get(f"{API}/bulk/kinds", **_bearer(text)).status_code == 200
    user.state = AccountState.SUSPENDED
    user.save(update_fields=["state"])
    assert client.get(f"{API}/bulk/kinds", **_bearer(text)).status_code == 401
    user.state = AccountState.ACTIVE
    user.save(update_fields=["state"])
    api_key_revoke(user=user, key_id=ApiKey.objects.get(user=user).pk)
    assert client.get(f"{API}/bulk/kinds", **_bearer(text)).status_code == 401


def test_sec5_failed_keys_limited_per_address(client, settings):
    settings.ZAIRYU_LOGIN_FAILURES_PER_IP = 3
    user, text = _keyed()
    for _ in range(3):
        assert client.get(f"{API}/bulk/kinds", **_bearer(text + "x")).status_code == 401
    # The address is now refused, even with the right key, until the window ends.
    response = client.get(f"{API}/bulk/kinds", **_bearer(text))
    assert response.status_code == 429
    assert "15 minutes" in response.json()["detail"]


# --- bulk filing -----------------------------------------------------------------------------


def test_ux5_kinds_with_their_columns(client):
    user, text = _keyed()
    kinds = {k["key"]: k for k in client.get(f"{API}/bulk/kinds", **_bearer(text)).json()}
    start = kinds[SCHOOL_START]
    assert start["service"] == "N"
    names = [c["name"] for c in start["columns"]]
    assert names[:2] == ["number", "roman_name"] and "start_date" in names
    nationality = next(c for c in start["columns"] if c["name"] == "nationality")
    assert ["VNM", nationality["choices"][0][1]] != nationality["choices"][0]  # code, label


def test_ux5_upload_then_state_and_rows_with_errors_by_cell(client):
    user, text = _keyed()
    cards = students(3)
    rows = [{**face_row(c), "start_date": days_ago(3)} for c in cards]
    rows[1]["birth_date"] = "1900-13-40"
    response = _upload(client, text, csv_file(SCHOOL_START, user, rows))
    assert response.status_code == 201, response.content
    job = response.json()
    # The request only checked and stored the file: the worker reads and files it.
    assert (job["state"], job["total_rows"], job["final"]) == ("received", 0, False)
    assert job["number"] == Job.objects.get(pk=job["id"]).number
    bulk_process(job_id=job["id"])  # the worker's part
    done = client.get(f"{API}/bulk/jobs/{job['id']}", **_bearer(text)).json()
    assert (done["state"], done["total_rows"]) == ("done", 3)
    assert (done["accepted_rows"], done["error_rows"]) == (2, 1)
    errors = client.get(
        f"{API}/bulk/jobs/{job['id']}/rows", {"state": "error"}, **_bearer(text)
    ).json()
    assert [r["row_number"] for r in errors] == [3]
    assert "birth_date" in {e["column"] for e in errors[0]["errors"]}
    accepted = client.get(
        f"{API}/bulk/jobs/{job['id']}/rows", {"state": "accepted"}, **_bearer(text)
    ).json()
    assert [r["object_number"][:1] for r in accepted] == ["N", "N"]
    filing_id = accepted[0]["object_id"]
    filing = client.get(f"{API}/filings/{filing_id}", **_bearer(text)).json()
    assert filing["number"] == accepted[0]["object_number"]
    assert (filing["kind"], filing["state"], filing["final"]) == (
        "school_acceptance_start",
        "registering",
        False,
    )
    filing_register(filing_id=int(filing_id))  # the registry's part
    filing = client.get(f"{API}/filings/{filing_id}", **_bearer(text)).json()
    assert (filing["state"], filing["message"]) == ("registered", "")
    other, other_text = _keyed()
    for wrong in (filing_id, "99999999"):
        response = client.get(f"{API}/filings/{wrong}", **_bearer(other_text))
        assert response.status_code == 404, wrong
    assert client.get(f"{API}/filings/N1", **_bearer(text)).status_code == 422
    assert (
        client.get(
            f"{API}/bulk/jobs/{job['id']}/rows", {"state": "lost"}, **_bearer(text)
        ).status_code
        == 422
    )


def test_bk3_unreadable_file_is_a_reception_error_with_reasons(client):
    user, text = _keyed()
    response = _upload(client, text, b"\x00\x01 not a spreadsheet", name="rows.pdf")
    assert response.status_code == 201
    job = response.json()
    assert job["state"] == "reception_error" and job["final"] and job["reasons"]


def test_ux5_unknown_kind_and_bad_options_name_the_field(client):
    user, text = _keyed()
    content = csv_file(SCHOOL_START, user, [])
    response = _upload(client, text, content, kind="n_19_17_no_such_event")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "kind"
    response = _upload(client, text, content, options="[1, 2]")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "options"
    response = client.post(f"{API}/bulk/jobs", {"kind": SCHOOL_START}, **_bearer(text))
    assert response.status_code == 422
    assert "file" in {e["field"] for e in response.json()["errors"]}


def test_sec1_another_accounts_job_is_the_same_404_as_a_missing_one(client):
    owner, owner_text = _keyed()
    cards = students(1)
    content = csv_file(SCHOOL_START, owner, [{**face_row(cards[0]), "start_date": days_ago(3)}])
    job = _upload(client, owner_text, content).json()
    other, other_text = _keyed()
    theirs = client.get(f"{API}/bulk/jobs/{job['id']}", **_bearer(other_text))
    missing = client.get(f"{API}/bulk/jobs/99999999", **_bearer(other_text))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    rows = client.get(f"{API}/bulk/jobs/{job['id']}/rows", **_bearer(other_text))
    assert rows.status_code == 404


def test_ux5_openapi_document_declares_the_errors(client):
    document = client.get(f"{API}/openapi.json").json()
    upload = document["paths"][f"{API}/bulk/jobs"]["post"]
    assert {"201", "401", "422", "429"} <= set(upload["responses"])
    assert document["components"]["securitySchemes"]


def test_ux5_upload_needs_no_csrf_token_only_the_key():
    """A system sends no cookie and no CSRF token: the key is the credential (a browser's
    session cookie alone never reaches the API: without a key the answer is 401)."""
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    user, text = _keyed()
    cards = students(1)
    content = csv_file(SCHOOL_START, user, [{**face_row(cards[0]), "start_date": days_ago(3)}])
    assert _upload(strict, text, content).status_code == 201
    strict.force_login(user)
    response = strict.post(
        f"{API}/bulk/jobs",
        {"kind": SCHOOL_START, "file": SimpleUploadedFile("rows.csv", content)},
    )
    assert response.status_code == 401


def test_sec1_every_api_operation_needs_a_key(client):
    """Every operation in the OpenAPI document, as it exists when the test runs (a route added
    later is covered): no key → 401; an officer or a resident can hold no key at all."""
    from tests.filings.factories import make_officer

    document = client.get(f"{API}/openapi.json").json()
    operations = [(method, path) for path, item in document["paths"].items() for method in item]
    assert len(operations) >= 5
    for method, path in operations:
        concrete = re.sub(r"\{[a-z_]+\}", "1", path)
        response = getattr(client, method)(concrete)
        assert response.status_code == 401, (method, concrete, response.status_code)
        assert document["paths"][path][method]["security"]
    for user in (make_officer(), make_resident()[0]):
        with pytest.raises(ValidationError):
            api_key_issue(user=user, name="not theirs")
    assert not ApiKey.objects.exists()


def test_ux3_api_answers_in_the_accounts_language(client):
    user, _ = university(language="ja")
    _key, text = api_key_issue(user=user, name="学務システム")
    response = _upload(client, text, b"x", kind="n_19_17_no_such_event")
    assert response.status_code == 422
    problem = response.json()
    assert problem["detail"] == "アップロードが受け付けられませんでした。"
    assert problem["errors"][0]["field"] == "kind"
    assert not problem["errors"][0]["message"].isascii()  # the service's message, in Japanese


def test_ux5_service_o_filing_state_through_the_api(client):
    from tests.bulk.test_service_o_kinds import CHANGE, change_items
    from tests.filings.service_o.conftest import make_o_account, worker

    ssw, _org = make_o_account(language="en")
    _key, text = api_key_issue(user=ssw, name="登録支援システム")
    rows = [worker(n) for n in range(1, 3)]
    response = _upload(
        client, text, csv_file(CHANGE, ssw, rows), kind=CHANGE, options=json.dumps(change_items())
    )
    assert response.status_code == 201, response.content
    bulk_process(job_id=response.json()["id"])
    rows = client.get(f"{API}/bulk/jobs/{response.json()['id']}/rows", **_bearer(text)).json()
    assert {r["object_type"] for r in rows} == {"filings.ofiling"}
    filing_id = rows[0]["object_id"]
    found = client.get(f"{API}/service-o/filings/{filing_id}", **_bearer(text)).json()
    assert (found["kind"], found["state"], found["message"]) == (
        "ssw_contract_change",
        "pending",
        "",
    )
    assert found["number"].startswith("O")
    other, other_text = _keyed()
    assert (
        client.get(f"{API}/service-o/filings/{filing_id}", **_bearer(other_text)).status_code == 404
    )


def test_ux5_application_state_through_the_api(client, settings):
    from tests.applications.factories import make_lawyer
    from tests.bulk.test_service_a_kinds import EXTENSION, OPTIONS, holder, row_for

    settings.ZAIRYU_SERVICE_A_ALLOWED_NETWORKS = []
    lawyer = make_lawyer()
    _key, text = api_key_issue(user=lawyer, name="事務所システム")
    good, bad = holder(11), holder(12)
    rows = [row_for(good), row_for(bad, applicant_email="not-an-address")]
    response = _upload(
        client, text, csv_file(EXTENSION, lawyer, rows), kind=EXTENSION, options=json.dumps(OPTIONS)
    )
    assert response.status_code == 201, response.content
    bulk_process(job_id=response.json()["id"])
    rows = client.get(f"{API}/bulk/jobs/{response.json()['id']}/rows", **_bearer(text)).json()
    states = {}
    for row in rows:
        found = client.get(f"{API}/applications/{row['object_id']}", **_bearer(text)).json()
        assert found["kind"] == "extension"
        states[row["state"]] = found["state"]
    assert states == {"accepted": "draft", "error": "bulk_error"}  # BK-5
    other, other_text = _keyed()
    missing = client.get(f"{API}/applications/{rows[0]['object_id']}", **_bearer(other_text))
    assert missing.status_code == 404


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_ux5_key_name_refused_by_the_service_whatever_the_caller(name):
    user, _ = university()
    with pytest.raises(ValidationError) as refused:
        api_key_issue(user=user, name=name)
    assert "name" in refused.value.message_dict
    assert not ApiKey.objects.exists()


def test_ux5_missing_option_refused_with_its_field(client):
    """An accepting organization must declare it does not report to Hello Work (the kind's
    option): the bulk service refuses the upload and the API names the option."""
    from tests.bulk.helpers import ORG_START

    user, _ = make_organization_account()
    _key, text = api_key_issue(user=user, name="人事システム")
    content = csv_file(ORG_START, user, [])
    response = _upload(client, text, content, kind=ORG_START)
    assert response.status_code == 422
    assert "not_bound_to_report" in {e["field"] for e in response.json()["errors"]}
    assert not Job.objects.exists()
