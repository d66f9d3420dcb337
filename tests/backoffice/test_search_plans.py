"""Issue 17: every officer search (and filer list) is answered through indexes, on PostgreSQL.

A registry of 20,000 cards and 50,000 filings (with their persons, accounts, organizations,
service O filings, applications and histories) is generated in the test database by
``bench/generate_national.py``'s own functions, inside a transaction rolled back at the end of
the module, and ANALYZEd, so that the planner sees tables worth an index. For each search of
``bench/scale_searches.py`` (the queryset its page builds, with criteria drawn from the data) the
count and the first page are EXPLAINed: no sequential scan of the big tables. The shapes issue
17 changed are checked to answer exactly what the old ones answered, on the same data.

Skipped unless the database is PostgreSQL (like the EXPLAIN test in tests/cards/test_match.py).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import generate_national  # noqa: E402
import national_rows  # noqa: E402
import scale_searches  # noqa: E402

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="EXPLAIN plans checked on PostgreSQL",
    ),
    pytest.mark.django_db,  # each test in a savepoint of the module's transaction
]

BIG_TABLES = {
    "cards_residencecard",
    "filings_filing",
    "filings_ofiling",
    "applications_application",
    "accounts_user",
}
PLAN = national_rows.Plan.sized(40_000, 50_000, applications=20_000, today=dt.date(2026, 12, 1))
TRIES = 4  # criteria drawn per search


@pytest.fixture(scope="module")
def samples(django_db_setup, django_db_blocker):
    """The generated registry (rolled back after the module) and criteria drawn from it."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            generate_national.load_in_transaction(PLAN)
            officers = generate_national.officers(national_rows.reference_data())
            yield scale_searches.samples(random.Random(17), officers)
            transaction.set_rollback(True)
        with connection.cursor() as cursor:  # the planner forgets the rows again
            for table in generate_national.TABLES:
                cursor.execute(f"ANALYZE {table}")


def _scans(node) -> list[tuple[str, str, str]]:
    """(node type, relation, index) of every scan in a JSON plan."""
    found = []
    if "Relation Name" in node or "Index Name" in node:
        found.append((node["Node Type"], node.get("Relation Name", ""), node.get("Index Name", "")))
    for child in node.get("Plans", []):
        found += _scans(child)
    return found


def _plans(queryset) -> list[list[tuple[str, str, str]]]:
    """The scans of each SELECT the page sends (the count, then the first page)."""
    with CaptureQueriesContext(connection) as captured:
        scale_searches.evaluate(queryset)
    found = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            if not query["sql"].lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (FORMAT JSON) " + query["sql"])
            [[plan]] = cursor.fetchall()
            plan = json.loads(plan) if isinstance(plan, str) else plan
            found.append(_scans(plan[0]["Plan"]))
    return found


def test_the_registry_is_generated_as_planned(samples):
    from zairyu.cards.models import ResidenceCard
    from zairyu.filings.models import Filing

    assert ResidenceCard.objects.count() == PLAN.cards
    assert Filing.objects.count() == PLAN.filings
    card = ResidenceCard.objects.get(pk=7)  # encrypted as the application writes it
    assert ResidenceCard.objects.with_number(card.number).get() == card
    assert (
        Filing.objects.filter(card=card).exclude(card_number_index=card.number_index).count() == 0
    )


@pytest.mark.parametrize("name", list(scale_searches.SEARCHES))
def test_search_reads_the_big_tables_through_indexes(samples, name):
    rng = random.Random(name)
    for _ in range(TRIES):
        plans = _plans(scale_searches.SEARCHES[name](samples, rng))
        assert plans, name
        for scans in plans:
            seq = [(kind, table) for kind, table, _ in scans if kind == "Seq Scan"]
            assert not [s for s in seq if s[1] in BIG_TABLES], (name, scans)


@pytest.mark.parametrize("name", list(scale_searches.BEFORE))
def test_new_shapes_answer_what_the_old_ones_did(samples, name):
    for seed in range(4):
        new = scale_searches.SEARCHES[name](samples, random.Random(seed))
        old = scale_searches.BEFORE[name](samples, random.Random(seed))
        assert list(new.values_list("pk", flat=True)) == list(old.values_list("pk", flat=True))
