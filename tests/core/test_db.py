"""core.db.update_rows: each row's own values in one UPDATE, nothing else touched."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.filings.factories import make_organization_account
from zairyu.bulk.models import Job, JobRow
from zairyu.core import clock
from zairyu.core.db import update_rows

pytestmark = pytest.mark.django_db


def _rows(count: int) -> list[JobRow]:
    user, _ = make_organization_account()
    now = clock.now()
    job = Job.objects.create(
        kind="k", user=user, file_format="csv", created_at=now, state_changed_at=now
    )
    return JobRow.objects.bulk_create(
        [JobRow(job=job, row_number=n, values={"n": n}) for n in range(2, count + 2)]
    )


def test_each_row_gets_its_own_values_in_one_statement():
    rows = _rows(5)
    chosen = rows[1:4]
    for n, row in enumerate(chosen):
        row.object_type = "filings.filing"
        row.object_id = str(1000 + n)
        row.object_number = f"N'{n}\"; DROP TABLE x; -- 届出"  # quoted as a value, never as SQL
    with CaptureQueriesContext(connection) as captured:
        assert update_rows(JobRow, ["object_type", "object_id", "object_number"], chosen) == 3
    assert len(captured.captured_queries) == 1
    stored = {r.pk: r for r in JobRow.objects.all()}
    for n, row in enumerate(chosen):
        got = stored[row.pk]
        assert (got.object_type, got.object_id) == ("filings.filing", str(1000 + n))
        assert got.object_number == f"N'{n}\"; DROP TABLE x; -- 届出"
        assert got.values == {"n": row.row_number}
    for row in (rows[0], rows[4]):
        assert (stored[row.pk].object_id, stored[row.pk].object_number) == ("", "")


def test_no_rows_no_statement():
    with CaptureQueriesContext(connection) as captured:
        assert update_rows(JobRow, ["object_id"], []) == 0
    assert captured.captured_queries == []
