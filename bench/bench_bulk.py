"""Bulk filing: a 300-row .csv and .xlsx from upload to "done" (p50/p95 over N runs).

Not an HTTP benchmark. A child process with the benchmark settings creates (once) a
university with 300 students' cards, then for each run calls the service the upload page and
the API call, ``bulk_upload``, and runs the job's task inline (``bulk_process``) until the job
is done: reading and checking the file, matching the rows against the registry (one query per
batch), filing 300 notifications through the service N service (one transaction per batch).
The registration of each filing (another worker's job) is not run: the broker is in memory.

Inside ``bench/run.py`` it uses the benchmark database; on its own::

    .venv/bin/python bench/bench_bulk.py [--runs 10] \\
        [--database-url postgres://postgres@127.0.0.1:5432/zairyu_bench]

(without ``--database-url``: SQLite under var/bench/). Figures (``name: value unit``):
``bulk_csv_p50``, ``bulk_csv_p95``, ``bulk_xlsx_p50``, ``bulk_xlsx_p95`` in ms (wall clock),
``bulk_csv_cpu_p50``, ``bulk_xlsx_cpu_p50`` (this process's CPU time, steadier on a busy
machine), ``bulk_csv_request_p95``, ``bulk_xlsx_request_p95`` (the share of ``bulk_upload``
alone: what the upload request spends in the service), and
``bulk_rows`` (rows accepted per run; always 300, or the run is broken). Then the hostile file
of issue #14 (SEC-4), a 5 KB .xlsx whose one cell is at XFD1048576, ``FAR_RUNS`` times:
``bulk_far_cell_request_max`` (``bulk_upload``, the request's share) and
``bulk_far_cell_task_max`` (``bulk_process``, the worker's), in ms; the file must end in a
reception error. Nothing asserts a time; the target (issue #9) is p95 under 1 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402

NAME = "bulk"
ROWS = 300
FAR_RUNS = 3
FIGURE_PREFIX = "FIGURE "


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def bench_university(
    username: str, organization_name: str, tag: str, numbers: str, roman: str, rows: int, kind: str
):
    """Create (once per database) a university account ``username`` of ``organization_name``
    (password ``Bench-<tag>-2026!``, mail ``bench-<tag>@zairyu.example``) and ``rows`` students'
    cards (numbers ``numbers.format(n)``, roman names ``roman`` and n in letters, n from 1);
    return the user, the columns of the template ``kind`` and one row per card for it, started
    three days ago. Shared by bench_bulk.py and bench_encryption.py, whose child also runs
    against an older tree of src/: only APIs present in both are used, imported here so that
    this module imports without Django."""
    import datetime as dt

    from django.utils import translation

    from zairyu.accounts.models import Category, OrganizationAccount, User
    from zairyu.bulk.kinds import get_kind
    from zairyu.cards.models import Organization, ResidenceCard
    from zairyu.cards.rules import CardData
    from zairyu.cards.services import card_create, organization_create
    from zairyu.core import clock

    user = User.objects.filter(username=username).first()
    if user is None:
        organization = organization_create(
            actor=None,
            name=organization_name,
            kind=Organization.Kind.UNIVERSITY,
            prefecture_id="13",
            municipality_id="13101",
            street="丸の内１−１−１",
        )
        user = User.objects.create_user(
            username,
            password=f"Bench-{tag}-2026!",
            category=Category.ORGANIZATION,
            uses_service_n=True,
            language="en",
            email=f"bench-{tag}@zairyu.example",
            display_name=organization.name,
        )
        OrganizationAccount.objects.create(
            user=user,
            organization=organization,
            registered_at=clock.now(),
            submitted_via="counter",
            submitter_name="ベンチ",
            staff_id_document="staff_card",
        )
    today = clock.today()
    cards = []
    for n in range(1, rows + 1):
        number = numbers.format(n)
        card = ResidenceCard.objects.filter(number=number).first()
        if card is None:
            card = card_create(
                actor=None,
                data=CardData(
                    number=number,
                    roman_name=roman + "".join(chr(65 + int(d)) for d in f"{n:04d}"),
                    nationality_id="VNM",
                    birth_date=dt.date(2002, 4, 1),
                    sex="F" if n % 2 else "M",
                    prefecture_id="13",
                    municipality_id="13101",
                    street="霞が関１−１−１",
                    status_id="student",
                    period_of_stay="P2Y",
                    stay_until=today + dt.timedelta(days=600),
                    card_valid_until=today + dt.timedelta(days=600),
                    issued_on=today - dt.timedelta(days=100),
                ),
            )
        cards.append(card)
    with translation.override("en"):
        columns = get_kind(kind).columns(user)
    start = (today - dt.timedelta(days=3)).isoformat()
    template_rows = [
        {
            "number": c.number,
            "roman_name": c.roman_name,
            "nationality": c.nationality_id,
            "birth_date": c.birth_date.isoformat(),
            "sex": c.sex,
            "prefecture": c.prefecture_id,
            "address": "千代田区霞が関１−１−１",
            "start_date": start,
        }
        for c in cards
    ]
    return user, columns, template_rows


def child(runs: int) -> None:
    """Run in a process with the benchmark settings: set up, time, print FIGURE lines."""
    import time

    import django

    django.setup()
    import datetime as dt
    import io

    import openpyxl
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zairyu.bulk.services import bulk_process, bulk_upload

    kind_key = "n_19_17_school_acceptance_start"
    user, columns, rows = bench_university(
        "benchbulkuniv", "ベンチ大学", "bulk", "BB{:08d}BK", "BENCH GAKUSEI ", ROWS, kind_key
    )
    import csv

    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([c.label for c in columns])
    for row in rows:
        writer.writerow([row[c.name] for c in columns])
    csv_bytes = text.getvalue().encode("utf-8-sig")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([c.label for c in columns])
    for row in rows:
        sheet.append(
            [
                dt.date.fromisoformat(row[c.name]) if c.name.endswith("date") else row[c.name]
                for c in columns
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    xlsx_bytes = out.getvalue()

    for label, content, name in (("csv", csv_bytes, "rows.csv"), ("xlsx", xlsx_bytes, "r.xlsx")):
        times = []
        cpu = []
        requests = []
        for run in range(runs + 1):  # the first run warms the caches and is not counted
            started = time.perf_counter()
            started_cpu = time.process_time()
            job = bulk_upload(
                user=user, file=SimpleUploadedFile(name, content), kind=kind_key, options={}
            )
            uploaded = time.perf_counter()
            bulk_process(job_id=job.pk)
            elapsed = (time.perf_counter() - started) * 1000
            elapsed_cpu = (time.process_time() - started_cpu) * 1000
            job.refresh_from_db()
            if job.state != "done" or job.accepted_rows != ROWS:
                raise RuntimeError(f"run {run}: {job.state} {job.accepted_rows} {job.reasons}")
            if run:
                times.append(elapsed)
                cpu.append(elapsed_cpu)
                requests.append((uploaded - started) * 1000)
        print(f"{FIGURE_PREFIX}bulk_{label}_p50 {_percentile(times, 0.5):.1f} ms", flush=True)
        print(f"{FIGURE_PREFIX}bulk_{label}_p95 {_percentile(times, 0.95):.1f} ms", flush=True)
        # This process's CPU time (the database server's is not in it): steadier than the wall
        # clock on a shared machine; with SQLite it is nearly all the work.
        print(f"{FIGURE_PREFIX}bulk_{label}_cpu_p50 {_percentile(cpu, 0.5):.1f} ms", flush=True)
        print(
            f"{FIGURE_PREFIX}bulk_{label}_request_p95 {_percentile(requests, 0.95):.1f} ms",
            flush=True,
        )
    print(f"{FIGURE_PREFIX}bulk_rows {ROWS} rows", flush=True)

    # SEC-4 (issue #14): one cell at XFD1048576; its <dimension> claims the whole grid.
    far = openpyxl.Workbook()
    far.active["XFD1048576"] = "x"
    out = io.BytesIO()
    far.save(out)
    far_bytes = out.getvalue()
    request_ms, task_ms = [], []
    for run in range(FAR_RUNS):
        started = time.perf_counter()
        job = bulk_upload(
            user=user, file=SimpleUploadedFile("far.xlsx", far_bytes), kind=kind_key, options={}
        )
        uploaded = time.perf_counter()
        bulk_process(job_id=job.pk)
        request_ms.append((uploaded - started) * 1000)
        task_ms.append((time.perf_counter() - uploaded) * 1000)
        job.refresh_from_db()
        if job.state != "reception_error":
            raise RuntimeError(f"far cell, run {run}: {job.state}")
    print(f"{FIGURE_PREFIX}bulk_far_cell_request_max {max(request_ms):.1f} ms", flush=True)
    print(f"{FIGURE_PREFIX}bulk_far_cell_task_max {max(task_ms):.1f} ms", flush=True)


def measure(env: dict[str, str], runs: int, emit) -> None:
    """Run the child against ``env``'s database and pass its figures to ``emit``."""
    env = dict(env)
    env["CELERY_BROKER_URL"] = "memory://"  # tasks queued by the services are not run here
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", "--runs", str(runs)],
        cwd=harness.REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bench_bulk child failed:\n{proc.stdout[-2000:]}{proc.stderr[-4000:]}")
    for line in proc.stdout.splitlines():
        if line.startswith(FIGURE_PREFIX):
            name, value, unit = line[len(FIGURE_PREFIX) :].split()
            emit(name, float(value), unit, 0 if unit == "rows" else 1)


def run(ctx) -> None:
    """Inside bench/run.py: time bulk filing against the benchmark database."""
    runs = int(os.environ.get("BENCH_BULK_RUNS", "10"))

    def emit(name, value, unit, digits):
        ctx.figure(name, value, unit, digits=digits)

    measure(ctx.server.env, runs, emit)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.runs)
        return
    env = harness.server_env(args.database_url, harness.DEFAULT_VAR_DIR)
    harness.DEFAULT_VAR_DIR.mkdir(parents=True, exist_ok=True)
    harness.log("migrating")
    harness.manage(env, "migrate", "--noinput", "-v0")
    database, version = harness.describe_database(env)
    harness.emit("database", database)
    harness.emit("database_version", version)
    harness.log(f"timing {args.runs} runs of {ROWS} rows (.csv and .xlsx)")
    measure(
        env, args.runs, lambda name, value, unit, digits: harness.emit(name, value, unit, digits)
    )


if __name__ == "__main__":
    main()
