"""Fill a PostgreSQL database with a national-volume registry for the officer searches (issue 17).

4M residence cards and 10M service N filings by default, with what the searches join: the
persons, 1 in 80 as many organizations (a few large ones filing 30 % of the organizations'
notifications) with their accounts, resident accounts (2 persons in 5), service A filers,
service O filings (a tenth of the filings), applications (a quarter of the cards) and the state
history of every filing and application. Every row is a pure function of its id and the plan
(``national_rows``, ``national_tables``); encrypted columns and blind indexes are written by the
model fields themselves (``zairyu.core.encrypted``), under the keys of the settings.

Usage::

    .venv/bin/python bench/generate_national.py \\
        --database-url postgres://postgres@127.0.0.1:5432/zairyu_scale_national \\
        [--cards 4000000] [--filings 10000000] [--ofilings N] [--applications N] \\
        [--workers 2] [--chunk 20000] [--seed 1] [--today 2026-12-01]

The database is created if missing and migrated (``zairyu.settings.bench``: its fixed keys
unless ``FIELD_ENCRYPTION_KEYS`` / ``BLIND_INDEX_KEYS`` are set); the generated tables must be
empty. The load drops the tables' secondary indexes and unique constraints, ``COPY``s the rows
from ``--workers`` processes (each builds its chunks, encrypts and copies them on its own
connection, with ``session_replication_role = replica`` so that foreign keys are not checked
row by row: the rows are consistent by construction), builds the indexes again two at a time,
sets the sequences, adds one officer per regional bureau and one at headquarters
(``bench-officer-*``) and runs ``VACUUM (ANALYZE)``. If it is interrupted, drop the database.

Figures (``name: value unit`` on standard output): rows per table, seconds per phase, rows per
second of the load. ``load_in_transaction`` is the same load in the caller's transaction and
connection, indexes kept (the EXPLAIN tests use it).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import datetime as dt
import multiprocessing
import os
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402
import national_rows  # noqa: E402
import national_tables  # noqa: E402
from national_rows import Plan, Tables  # noqa: E402

# The tables the builders fill, largest first (the order of the index builds).
TABLES = [
    "filings_filingstatechange",
    "filings_filing",
    "cards_residencecard",
    "cards_person",
    "applications_applicationstatechange",
    "applications_application",
    "filings_ofilingstatechange",
    "filings_ofiling",
    "accounts_user",
    "accounts_staffaccount",
    "accounts_organizationaccount",
    "cards_organization",
]
OFFICER_PREFIX = "bench-officer-"


def ranges(plan: Plan) -> dict[str, int]:
    """How many ids each builder covers (ids 1..n)."""
    return {
        "cards": plan.cards,
        "resident_users": plan.persons,
        "organizations": plan.organizations,
        "service_a_users": plan.service_a_users,
        "filings": plan.filings,
        "ofilings": plan.ofilings,
        "applications": plan.applications,
    }


def tasks(plan: Plan, chunk: int) -> list[tuple[str, int, int]]:
    """(builder, first id, end) for every chunk, the expensive builders first."""
    found = []
    for name, count in sorted(ranges(plan).items(), key=lambda item: -item[1]):
        found += [(name, a, min(a + chunk, count + 1)) for a in range(1, count + 1, chunk)]
    return found


def copy_chunk(cursor, writers) -> dict[str, int]:
    """COPY the rows of ``writers`` through a psycopg cursor; return the rows per table."""
    counts: dict[str, int] = {}
    for writer in writers:
        if not writer.rows:
            continue
        with cursor.copy(writer.copy_sql()) as copy:
            copy.write(writer.payload())
        counts[writer.table] = counts.get(writer.table, 0) + len(writer.rows)
    return counts


def _add(total: dict[str, int], counts: dict[str, int]) -> None:
    for table, n in counts.items():
        total[table] = total.get(table, 0) + n


# --- In the caller's transaction (tests) ---------------------------------------------------


def load_in_transaction(plan: Plan, *, chunk: int = 10_000) -> dict[str, int]:
    """Generate ``plan`` through Django's connection, in the current transaction, indexes kept
    (foreign keys are checked at commit, as Django declares them deferred); then the officers
    and ANALYZE. Returns the rows per table."""
    from django.db import connection

    tables = Tables(plan, national_rows.reference_data())
    total: dict[str, int] = {}
    with connection.cursor() as cursor:
        for name, a, b in tasks(plan, chunk):
            _add(total, copy_chunk(cursor.cursor, national_tables.BUILDERS[name](tables, a, b)))
        _reset_sequences(cursor, TABLES)
        # Check the deferred foreign keys now, once (a savepoint rolled back later would fire
        # them all again).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        # Merge the rows just inserted into the GIN (trigram) indexes, as autovacuum would: a
        # long pending list makes the planner shun them.
        cursor.execute(
            "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
            "WHERE a.amname = 'gin' AND i.indrelid::regclass::text = ANY(%s)",
            [TABLES],
        )
    officers(tables.ref)
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"ANALYZE {table}")
    return total


# --- In worker processes (the command) -----------------------------------------------------

_worker: dict = {}


def _worker_start(url: str, plan: Plan, ref: national_rows.Ref) -> None:
    import psycopg

    connection = psycopg.connect(url)
    with connection.cursor() as cursor, contextlib.suppress(psycopg.Error):
        cursor.execute("SET session_replication_role = replica")
    connection.commit()
    _worker.update(connection=connection, tables=Tables(plan, ref))


def _worker_task(task: tuple[str, int, int]) -> tuple[str, int, dict[str, int]]:
    name, a, b = task
    connection = _worker["connection"]
    writers = national_tables.BUILDERS[name](_worker["tables"], a, b)
    with connection.cursor() as cursor:
        counts = copy_chunk(cursor, writers)
    connection.commit()
    return name, b - a, counts


def load_parallel(url: str, plan: Plan, ref, *, workers: int, chunk: int) -> dict[str, int]:
    """Build and COPY every chunk from ``workers`` processes (forked: Django and the keys are
    already set up); log progress per builder."""
    from django.db import connections

    connections.close_all()
    todo = tasks(plan, chunk)
    remaining = dict(ranges(plan))
    total: dict[str, int] = {}
    started = time.monotonic()
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, _worker_start, (url, plan, ref)) as pool:
        for name, done, counts in pool.imap_unordered(_worker_task, todo):
            _add(total, counts)
            remaining[name] -= done
            if remaining[name] == 0:
                harness.log(f"{name}: done after {time.monotonic() - started:.0f} s")
    return total


# --- Indexes -------------------------------------------------------------------------------


def secondary_indexes(cursor, tables: list[str]) -> list[tuple[str, str, str]]:
    """(table, drop statement, create statement) of every index but the primary keys: the
    unique constraints as constraints, the other indexes (partial unique ones too) as indexes."""
    found = []
    for table in tables:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'u' ORDER BY conname",
            [table],
        )
        for name, definition in cursor.fetchall():
            found.append(
                (
                    table,
                    f'ALTER TABLE {table} DROP CONSTRAINT "{name}"',
                    f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}',
                )
            )
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
            "ORDER BY i.relname",
            [table],
        )
        for name, definition in cursor.fetchall():
            found.append((table, f'DROP INDEX "{name}"', definition))
    return found


def build_indexes(url: str, statements: list[str], *, parallel: int = 2) -> None:
    """Run the CREATE statements ``parallel`` at a time, each on its own connection."""
    import psycopg

    def run(statement: str) -> None:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("SET maintenance_work_mem = '512MB'")
            started = time.monotonic()
            connection.execute(statement)
            harness.log(f"{time.monotonic() - started:6.1f} s  {statement[:110]}")

    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        for future in [pool.submit(run, s) for s in statements]:
            future.result()


def _reset_sequences(cursor, tables: list[str]) -> None:
    for table in tables:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
        )


# --- Officers ------------------------------------------------------------------------------


def officers(ref) -> dict[str | None, object]:
    """One officer at headquarters (bureau None) and one per regional bureau, in the officer
    group (created if missing; the password is unusable)."""
    from zairyu.accounts.models import Category, User
    from zairyu.accounts.officers import officer_group

    group = officer_group()
    found: dict[str | None, object] = {}
    for bureau in (None, *ref.regional_bureaus):
        user, created = User.objects.get_or_create(
            username=f"{OFFICER_PREFIX}{bureau or 'hq'}",
            defaults={"is_staff": True, "category": Category.OFFICER, "bureau_id": bureau},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(group)
        found[bureau] = user
    return found


# --- The command ---------------------------------------------------------------------------


def database_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


def server_url(url: str, database: str = "postgres") -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))


def ensure_database(url: str) -> bool:
    """Create the database of ``url`` if missing; return whether it was created."""
    import psycopg
    from psycopg import sql

    name = database_name(url)
    with psycopg.connect(server_url(url), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone():
            return False
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server_url(url), autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(database_name(url))
            )
        )


def setup_django(url: str) -> None:
    """Django with the benchmark settings on ``url`` (before any model import)."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", harness.SETTINGS)
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()


def row_counts(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in TABLES
        }


@contextlib.contextmanager
def phase(name: str, timings: dict[str, float]) -> Iterator[None]:
    harness.log(f"{name} …")
    started = time.monotonic()
    yield
    timings[name] = time.monotonic() - started
    harness.log(f"{name}: {timings[name]:.1f} s")


def generate(url: str, plan: Plan, *, workers: int = 2, chunk: int = 20_000) -> dict:
    """Create (if needed), migrate and fill the database of ``url``; return the figures."""
    from django.core.management import call_command

    timings: dict[str, float] = {}
    with phase("migrate", timings):
        ensure_database(url)
        call_command("migrate", verbosity=0)
    filled = {t: n for t, n in row_counts(url).items() if n}
    if filled:
        raise SystemExit(f"{database_name(url)}: these tables are not empty: {filled}")
    ref = national_rows.reference_data()
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection, connection.cursor() as cursor:
        indexes = secondary_indexes(cursor, TABLES)
        with phase("drop_indexes", timings):
            for _table, drop, _create in indexes:
                cursor.execute(drop)
    with phase("load", timings):
        rows = load_parallel(url, plan, ref, workers=workers, chunk=chunk)
    with phase("indexes", timings):
        build_indexes(url, [create for _t, _d, create in indexes])
    with psycopg.connect(url, autocommit=True) as connection, connection.cursor() as cursor:
        _reset_sequences(cursor, TABLES)
    officers(ref)
    with (
        phase("vacuum_analyze", timings),
        psycopg.connect(url, autocommit=True) as connection,
    ):
        for table in TABLES:
            connection.execute(f"VACUUM (ANALYZE) {table}")
    return {"rows": rows, "timings": timings, "indexes": len(indexes)}


def report(plan: Plan, result: dict, url: str) -> None:
    harness.emit("database", database_name(url))
    harness.emit("plan_cards", plan.cards, "rows")
    harness.emit("plan_filings", plan.filings, "rows")
    harness.emit("plan_today", plan.today.isoformat())
    for table, n in sorted(result["rows"].items()):
        harness.emit(f"rows_{table}", n, "rows")
    total_rows = sum(result["rows"].values())
    harness.emit("rows_total", total_rows, "rows")
    for name, seconds in result["timings"].items():
        harness.emit(f"seconds_{name}", seconds, "s")
    harness.emit("indexes_rebuilt", result["indexes"], "indexes")
    harness.emit("load_rows_per_s", total_rows / max(result["timings"]["load"], 1e-9), "rows/s")
    harness.emit("total_seconds", sum(result["timings"].values()), "s")
    import psycopg

    with psycopg.connect(url) as connection:
        size = connection.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    harness.emit("database_size", size / 1e9, "GB", digits=2)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="postgres://… (default: DATABASE_URL)",
    )
    parser.add_argument("--cards", type=int, default=4_000_000)
    parser.add_argument("--filings", type=int, default=10_000_000)
    parser.add_argument("--ofilings", type=int, help="default: a tenth of --filings")
    parser.add_argument("--applications", type=int, help="default: a quarter of --cards")
    parser.add_argument("--workers", type=int, default=2, help="processes building the rows")
    parser.add_argument("--chunk", type=int, default=20_000, help="rows per COPY")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--today", type=dt.date.fromisoformat, help="the newest day (default: today in Japan)"
    )
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url (or DATABASE_URL) must be a PostgreSQL URL")
    return args


def plan_from(args: argparse.Namespace) -> Plan:
    from zairyu.core import clock

    return Plan.sized(
        args.cards,
        args.filings,
        ofilings=args.ofilings,
        applications=args.applications,
        seed=args.seed,
        today=args.today or clock.today(),
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ensure_database(args.database_url)
    setup_django(args.database_url)
    plan = plan_from(args)
    result = generate(args.database_url, plan, workers=args.workers, chunk=args.chunk)
    report(plan, result, args.database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
