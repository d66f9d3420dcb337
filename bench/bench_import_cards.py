"""Card registry import: manage.py import_cards on a generated CSV (cards/s, peak memory).

Not an HTTP benchmark. Inside ``bench/run.py`` it imports a small file (``BENCH_IMPORT_ROWS``,
default 20,000) into the benchmark database; run on its own it imports a large one into a
PostgreSQL database of its own, which it creates and migrates::

    .venv/bin/python bench/bench_import_cards.py --rows 1000000 \\
        [--database-url postgres://postgres@127.0.0.1:5432/zairyu_bench] [--keep-file]
        [--keep-database]

The standalone run drops and re-creates that database (it must be one of its own, never
the development or test database) so every run starts from the same empty registry.

Figures (``name: value unit``): the first import into an empty registry
(``import_cards_rows_per_s``, ``import_cards_peak_rss``), then the same file again, which
must change nothing (``import_cards_rerun_rows_per_s``, ``import_cards_rerun_changed``).
Peak memory is the import process's own maximum resident set (``os.wait4`` rusage of that
child), so it shows whether memory stays flat as the file grows.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402

NAME = "import_cards"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zairyu_bench"
SUMMARY = re.compile(
    r"(?P<rows>\d+) rows: (?P<created>\d+) created, (?P<updated>\d+) updated, "
    r"(?P<unchanged>\d+) unchanged, (?P<superseded>\d+) superseded, (?P<rejected>\d+) rejected"
    r".*?; (?P<seconds>[\d.]+) s; peak memory"
)


def generate(env: dict[str, str], rows: int, path: Path) -> None:
    """Write the CSV with bench/generate_cards.py (reference codes from env's database)."""
    if path.exists() and path.stat().st_size > 0:
        harness.log(f"reusing {path}")
        return
    harness.log(f"generating {rows:,} cards into {path}")
    tmp = path.with_suffix(".tmp")
    subprocess.run(
        [sys.executable, str(BENCH_DIR / "generate_cards.py"), "--rows", str(rows), "--out", tmp],
        cwd=harness.REPO,
        env=env,
        check=True,
    )
    tmp.rename(path)


def timed_import(env: dict[str, str], path: Path) -> tuple[float, int, dict[str, int]]:
    """Run import_cards in a child process; return (seconds, peak RSS in KiB, counts).

    ``seconds`` is the process's wall time (with interpreter and Django start-up);
    ``counts["seconds"]`` is the import's own time, which the rates use.
    """
    started = time.monotonic()
    with tempfile.TemporaryFile(mode="w+") as errors:
        proc = subprocess.Popen(
            [sys.executable, str(harness.REPO / "manage.py"), "import_cards", str(path)],
            cwd=harness.REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        # Read standard output to the end, then reap the child with wait4, which returns the
        # rusage of this child alone (not of every child this process has waited for).
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        errors.seek(0)
        err = errors.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise RuntimeError(f"import_cards failed ({proc.returncode}):\n{out[-2000:]}{err[-4000:]}")
    match = SUMMARY.search(out)
    if match is None:
        raise RuntimeError(f"could not read the import summary:\n{out[-2000:]}")
    counts = {key: float(value) for key, value in match.groupdict().items()}
    harness.log(out.strip().splitlines()[-1])
    return seconds, usage.ru_maxrss, counts


def empty_registry(env: dict[str, str]) -> None:
    """Delete the generated cards and persons (references "G<seed>-…") with two SQL deletes.

    Nothing else is touched, so a benchmark database shared with the HTTP benchmarks keeps its
    demo data. The standalone run starts from a new database instead (``--keep-database`` to
    reuse it).
    """
    harness.manage(
        env,
        "shell",
        "--no-imports",
        "-v0",
        "-c",
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        '    c.execute("DELETE FROM cards_residencecard WHERE person_id IN '
        "(SELECT id FROM cards_person WHERE reference LIKE 'G%-%')\")\n"
        "    c.execute(\"DELETE FROM cards_person WHERE reference LIKE 'G%-%'\")\n",
    )


def measure(env: dict[str, str], rows: int, path: Path, emit) -> None:
    """Generate, import into an empty registry, import again; report through ``emit``."""
    generate(env, rows, path)
    empty_registry(env)
    seconds, peak_kib, counts = timed_import(env, path)
    if counts["rejected"]:
        raise RuntimeError(f"{counts['rejected']} generated rows were rejected")
    emit("import_cards_rows", int(counts["rows"]), "rows", 0)
    emit("import_cards_seconds", counts["seconds"], "s", 1)
    emit("import_cards_process_seconds", seconds, "s", 1)
    emit("import_cards_rows_per_s", counts["rows"] / counts["seconds"], "rows/s", 0)
    emit("import_cards_peak_rss", peak_kib / 1024, "MiB", 0)
    seconds, peak_kib, counts = timed_import(env, path)
    emit("import_cards_rerun_rows_per_s", counts["rows"] / counts["seconds"], "rows/s", 0)
    emit("import_cards_rerun_peak_rss", peak_kib / 1024, "MiB", 0)
    emit("import_cards_rerun_changed", int(counts["created"] + counts["updated"]), "rows", 0)


def run(ctx) -> None:
    """Import a small generated file into the benchmark database (inside bench/run.py)."""
    rows = int(os.environ.get("BENCH_IMPORT_ROWS", "20000"))
    path = harness.DEFAULT_VAR_DIR / f"cards-{rows}.csv"

    def emit(name, value, unit, digits):
        ctx.figure(name, value, unit, digits=digits)

    measure(ctx.server.env, rows, path, emit)


def fresh_database(url: str, *, keep: bool) -> None:
    """Create the PostgreSQL database named in ``url``, dropping it first unless ``keep``."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    if "bench" not in name and not keep:
        raise SystemExit(f"refusing to drop {name!r}: use a database whose name says bench")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not keep:
            harness.log(f"dropping database {name}")
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            harness.log(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')


def main(argv: list[str] | None = None) -> int:
    """Import a large generated file into its own PostgreSQL database and print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--keep-file", action="store_true", help="keep the generated CSV")
    parser.add_argument(
        "--keep-database",
        action="store_true",
        help="reuse the database instead of starting from a new one (only the generated cards "
        "are deleted before the import)",
    )
    args = parser.parse_args(argv)
    if args.database_url.startswith("postgres"):
        fresh_database(args.database_url, keep=args.keep_database)
    var_dir = harness.DEFAULT_VAR_DIR
    var_dir.mkdir(parents=True, exist_ok=True)
    env = harness.server_env(args.database_url, var_dir)
    harness.log("migrating")
    harness.manage(env, "migrate", "--noinput", "-v0")
    vendor, version = harness.describe_database(env)
    harness.emit("database", vendor)
    harness.emit("database_version", version)
    harness.emit("machine", f"{os.uname().machine} {os.cpu_count()}", "cores")
    path = var_dir / f"cards-{args.rows}.csv"
    try:
        measure(env, args.rows, path, lambda n, v, u, d: harness.emit(n, v, u, digits=d))
        harness.emit("import_cards_file_size", path.stat().st_size / 2**20, "MiB")
    finally:
        if not args.keep_file:
            path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
