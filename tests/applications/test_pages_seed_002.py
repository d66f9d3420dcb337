"""Seed 002 rules on the filer's pages (A-7, A-12): withdraw only the re-entry permit or the
permission for other activity filed with an application (Q4-33), and replace a wrong person's
photo once the office opened it, then check it (Q5-7). Refused requests change nothing; another
filer gets the same 404 as for a missing application."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from zairyu.applications import officer, tasks
from zairyu.applications.models import Application, ApplicationState

from . import uploads_fixtures as f
from .drafting import media_root  # noqa: F401 (fixture)
from .factories import make_organization_staff
from .officer_fixtures import make_officer, make_submitted
from .test_pages import _submitted

S = ApplicationState
pytestmark = pytest.mark.usefixtures("media_root")


def _url(name, *args):
    return reverse(f"applications:{name}", args=args)


def _text(response) -> str:
    return response.content.decode()


def _summary(page: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert match, "no error summary"
    return match.group(0)


def _field_errors(page: str) -> list[str]:
    return re.findall(r'<p class="field__error" id="id_(\w+)_error">([^<]*)</p>', page)


def _radios(page: str, name: str) -> list[str]:
    return re.findall(rf'<input type="radio" name="{name}" value="([^"]*)"', page)


@pytest.fixture
def filed(client):
    """A submitted extension with a re-entry permit filed with it, its filer logged in."""
    application = make_submitted(procedure="extension", reentry="single")
    client.force_login(application.filer)
    return application


# --- 002 Q4-33: withdraw only an add-on -----------------------------------------------------


def test_a12_q4_33_withdraw_page_offers_only_the_add_ons_the_application_has(client, filed):
    page = _text(client.get(_url("withdraw", filed.pk)))
    assert "What to withdraw" in page
    assert _radios(page, "add_on") == ["", "reentry"]  # no other-activity permission filed
    assert "The whole application" in page and "Only the re-entry permit" in page
    assert "Only the permission for other activity" not in page
    assert re.search(r'<input type="radio" name="add_on" value=""[^>]*checked', page)

    both = make_submitted(procedure="extension", reentry="multiple", other_activity=True)
    client.force_login(both.filer)
    page = _text(client.get(_url("withdraw", both.pk)))
    assert _radios(page, "add_on") == ["", "reentry", "other_activity"]

    plain = make_submitted(procedure="extension")
    client.force_login(plain.filer)
    page = _text(client.get(_url("withdraw", plain.pk)))
    assert _radios(page, "add_on") == []  # only the whole application: no choice to make
    assert "What to withdraw" not in page


def test_a12_q4_33_withdraw_only_the_reentry_permit(client, filed):
    response = client.post(
        _url("withdraw", filed.pk), {"add_on": "reentry", "reason": "出国の予定がなくなった"}
    )
    assert response.status_code == 302
    assert response["Location"] == _url("detail", filed.pk)
    filed.refresh_from_db()
    assert filed.withdrawal_requested_at is not None
    assert filed.withdrawal_add_on == "reentry"
    assert filed.withdrawal_reason == "出国の予定がなくなった"
    # The office decides: the application and its re-entry permit stay until then.
    assert filed.state == S.SUBMITTED and filed.reentry == "single"
    page = _text(client.get(_url("detail", filed.pk)))
    assert "Withdrawal requested" in page and "Only the re-entry permit" in page


def test_a12_q4_33_withdraw_the_whole_application_when_it_has_an_add_on(client, filed):
    response = client.post(_url("withdraw", filed.pk), {"add_on": "", "reason": "帰国する"})
    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.withdrawal_requested_at is not None and filed.withdrawal_add_on == ""
    page = _text(client.get(_url("detail", filed.pk)))
    assert "Only the re-entry permit" not in page


def test_a12_q4_33_add_on_not_filed_refused_by_the_field_and_in_the_summary(client, filed):
    response = client.post(
        _url("withdraw", filed.pk), {"add_on": "other_activity", "reason": "不要になった"}
    )
    assert response.status_code == 400
    page = _text(response)
    message = "This application does not include it."
    assert any(field == "add_on" and message in error for field, error in _field_errors(page))
    assert message in _summary(page)
    assert 'href="#id_add_on"' in _summary(page)
    assert "不要になった" in page  # what was typed stays
    filed.refresh_from_db()
    assert filed.withdrawal_requested_at is None and filed.withdrawal_add_on == ""


def test_a12_q4_33_add_on_of_an_application_without_any_refused(client):
    plain = make_submitted(procedure="extension")
    client.force_login(plain.filer)
    response = client.post(_url("withdraw", plain.pk), {"add_on": "reentry", "reason": "不要"})
    assert response.status_code == 400
    assert "This application does not include it." in _summary(_text(response))
    plain.refresh_from_db()
    assert plain.withdrawal_requested_at is None


def test_a12_q4_33_unknown_add_on_and_empty_reason_refused(client, filed):
    response = client.post(_url("withdraw", filed.pk), {"add_on": "card", "reason": "x"})
    assert response.status_code == 400
    page = _text(response)
    message = "What to withdraw: choose one of the values offered."
    assert ("add_on", message) in _field_errors(page)
    assert message in _summary(page)

    response = client.post(_url("withdraw", filed.pk), {"add_on": "reentry", "reason": ""})
    assert response.status_code == 400
    page = _text(response)
    assert "Reason for the withdrawal is empty" in _summary(page)
    assert [f for f, _e in _field_errors(page)] == ["reason"]
    assert re.search(r'value="reentry"[^>]*checked', page)  # the choice is kept
    filed.refresh_from_db()
    assert filed.withdrawal_requested_at is None


def test_a12_q4_33_another_filer_gets_404_and_nothing_changes(client, filed):
    other, _organization = make_organization_staff()
    client.force_login(other)
    assert client.get(_url("withdraw", filed.pk)).status_code == 404
    response = client.post(_url("withdraw", filed.pk), {"add_on": "reentry", "reason": "x"})
    assert response.status_code == 404
    assert client.get(_url("withdraw", 999999)).status_code == 404
    filed.refresh_from_db()
    assert filed.withdrawal_requested_at is None and filed.withdrawal_add_on == ""


# --- 002 Q5-7: replace a wrong person's photo once the office opened it ---------------------


@pytest.fixture
def examined(client):
    """A submitted application with a photo under examination (no longer amendable), filed by
    organization staff who is logged in; and the officer of its office."""
    user, organization = make_organization_staff()
    application = _submitted(user, organization)
    tasks.receipt_number_task(application.pk)
    application.refresh_from_db()
    examiner = make_officer(bureau_id=application.bureau_id)
    officer.examination_open(officer=examiner, application=application)
    application.refresh_from_db()
    assert application.state == S.EXAMINING
    client.force_login(user)
    return application, examiner, organization


def _photo(client, application) -> bytes:
    response = client.get(_url("photo", application.pk))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _new_jpeg() -> bytes:
    return f.jpeg(width=240, height=320, quality=70)


def test_a7_q5_7_no_photo_form_until_the_office_opens_the_replacement(client, examined):
    application, _examiner, _organization = examined
    page = _text(client.get(_url("detail", application.pk)))
    assert "Check photo" in page
    assert 'name="photo"' not in page and "Replace the photo" not in page
    before = _photo(client, application)
    response = client.post(
        _url("photo_upload", application.pk),
        {"photo": f.upload(_new_jpeg(), "right.jpg", "image/jpeg")},
    )
    assert response.status_code == 404
    assert _photo(client, application) == before


def test_a7_q5_7_replace_the_photo_once_and_check_the_new_one(client, examined):
    application, examiner, _organization = examined
    before_sha = application.photo_sha256
    old = _photo(client, application)
    officer.photo_replacement_allow(officer=examiner, application=application, note="別人")
    page = _text(client.get(_url("detail", application.pk)))
    assert "Replace the photo" in page
    assert f'action="{_url("photo_upload", application.pk)}"' in page
    assert 'name="photo"' in page and 'enctype="multipart/form-data"' in page

    new = _new_jpeg()
    assert new != old
    response = client.post(
        _url("photo_upload", application.pk), {"photo": f.upload(new, "right.jpg", "image/jpeg")}
    )
    assert response.status_code == 302
    assert response["Location"] == _url("detail", application.pk)
    application.refresh_from_db()
    assert not application.photo_replacement_open  # once
    assert application.photo_sha256 != before_sha
    assert application.state == S.EXAMINING
    # "Check photo" shows the new one.
    page = _text(client.get(_url("detail", application.pk)))
    assert f'src="{_url("photo", application.pk)}"' in page
    assert "Replace the photo" not in page and 'name="photo"' not in page
    assert _photo(client, application) == new

    again = client.post(
        _url("photo_upload", application.pk),
        {"photo": f.upload(f.jpeg(), "again.jpg", "image/jpeg")},
    )
    assert again.status_code == 404
    assert _photo(client, application) == new


def test_a7_q5_7_bad_photo_refused_on_the_detail_page_and_replacement_stays_open(client, examined):
    application, examiner, _organization = examined
    officer.photo_replacement_allow(officer=examiner, application=application)
    old = _photo(client, application)

    response = client.post(
        _url("photo_upload", application.pk),
        {"photo": f.upload(f.png(), "face.jpg", "image/jpeg")},
    )
    assert response.status_code == 400
    page = _text(response)
    assert "<title>Error:" in page
    errors = [e for field, e in _field_errors(page) if field == "photo"]
    assert errors and errors[0] in _summary(page).replace("Face photo (JPEG): ", "")
    assert 'href="#id_photo"' in _summary(page)
    assert "Replace the photo" in page  # the form again, on the detail page

    too_big = f.jpeg_of_size(50 * 1024 + 1)
    response = client.post(
        _url("photo_upload", application.pk),
        {"photo": f.upload(too_big, "big.jpg", "image/jpeg")},
    )
    assert response.status_code == 400
    assert [field for field, _e in _field_errors(_text(response))] == ["photo"]

    response = client.post(_url("photo_upload", application.pk), {})
    assert response.status_code == 400
    assert "Face photo (JPEG): choose a file." in _summary(_text(response))

    application.refresh_from_db()
    assert application.photo_replacement_open
    assert _photo(client, application) == old


def test_a7_q5_7_only_the_filer_replaces_the_photo(client, examined):
    application, examiner, organization = examined
    officer.photo_replacement_allow(officer=examiner, application=application)
    old = _photo(client, application)
    upload = {"photo": f.upload(_new_jpeg(), "right.jpg", "image/jpeg")}

    other, _ = make_organization_staff()
    client.force_login(other)
    assert client.get(_url("detail", application.pk)).status_code == 404
    assert client.post(_url("photo_upload", application.pk), upload).status_code == 404

    colleague, _ = make_organization_staff(organization)  # sees drafts only
    client.force_login(colleague)
    assert client.get(_url("detail", application.pk)).status_code == 404
    upload = {"photo": f.upload(_new_jpeg(), "right.jpg", "image/jpeg")}
    assert client.post(_url("photo_upload", application.pk), upload).status_code == 404

    application.refresh_from_db()
    assert application.photo_replacement_open
    assert Application.objects.get(pk=application.pk).photo_sha256 == application.photo_sha256
    client.force_login(application.filer)
    assert _photo(client, application) == old
