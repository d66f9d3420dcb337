"""BK-6 / NF "no second": a batch reads the filings its rows' tokens already made in one query,
and the filing service still decides on each row's token as it does for a single filing."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zairyu.bulk.kinds import get_kind
from zairyu.filings import services as filing_services
from zairyu.filings.models import Filing

from .helpers import (
    SCHOOL_START,
    csv_file,
    days_ago,
    face_row,
    students,
    university,
    upload_and_process,
)


def _filed(count: int):
    user, _ = university()
    cards = students(count)
    rows = [{**face_row(c), "start_date": days_ago(3)} for c in cards]
    job = upload_and_process(user, SCHOOL_START, csv_file(SCHOOL_START, user, rows))
    assert job.accepted_rows == count
    return user, job, list(job.rows.order_by("row_number"))


def _token_reads(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().startswith("SELECT") and '"filings_filing"."token"' in q["sql"]
    ]


def test_bk6_previous_filings_of_a_batch_in_one_query(django_assert_num_queries):
    _, _, rows = _filed(3)
    fresh = uuid.uuid4()
    with django_assert_num_queries(1):
        found = filing_services.previous_filings([str(rows[0].token), *[r.token for r in rows]])
    assert {str(token): str(f.pk) for token, f in found.items()} == {
        str(r.token): r.object_id for r in rows
    }
    with django_assert_num_queries(1):
        assert filing_services.previous_filings([fresh]) == {}
    with django_assert_num_queries(0):
        assert filing_services.previous_filings([]) == {}


def test_bk6_replayed_batch_reads_tokens_once_and_files_nothing_new():
    user, job, rows = _filed(4)
    kind = get_kind(job.kind)
    prepared = kind.validate(job, rows)
    with CaptureQueriesContext(connection) as captured:
        again = kind.submit(job, prepared)
    assert [str(o.obj.pk) for o in again] == [r.object_id for r in rows]
    assert len(_token_reads(captured.captured_queries)) == 1
    assert Filing.objects.count() == 4


@pytest.mark.parametrize("batch", [False, True])
def test_nf3_token_of_another_account_refused_with_or_without_batch_lookup(batch):
    """The same refusal whether the service looks the token up itself or is handed the
    batch's answer (``previous=``)."""
    _, job, rows = _filed(1)
    kind = get_kind(job.kind)
    [item] = kind.validate(job, rows)
    other, _ = university()
    previous = filing_services.previous_filings([rows[0].token]) if batch else None
    with pytest.raises(ValidationError) as refused:
        filing_services.filing_submit_organization(
            user=other,
            event=item.data["event"],
            items=item.data["items"],
            token=rows[0].token,
            face=item.data["face"],
            previous=previous,
        )
    assert [e.code for e in refused.value.error_dict["__all__"]] == ["token_used"]
    assert Filing.objects.count() == 1


def test_nf3_batch_lookup_without_the_token_files_without_asking_again():
    user, job, rows = _filed(1)
    kind = get_kind(job.kind)
    [item] = kind.validate(job, rows)
    token = uuid.uuid4()
    with CaptureQueriesContext(connection) as captured:
        filing = filing_services.filing_submit_organization(
            user=user,
            event=item.data["event"],
            items=item.data["items"],
            token=token,
            face=item.data["face"],
            previous={},
        )
    assert filing.token == token and filing.filer == user
    assert _token_reads(captured.captured_queries) == []
    assert Filing.objects.count() == 2
