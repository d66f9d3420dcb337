"""BK-6: a batch's new filings are checked one by one by the service N service, as a single
filing is, and written together (``FilingBatch``): the same filing, history row, audit event
and mails as a single filing, in one INSERT per table instead of three statements per row."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zairyu.audit.models import AuditEvent
from zairyu.bulk.kinds import get_kind
from zairyu.filings import services as filing_services
from zairyu.filings.models import Filing, FilingState, FilingStateChange

from .helpers import (
    SCHOOL_START,
    csv_file,
    days_ago,
    face_row,
    students,
    university,
    upload_and_read,
)


def _checked(count: int):
    """A university's job of ``count`` students, read and checked but not filed."""
    user, _ = university()
    cards = students(count)
    rows = [{**face_row(c), "start_date": days_ago(3)} for c in cards]
    job = upload_and_read(user, SCHOOL_START, csv_file(SCHOOL_START, user, rows))
    kind = get_kind(job.kind)
    prepared = kind.validate(job, list(job.rows.order_by("row_number")))
    assert not any(p.errors for p in prepared)
    return user, job, prepared


def _submit(user, job, item, *, token=None, batch=None, source=""):
    return filing_services.filing_submit_organization(
        user=user,
        event=item.data["event"],
        items=item.data["items"],
        token=token or uuid.uuid4(),
        face=item.data["face"],
        source=source,
        batch=batch,
    )


def _trail(filing: Filing) -> tuple:
    change = FilingStateChange.objects.get(filing=filing)
    event = AuditEvent.objects.get(object_type="filings.filing", object_id=str(filing.pk))
    return (
        (change.from_state, change.to_state, change.actor_id, change.at == filing.filed_at),
        (event.action, event.actor_id, event.before, event.after, event.object_repr),
    )


def test_bk6_batch_writes_each_filing_as_a_single_filing_is_written():
    user, job, prepared = _checked(3)
    single = _submit(user, job, prepared[0])
    batch = filing_services.FilingBatch(user)
    pending = [_submit(user, job, item, batch=batch) for item in prepared[1:]]
    assert all(f.pk is None for f in pending)  # checked, not yet written
    assert Filing.objects.count() == 1
    written = batch.write()
    assert set(written) == {f.token for f in pending}
    assert Filing.objects.count() == 3
    for filing in written.values():
        assert filing.pk is not None and filing.state == FilingState.REGISTERING
        stored = Filing.objects.get(pk=filing.pk)
        assert stored.number == filing.number
        assert stored.digest and stored.deadline == single.deadline
        assert (
            stored.content["resident"]["card_number"] != single.content["resident"]["card_number"]
        )
        (change, event) = _trail(filing)
        (single_change, single_event) = _trail(single)
        assert change == single_change
        assert event[:4] == single_event[:4]
        assert event[4] == filing.number


def test_bk6_batch_write_is_one_insert_per_table_whatever_its_size():
    counts = []
    # Both sizes within one INSERT on SQLite too (it splits an INSERT at 999 parameters).
    for size in (2, 20):
        user, job, prepared = _checked(size)
        batch = filing_services.FilingBatch(user)
        for item in prepared:
            _submit(user, job, item, batch=batch, source=job.number)
        with CaptureQueriesContext(connection) as captured:
            assert len(batch.write()) == size
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts
    if connection.vendor == "postgresql":
        # savepoint, three INSERTs (filings, history, audit), release
        assert counts[0] <= 5, counts


def test_nf3_token_taken_meanwhile_gives_that_filing_and_writes_the_others():
    """The same form sent twice at the same moment, in a batch: the unique token lets one
    filing through; the batch answers with it and still writes its other filings once."""
    user, job, prepared = _checked(3)
    tokens = [uuid.uuid4() for _ in prepared]
    batch = filing_services.FilingBatch(user)
    for item, token in zip(prepared, tokens, strict=True):
        _submit(user, job, item, token=token, batch=batch)
    meanwhile = _submit(user, job, prepared[1], token=tokens[1])  # another request, first
    written = batch.write()
    assert written[tokens[1]].pk == meanwhile.pk
    assert Filing.objects.count() == 3
    assert sorted(Filing.objects.values_list("token", flat=True)) == sorted(tokens)
    assert FilingStateChange.objects.count() == 3
    assert AuditEvent.objects.filter(action="filings.filing.submitted").count() == 3


def test_bk6_batch_holds_one_filers_filings():
    user, job, prepared = _checked(1)
    other, _ = university()
    batch = filing_services.FilingBatch(other)
    with pytest.raises(ValueError):
        _submit(user, job, prepared[0], batch=batch)
    assert batch.write() == {}
    assert Filing.objects.count() == 0
