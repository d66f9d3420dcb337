"""Officer searches at national volume (issue 17): each search at 20k cards / 50k filings and at
4M cards / 10M filings, median and p95 of each, and their ratio.

Standalone (not run by ``bench/run.py``, which only picks up modules with ``run(ctx)``: the
national generation alone takes about half an hour)::

    .venv/bin/python bench/bench_scale.py [--cards 4000000] [--filings 10000000]
        [--small-cards 20000] [--small-filings 50000] [--runs 50] [--warmup 5] [--reuse]
        [--keep] [--before] [--before-runs 5] [--only NAME] [--seed 1]
        [--postgres-url postgres://postgres@127.0.0.1:5432]

- **Databases**: ``zairyu_scale_small`` and ``zairyu_scale_national`` on the server of
  ``--postgres-url``, each filled by ``generate_national.py`` (its figures are printed with the
  prefix ``small_generate_`` / ``national_generate_``). ``--reuse`` keeps a database that
  already holds exactly the planned numbers of cards and filings; both are dropped at the end
  unless ``--keep``.
- **Searches** (``scale_searches.SEARCHES``): the queryset each back-office page (or filer
  list) builds, with criteria drawn at random from the database each run; a run is what the
  page's ``Paginator`` costs, the count and the first page of 25 rows (ORM and decryption
  included, no HTTP). Each size is measured by a child process (this file with ``--child``,
  the benchmark settings on that database): ``--warmup`` unmeasured runs, then ``--runs``
  rounds in which every search runs once, so that a busy moment of the shared machine falls
  on every search alike.
- **Figures**: ``NAME_small_median``, ``_small_p95``, ``_national_median``, ``_national_p95``
  (ms), ``NAME_ratio_median`` and ``_ratio_p95`` (national / small), ``NAME_small_results`` /
  ``_national_results`` (the median count the page showed); ``searches_within_2x``.
- ``--before`` (national database only): the same searches with the query shapes as they were
  before issue 17 (``scale_searches.BEFORE``) and without its indexes, the redundant foreign
  key indexes it removed put back, all inside a transaction that is rolled back
  (``NAME_before_national_median`` / ``_p95``, ``--before-runs`` runs: some are full scans).

Figures go to standard output (``name: value unit``), progress to standard error, and a copy to
``bench/results/<date>-scale.txt`` unless ``--no-save``. Nothing asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402

REPO = harness.REPO
RESULT_PREFIX = "RESULT "
SIZES = ("small", "national")
# The indexes as they were before issue 17 where it removed or changed them (the foreign keys
# now led by a composite index, the card-number index with its LIKE twin, the bureau index):
# put back for ``--before``, after ``scale_searches.NEW_INDEXES`` and the new bureau index are
# dropped.
OLD_INDEXES = (
    "filings_filing (event_id)",
    "filings_filing (bureau_id)",
    "filings_filing (filer_id)",
    "filings_filing (organization_id)",
    "filings_filing (resident_account_id)",
    "filings_filing (card_number_index)",
    "filings_filing (card_number_index varchar_pattern_ops)",
    "filings_filing (bureau_id, state, filed_at DESC)",
    "filings_ofiling (kind_id)",
    "filings_ofiling (organization_id)",
    "filings_ofiling (bureau_id)",
)


def database_url(base: str, size: str) -> str:
    return f"{base.rstrip('/')}/zairyu_scale_{size}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


# --- The child: one database, every search ---------------------------------------------------


def child(args: argparse.Namespace) -> int:
    import generate_national

    generate_national.setup_django(args.database_url)
    import national_rows
    import scale_searches

    names = args.only or list(scale_searches.SEARCHES)
    rng = random.Random(args.seed)
    officers = generate_national.officers(national_rows.reference_data())
    samples = scale_searches.samples(rng, officers)
    found = measure(scale_searches.SEARCHES, names, samples, rng, args.runs, args.warmup)
    for name in names:
        print(RESULT_PREFIX + json.dumps({"name": name, **found[name]}), flush=True)
    if args.before:
        for name, record in measure_before(names, samples, rng, args.before_runs).items():
            print(RESULT_PREFIX + json.dumps({"name": f"{name}_before", **record}), flush=True)
    return 0


def measure(searches: dict, names: list[str], samples, rng, runs: int, warmup: int) -> dict:
    """``warmup`` + ``runs`` rounds of every search, fresh criteria each time: ms per run and
    the results found (the count) per run."""
    import scale_searches

    found: dict[str, dict] = {name: {"ms": [], "rows": []} for name in names}
    for round_number in range(warmup + runs):
        for name in names:
            queryset = searches[name](samples, rng)
            started = time.perf_counter()
            count = scale_searches.evaluate(queryset)
            if round_number >= warmup:
                found[name]["ms"].append((time.perf_counter() - started) * 1000)
                found[name]["rows"].append(count)
        if round_number == warmup:
            harness.log(f"measuring {runs} rounds of {len(names)} searches")
    return found


def measure_before(names: list[str], samples, rng, runs: int) -> dict:
    """The old shapes without the new indexes (and with the old ones), rolled back after."""
    import scale_searches
    from django.db import connection, transaction

    searches = {
        name: scale_searches.BEFORE.get(name, scale_searches.SEARCHES[name]) for name in names
    }
    with transaction.atomic():
        with connection.cursor() as cursor:
            for index in (*scale_searches.NEW_INDEXES, "filings_bureau_idx"):
                cursor.execute(f'DROP INDEX IF EXISTS "{index}"')
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for index in OLD_INDEXES:
                started = time.monotonic()
                cursor.execute(f"CREATE INDEX ON {index}")
                harness.log(f"before: index on {index} ({time.monotonic() - started:.0f} s)")
        found = measure(searches, names, samples, rng, runs, warmup=1)
        transaction.set_rollback(True)
    return found


# --- The parent ------------------------------------------------------------------------------


def generated_counts(url: str) -> tuple[int, int] | None:
    import psycopg

    try:
        with psycopg.connect(url) as connection:
            cards = connection.execute("SELECT count(*) FROM cards_residencecard").fetchone()[0]
            filings = connection.execute("SELECT count(*) FROM filings_filing").fetchone()[0]
    except psycopg.Error:
        return None
    return cards, filings


def generate(size: str, url: str, cards: int, filings: int, args: argparse.Namespace) -> None:
    """Fill the database of ``size`` (or reuse it), printing the generator's figures."""
    import generate_national

    if args.reuse and generated_counts(url) == (cards, filings):
        harness.log(f"{size}: reusing {generate_national.database_name(url)}")
        harness.emit(f"{size}_generate_reused", "yes")
        return
    generate_national.drop_database(url)
    harness.log(f"{size}: generating {cards} cards and {filings} filings")
    command = [
        sys.executable,
        str(BENCH_DIR / "generate_national.py"),
        "--database-url",
        url,
        "--cards",
        str(cards),
        "--filings",
        str(filings),
        "--seed",
        str(args.seed),
    ]
    result = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, text=True, check=True)
    for line in result.stdout.splitlines():
        name, _, value = line.partition(": ")
        if name in ("database",):
            continue
        harness.emit(f"{size}_generate_{name}", value)


def run_child(size: str, url: str, args: argparse.Namespace) -> dict[str, list[float]]:
    command = [
        sys.executable,
        __file__,
        "--child",
        "--database-url",
        url,
        "--runs",
        str(args.runs),
        "--warmup",
        str(args.warmup),
        "--seed",
        str(args.seed),
    ]
    for name in args.only or []:
        command += ["--only", name]
    if args.before and size == "national":
        command += ["--before", "--before-runs", str(args.before_runs)]
    harness.log(f"{size}: measuring")
    result = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, text=True, check=True)
    found = {}
    for line in result.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            record = json.loads(line.removeprefix(RESULT_PREFIX))
            found[record.pop("name")] = record
    return found


def report(results: dict[str, dict[str, dict]], limit: float = 2.0) -> None:
    """Per search: median and p95 at each size, their ratios, the median number of results;
    the ``--before`` figures when there are."""
    within = 0
    names = [n for n in results["small"] if not n.endswith("_before")]
    for name in names:
        figures = {}
        for size in SIZES:
            record = results[size][name]
            figures[size] = (statistics.median(record["ms"]), percentile(record["ms"], 0.95))
            harness.emit(f"{name}_{size}_median", figures[size][0], "ms", digits=2)
            harness.emit(f"{name}_{size}_p95", figures[size][1], "ms", digits=2)
            harness.emit(f"{name}_{size}_results", statistics.median(record["rows"]), "rows")
        ratio_median = figures["national"][0] / figures["small"][0]
        ratio_p95 = figures["national"][1] / figures["small"][1]
        harness.emit(f"{name}_ratio_median", ratio_median, "x", digits=2)
        harness.emit(f"{name}_ratio_p95", ratio_p95, "x", digits=2)
        within += ratio_median <= limit and ratio_p95 <= limit
        before = results["national"].get(f"{name}_before")
        if before:
            harness.emit(f"{name}_before_national_median", statistics.median(before["ms"]), "ms")
            harness.emit(f"{name}_before_national_p95", percentile(before["ms"], 0.95), "ms")
    harness.emit("searches_within_2x", f"{within}/{len(names)}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=4_000_000)
    parser.add_argument("--filings", type=int, default=10_000_000)
    parser.add_argument("--small-cards", type=int, default=20_000)
    parser.add_argument("--small-filings", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=50, help="measured runs of each search")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured runs first")
    parser.add_argument("--reuse", action="store_true", help="keep a database already filled")
    parser.add_argument("--keep", action="store_true", help="do not drop the databases at the end")
    parser.add_argument("--before", action="store_true", help="also time the pre-issue-17 shapes")
    parser.add_argument("--before-runs", type=int, default=5)
    parser.add_argument("--only", action="append", metavar="NAME", help="this search only")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"),
        help="the server (without a database name)",
    )
    parser.add_argument("--no-save", dest="save", action="store_false")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child(args)
    started = time.monotonic()
    plans = {
        "small": (args.small_cards, args.small_filings),
        "national": (args.cards, args.filings),
    }
    urls = {size: database_url(args.postgres_url, size) for size in SIZES}
    with contextlib.ExitStack() as stack:
        if args.save:
            results_dir = BENCH_DIR / "results"
            results_dir.mkdir(exist_ok=True)
            path = results_dir / f"{datetime.now():%Y%m%d-%H%M%S}-scale.txt"
            harness.FIGURE_SINKS.append(stack.enter_context(path.open("w")))
        harness.emit("date", datetime.now().astimezone().isoformat(timespec="seconds"))
        harness.emit("load_average_before", os.getloadavg()[0], "load", digits=2)
        for size in SIZES:
            harness.emit(f"{size}_cards", plans[size][0], "rows")
            harness.emit(f"{size}_filings", plans[size][1], "rows")
        try:
            for size in SIZES:
                generate(size, urls[size], *plans[size], args)
            results = {size: run_child(size, urls[size], args) for size in SIZES}
            report(results)
        finally:
            if not args.keep:
                import generate_national

                for url in urls.values():
                    generate_national.drop_database(url)
        harness.emit("runs", args.runs, "runs")
        harness.emit("load_average_after", os.getloadavg()[0], "load", digits=2)
        harness.emit("bench_wall_time", time.monotonic() - started, "s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
