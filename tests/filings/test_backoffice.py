"""BO-4 over HTTP: the registration-error queue, the filings search, withdrawals; scoped to the
officer's bureau (BO-1, SEC-1) and audited (SEC-6)."""

import uuid

import pytest
from django.urls import reverse

from tests.backoffice.conftest import verify_second_factor
from zairyu.audit.models import AuditEvent
from zairyu.cards.services import card_invalidate
from zairyu.filings import services
from zairyu.filings.models import Filing, FilingState
from zairyu.mail.models import Mail
from zairyu.reference.models import NotificationEvent

from .factories import days_ago, make_officer, make_resident


def sign_in(client, officer):
    client.force_login(officer)
    verify_second_factor(client, officer)
    return client


def file_contract_end(user, **items):
    return services.filing_submit_resident(
        user=user,
        event=NotificationEvent.objects.get(pk="con_contract_end"),
        items={
            "event_date": days_ago(2),
            "org_name": "株式会社法務商事",
            "org_address": "東京都千代田区",
            **items,
        },
        token=uuid.uuid4(),
    )


@pytest.fixture
def error_filing(engineer):
    user, card = engineer
    filing = file_contract_end(user)
    card_invalidate(actor=None, card=card, reason="reissued")
    services.filing_register(filing_id=filing.pk)
    filing.refresh_from_db()
    assert filing.state == FilingState.ERROR
    return filing


def test_bo4_error_queue_lists_errors_of_the_bureau_and_is_audited(client, officer, error_filing):
    osaka_user, osaka_card = make_resident(prefecture_id="27", municipality_id="27128")
    osaka_filing = file_contract_end(osaka_user)
    card_invalidate(actor=None, card=osaka_card, reason="reissued")
    services.filing_register(filing_id=osaka_filing.pk)
    sign_in(client, officer)  # Tokyo
    page = client.get(reverse("backoffice:filing_errors"))
    html = page.content.decode()
    assert page.status_code == 200
    assert error_filing.number in html and osaka_filing.number not in html
    listed = AuditEvent.objects.get(action="filings.filing.listed")
    assert listed.after["filings"] == [error_filing.pk]
    assert listed.actor_id == str(officer.pk)


def test_bo4_detail_is_audited_and_scoped(client, officer, error_filing):
    sign_in(client, officer)
    page = client.get(reverse("backoffice:filing_detail", args=[error_filing.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "do not match a valid card" in html  # the error detail
    assert AuditEvent.objects.filter(
        action="filings.filing.viewed", object_id=str(error_filing.pk)
    ).exists()
    osaka = make_officer(bureau_id="osaka")
    sign_in(client, osaka)
    missing = client.get(reverse("backoffice:filing_detail", args=[error_filing.pk + 999]))
    forbidden = client.get(reverse("backoffice:filing_detail", args=[error_filing.pk]))
    assert missing.status_code == forbidden.status_code == 404
    response = client.post(
        reverse("backoffice:filing_withdraw", args=[error_filing.pk]), {"reason": "x"}
    )
    assert response.status_code == 404


def test_bo4_retry_fails_again_while_the_registry_disagrees(
    client, officer, error_filing, django_capture_on_commit_callbacks
):
    sign_in(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("backoffice:filing_retry", args=[error_filing.pk]))
    assert response.status_code == 302
    error_filing.refresh_from_db()
    assert error_filing.state == FilingState.ERROR
    assert [c.to_state for c in error_filing.changes.all()] == [
        "registering",
        "error",
        "registering",
        "error",
    ]
    assert AuditEvent.objects.filter(
        action="filings.filing.registering", actor_id=str(officer.pk)
    ).exists()


def test_bo4_system_error_after_repeated_failures_then_retry_registers(
    client, officer, engineer, django_capture_on_commit_callbacks
):
    user, _ = engineer
    filing = file_contract_end(user)
    # Registration kept failing for a reason of the system (the worker died each time).
    Filing.objects.filter(pk=filing.pk).update(attempts=services.MAX_REGISTRATION_ATTEMPTS)
    services.filing_register(filing_id=filing.pk)
    filing.refresh_from_db()
    assert (filing.state, filing.error_code) == (FilingState.ERROR, "system_error")
    sign_in(client, officer)
    assert filing.number in client.get(reverse("backoffice:filing_errors")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("backoffice:filing_retry", args=[filing.pk]))
    filing.refresh_from_db()
    assert filing.state == FilingState.REGISTERED and filing.error_code == ""
    assert Mail.objects.filter(template="filing_registered", to_address=user.email).exists()


def test_bo4_review_takes_the_error_out_of_the_queue(client, officer, error_filing):
    sign_in(client, officer)
    response = client.post(
        reverse("backoffice:filing_review", args=[error_filing.pk]), {"note": "本人に連絡"}
    )
    assert response["Location"] == reverse("backoffice:filing_errors")
    queue = client.get(reverse("backoffice:filing_errors")).content.decode()
    assert reverse("backoffice:filing_detail", args=[error_filing.pk]) not in queue
    error_filing.refresh_from_db()
    assert error_filing.reviewed_by == officer and error_filing.review_note == "本人に連絡"


def test_bo4_withdrawal_needs_a_reason_and_is_audited(client, officer, engineer):
    user, _ = engineer
    filing = file_contract_end(user)
    services.filing_register(filing_id=filing.pk)
    sign_in(client, officer)
    url = reverse("backoffice:filing_withdraw", args=[filing.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "bo-error-summary" in html and "Reason for the withdrawal" in html
    response = client.post(url, {"reason": "窓口で本人から取下げの申出（001 Q74）"})
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.state == FilingState.WITHDRAWN
    audit = AuditEvent.objects.get(action="filings.filing.withdrawn")
    assert audit.actor_id == str(officer.pk) and "Q74" in audit.after["reason"]
    assert Mail.objects.filter(template="filing_withdrawn", to_address=user.email).exists()
    withdrawals = client.get(reverse("backoffice:filing_withdrawals")).content.decode()
    assert filing.number in withdrawals and "Q74" in withdrawals
    # The resident sees the new state and the reason in the timeline.
    client.force_login(user)
    detail = client.get(reverse("filings:detail", args=[filing.pk])).content.decode()
    assert "Withdrawn" in detail and "Q74" in detail


def test_bo4_search_by_card_number_and_state(client, officer, engineer, spouse):
    user, card = engineer
    filing = file_contract_end(user)
    other = services.filing_submit_resident(
        user=spouse[0],
        event=NotificationEvent.objects.get(pk="sp_divorce"),
        items={"event_date": days_ago(1)},
        token=uuid.uuid4(),
    )
    sign_in(client, officer)
    response = client.post(reverse("backoffice:filing_search"), {"card_number": card.number})
    assert response.status_code == 302 and card.number not in response["Location"]
    html = client.get(reverse("backoffice:filing_search")).content.decode()
    assert filing.number in html and other.number not in html
    client.post(reverse("backoffice:filing_search"), {"number": other.number})
    html = client.get(reverse("backoffice:filing_search")).content.decode()
    assert other.number in html and filing.number not in html
    client.post(reverse("backoffice:filing_search"), {"state": "registering"})
    html = client.get(reverse("backoffice:filing_search")).content.decode()
    assert other.number in html and filing.number in html
    response = client.post(reverse("backoffice:filing_search"), {})
    assert response.status_code == 400
    assert "at least one criterion" in response.content.decode()


def test_bo4_pages_need_an_officer(client, engineer):
    url = reverse("backoffice:filing_errors")
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(engineer[0])
    assert client.get(url).status_code == 403
    filing = file_contract_end(engineer[0])
    assert client.get(reverse("backoffice:filing_detail", args=[filing.pk])).status_code == 403


def test_bo4_nav_link(client, officer):
    sign_in(client, officer)
    html = client.get(reverse("backoffice:card_search")).content.decode()
    assert reverse("backoffice:filing_errors") in html
    assert Filing.objects.count() == 0
