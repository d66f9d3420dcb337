"""The foundation of service A's services: transition, numbers, fees (A-10, A-11, REF-6)."""

import datetime as dt

import pytest

from zairyu.applications.models import (
    TRANSITIONS,
    Application,
    ApplicationState,
    ApplicationStateChange,
    ReceiptCounter,
)
from zairyu.applications.services import (
    ApplicationStateError,
    fee_for_application,
    next_provisional_number,
    next_receipt_number,
    transition,
)
from zairyu.audit.models import AuditEvent
from zairyu.core import clock
from zairyu.mail.models import Mail
from zairyu.reference.models import Bureau

from .factories import make_draft, make_foreign_national, make_lawyer

S = ApplicationState


def test_a11_states_are_exactly_those_of_the_spec():
    assert set(S.values) == {
        "draft",
        "submitted",
        "examining",
        "awaiting_issue",
        "completed",
        "bulk_error",
        "receipt_error",
        "denied",
        "withdrawn",
    }
    assert set(TRANSITIONS) == {"", *S.values}
    for targets in TRANSITIONS.values():
        assert targets <= set(S.values)
    for final in (S.COMPLETED, S.DENIED, S.WITHDRAWN):
        assert TRANSITIONS[final] == frozenset()


def test_a11_draft_creation_records_timeline_and_audit():
    user, own = make_foreign_national()
    draft = make_draft(filer=user, card=own)
    assert draft.pk and draft.state == S.DRAFT
    change = ApplicationStateChange.objects.get(application=draft)
    assert (change.from_state, change.to_state, change.actor_id) == ("", S.DRAFT, user.pk)
    assert AuditEvent.objects.filter(
        action="applications.application.draft", object_id=str(draft.pk)
    ).exists()


def test_a10_submission_sets_filing_date_and_keeps_it_on_resubmission():
    user, own = make_foreign_national()
    draft = make_draft(filer=user, card=own)
    with clock.frozen(clock.tokyo_datetime(2026, 6, 15, 23, 59)):
        submitted = transition(draft, to=S.SUBMITTED, actor=user)
    assert submitted.filed_on == dt.date(2026, 6, 15)
    assert submitted.submitted_at == clock.tokyo_datetime(2026, 6, 15, 23, 59)
    assert draft.state == S.SUBMITTED  # the caller's object follows
    transition(submitted, to=S.RECEIPT_ERROR, note="no office")
    with clock.frozen(clock.tokyo_datetime(2026, 6, 17, 9, 0)):
        again = transition(submitted, to=S.SUBMITTED, note="fixed by officer")
    assert again.filed_on == dt.date(2026, 6, 15)
    assert again.submitted_at == clock.tokyo_datetime(2026, 6, 15, 23, 59)
    timeline = list(
        ApplicationStateChange.objects.filter(application=draft)
        .order_by("id")
        .values_list("from_state", "to_state", "note")
    )
    assert timeline == [
        ("", "draft", ""),
        ("draft", "submitted", ""),
        ("submitted", "receipt_error", "no office"),
        ("receipt_error", "submitted", "fixed by officer"),
    ]


def test_a11_officer_lifecycle_sets_timestamps_and_changes():
    user, own = make_foreign_national()
    application = make_draft(filer=user, card=own)
    transition(application, to=S.SUBMITTED, actor=user)
    examining = transition(application, to=S.EXAMINING)
    assert examining.examination_opened_at is not None
    approved = transition(
        application,
        to=S.AWAITING_ISSUE,
        changes={"decision": "approved", "period_granted": "P3Y"},
    )
    assert approved.decided_at is not None and approved.period_granted == "P3Y"
    done = transition(application, to=S.COMPLETED)
    assert done.completed_at is not None
    assert Application.objects.get(pk=application.pk).decision == "approved"


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([S.SUBMITTED], S.COMPLETED),
        ([S.SUBMITTED], S.DRAFT),
        ([S.SUBMITTED, S.EXAMINING], S.SUBMITTED),
        ([S.SUBMITTED, S.EXAMINING, S.DENIED], S.EXAMINING),
        ([S.SUBMITTED, S.WITHDRAWN], S.SUBMITTED),
        ([], S.EXAMINING),
        ([], S.WITHDRAWN),
    ],
)
def test_a11_transitions_outside_the_table_refused(path, refused):
    user, own = make_foreign_national()
    application = make_draft(filer=user, card=own)
    for state in path:
        transition(application, to=state)
    before = ApplicationStateChange.objects.filter(application=application).count()
    with pytest.raises(ApplicationStateError):
        transition(application, to=refused)
    assert Application.objects.get(pk=application.pk).state == (path[-1] if path else S.DRAFT)
    assert ApplicationStateChange.objects.filter(application=application).count() == before


def test_a11_transition_queues_named_mail_to_filer_and_applicant():
    user, own = make_foreign_national()
    application = make_draft(filer=user, card=own, applicant_email="applicant@example.jp")
    transition(application, to=S.SUBMITTED, mail="mail_check")
    to = sorted(
        Mail.objects.filter(related_id=str(application.pk)).values_list("to_address", flat=True)
    )
    assert to == sorted([user.email, "applicant@example.jp"])


# --- numbers -----------------------------------------------------------------------------------


def test_a10_receipt_numbers_per_office_and_letter():
    from django.db import transaction

    tokyo, osaka = Bureau.objects.get(pk="tokyo"), Bureau.objects.get(pk="osaka")
    with transaction.atomic():
        first = next_receipt_number(bureau=tokyo, letter="更")
        second = next_receipt_number(bureau=tokyo, letter="更")
        other_letter = next_receipt_number(bureau=tokyo, letter="変")
        other_office = next_receipt_number(bureau=osaka, letter="更")
    assert (first, second) == ("東オン更00000001", "東オン更00000002")
    assert other_letter == "東オン変00000001"
    assert other_office == "阪オン更00000001"
    assert ReceiptCounter.objects.get(bureau=tokyo, letter="更").last == 2


@pytest.mark.django_db(transaction=True)
def test_a10_numbers_need_the_callers_transaction(reference_data):
    with pytest.raises(RuntimeError):
        next_receipt_number(bureau=Bureau.objects.get(pk="tokyo"), letter="更")
    with pytest.raises(RuntimeError):
        next_provisional_number()


def test_a10_provisional_numbers_are_a_separate_series():
    from django.db import transaction

    with transaction.atomic():
        a = next_provisional_number()
        next_receipt_number(bureau=Bureau.objects.get(pk="tokyo"), letter="更")
        b = next_provisional_number()
    assert (a, b) == ("仮0000000001", "仮0000000002")


def test_a10_receipt_number_unique_in_database():
    from django.db import IntegrityError, transaction

    user, own = make_foreign_national()
    one = make_draft(filer=user, card=own, receipt_number="東オン更00000009")
    other = make_draft(filer=make_lawyer(), procedure="work_certificate", card=own)
    other.receipt_number = one.receipt_number
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save(update_fields=["receipt_number"])


# --- fees (REFERENCE.md §7) ------------------------------------------------------------------


def _application(procedure="extension", **fields):
    user, own = make_foreign_national()
    return make_draft(filer=user, procedure=procedure, card=own, **fields)


@pytest.mark.parametrize(
    ("procedure", "on", "online", "total"),
    [
        ("extension", dt.date(2025, 3, 31), True, 4000),
        ("extension", dt.date(2025, 4, 1), True, 5500),
        ("extension", dt.date(2025, 4, 1), False, 6000),
        ("change_of_status", dt.date(2026, 1, 5), True, 5500),
        ("work_certificate", dt.date(2025, 3, 31), True, 1200),
        ("work_certificate", dt.date(2025, 4, 1), True, 1600),
        ("work_certificate", dt.date(2025, 4, 1), False, 2000),
        ("coe", dt.date(2026, 1, 5), True, 0),
        ("acquisition", dt.date(2026, 1, 5), True, 0),
    ],
)
def test_ref6_fee_by_acceptance_date_and_channel(procedure, on, online, total):
    application = _application(procedure)
    fee = fee_for_application(application, on=on, online=online)
    assert fee.total == total
    assert [line.procedure for line in fee.lines] == [procedure]


@pytest.mark.parametrize(
    ("reentry", "online", "total"),
    [("single", True, 5500 + 3500), ("multiple", True, 5500 + 6500), ("multiple", False, 13000)],
)
def test_ref6_fee_with_reentry_and_other_activity(reentry, online, total):
    application = _application("extension", reentry=reentry, other_activity=True)
    fee = fee_for_application(application, on=dt.date(2025, 6, 1), online=online)
    assert fee.total == total
    assert [line.procedure for line in fee.lines] == [
        "extension",
        f"reentry_{reentry}",
        "other_activity",
    ]
    assert fee.lines[-1].amount == 0


def test_ref6_fee_defaults_to_filing_date():
    application = _application("extension", filed_on=dt.date(2025, 3, 31))
    assert fee_for_application(application).total == 4000
    application.filed_on = None
    with clock.frozen(clock.tokyo_datetime(2025, 4, 1, 0, 0)):
        assert fee_for_application(application).total == 5500


@pytest.mark.django_db(transaction=True)
def test_a10_concurrent_receipt_numbers_unique_and_gapless(reference_data):
    """Eight threads take numbers of one office and letter at once (PostgreSQL: row locks;
    SQLite: IMMEDIATE transactions); every number is handed out once, none skipped."""
    import threading

    from django.db import connection, transaction

    if connection.vendor == "sqlite":
        pytest.skip("concurrent writers are a PostgreSQL matter; SQLite serialises them")
    tokyo = Bureau.objects.get(pk="tokyo")
    taken: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker():
        from django.db import connections

        try:
            barrier.wait()
            for _ in range(5):
                with transaction.atomic():
                    taken.append(next_receipt_number(bureau=tokyo, letter="更"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(taken) == [f"東オン更{n:08d}" for n in range(1, 41)]
