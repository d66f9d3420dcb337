"""Seed 002 rules added by the conformance audit, used the way an officer does: over HTTP on the
back office's application page (002 Q4-33 withdraw only an add-on, Q5-7 replace a wrong photo,
Q5-1 (3) a card moved to the counter at issuance)."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.backoffice.conftest import verify_second_factor
from zairyu.applications import officer
from zairyu.applications.models import Application, ApplicationState
from zairyu.core import clock

from .factories import make_foreign_national
from .officer_fixtures import make_submitted, officer_of

S = ApplicationState


def url(name, *args):
    return reverse(f"bo_applications:{name}", args=args)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def tokyo(client):
    user = officer_of("tokyo")
    client.force_login(user)
    verify_second_factor(client, user)
    return user


def test_a12_q4_33_officer_withdraws_only_the_reentry_permit_on_the_page(client, tokyo):
    application = make_submitted(procedure="extension", reentry="single")
    page = client.get(url("detail", application.pk)).content.decode()
    assert "Withdraw only the re-entry permit or other-activity permission" in page

    empty = client.post(
        url("act", application.pk, "withdraw_add_on"),
        {"withdraw_add_on-add_on": "reentry", "withdraw_add_on-note": ""},
    )
    assert empty.status_code == 400
    assert Application.objects.get(pk=application.pk).reentry == "single"

    done = client.post(
        url("act", application.pk, "withdraw_add_on"),
        {"withdraw_add_on-add_on": "reentry", "withdraw_add_on-note": "電話で申出"},
    )
    assert done.status_code == 302
    application.refresh_from_db()
    assert application.reentry == "" and application.state == S.SUBMITTED
    page = client.get(url("detail", application.pk)).content.decode()
    assert "Withdraw only the re-entry permit" not in page  # nothing left to withdraw


def test_a7_q5_7_officer_opens_photo_replacement_on_the_page(client, tokyo):
    application = make_submitted(procedure="extension")
    officer.examination_open(officer=tokyo, application=application)
    assert "Let the filer replace a wrong photo" in (
        client.get(url("detail", application.pk)).content.decode()
    )
    response = client.post(
        url("act", application.pk, "photo_replacement"), {"photo_replacement-note": "別人"}
    )
    assert response.status_code == 302
    assert Application.objects.get(pk=application.pk).photo_replacement_open
    again = client.post(url("act", application.pk, "photo_replacement"), {})
    assert again.status_code == 400 and "already open" in again.content.decode()


def test_a8_q5_1_issuance_by_post_refused_then_moved_to_the_counter_on_the_page(client, tokyo):
    today = clock.today()
    birth = today.replace(year=today.year - 16) + dt.timedelta(days=7 * 31)
    filer, card = make_foreign_national(
        birth_date=birth, card_valid_until=birth.replace(year=birth.year + 16)
    )
    application = make_submitted(filer=filer, card=card, receipt_method="post")
    officer.examination_open(officer=tokyo, application=application)
    officer.application_approve(
        officer=tokyo,
        application=application,
        period_granted="P1Y",
        stay_until_granted=today + dt.timedelta(days=365),
    )
    with clock.travel(dt.timedelta(days=40)):
        officer.papers_received(officer=tokyo, application=application)
        refused = client.post(
            url("act", application.pk, "issue"), {"issue-card_number": "PG12345678QQ"}
        )
        assert refused.status_code == 400 and "turns 16 within six months" in (
            refused.content.decode()
        )
        moved = client.post(
            url("act", application.pk, "receipt_method"),
            {"receipt_method-method": "counter", "receipt_method-note": ""},
        )
        assert moved.status_code == 302
    application.refresh_from_db()
    assert application.state == S.COMPLETED and application.receipt_method == "counter"
