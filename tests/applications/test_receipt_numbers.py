"""A-10 receipt numbers (002 Q4-15, Q4-16; REFERENCE.md §5): assigned in the background with a
lease, within a minute even when the broker lost the message, unique per office under
concurrent submissions, and エラー(申請受付番号取得エラー) when none can be assigned."""

import datetime as dt

import pytest
from django.conf import settings as django_settings

from zairyu.applications import services
from zairyu.applications.models import Application, ApplicationState, ReceiptCounter
from zairyu.audit.models import AuditEvent
from zairyu.core import clock
from zairyu.core.work import run_sweepers
from zairyu.mail.models import Mail

from .drafting import complete_draft, media_root, resident, submit  # noqa: F401

S = ApplicationState


def submitted_application(**card):
    user, own = resident(**card)
    return submit(user, complete_draft(user, own))  # on-commit task not run: "message lost"


def test_a10_receipt_number_assigned_and_mailed_to_user_and_applicant():
    application = submitted_application()
    assert services.receipt_number_assign(application_id=application.pk) is True
    application.refresh_from_db()
    assert application.receipt_number == "東オン更00000001"
    assert application.bureau_id == "tokyo"
    assert application.receipt_assigned_at is not None and application.leased_until is None
    assert application.state == S.SUBMITTED
    sent = Mail.objects.filter(
        related_id=str(application.pk), template="application_receipt_number"
    )
    assert sorted(sent.values_list("to_address", flat=True)) == sorted(
        [application.filer.email, "applicant@example.jp"]
    )
    body = sent.first().body
    assert application.receipt_number in body
    assert "proof that the application is pending" in body
    assert AuditEvent.objects.filter(
        action="applications.application.receipt_assigned", object_id=str(application.pk)
    ).exists()


def test_a16_japanese_receipt_mail_proves_a_pending_application():
    application = submitted_application()
    application.filer.language = "ja"
    application.filer.save(update_fields=["language"])
    services.receipt_number_assign(application_id=application.pk)
    mail = Mail.objects.get(
        template="application_receipt_number", to_address=application.filer.email
    )
    assert "申請受付番号のお知らせ" in mail.subject
    assert "申請中であることの証明" in mail.body
    assert "在留カード" in mail.body


def test_a10_assignment_is_idempotent():
    application = submitted_application()
    assert services.receipt_number_assign(application_id=application.pk)
    number = Application.objects.get(pk=application.pk).receipt_number
    mails = Mail.objects.count()
    assert services.receipt_number_assign(application_id=application.pk) is False
    assert Application.objects.get(pk=application.pk).receipt_number == number
    assert Mail.objects.count() == mails
    assert ReceiptCounter.objects.get(bureau_id="tokyo", letter="更").last == 1


def test_a10_office_from_the_applicants_address():
    application = submitted_application(prefecture_id="27", municipality_id="27128")
    services.receipt_number_assign(application_id=application.pk)
    assert Application.objects.get(pk=application.pk).receipt_number == "阪オン更00000001"


def test_a10_a_held_lease_is_not_taken_twice():
    application = submitted_application()
    Application.objects.filter(pk=application.pk).update(
        leased_until=clock.now() + dt.timedelta(minutes=5), attempts=1
    )
    assert services.receipt_number_assign(application_id=application.pk) is False
    assert Application.objects.get(pk=application.pk).receipt_number is None
    with clock.travel(dt.timedelta(minutes=6)):  # the worker died: the lease runs out
        assert services.receipt_number_assign(application_id=application.pk) is True
    assert Application.objects.get(pk=application.pk).receipt_number


def test_a10_sweep_assigns_the_number_after_the_task_was_lost():
    application = submitted_application()
    assert services.receipt_sweep() == 0  # just submitted: the task may still come
    with clock.travel(dt.timedelta(seconds=django_settings.ZAIRYU_SWEEP_SECONDS)):
        assert run_sweepers()["applications_receipt"] == 1  # tasks run eagerly in tests
    assert Application.objects.get(pk=application.pk).receipt_number == "東オン更00000001"
    with clock.travel(dt.timedelta(minutes=2)):
        assert services.receipt_sweep() == 0  # nothing left


def test_a10_no_office_goes_to_receipt_error_for_an_officer():
    application = submitted_application()
    content = dict(application.content)
    content["personal1"] = {**content["personal1"], "prefecture": ""}
    Application.objects.filter(pk=application.pk).update(
        bureau=None, applicant_card=None, content=content
    )
    assert services.receipt_number_assign(application_id=application.pk) is True
    application.refresh_from_db()
    assert application.state == S.RECEIPT_ERROR
    assert application.receipt_error_code == "no_office"
    assert application.receipt_number is None and application.leased_until is None
    mails = Mail.objects.filter(template="application_receipt_error")
    assert list(mails.values_list("to_address", flat=True)) == [application.filer.email]
    assert AuditEvent.objects.filter(
        action="applications.application.receipt_error", object_id=str(application.pk)
    ).exists()
    # The officer fixes the cause and moves it back; the sweep assigns the number.
    Application.objects.filter(pk=application.pk).update(bureau_id="tokyo")
    services.transition(application, to=S.SUBMITTED, note="office set by the officer")
    with clock.travel(dt.timedelta(minutes=1)):
        services.receipt_sweep()
    application.refresh_from_db()
    assert application.state == S.SUBMITTED and application.receipt_number == "東オン更00000001"


def test_a10_too_many_attempts_go_to_receipt_error():
    application = submitted_application()
    Application.objects.filter(pk=application.pk).update(attempts=services.MAX_RECEIPT_ATTEMPTS)
    assert services.receipt_number_assign(application_id=application.pk) is True
    application.refresh_from_db()
    assert application.state == S.RECEIPT_ERROR
    assert application.receipt_error_code == "too_many_attempts"
    assert application.attempts == 0


def test_a10_exhausted_series_goes_to_receipt_error_and_rolls_nothing_back():
    application = submitted_application()
    ReceiptCounter.objects.create(bureau_id="tokyo", letter="更", last=99_999_999)
    assert services.receipt_number_assign(application_id=application.pk) is True
    application.refresh_from_db()
    assert (application.state, application.receipt_error_code) == (
        S.RECEIPT_ERROR,
        "number_exhausted",
    )
    assert ReceiptCounter.objects.get(bureau_id="tokyo", letter="更").last == 99_999_999


def test_a10_withdrawn_application_gets_no_number():
    application = submitted_application()
    services.transition(application, to=S.WITHDRAWN)
    assert services.receipt_number_assign(application_id=application.pk) is False
    assert Application.objects.get(pk=application.pk).receipt_number is None


def test_a10_numbers_never_reused_after_withdrawal():
    first = submitted_application()
    services.receipt_number_assign(application_id=first.pk)
    services.transition(first, to=S.WITHDRAWN)
    second = submitted_application()
    services.receipt_number_assign(application_id=second.pk)
    assert Application.objects.get(pk=second.pk).receipt_number == "東オン更00000002"


@pytest.mark.django_db(transaction=True)
def test_a10_concurrent_submissions_get_unique_receipt_numbers(reference_data, settings, tmp_path):
    """Six users submit at the same moment (real threads, PostgreSQL row locks); each
    submission's task assigns a number after commit; every number is handed out once."""
    import threading
    import uuid

    from django.db import connection, connections

    if connection.vendor == "sqlite":
        pytest.skip("concurrent writers are a PostgreSQL matter; SQLite serialises them")
    settings.MEDIA_ROOT = str(tmp_path)
    drafts = []
    for _ in range(6):
        user, card = resident()
        drafts.append((user, complete_draft(user, card)))
    barrier = threading.Barrier(len(drafts))
    errors: list[BaseException] = []

    def worker(user, draft):
        try:
            barrier.wait()
            services.application_submit(user=user, application=draft, token=uuid.uuid4())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=pair) for pair in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(
        Application.objects.filter(pk__in=[d.pk for _, d in drafts]).values_list(
            "receipt_number", flat=True
        )
    )
    assert numbers == [f"東オン更{n:08d}" for n in range(1, 7)]
    provisional = set(Application.objects.values_list("provisional_number", flat=True))
    assert len(provisional) == 6
