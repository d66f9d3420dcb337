"""Issue 17: the mail sweeper wakes a mail only when nothing has been published for it lately.

A mail queued with its wake-up (``woken_at`` set with the row) is not woken again by the next
sweep — before, every sweep re-published every queued mail, so a backlog of mails grew by up to
1,000 duplicates every 30 s. A mail waiting for a retry or for its ``send_at`` has had no
wake-up (``woken_at`` empty): the sweeper wakes it as soon as it is due. Mails have a queue of
their own (``mail``), swept there.
"""

import datetime as dt

import pytest
from django.db import transaction

from zairyu.celery import app
from zairyu.core import clock
from zairyu.core.work import run_sweepers
from zairyu.mail.models import Mail
from zairyu.mail.services import mail_queue, mail_sweep
from zairyu.mail.tasks import send_mail_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def woken(monkeypatch) -> list[int]:
    published: list[int] = []
    monkeypatch.setattr(send_mail_task, "delay", published.append)
    return published


def queued(**options) -> Mail:
    with transaction.atomic():  # the test's transaction: the on-commit wake-up stays "queued"
        return mail_queue(template="mail_check", to="a@example.jp", language="en", **options)


def test_issue17_a_queued_mail_is_not_woken_again_until_the_grace_has_passed(woken, settings):
    mail = queued()
    assert mail.woken_at == mail.created_at  # woken with its commit
    grace = dt.timedelta(seconds=settings.ZAIRYU_WAKE_GRACE_SECONDS)
    assert mail_sweep() == 0  # its wake-up is queued
    with clock.travel(grace - dt.timedelta(seconds=1)):
        assert mail_sweep() == 0
    with clock.travel(grace + dt.timedelta(seconds=1)):
        assert mail_sweep() == 1  # lost: woken again
        assert mail_sweep() == 0  # a sweep right after a sweep wakes nothing
    with clock.travel(2 * grace + dt.timedelta(seconds=2)):
        assert mail_sweep() == 1
    assert woken == [mail.pk, mail.pk]


def test_issue17_a_held_mail_is_woken_when_due_and_a_claimed_one_never(woken):
    held = queued(send_at=clock.now() + dt.timedelta(hours=1))
    assert held.woken_at is None  # nothing published for it yet
    assert mail_sweep() == 0  # not due
    with clock.travel(dt.timedelta(hours=1)):
        assert mail_sweep() == 1  # due: woken at once, no grace to wait
        assert mail_sweep() == 0
    Mail.objects.filter(pk=held.pk).update(state=Mail.State.SENT)
    sending = queued()
    Mail.objects.filter(pk=sending.pk).update(
        state=Mail.State.SENDING, leased_until=clock.now() + dt.timedelta(hours=3), attempts=1
    )
    with clock.travel(dt.timedelta(hours=2)):
        assert mail_sweep() == 0  # a worker holds it
    assert woken == [held.pk]


def test_issue17_a_failed_attempt_clears_the_wake_up_so_the_retry_is_not_delayed(
    smtp_server, woken
):
    smtp_server.stop()
    mail = queued()
    from zairyu.mail.services import mail_send

    assert mail_send(mail_id=mail.pk) is False  # the SMTP server is down: a retry is due later
    mail.refresh_from_db()
    assert (mail.state, mail.woken_at) == (Mail.State.QUEUED, None)
    with clock.travel(mail.next_attempt_at - clock.now() + dt.timedelta(seconds=1)):
        assert mail_sweep() == 1  # due: woken, although its first wake-up is recent
    assert woken == [mail.pk]


def test_issue17_mails_and_their_sweep_run_on_the_mail_queue(woken):
    assert app.amqp.router.route({}, "zairyu.mail.send")["queue"].name == "mail"
    queued(send_at=clock.now())
    Mail.objects.update(woken_at=None)
    assert run_sweepers("mail") == {"mail": 1}
    assert "mail" not in run_sweepers("urgent") and "mail" not in run_sweepers("celery")
