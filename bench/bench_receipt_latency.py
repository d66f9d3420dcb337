"""Receipt numbers behind a registration backlog (issue 17).

Not part of ``bench/run.py`` (no ``run(ctx)``). Starts ``manage.py serve`` (what ``make run``
starts: web, the workers, beat) on the dev settings in a fresh ``ZAIRYU_VAR_DIR``, on

- SQLite and the embedded SQLite broker (the ``make run`` default), or
- PostgreSQL and Redis when ``DATABASE_URL`` / ``CELERY_BROKER_URL`` are set (or
  ``--database-url`` / ``--broker-url``): a database of its own on that server
  (``--pg-database``, created here and dropped at the end) and the Redis database of the URL
  (flushed before and after: give it one of its own).

Then:

1. ``--filings`` (10,000) notifications wait to be registered (登録中): one filed through the
   service (Art. 19-16, a resident's own), the rest copies of it, each with its own token and
   digest (so each is a registration of its own and none supersedes another), written in one
   go and each woken (one ``zairyu.filings.register`` message per filing), as a burst of
   submissions would — before ``serve`` starts, or, with ``--spread S``, in batches of 100
   over S seconds once it runs (a burst that lasts: beat's sweeps land between the wake-ups);
2. while they are being registered, ``--count`` service A applications (drafts prepared
   beforehand) are submitted through the service, one every ``--interval`` seconds, and each
   is timed from the start of its submission (validation, writes and the publish of its
   wake-up included) until it has its 申請受付番号 (``receipt_assigned_at``) and until the
   mail with the number was sent (``Mail.sent_at``);
3. the backlog is left to drain (within ``--timeout`` in all) and the messages still queued
   then are counted per queue; after at most ``--settle`` seconds more for the queues to
   empty, the workers' logs tell how many registration tasks ran and how many found nothing
   to do (a duplicate wake-up).

Figures go to standard output as ``name: value unit`` lines (``harness.emit``); progress to
standard error. Usage, from the repository root::

    .venv/bin/python bench/bench_receipt_latency.py [--filings 10000] [--count 20]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        CELERY_BROKER_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/bench_receipt_latency.py
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402
from embedded_latency import wait_for  # noqa: E402  (start-up: exits when it times out)

ROOT = harness.REPO
emit = harness.emit


def log(message: str) -> None:
    harness.log(f"receipts: {message}")


def wait_until(predicate, timeout: float, step: float = 1.0) -> bool:
    """Whether ``predicate()`` came true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def percentiles(name: str, seconds: list[float]) -> None:
    """``NAME_median``, ``_p95``, ``_max`` (nearest rank) in seconds."""
    if not seconds:
        emit(f"{name}_measured", 0, "applications")
        return
    ordered = sorted(seconds)
    p95 = ordered[max(round(0.95 * len(ordered)) - 1, 0)]
    emit(f"{name}_median", statistics.median(ordered), "s", digits=2)
    emit(f"{name}_p95", p95, "s", digits=2)
    emit(f"{name}_max", ordered[-1], "s", digits=2)


# --- the databases ---------------------------------------------------------------------------


def postgres_database(url: str, name: str) -> tuple[str, str]:
    """A URL of database ``name`` on the server of ``url``, and the URL of its maintenance
    database (to create and drop it)."""
    parts = urllib.parse.urlsplit(url)
    return (
        urllib.parse.urlunsplit(parts._replace(path=f"/{name}")),
        urllib.parse.urlunsplit(parts._replace(path="/postgres")),
    )


def recreate_database(admin_url: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def flush_redis(url: str | None) -> None:
    if url and url.startswith(("redis://", "rediss://")):
        import redis

        redis.Redis.from_url(url).flushdb()


# --- the run ---------------------------------------------------------------------------------


def first_filing() -> int:
    """File one notification through the service (its wake-up published with its commit)."""
    from django.db import transaction
    from tests.filings.factories import days_ago, make_resident

    from zairyu.filings import services as filing_services
    from zairyu.reference.models import NotificationEvent

    user, _card = make_resident(roman_name="HOUMU TAROU")
    with transaction.atomic():
        return filing_services.filing_submit_resident(
            user=user,
            event=NotificationEvent.objects.get(pk="con_contract_end"),
            items={
                "event_date": days_ago(3),
                "org_name": "株式会社法務商事",
                "org_address": "東京都千代田区",
            },
            token=uuid.uuid4(),
        ).pk


def file_copies(template_pk: int, count: int) -> list[int]:
    """Write ``count`` copies of the filing (登録中, filed now) and wake each; return their ids."""
    from zairyu.core import clock
    from zairyu.filings.models import Filing, FilingState
    from zairyu.filings.tasks import filing_register_task

    template = Filing.objects.get(pk=template_pk)
    fields = [f for f in Filing._meta.concrete_fields if not f.primary_key]
    now = clock.now()
    copies = []
    for _ in range(count):
        copy = Filing(**{f.attname: getattr(template, f.attname) for f in fields})
        copy.token = uuid.uuid4()
        copy.digest = hashlib.sha256(f"bench-receipts-{copy.token}".encode()).hexdigest()
        copy.state = FilingState.REGISTERING
        copy.filed_at = copy.state_changed_at = now
        copy.registered_at = copy.leased_until = None
        copy.attempts = 0
        copies.append(copy)
    written = Filing.objects.bulk_create(copies, batch_size=500)
    ids = [f.pk for f in written] if all(f.pk for f in written) else None
    if ids is None:  # a backend that does not return ids: the newest ``count``
        ids = sorted(Filing.objects.order_by("-pk").values_list("pk", flat=True)[:count])
    for pk in ids:
        filing_register_task.delay(pk)
    return ids


def spread_copies(template_pk: int, count: int, seconds: float, batch: int = 100) -> None:
    """``file_copies`` in batches of ``batch``, evenly over ``seconds`` (a burst of
    submissions that lasts, or a bulk file: the sweeps of beat land between the wake-ups)."""
    batches = max(count // batch, 1)
    due = time.monotonic()
    for n in range(batches):
        time.sleep(max(due - time.monotonic(), 0))
        due += seconds / batches
        file_copies(template_pk, count // batches + (1 if n < count % batches else 0))


def prepare_drafts(count: int) -> list:
    from tests.applications.drafting import complete_draft, resident

    drafts = []
    for _ in range(count):
        user, card = resident()
        drafts.append((user, complete_draft(user, card)))
    return drafts


def registering() -> int:
    from zairyu.filings.models import Filing, FilingState

    return Filing.objects.filter(state=FilingState.REGISTERING).count()


def submit_all(drafts: list, interval: float) -> tuple[dict[int, object], list[int]]:
    """Submit each draft, one every ``interval`` s; return {application id: submission start}
    and the backlog (filings still 登録中) at each submission."""
    from zairyu.applications import services as application_services
    from zairyu.core import clock

    started: dict[int, object] = {}
    backlog: list[int] = []
    due = time.monotonic()
    for user, draft in drafts:
        time.sleep(max(due - time.monotonic(), 0))
        due += interval
        backlog.append(registering())
        at = clock.now()
        application = application_services.application_submit(
            user=user, application=draft, token=uuid.uuid4()
        )
        started[application.pk] = at
    return started, backlog


def latencies(started: dict[int, object], timeout: float, began: float) -> tuple:
    """Watch, once a second for at most ``timeout`` seconds, until every application has its
    number and its number's mail went out and the backlog has drained; return the seconds from
    each submission's start to its number and to its mail (read from the rows' own times), the
    seconds from ``began`` until the backlog drained (None if it did not) and the messages
    still queued then, per queue."""
    from zairyu.applications.models import Application
    from zairyu.mail.models import Mail

    def numbered() -> dict[int, object]:
        return dict(
            Application.objects.filter(
                pk__in=started, receipt_assigned_at__isnull=False
            ).values_list("pk", "receipt_assigned_at")
        )

    def mailed() -> dict[int, object]:
        rows = Mail.objects.filter(
            template="application_receipt_number",
            related_id__in=[str(pk) for pk in started],
            sent_at__isnull=False,
        ).values_list("related_id", "sent_at")
        first: dict[int, object] = {}
        for related, sent in rows:
            pk = int(related)
            first[pk] = min(sent, first.get(pk, sent))
        return first

    drained: list = []

    def done() -> bool:
        if not drained and registering() == 0:
            drained.extend([time.monotonic() - began, queued_messages()])
        return bool(drained) and len(numbered()) == len(mailed()) == len(started)

    wait_until(done, timeout)
    numbers, mails = numbered(), mailed()
    emit("receipt_numbers_missing", len(started) - len(numbers), "applications")
    emit("receipt_mails_missing", len(started) - len(mails), "applications")
    return (
        [(numbers[pk] - at).total_seconds() for pk, at in started.items() if pk in numbers],
        [(mails[pk] - at).total_seconds() for pk, at in started.items() if pk in mails],
        *(drained or [None, None]),
    )


QUEUES = ("urgent", "mail", "celery")


def queued_messages() -> dict[str, int]:
    """Messages waiting in each queue of the broker (SQLite or Redis)."""
    from django.conf import settings

    from zairyu.core import broker

    url = settings.CELERY_BROKER_URL
    path = broker.sqlite_path(url)
    if path:
        with sqlite3.connect(path, timeout=30) as db:
            rows = db.execute(
                "SELECT q.name, count(*) FROM kombu_message m JOIN kombu_queue q "
                "ON q.id = m.queue_id WHERE m.visible = 1 GROUP BY q.name"
            ).fetchall()
        return {name: dict(rows).get(name, 0) for name in QUEUES}
    import redis

    client = redis.Redis.from_url(url)
    # kombu keeps a queue's messages in a list named after it (and after it + a priority).
    return {
        name: sum(
            client.llen(key)
            for key in client.scan_iter(match=f"{name}*")
            if key == name.encode() or key.startswith(name.encode() + b"\x06\x16")
        )
        for name in QUEUES
    }


TASK_DONE = re.compile(r"Task zairyu\.filings\.register\[[^\]]+\] succeeded in [\d.e-]+s: (\w+)")


def registration_tasks(logs: Path) -> tuple[int, int]:
    """(registration tasks run, of which found nothing to do) over the workers' logs."""
    ran = idle = 0
    for path in logs.glob("*.log*"):
        for outcome in TASK_DONE.findall(path.read_text(errors="replace")):
            ran += 1
            idle += outcome == "False"
    return ran, idle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=int, default=10_000, help="notifications waiting")
    parser.add_argument("--count", type=int, default=20, help="service A applications")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between them")
    parser.add_argument(
        "--timeout", type=float, default=3600, help="for the numbers, mails and the drain"
    )
    parser.add_argument(
        "--settle", type=float, default=120, help="then, at most, for the queues to empty"
    )
    parser.add_argument(
        "--spread",
        type=float,
        default=0,
        help="file and wake the notifications over this many seconds once serve is up "
        "(default: all at once before it starts)",
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--broker-url", default=os.environ.get("CELERY_BROKER_URL"))
    parser.add_argument("--pg-database", default="zairyu_bench_receipts")
    parser.add_argument("--keep", action="store_true", help="keep the var folder (logs)")
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="zairyu-receipts-"))
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"):
        os.environ.pop(name, None)
    admin_url = None
    if args.database_url:
        database_url, admin_url = postgres_database(args.database_url, args.pg_database)
        recreate_database(admin_url, args.pg_database)
        os.environ["DATABASE_URL"] = database_url
    if args.broker_url:
        flush_redis(args.broker_url)
        os.environ["CELERY_BROKER_URL"] = args.broker_url
    os.environ.update(
        DJANGO_SETTINGS_MODULE="zairyu.settings.dev",
        ZAIRYU_VAR_DIR=str(var),
        MEDIA_ROOT=str(var / "media"),
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    )
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    manage = [sys.executable, str(ROOT / "manage.py")]
    serve = None
    try:
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, check=True)
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection

        emit("database", connection.vendor)
        emit("broker", settings.CELERY_BROKER_URL.split("://", 1)[0])
        emit("load_average_before", os.getloadavg()[0], digits=2)
        log(f"preparing {args.count} drafts")
        drafts = prepare_drafts(args.count)
        template = first_filing()
        if not args.spread:
            log(f"filing and waking {args.filings} notifications")
            published = time.monotonic()
            file_copies(template, args.filings - 1)
            emit("wakeups_publish_time", time.monotonic() - published, "s")
        connection.close()
        port = harness.free_port()
        out = (var / "serve.out").open("w")
        serve = subprocess.Popen(
            [*manage, "serve", "--addr", f"127.0.0.1:{port}", "--no-demo-logins"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: "Zairyu is running" in (var / "serve.out").read_text(), 180, "serve", 0.2)
        began = time.monotonic()
        if args.spread:
            log(f"serve is up; filing and waking {args.filings} notifications in {args.spread} s")
            spread_copies(template, args.filings - 1, args.spread)
        emit("filings_woken", args.filings, "filings")
        log(f"submitting {args.count} applications every {args.interval} s")
        started, backlog = submit_all(drafts, args.interval)
        numbers, mails, drained, queued = latencies(started, args.timeout, began)
        emit("backlog_at_first_submission", backlog[0], "filings")
        emit("backlog_at_last_submission", backlog[-1], "filings")
        percentiles("receipt_number", numbers)
        percentiles("receipt_mail", mails)
        if drained is None:
            emit("backlog_left_after_timeout", registering(), "filings")
        else:
            emit("backlog_drained_after", drained, "s")
            emit("registrations_per_second", args.filings / drained, "filings/s")
            for name, count in queued.items():
                emit(f"queued_when_drained_{name}", count, "messages")
        log(f"letting the queues empty (at most {args.settle:.0f} s)")
        wait_until(lambda: not any(queued_messages().values()), args.settle)
        for name, count in queued_messages().items():
            emit(f"queued_at_the_end_{name}", count, "messages")
        time.sleep(3)  # the last tasks' log lines
        ran, idle = registration_tasks(var / "log")
        emit("registration_tasks_run", ran, "tasks")
        emit("registration_tasks_idle", idle, "tasks")
        emit("load_average_after", os.getloadavg()[0], digits=2)
    finally:
        if serve is not None:
            serve.send_signal(signal.SIGINT)  # Ctrl-C: serve stops its children
            try:
                serve.wait(90)
            except subprocess.TimeoutExpired:
                os.killpg(serve.pid, signal.SIGKILL)
                serve.wait()
        if admin_url:
            from django.db import connections

            connections.close_all()
            recreate_database(admin_url, args.pg_database, drop_only=True)
        flush_redis(args.broker_url)
        if args.keep:
            log(f"kept {var}")
        else:
            shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
