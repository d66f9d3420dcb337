"""Service A pages for filers (A-3, A-5..A-12, A-16, A-17; UX): the steps as normal pages,
drafts, confirmation and submission, the list, the content page and the changes after filing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.accounts.factories import PASSWORD
from tests.cards.factories import make_card, next_number
from zairyu.applications import services
from zairyu.applications.models import Application, ApplicationState
from zairyu.core import clock

from . import uploads_fixtures as f
from .drafting import (
    attach,
    attach_photo,
    media_root,  # noqa: F401 (fixture)
    organization_data,
    personal1_for,
    personal2_for,
    resident,
    save,
    submit,
)
from .factories import make_organization_staff

S = ApplicationState
pytestmark = pytest.mark.usefixtures("media_root")


def _employee(organization=None, **fields):
    """A card holder whose stay ends in 60 days (an extension is open, A-4)."""
    end = clock.today() + dt.timedelta(days=60)
    fields.setdefault("stay_until", end)
    fields.setdefault("card_valid_until", end)
    return make_card(number=next_number("EM"), **fields)


@pytest.fixture
def staff(client):
    user, organization = make_organization_staff()
    client.force_login(user)
    return user, organization


def _url(name, *args):
    return reverse(f"applications:{name}", args=args)


def _start(client, **data):
    data = {
        "procedure": "extension",
        "status": "engineer_humanities_international",
        "period_requested": "P1Y",
        **data,
    }
    return client.post(_url("start"), data)


def _draft_id(response) -> int:
    return int(re.search(r"/applications/(\d+)/", response["Location"]).group(1))


def test_a3_full_flow_as_organization_staff(client, staff):
    user, organization = staff
    card = _employee()
    response = client.get(_url("start"))
    assert response.status_code == 200
    assert 'aria-current="step"' in response.content.decode()
    response = _start(client)
    assert response.status_code == 302, response.content.decode()[:3000]
    pk = _draft_id(response)
    assert response["Location"] == _url("step", pk, "personal1")
    response = client.post(_url("step", pk, "personal1"), {**personal1_for(card), "action": "next"})
    assert response.status_code == 302, response.content.decode()[:5000]
    assert response["Location"] == _url("step", pk, "personal2")
    response = client.post(_url("step", pk, "personal2"), {**personal2_for(card), "action": "next"})
    assert response.status_code == 302, response.content.decode()[:5000]
    assert response["Location"] == _url("step", pk, "organization")
    page = client.get(response["Location"]).content.decode()
    assert organization.name in page
    response = client.post(
        _url("step", pk, "organization"), {**organization_data(organization), "action": "next"}
    )
    assert response.status_code == 302, response.content.decode()[:5000]
    assert response["Location"] == _url("step", pk, "step3")
    response = client.post(
        _url("document_add", pk),
        {"kind": "activity", "file": f.upload(f.good_pdf(), "contract.pdf")},
    )
    assert response.status_code == 302, response.content.decode()[:5000]
    response = client.post(
        _url("photo_upload", pk), {"photo": f.upload(f.jpeg(), "face.jpg", "image/jpeg")}
    )
    assert response.status_code == 302, response.content.decode()[:5000]
    response = client.post(
        _url("step", pk, "step3"),
        {"receipt_method": "post", "applicant_email": "emp@example.jp", "action": "next"},
    )
    assert response.status_code == 302, response.content.decode()[:5000]
    assert response["Location"] == _url("confirm", pk)
    page = client.get(_url("confirm", pk)).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    assert "5,500" in page
    response = client.post(_url("confirm", pk), {"token": token})
    assert response["Location"] == _url("done", pk)
    again = client.post(_url("confirm", pk), {"token": token})
    assert again["Location"] == _url("done", pk)
    assert Application.objects.count() == 1
    application = Application.objects.get()
    assert application.state == S.SUBMITTED
    page = client.get(_url("done", pk)).content.decode()
    assert application.provisional_number in page


# --- helpers for the tests below --------------------------------------------------------------


def _staff_draft(user, organization, card=None, *, upto="step3", **start):
    """A draft of ``user`` for ``card``'s holder with the steps up to ``upto`` done."""
    card = card or _employee()
    draft = services.application_start(
        user=user,
        procedure=start.pop("procedure", "extension"),
        status=start.pop("status", card.status_id),
        **start,
    )
    order = services.steps_for(draft)
    data = {
        "personal1": personal1_for(card),
        "personal2": personal2_for(card),
        "organization": organization_data(organization),
        "step3": {"receipt_method": "post", "applicant_email": "emp@example.jp"},
    }
    for step in order[1:]:
        if order.index(step) > order.index(upto):
            break
        save(user, draft, step, data[step])
    draft.refresh_from_db()
    return draft, card


def _submitted(user, organization, card=None):
    draft, card = _staff_draft(user, organization, card)
    attach(user, draft, name="contract.pdf")
    attach_photo(user, draft)
    application = submit(user, draft)
    application.refresh_from_db()
    return application


def _text(response) -> str:
    return response.content.decode()


# --- the steps ------------------------------------------------------------------------------


def test_a3_step_indicator_marks_the_current_step_on_every_step(client, staff):
    user, organization = staff
    draft, _card = _staff_draft(user, organization, upto="organization")
    for step, label in [
        ("step1", "STEP1"),
        ("personal1", "STEP2-1"),
        ("personal2", "STEP2-2"),
        ("organization", "STEP2-3"),
        ("step3", "STEP3"),
    ]:
        page = _text(client.get(_url("step", draft.pk, step)))
        current = re.search(r'<li[^>]*aria-current="step"[^>]*>(.*?)</li>', page, re.S)
        assert current is not None, step
        assert label in current.group(1)
        assert page.count('aria-current="step"') == 1
        assert "<ol>" in page


def test_a3_urls_carry_only_the_id(client, staff):
    user, organization = staff
    card = _employee()
    response = _start(client)
    pk = _draft_id(response)
    client.post(_url("step", pk, "personal1"), {**personal1_for(card), "action": "next"})
    response = client.post(_url("step", pk, "personal2"), {**personal2_for(card), "action": "next"})
    for location in (response["Location"], _url("step", pk, "personal2")):
        assert card.number not in location and "HOUMU" not in location


def test_a3_step1_bad_input_shown_by_field_and_in_summary(client, staff):
    response = client.post(_url("start"), {"procedure": "", "status": ""})
    assert response.status_code == 400
    page = _text(response)
    assert 'class="error-summary"' in page
    assert "Procedure: choose one from the list." in page
    response = _start(client, status="")
    page = _text(response)
    assert response.status_code == 400
    assert "choose the status this application is for" in page
    assert 'href="#id_status"' in page  # the summary links to the field
    response = _start(client, procedure="permanent_residence")
    assert response.status_code == 400
    assert "choose one of the values offered" in _text(response)
    assert Application.objects.count() == 0


def test_a1_add_ons_only_with_change_extension_acquisition(client, staff):
    response = _start(client, procedure="work_certificate", status="", reentry="single")
    assert response.status_code == 302  # the add-on is dropped: not offered for this procedure
    application = Application.objects.get()
    assert application.reentry == "" and not application.other_activity
    page = _text(client.get(_url("step", application.pk, "step1")))
    assert "only with a change of status, an extension or an acquisition" in page


def test_a3_personal1_bad_input_per_field_values_kept(client, staff):
    user, organization = staff
    draft, _card = _staff_draft(user, organization, upto="step1")
    response = client.post(
        _url("step", draft.pk, "personal1"),
        {
            "nationality": "",
            "roman_name": "HOUMU 7AROU",
            "sex": "X",
            "birth_date": "1990-13-45",
            "prefecture": "13",
            "municipality": "",
            "action": "next",
        },
    )
    assert response.status_code == 400
    page = _text(response)
    assert "Nationality or region: choose one from the list." in page
    assert "Date of birth is not a date" in page
    assert "Sex: choose one of the values offered" in page
    assert "Address: municipality: choose one from the list." in page
    assert 'value="HOUMU 7AROU"' in page  # kept as typed
    assert page.count('class="field__error"') >= 4
    assert "13101" in page  # the municipalities of the chosen prefecture are offered
    draft.refresh_from_db()
    assert "personal1" not in draft.steps_done


def test_a3_card_mismatch_does_not_say_which_field(client, staff):
    user, organization = staff
    draft, card = _staff_draft(user, organization, upto="personal1")
    response = client.post(
        _url("step", draft.pk, "personal2"),
        {**personal2_for(card, card_valid_until="2031-01-01"), "action": "next"},
    )
    assert response.status_code == 400
    page = _text(response)
    assert 'class="error-summary"' in page
    draft.refresh_from_db()
    assert "personal2" not in draft.steps_done
    response = client.post(
        _url("step", draft.pk, "personal2"),
        {"card_number": "12345", "card_valid_until": "", "action": "next"},
    )
    assert response.status_code == 400
    assert "Residence card valid until is empty" in _text(response)


def test_a4_refusal_says_why_and_where_to_go(client, staff):
    user, organization = staff
    card = _employee(stay_until=clock.today(), card_valid_until=clock.today())
    draft, _ = _staff_draft(user, organization, card, upto="personal1")
    response = client.post(
        _url("step", draft.pk, "personal2"), {**personal2_for(card), "action": "next"}
    )
    assert response.status_code == 400
    page = _text(response)
    assert "last day of the applicant" in page
    assert "regional immigration services bureau" in page


def test_a5_second_draft_refused_with_a_link_to_the_first(client, staff):
    user, organization = staff
    first, card = _staff_draft(user, organization, upto="personal2")
    second, _ = _staff_draft(user, organization, card, upto="personal1")
    response = client.post(
        _url("step", second.pk, "personal2"), {**personal2_for(card), "action": "next"}
    )
    assert response.status_code == 400
    page = _text(response)
    assert "already have an unsubmitted application" in page
    assert f'href="{_url("step", first.pk, "organization")}"' in page


def test_a3_fields_that_do_not_apply_are_not_asked(client):
    # A foreign national applying for themselves: no organization step (002 Q5-11).
    user, card = resident()
    client.force_login(user)
    response = _start(client, status=card.status_id)
    pk = _draft_id(response)
    page = _text(client.get(_url("step", pk, "personal1")))
    assert "STEP2-3" not in page and "STEP2-2" in page
    assert 'name="relationship"' not in page and 'name="passport_number"' not in page
    assert client.get(_url("step", pk, "organization")).status_code == 404


def test_a3_coe_asks_no_address_and_no_card(client, staff):
    response = _start(client, procedure="coe")
    pk = _draft_id(response)
    page = _text(client.get(_url("step", pk, "personal1")))
    assert 'name="prefecture"' not in page and 'name="passport_number"' in page
    assert "STEP2-2" not in page
    assert client.get(_url("step", pk, "personal2")).status_code == 404


def test_a7_work_certificate_asks_no_photo(client, staff):
    user, organization = staff
    draft, _ = _staff_draft(
        user, organization, procedure="work_certificate", status=None, upto="organization"
    )
    page = _text(client.get(_url("step", draft.pk, "step3")))
    assert "This procedure needs no face photo." in page
    assert 'name="photo"' not in page


def test_a6_bad_pdf_refused_at_once_with_the_reason(client, staff):
    user, organization = staff
    draft, _ = _staff_draft(user, organization, upto="organization")
    response = client.post(
        _url("document_add", draft.pk),
        {"kind": "activity", "file": f.upload(f.encrypted_pdf(), "locked.pdf")},
    )
    assert response.status_code == 400
    page = _text(response)
    assert "locked.pdf is protected with a password" in page
    assert 'class="error-summary"' in page
    response = client.post(
        _url("document_add", draft.pk),
        {"kind": "activity", "file": f.upload(f.jpeg(), "scan.pdf")},
    )
    assert response.status_code == 400
    assert "scan.pdf is not a PDF" in _text(response)
    response = client.post(
        _url("document_add", draft.pk), {"kind": "", "file": f.upload(f.good_pdf(), "a.pdf")}
    )
    assert response.status_code == 400
    assert "Document: choose one from the list." in _text(response)
    assert draft.documents.count() == 0


def test_a6_several_pdfs_each_labelled_and_a_wrong_one_removed(client, staff):
    user, organization = staff
    draft, _ = _staff_draft(user, organization, upto="organization")
    for kind, name in [("activity", "activity.pdf"), ("employment", "contract.pdf")]:
        response = client.post(
            _url("document_add", draft.pk),
            {"kind": kind, "file": f.upload(f.good_pdf(), name)},
        )
        assert response.status_code == 302
    page = _text(client.get(_url("step", draft.pk, "step3")))
    assert "activity.pdf" in page and "contract.pdf" in page
    assert "Employment contract or conditions" in page
    wrong = draft.documents.get(original_name="contract.pdf")
    response = client.post(_url("document_remove", draft.pk, wrong.pk))
    assert response.status_code == 302
    assert list(draft.documents.values_list("original_name", flat=True)) == ["activity.pdf"]


def test_a7_bad_photo_refused_and_check_photo_shows_it(client, staff):
    user, organization = staff
    draft, _ = _staff_draft(user, organization, upto="organization")
    response = client.post(
        _url("photo_upload", draft.pk), {"photo": f.upload(f.png(), "face.jpg", "image/jpeg")}
    )
    assert response.status_code == 400
    assert "is not a JPEG image" in _text(response)
    too_big = f.jpeg_of_size(51 * 1024 + 10)
    response = client.post(
        _url("photo_upload", draft.pk), {"photo": f.upload(too_big, "big.jpg", "image/jpeg")}
    )
    assert response.status_code == 400
    assert "larger than" in _text(response)
    response = client.post(
        _url("photo_upload", draft.pk), {"photo": f.upload(f.jpeg(), "face.jpg", "image/jpeg")}
    )
    assert response.status_code == 302
    page = _text(client.get(_url("step", draft.pk, "step3")))
    assert f'src="{_url("photo", draft.pk)}"' in page
    photo = client.get(_url("photo", draft.pk))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert b"".join(photo.streaming_content)[:3] == b"\xff\xd8\xff"


def test_a8_only_offered_receipt_methods_with_the_reason_for_no_post(client, staff):
    user, organization = staff
    card = _employee()
    draft, _ = _staff_draft(user, organization, card, upto="step1")
    save(user, draft, "personal1", personal1_for(card, kanji_name_requested=True))
    save(user, draft, "personal2", personal2_for(card))
    save(user, draft, "organization", organization_data(organization))
    page = _text(client.get(_url("step", draft.pk, "step3")))
    assert 'value="counter"' in page and 'value="post"' not in page
    assert "Receipt by post is not offered" in page and "kanji name" in page
    response = client.post(
        _url("step", draft.pk, "step3"),
        {"receipt_method": "post", "applicant_email": "a@example.jp", "action": "next"},
    )
    assert response.status_code == 400
    assert "choose one of the values offered" in _text(response)


def test_a3_applicant_email_mandatory(client, staff):
    user, organization = staff
    draft, _ = _staff_draft(user, organization, upto="organization")
    response = client.post(
        _url("step", draft.pk, "step3"),
        {"receipt_method": "post", "applicant_email": "", "action": "next"},
    )
    assert response.status_code == 400
    assert "Applicant&#x27;s notification e-mail address is empty" in _text(response)
    response = client.post(
        _url("step", draft.pk, "step3"),
        {"receipt_method": "post", "applicant_email": "not-an-address", "action": "next"},
    )
    assert response.status_code == 400
    assert 'value="not-an-address"' in _text(response)


# --- confirmation and submission (A-10, A-9) ------------------------------------------------------


def test_a10_confirmation_shows_everything_and_the_fee(client, staff):
    user, organization = staff
    card = _employee()
    draft, _ = _staff_draft(user, organization, card, reentry="multiple")
    attach(user, draft, name="contract.pdf")
    attach_photo(user, draft)
    page = _text(client.get(_url("confirm", draft.pk)))
    assert card.number in page and "HOUMU,TAROU" in page
    assert organization.name in page and "emp@example.jp" in page
    assert "contract.pdf" in page and "Re-entry permit (multiple)" in page
    assert "5,500" in page and "6,500" in page and "12,000" in page
    assert "Submit to the agency" in page


def test_a10_confirmation_before_the_steps_sends_to_the_step_left(client, staff):
    user, organization = staff
    draft, _ = _staff_draft(user, organization, upto="personal1")
    response = client.get(_url("confirm", draft.pk))
    assert response["Location"] == _url("step", draft.pk, "personal2")


def test_a10_submit_refusal_shown_on_the_confirmation(client, staff):
    user, organization = staff
    draft, _ = _staff_draft(user, organization)  # no documents, no photo
    page = _text(client.get(_url("confirm", draft.pk)))
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    response = client.post(_url("confirm", draft.pk), {"token": token})
    assert response.status_code == 400
    page = _text(response)
    assert "Attach the documents" in page and "face photo" in page
    draft.refresh_from_db()
    assert draft.state == S.DRAFT


def test_a9_resent_confirmation_creates_nothing_twice(client, staff):
    user, organization = staff
    draft, _ = _staff_draft(user, organization)
    attach(user, draft)
    attach_photo(user, draft)
    page = _text(client.get(_url("confirm", draft.pk)))
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    first = client.post(_url("confirm", draft.pk), {"token": token})
    second = client.post(_url("confirm", draft.pk), {"token": token})
    assert first["Location"] == second["Location"] == _url("done", draft.pk)
    application = Application.objects.get()
    assert application.state == S.SUBMITTED and application.version == 1
    assert application.versions.count() == 1
    assert application.state_changes.filter(to_state=S.SUBMITTED).count() == 1
    # The back button to the confirmation and to a step: the application, never an error.
    assert client.get(_url("confirm", draft.pk))["Location"] == _url("detail", draft.pk)
    response = client.get(_url("step", draft.pk, "step3"))
    assert response["Location"] == _url("detail", draft.pk)
    # A form re-sent from an older confirmation page (another token): still one application.
    third = client.post(_url("confirm", draft.pk), {"token": str(__import__("uuid").uuid4())})
    assert third.status_code == 302 and Application.objects.count() == 1
    assert application.versions.count() == 1


def test_a10_done_page_provisional_then_receipt_number_in_the_list(client, staff):
    user, organization = staff
    application = _submitted(user, organization)
    page = _text(client.get(_url("done", application.pk)))
    assert application.provisional_number in page
    if not application.receipt_number:
        assert "within a minute" in page
        services.receipt_number_assign(application_id=application.pk)
        application.refresh_from_db()
    assert application.receipt_number
    assert application.receipt_number in _text(client.get(_url("list")))
    assert application.receipt_number in _text(client.get(_url("done", application.pk)))


# --- drafts (A-9) ---------------------------------------------------------------------------------


def test_a9_save_draft_button_keeps_partial_input(client, staff):
    user, organization = staff
    draft, _ = _staff_draft(user, organization, upto="step1")
    response = client.post(
        _url("step", draft.pk, "personal1"),
        {"roman_name": "NGUYEN,AN", "nationality": "VNM", "action": "save"},
    )
    assert response["Location"] == _url("step", draft.pk, "personal1")
    page = _text(client.get(response["Location"]))
    assert "Draft saved at" in page
    assert 'value="NGUYEN,AN"' in page
    draft.refresh_from_db()
    assert draft.content["personal1"]["roman_name"] == "NGUYEN,AN"
    assert "personal1" not in draft.steps_done


def test_a9_save_draft_with_a_bad_value_keeps_it_and_says_so(client, staff):
    user, organization = staff
    draft, _ = _staff_draft(user, organization, upto="step1")
    response = client.post(
        _url("step", draft.pk, "personal1"),
        {"roman_name": "NGUYEN,AN", "birth_date": "1990-02-31", "action": "save"},
    )
    draft.refresh_from_db()
    assert draft.content["personal1"]["roman_name"] == "NGUYEN,AN"
    if response.status_code == 400:  # the service reported the date; the page shows it
        assert 'class="error-summary"' in _text(response)
    else:
        assert response.status_code == 302


def test_a9_back_to_previous_step_saves_and_goes_back(client, staff):
    user, organization = staff
    draft, _ = _staff_draft(user, organization, upto="personal1")
    response = client.post(
        _url("step", draft.pk, "personal2"), {"card_number": "AB12", "action": "back"}
    )
    assert response["Location"] == _url("step", draft.pk, "personal1")
    draft.refresh_from_db()
    assert draft.content["personal2"]["card_number"] == "AB12"


def test_a9_draft_survives_a_new_session_and_resumes_where_left(client, staff):
    user, organization = staff
    draft, _ = _staff_draft(user, organization, upto="personal2")
    client.logout()  # the 30-minute timeout ends the session the same way
    response = client.get(_url("step", draft.pk, "organization"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(
        reverse("accounts:login"), {"auth_id": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    page = _text(client.get(_url("list") + "?state=draft"))
    assert f'href="{_url("step", draft.pk, "organization")}"' in page
    page = _text(client.get(_url("step", draft.pk, "personal2")))
    card_number = draft.content["personal2"]["card_number"]
    assert f'value="{card_number}"' in page


def test_a9_autosave_keeps_partial_data(client, staff):
    user, organization = staff
    draft, _ = _staff_draft(user, organization, upto="step1")
    response = client.post(
        _url("autosave", draft.pk, "personal1"), {"roman_name": "TRAN", "sex": "F"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["saved"] is True and re.fullmatch(r"\d\d:\d\d", body["saved_at"])
    assert body["message"].startswith("Draft saved at")
    draft.refresh_from_db()
    assert draft.content["personal1"]["roman_name"] == "TRAN"
    assert draft.content["personal1"]["sex"] == "F"
    assert client.get(_url("autosave", draft.pk, "personal1")).status_code == 405
    assert client.post(_url("autosave", draft.pk, "nonsense"), {}).status_code == 404


def test_a9_autosave_needs_csrf(staff):
    from django.test import Client

    user, organization = staff
    draft, _ = _staff_draft(user, organization, upto="step1")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    response = strict.post(_url("autosave", draft.pk, "personal1"), {"roman_name": "TRAN"})
    assert response.status_code == 403
    draft.refresh_from_db()
    assert "roman_name" not in draft.content.get("personal1", {})
    page = _text(strict.get(_url("step", draft.pk, "personal1")))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = strict.post(
        _url("autosave", draft.pk, "personal1"),
        {"roman_name": "TRAN"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200


def test_a9_autosave_of_another_users_draft_is_404(client, staff):
    user, organization = staff
    other, other_org = make_organization_staff()
    theirs, _ = _staff_draft(other, other_org, upto="step1")
    response = client.post(_url("autosave", theirs.pk, "personal1"), {"roman_name": "X"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert "personal1" not in theirs.content
    missing = client.post(_url("autosave", 999999, "personal1"), {"roman_name": "X"})
    assert missing.status_code == 404


def test_a9_autosave_script_is_static_no_inline_script(client, staff):
    user, organization = staff
    draft, _ = _staff_draft(user, organization, upto="step1")
    page = _text(client.get(_url("step", draft.pk, "personal1")))
    assert "applications/autosave.js" in page
    assert f'data-autosave-url="{_url("autosave", draft.pk, "personal1")}"' in page
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None
    assert 'name="action" value="save"' in page  # works without JavaScript


# --- the list, the content page and the files (A-11, A-7, A-16) -----------------------------------


def test_a11_list_searches_by_every_state(client, staff):
    user, organization = staff
    made = {}
    for state in S.values:
        draft, _ = _staff_draft(user, organization, upto="step1")
        Application.objects.filter(pk=draft.pk).update(state=state)
        made[state] = draft.pk
    page = _text(client.get(_url("list")))
    for state, label in S.choices:
        assert f'<option value="{state}"' in page
        assert str(label) in page
    for state, pk in made.items():
        page = _text(client.get(_url("list") + f"?state={state}"))
        shown = {int(n) for n in re.findall(r'data-application="(\d+)"', page)}
        assert shown == {pk}, state
    page = _text(client.get(_url("list") + "?state=nonsense"))
    assert len(re.findall(r'data-application="(\d+)"', page)) == len(S.values)


def test_a11_list_shows_colleagues_applications_not_others(client, staff):
    user, organization = staff
    colleague, _ = make_organization_staff(organization)
    stranger, stranger_org = make_organization_staff()
    mine, _ = _staff_draft(user, organization, upto="step1")
    theirs, _ = _staff_draft(colleague, organization, upto="step1")
    foreign, _ = _staff_draft(stranger, stranger_org, upto="step1")
    page = _text(client.get(_url("list")))
    shown = {int(n) for n in re.findall(r'data-application="(\d+)"', page)}
    assert shown == {mine.pk, theirs.pk}
    assert f"Filed by {colleague.username}" in page
    # A colleague's draft is seen, not changed: only its filer continues it.
    assert f'href="{_url("step", theirs.pk, "personal1")}"' not in page
    assert client.get(_url("step", theirs.pk, "personal1")).status_code == 404
    assert client.get(_url("detail", foreign.pk)).status_code == 404


def test_a11_detail_has_full_content_documents_photo_and_timeline(client, staff):
    user, organization = staff
    application = _submitted(user, organization)
    page = _text(client.get(_url("detail", application.pk)))
    assert application.provisional_number in page
    assert application.applicant_card.number in page
    assert organization.name in page and "emp@example.jp" in page
    assert "contract.pdf" in page
    assert f'src="{_url("photo", application.pk)}"' in page and "Check photo" in page
    timeline = page[page.index("Timeline") :]
    assert "State: Entered (not yet submitted)" in timeline
    assert "State: Submitted" in timeline
    assert "Document attached: contract.pdf" in timeline


def test_a11_files_served_with_disposition_and_no_store(client, staff):
    user, organization = staff
    application = _submitted(user, organization)
    document = application.documents.get()
    response = client.get(_url("document", application.pk, document.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "contract.pdf" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    photo = client.get(_url("photo", application.pk))
    assert photo["Content-Disposition"].startswith("inline;")
    assert "no-store" in photo["Cache-Control"]
    # Another application's document id through this application: 404 like a missing one.
    other, _ = _staff_draft(user, organization, upto="step1")
    assert client.get(_url("document", other.pk, document.pk)).status_code == 404
    assert client.get(_url("photo", other.pk)).status_code == 404
    assert client.get(_url("document", application.pk, 999999)).status_code == 404


def test_a16_receipt_pdf_for_a_submitted_application(client, staff):
    user, organization = staff
    application = _submitted(user, organization)
    response = client.get(_url("receipt", application.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment;" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    draft, _ = _staff_draft(user, organization, upto="step1")
    assert client.get(_url("receipt", draft.pk)).status_code == 404


# --- after submission (A-12, A-8) -----------------------------------------------------------------


def test_a12_amend_content_makes_a_new_version_in_the_timeline(client, staff):
    user, organization = staff
    application = _submitted(user, organization)
    page = _text(client.get(_url("detail", application.pk)))
    assert _url("amend", application.pk) in page
    response = client.post(
        _url("amend_step", application.pk, "step3"),
        {"receipt_method": "counter", "applicant_email": "new@example.jp", "note": "new mail"},
    )
    assert response["Location"] == _url("detail", application.pk)
    application.refresh_from_db()
    assert application.version == 2 and application.applicant_email == "new@example.jp"
    assert application.versions.count() == 2
    assert application.versions.get(number=1).content["step3"]["applicant_email"] == (
        "emp@example.jp"
    )
    page = _text(client.get(_url("detail", application.pk)))
    assert "Amended: version 2" in page and "new mail" in page
    response = client.post(
        _url("amend_step", application.pk, "step3"),
        {"receipt_method": "counter", "applicant_email": "", "note": ""},
    )
    assert response.status_code == 400
    assert 'class="error-summary"' in _text(response)


def test_a12_wrong_attachment_removed_and_replaced_as_a_version(client, staff):
    user, organization = staff
    application = _submitted(user, organization)
    wrong = application.documents.get()
    response = client.post(
        _url("document_add", application.pk),
        {"kind": "employment", "file": f.upload(f.good_pdf(), "right.pdf")},
    )
    assert response["Location"] == _url("amend", application.pk)
    response = client.post(_url("document_remove", application.pk, wrong.pk))
    assert response["Location"] == _url("amend", application.pk)
    response = client.post(_url("amend", application.pk), {"note": "contract replaced"})
    assert response["Location"] == _url("detail", application.pk)
    application.refresh_from_db()
    assert application.version == 2
    names = [d["name"] for d in application.versions.get(number=2).documents]
    assert names == ["right.pdf"]
    wrong.refresh_from_db()
    assert wrong.version_removed is not None  # kept for version 1
    page = _text(client.get(_url("detail", application.pk)))
    assert "Removed documents" in page and "contract.pdf" in page


def test_a12_no_amendment_once_examination_opened(client, staff):
    user, organization = staff
    application = _submitted(user, organization)
    services.transition(application, to=S.EXAMINING)
    response = client.get(_url("amend", application.pk))
    assert response["Location"] == _url("detail", application.pk)
    response = client.post(
        _url("document_add", application.pk),
        {"kind": "other", "file": f.upload(f.good_pdf(), "late.pdf")},
    )
    assert response.status_code == 404
    page = _text(client.get(_url("detail", application.pk), follow=True))
    assert _url("amend", application.pk) not in page


def test_a12_withdrawal_request(client, staff):
    user, organization = staff
    application = _submitted(user, organization)
    response = client.post(_url("withdraw", application.pk), {"reason": ""})
    assert response.status_code == 400
    assert "Reason for the withdrawal is empty" in _text(response)
    response = client.post(_url("withdraw", application.pk), {"reason": "帰国することになった"})
    assert response["Location"] == _url("detail", application.pk)
    application.refresh_from_db()
    assert application.withdrawal_requested_at is not None
    assert application.state == S.SUBMITTED  # the officer decides
    page = _text(client.get(_url("detail", application.pk)))
    assert "Withdrawal requested" in page
    assert _url("withdraw", application.pk) not in page
    again = client.get(_url("withdraw", application.pk))
    assert again["Location"] == _url("detail", application.pk)


def test_a8_receipt_method_change_while_submitted_or_examining(client, staff):
    user, organization = staff
    application = _submitted(user, organization)
    page = _text(client.get(_url("receipt_method", application.pk)))
    assert 'value="counter"' in page and 'value="post"' in page
    response = client.post(_url("receipt_method", application.pk), {"receipt_method": "email"})
    assert response.status_code == 400
    response = client.post(_url("receipt_method", application.pk), {"receipt_method": "counter"})
    assert response["Location"] == _url("detail", application.pk)
    application.refresh_from_db()
    assert application.receipt_method == "counter"
    services.transition(application, to=S.EXAMINING)
    services.transition(application, to=S.DENIED)
    response = client.get(_url("receipt_method", application.pk))
    assert response["Location"] == _url("detail", application.pk)


# --- hand-over (A-17) -----------------------------------------------------------------------------


def test_a17_draft_handed_to_a_colleague(client, staff):
    user, organization = staff
    colleague, _ = make_organization_staff(organization)
    stranger, _ = make_organization_staff()
    draft, _ = _staff_draft(user, organization, upto="organization")
    page = _text(client.get(_url("handover", draft.pk)))
    assert colleague.username in page and stranger.username not in page
    response = client.post(_url("handover", draft.pk), {"to_user": str(stranger.pk)})
    assert response.status_code == 400
    response = client.post(_url("handover", draft.pk), {"to_user": ""})
    assert response.status_code == 400
    assert "Hand the draft to: choose one from the list." in _text(response)
    response = client.post(_url("handover", draft.pk), {"to_user": str(colleague.pk)})
    assert response["Location"] == _url("list")
    draft.refresh_from_db()
    assert draft.filer_id == colleague.pk
    assert client.get(_url("step", draft.pk, "step3")).status_code == 404
    client.force_login(colleague)
    page = _text(client.get(_url("list")))
    assert f'href="{_url("step", draft.pk, "step3")}"' in page
    assert "handed over" in _text(client.get(_url("detail", draft.pk)))


def test_a17_draft_handed_to_a_lawyer_by_auth_id(client, staff):
    from .factories import make_lawyer

    user, organization = staff
    lawyer = make_lawyer()
    draft, _ = _staff_draft(user, organization, upto="organization")
    response = client.post(_url("handover", draft.pk), {"lawyer_auth_id": "nobody-here"})
    assert response.status_code == 400
    assert "No lawyer or gyoseishoshi uses this auth ID" in _text(response)
    response = client.post(_url("handover", draft.pk), {"lawyer_auth_id": lawyer.username})
    assert response["Location"] == _url("list")
    draft.refresh_from_db()
    assert draft.filer_id == lawyer.pk
    assert client.get(_url("detail", draft.pk)).status_code == 404


# --- menu -----------------------------------------------------------------------------------------


def test_a11_home_links_to_the_applications(client, staff):
    page = _text(client.get(reverse("accounts:home")))
    assert f'href="{_url("list")}"' in page


# --- refusals at STEP1 (A-1, A-2, A-4, A-5) -------------------------------------------------------


def test_a2_refusal_at_step1_says_who_can_file_instead(client):
    user, card = resident()
    client.force_login(user)
    response = _start(client, procedure="coe")
    assert response.status_code == 400
    page = _text(response)
    assert "Users of your category cannot file this procedure online" in page
    assert "at the counter of a regional immigration services bureau" in page
    assert Application.objects.count() == 0


def test_a4_address_outside_the_allowed_ranges_refused(client, staff, settings):
    settings.ZAIRYU_SERVICE_A_ALLOWED_NETWORKS = ["203.0.113.0/24"]
    response = _start(client)
    assert response.status_code == 400
    assert "cannot be made from outside Japan" in _text(response)
    response = client.post(
        _url("start"),
        {"procedure": "extension", "status": "engineer_humanities_international"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302


def test_a5_foreign_national_led_to_the_existing_draft_at_step1(client):
    user, card = resident()
    client.force_login(user)
    first = _draft_id(_start(client, status=card.status_id))
    response = _start(client, status=card.status_id)
    assert response.status_code == 400
    page = _text(response)
    assert "already have an unsubmitted application" in page
    assert f'href="{_url("step", first, "personal1")}"' in page
    assert Application.objects.count() == 1


def test_a3_changing_step1_of_a_draft_asks_the_later_steps_again(client, staff):
    user, organization = staff
    draft, card = _staff_draft(user, organization, upto="personal2")
    page = _text(client.get(_url("step", draft.pk, "step1")))
    assert 'value="extension"' in page and "checked" in page
    response = client.post(
        _url("step", draft.pk, "step1"),
        {
            "procedure": "extension",
            "status": card.status_id,
            "period_requested": "P3Y",
            "reentry": "single",
            "action": "next",
        },
    )
    assert response["Location"] == _url("step", draft.pk, "personal1")
    draft.refresh_from_db()
    assert draft.reentry == "single" and draft.period_requested == "P3Y"
    assert draft.steps_done == ["step1"]
    page = _text(client.get(_url("list")))
    assert f'href="{_url("step", draft.pk, "personal1")}"' in page


def test_a12_amendment_cannot_change_the_applicant(client, staff):
    user, organization = staff
    application = _submitted(user, organization)
    other = _employee()
    response = client.post(
        _url("amend_step", application.pk, "personal2"), {**personal2_for(other), "note": ""}
    )
    assert response.status_code == 400
    application.refresh_from_db()
    assert application.version == 1 and application.applicant_card.number != other.number


def test_a11_list_pages_keep_the_search(client, staff):
    user, organization = staff
    for _ in range(22):
        _staff_draft(user, organization, upto="step1")
    page = _text(client.get(_url("list") + "?state=draft"))
    assert "Page 1 of 2" in page
    assert "?state=draft&amp;page=2" in page
    page = _text(client.get(_url("list") + "?state=draft&page=2"))
    assert len(re.findall(r'data-application="(\d+)"', page)) == 2


def test_a2_coe_recipient_told_why_it_cannot_file(client):
    from .factories import make_coe_recipient

    client.force_login(make_coe_recipient())
    for url in (_url("list"), _url("start")):
        response = client.get(url)
        assert response.status_code == 403
        assert "only receives electronic Certificates of Eligibility" in _text(response)


def test_a9_step1_of_a_draft_is_not_autosaved(client, staff):
    user, organization = staff
    draft, _ = _staff_draft(user, organization, upto="personal1")
    page = _text(client.get(_url("step", draft.pk, "step1")))
    assert "data-autosave-url" not in page
    page = _text(client.get(_url("step", draft.pk, "personal2")))
    assert "data-autosave-url" in page


def test_a13_fee_slip_linked_once_approved_with_a_fee(client, staff):
    user, organization = staff
    application = _submitted(user, organization)
    slip = reverse("coe:fee_slip", args=[application.pk])
    assert slip not in _text(client.get(_url("detail", application.pk)))
    Application.objects.filter(pk=application.pk).update(decision="approved", fee_amount=5500)
    assert slip in _text(client.get(_url("detail", application.pk)))
