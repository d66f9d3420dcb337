"""BO-9: the mail log — states, attempts, last error; addresses masked except for
administrators; found by state or by the caller's address (002 Q2-6); failed mails re-queued
by administrators only (audited)."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.backoffice.roles import make_mail, sign_in_as
from zairyu.audit.models import AuditEvent
from zairyu.backoffice.maillog_views import mask_address, mask_text
from zairyu.core import clock
from zairyu.mail.models import Mail, MailAttempt

pytestmark = pytest.mark.django_db

LIST = reverse("backoffice:maillog")


def detail(mail):
    return reverse("backoffice:maillog_detail", args=[mail.pk])


def requeue(mail):
    return reverse("backoffice:maillog_requeue", args=[mail.pk])


@pytest.fixture
def mails():
    now = clock.now()
    sent = make_mail(to="taro@example.com", state="sent", attempts=1, template="id_completed")
    MailAttempt.objects.create(mail=sent, at=now, succeeded=True)
    failed = make_mail(
        to="hanako@example.jp",
        state="failed",
        attempts=2,
        template="password_set",
        last_error="SMTPRecipientsRefused: {'hanako@example.jp': (550, b'User unknown')}",
    )
    MailAttempt.objects.create(
        mail=failed, at=now, succeeded=False, error="ConnectionRefusedError: [Errno 111]"
    )
    MailAttempt.objects.create(
        mail=failed,
        at=now,
        succeeded=False,
        error="SMTPRecipientsRefused: {'hanako@example.jp': (550, b'User unknown')}",
    )
    retrying = make_mail(
        to="jiro@example.com",
        state="queued",
        attempts=1,
        last_error="timed out",
        next_attempt_at=now + dt.timedelta(minutes=5),
    )
    held = make_mail(
        to="taro@example.com",
        state="queued",
        attempts=0,
        template="org_registered",
        next_attempt_at=now + dt.timedelta(days=1),
    )
    return {"sent": sent, "failed": failed, "retrying": retrying, "held": held}


def filter_by(client, state="", recipient=""):
    response = client.post(LIST, {"state": state, "recipient": recipient})
    assert response.status_code == 302 and response["Location"] == LIST
    return client.get(LIST)


def listed(response, mails):
    html = response.content.decode()
    return {name for name, mail in mails.items() if f'href="{detail(mail)}"' in html}


def test_bo9_mask():
    assert mask_address("taro@example.com") == "t***@example.com"
    assert mask_address("nodomain") == "***"
    assert mask_text("550 <hanako@example.jp>: unknown; cc a.b+c@x.co.jp") == (
        "550 <h***@example.jp>: unknown; cc a***@x.co.jp"
    )


def test_bo9_list_shows_states_attempts_and_errors_masked_for_helpdesk(client, mails):
    sign_in_as(client, "helpdesk")
    response = client.get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert listed(response, mails) == set(mails)
    for state in ("Sent", "Failed", "Queued"):
        assert state in html
    assert "held until" in html and "next try" in html
    assert "t***@example.com" in html and "h***@example.jp" in html
    for address in ("taro@example.com", "hanako@example.jp", "jiro@example.com"):
        assert address not in html
    assert "id_completed" in html and "password_set" in html
    listed_event = AuditEvent.objects.get(action="mail.listed")
    assert set(listed_event.after["mails"]) == {mail.pk for mail in mails.values()}


def test_bo9_filter_by_state(client, mails):
    sign_in_as(client, "helpdesk")
    assert listed(filter_by(client, state="failed"), mails) == {"failed"}
    assert listed(filter_by(client, state="queued"), mails) == {"retrying", "held"}
    response = client.post(LIST, {"state": "held", "recipient": ""})
    assert response.status_code == 200
    assert "State: choose one of the options in the list." in response.content.decode()


def test_bo9_helpdesk_finds_a_callers_mails_by_the_whole_address_only(client, mails):
    sign_in_as(client, "helpdesk")
    page = filter_by(client, recipient="TARO@example.com")
    assert listed(page, mails) == {"sent", "held"}
    assert page.request["QUERY_STRING"] == ""
    assert AuditEvent.objects.filter(action="mail.listed").latest("id").after["criteria"] == {
        "state": "",
        "recipient": "TARO@example.com",
    }
    response = client.post(LIST, {"state": "", "recipient": "example.com"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_recipient_error"' in html and "is not a whole address" in html


def test_bo9_administrator_sees_full_addresses_and_searches_by_part(client, mails):
    sign_in_as(client, "administrator")
    page = filter_by(client, recipient="example.com")
    html = page.content.decode()
    assert listed(page, mails) == {"sent", "retrying", "held"}
    assert "taro@example.com" in html and "jiro@example.com" in html


def test_bo9_detail_lists_every_attempt_masked_for_helpdesk_and_never_the_body(client, mails):
    sign_in_as(client, "helpdesk")
    response = client.get(detail(mails["failed"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "ConnectionRefusedError" in html and "User unknown" in html
    assert html.count("Failed") >= 3  # the state and both attempts
    assert "hanako@example.jp" not in html and "h***@example.jp" in html
    assert "secret-id-123" not in html
    assert "Send this mail again" not in html
    assert AuditEvent.objects.filter(action="mail.viewed", object_id=str(mails["failed"].pk))


def test_bo9_administrator_detail_shows_address_subject_and_requeue(client, mails):
    sign_in_as(client, "administrator")
    html = client.get(detail(mails["failed"])).content.decode()
    assert "hanako@example.jp" in html and "Registration completed" in html
    assert "secret-id-123" not in html
    assert "Send this mail again" in html
    assert "Send this mail again" not in client.get(detail(mails["sent"])).content.decode()


def test_bo9_administrator_requeues_a_failed_mail_audited(client, mails):
    admin = sign_in_as(client, "administrator")
    mail = mails["failed"]
    response = client.post(requeue(mail))
    assert response.status_code == 302 and response["Location"] == detail(mail)
    mail.refresh_from_db()
    assert mail.state == Mail.State.QUEUED and mail.attempts == 0 and mail.last_error == ""
    event = AuditEvent.objects.get(action="mail.requeued")
    assert event.object_id == str(mail.pk) and event.actor_id == str(admin.pk)
    assert event.before == {"state": "failed"} and event.after == {"state": "queued"}
    # The attempts made before stay in the log.
    assert mail.attempt_log.count() == 2


def test_bo9_only_failed_mails_are_requeued(client, mails):
    sign_in_as(client, "administrator")
    for name in ("sent", "retrying", "held"):
        response = client.post(requeue(mails[name]), follow=True)
        assert "Only a failed mail can be queued again" in response.content.decode()
    assert Mail.objects.get(pk=mails["sent"].pk).state == Mail.State.SENT
    assert not AuditEvent.objects.filter(action="mail.requeued").exists()


@pytest.mark.parametrize("role", ["helpdesk", "supervisor", "officer", "resident"])
def test_bo9_sec1_requeue_is_for_administrators_only(client, mails, role):
    sign_in_as(client, role)
    assert client.post(requeue(mails["failed"])).status_code == 403
    assert Mail.objects.get(pk=mails["failed"].pk).state == Mail.State.FAILED
    assert not AuditEvent.objects.filter(action="mail.requeued").exists()


def test_bo9_supervisor_sees_masked_addresses(client, mails):
    sign_in_as(client, "supervisor")
    html = client.get(LIST).content.decode()
    assert "t***@example.com" in html and "taro@example.com" not in html


def test_bo9_requeue_needs_post_and_missing_mail_is_404(client, mails):
    sign_in_as(client, "administrator")
    assert client.get(requeue(mails["failed"])).status_code == 405
    assert client.post(reverse("backoffice:maillog_requeue", args=[999999])).status_code == 404
    assert client.get(reverse("backoffice:maillog_detail", args=[999999])).status_code == 404


def test_bo9_sec1_officer_has_no_mail_log(client, mails):
    sign_in_as(client, "officer")
    assert client.get(LIST).status_code == 403
    assert client.get(detail(mails["sent"])).status_code == 403
