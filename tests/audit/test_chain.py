"""SEC-6: an append-only, hash-chained audit trail whose tampering a command detects."""

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from zairyu.audit.models import AppendOnlyError, AuditChainHead, AuditEvent
from zairyu.audit.services import audit_record, audit_seal, audit_verify
from zairyu.audit.tasks import seal

pytestmark = pytest.mark.django_db(transaction=True)


def record(n: int, prefix: str = "test.event") -> list[AuditEvent]:
    return [
        audit_record(action=f"{prefix}", object_type="test", object_id=str(i), after={"n": i})
        for i in range(n)
    ]


def test_sec6_event_is_written_in_the_callers_transaction():
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="test.rolled_back")
        raise RuntimeError
    assert not AuditEvent.objects.filter(action="test.rolled_back").exists()


def test_sec6_sealed_chain_verifies():
    record(5)
    assert audit_seal() == 5
    record(3)
    assert seal() == 3
    report = audit_verify()
    assert report.ok, report.reason
    assert (report.checked, report.unsealed) == (8, 0)
    sealed = list(AuditEvent.objects.order_by("seal_seq"))
    assert [e.seal_seq for e in sealed] == list(range(1, 9))
    assert all(b.prev_hash == a.hash for a, b in zip(sealed, sealed[1:], strict=False))
    assert AuditChainHead.objects.get().last_hash == sealed[-1].hash


def test_sec6_hand_edited_row_fails_verification_at_that_row(capsys):
    events = record(4)
    audit_seal()
    call_command("audit_verify")
    assert "intact: 4 sealed events" in capsys.readouterr().out
    victim = events[2]
    with connection.cursor() as cursor:  # what someone with database access could do
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET actor_repr = %s WHERE id = %s",
            ["someone else", victim.pk],
        )
    with pytest.raises(CommandError) as excinfo:
        call_command("audit_verify")
    message = str(excinfo.value)
    assert "position 3" in message
    assert f"event id {victim.pk}" in message
    assert "changed" in message


def test_sec6_deleted_row_fails_verification():
    events = record(4)
    audit_seal()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [events[1].pk])
    report = audit_verify()
    assert not report.ok
    assert report.broken_seq == 2
    assert "missing" in report.reason


def test_sec6_removed_tail_fails_verification():
    events = record(3)
    audit_seal()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [events[-1].pk])
    report = audit_verify()
    assert not report.ok
    assert "removed from the end" in report.reason


def test_sec6_events_cannot_be_changed_or_deleted_through_the_orm():
    (event,) = record(1)
    event.action = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_sec6_event_committed_late_is_sealed_after_later_ones():
    """A transaction that took an id early but committed late still joins the chain."""
    started, release = threading.Event(), threading.Event()
    errors = []

    def slow_writer():
        try:
            with transaction.atomic():
                audit_record(action="test.slow")
                started.set()
                release.wait(10)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    if connection.vendor == "sqlite":
        # SQLite takes one writer at a time (IMMEDIATE), so the interleaving cannot happen:
        # commits arrive in id order and the chain is trivially complete.
        record(2)
    else:
        thread = threading.Thread(target=slow_writer)
        thread.start()
        assert started.wait(10)
        record(2)
        assert audit_seal() == 2  # the slow one is not visible yet
        release.set()
        thread.join(10)
        assert not errors
    audit_seal()
    report = audit_verify()
    assert report.ok, report.reason
    assert report.unsealed == 0
    assert report.checked == AuditEvent.objects.count()


def test_sec6_audit_rows_survive_deleting_their_subject(django_user_model):
    user = django_user_model.objects.create_user("officer1", password="x")
    user_pk = user.pk
    audit_record(action="account.created", obj=user, actor=user)
    user.delete()
    event = AuditEvent.objects.get(action="account.created")
    assert event.actor_id == str(user_pk)  # copied, not a foreign key
    assert event.object_id == str(user_pk)
    assert event.object_repr == "officer1"
