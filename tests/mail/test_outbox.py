"""ML-2: mails are written in the caller's transaction and sent after commit, with retries."""

import datetime as dt
import email
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

import zairyu
from zairyu.core import clock
from zairyu.core.work import run_sweepers
from zairyu.mail.models import Mail
from zairyu.mail.services import mail_queue, mail_render, mail_send, retry_delay

pytestmark = pytest.mark.django_db(transaction=True)


def queue_check_mail(to="resident@example.jp", language="ja") -> Mail:
    with transaction.atomic():
        return mail_queue(
            template="mail_check", to=to, language=language, context={"requested_by": "test"}
        )


def test_ml2_mail_is_delivered_by_smtp_after_commit(smtp_server):
    mail = queue_check_mail()
    mail.refresh_from_db()
    assert mail.state == Mail.State.SENT
    assert mail.attempts == 1
    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == ["resident@example.jp"]
    message = email.message_from_bytes(envelope.content)
    assert message["Message-ID"] == mail.message_id
    assert "no-reply@" in message["From"]  # ML-1 (001 Q58): from an address taking no replies
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject == "【在留手続オンライン】メール送信確認"


def test_ml2_rolled_back_transaction_sends_nothing(smtp_server):
    with pytest.raises(RuntimeError), transaction.atomic():
        mail_queue(template="mail_check", to="a@example.jp", language="en", context={})
        raise RuntimeError("the change that caused the mail failed")
    assert Mail.objects.count() == 0
    run_sweepers()
    assert smtp_server.messages == []


def test_ml2_smtp_outage_loses_nothing_and_sends_once_when_back(smtp_server):
    smtp_server.stop()
    mail = queue_check_mail()
    mail.refresh_from_db()
    assert mail.state == Mail.State.QUEUED  # kept, not lost
    assert mail.attempts == 1
    assert "ConnectionRefused" in mail.last_error
    assert mail.attempt_log.filter(succeeded=False).count() == 1

    # Still down at the first retry: stays queued, backoff grows.
    with clock.travel(retry_delay(1) + dt.timedelta(seconds=1)):
        assert run_sweepers()["mail"] == 1
    mail.refresh_from_db()
    assert (mail.state, mail.attempts) == (Mail.State.QUEUED, 2)

    smtp_server.start()
    # Before the next attempt is due, the sweeper leaves it alone.
    assert run_sweepers()["mail"] == 0
    assert smtp_server.messages == []
    with clock.travel(dt.timedelta(hours=2)):
        assert run_sweepers()["mail"] == 1
        assert run_sweepers()["mail"] == 0  # sent: nothing left to do
    mail.refresh_from_db()
    assert mail.state == Mail.State.SENT
    assert len(smtp_server.messages) == 1


def test_ml2_sending_twice_is_harmless(smtp_server):
    mail = queue_check_mail()
    assert mail_send(mail_id=mail.pk) is False  # already sent: the row's state wins
    assert len(smtp_server.messages) == 1


def test_ml2_gives_up_after_the_configured_attempts(smtp_server, settings):
    settings.MAIL_MAX_ATTEMPTS = 2
    smtp_server.stop()
    mail = queue_check_mail()
    with clock.travel(dt.timedelta(hours=1)):
        run_sweepers()
    mail.refresh_from_db()
    assert mail.state == Mail.State.FAILED
    assert mail.attempts == 2
    with clock.travel(dt.timedelta(days=1)):
        assert run_sweepers()["mail"] == 0


def test_ml2_abandoned_claim_is_taken_over_after_the_lease(smtp_server):
    mail = queue_check_mail()
    # Simulate a worker that claimed a second mail and died before sending it.
    with transaction.atomic():
        dead = mail_queue(template="mail_check", to="b@example.jp", language="en", context={})
    Mail.objects.filter(pk=dead.pk).update(
        state=Mail.State.SENDING, leased_until=clock.now() + dt.timedelta(minutes=5)
    )
    smtp_server.messages.clear()
    assert run_sweepers()["mail"] == 0  # lease still running
    with clock.travel(dt.timedelta(minutes=6)):
        assert run_sweepers()["mail"] == 1
    dead.refresh_from_db()
    assert dead.state == Mail.State.SENT
    assert [m.rcpt_tos for m in smtp_server.messages] == [["b@example.jp"]]
    assert mail.pk != dead.pk


def test_retry_delay_grows_exponentially_and_is_capped(settings):
    settings.MAIL_RETRY_BASE_SECONDS = 30
    settings.MAIL_RETRY_MAX_SECONDS = 3600
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(20).total_seconds() == 3600


LANGUAGES = [code for code, _name in settings.LANGUAGES]
MAIL_DIRS = sorted(Path(zairyu.__file__).parent.glob("*/templates/mail"))
KINDS = sorted(
    (directory, path.name) for directory in MAIL_DIRS for path in (directory / "en").glob("*.txt")
)


def test_ml1_every_mail_kind_exists_in_all_8_languages():
    assert len(KINDS) >= 150
    missing = [
        f"{directory.parent.parent.name}/{language}/{name}"
        for directory, name in KINDS
        for language in LANGUAGES
        if not (directory / language / name).is_file()
    ]
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_ml1_mail_renders_in_the_recipients_language_without_fallback(language):
    from zairyu.mail.services import _template

    for directory, name in KINDS:
        kind, part = (
            name.removesuffix(".txt").rsplit(".", 1)
            if name.count(".") == 2
            else (
                name.removesuffix(".txt"),
                None,
            )
        )
        if part is None:
            continue  # a shared part (summary, footer): included, never sent alone
        origin = _template(language, kind, part).origin.name
        assert f"/mail/{language}/" in origin, origin
        text = (directory / language / name).read_text()
        included = re.findall(r"\{% include \"mail/([^/]+)/", text)
        assert set(included) <= {language}, (name, included)
    subject, body = mail_render(template="mail_check", language=language, context={})
    assert subject and body.endswith("\n")


def test_ml1_a_mail_is_in_japanese_and_english_as_the_recipient_chose():
    assert "メール送信確認" in mail_render(template="mail_check", language="ja", context={})[0]
    assert "Mail delivery check" in mail_render(template="mail_check", language="en", context={})[0]


def test_bo9_failed_mail_can_be_requeued_by_an_operator_and_is_audited(
    smtp_server, settings, admin_user
):
    from zairyu.audit.models import AuditEvent
    from zairyu.mail.services import mail_requeue

    settings.MAIL_MAX_ATTEMPTS = 1
    smtp_server.stop()
    mail = queue_check_mail()
    mail.refresh_from_db()
    assert mail.state == Mail.State.FAILED
    smtp_server.start()
    assert mail_requeue(mail=mail, actor=admin_user) is True
    mail.refresh_from_db()
    assert mail.state == Mail.State.SENT
    assert len(smtp_server.messages) == 1
    assert AuditEvent.objects.filter(action="mail.requeued", object_id=str(mail.pk)).exists()
    assert mail_requeue(mail=mail, actor=admin_user) is False  # only failed mails


def test_ml2_mail_held_until_send_at_then_sent_by_the_sweeper(smtp_server):
    later = clock.now() + dt.timedelta(days=1)
    with transaction.atomic():
        mail = mail_queue(
            template="mail_check", to="org@example.jp", language="ja", context={}, send_at=later
        )
    assert run_sweepers()["mail"] == 0
    assert smtp_server.messages == []
    with clock.travel(dt.timedelta(days=1, seconds=1)):
        assert run_sweepers()["mail"] == 1
    mail.refresh_from_db()
    assert mail.state == Mail.State.SENT
    assert len(smtp_server.messages) == 1
