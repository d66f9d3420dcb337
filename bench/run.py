"""Run the benchmarks in bench/ against gunicorn with the benchmark settings and print figures.

Every module bench/bench_*.py that defines ``run(ctx)`` is a benchmark; its name is its
``NAME`` (or the file name without ``bench_``). The baseline runs first, always, because the
other benchmarks print their throughput as a ratio of it. Usage::

    .venv/bin/python bench/run.py [--duration 8] [--rounds 1] [--only NAME ...] [--list]

PostgreSQL is used when DATABASE_URL is set, SQLite under var/bench/ otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import platform
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path
from types import ModuleType

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402

RESULTS_DIR = BENCH_DIR / "results"  # ignored by git
BASELINE = "baseline"


def discover() -> dict[str, ModuleType]:
    """Import each bench/bench_*.py that has ``run``; return them by name, baseline first."""
    found: dict[str, ModuleType] = {}
    for path in sorted(BENCH_DIR.glob("bench_*.py")):
        module = importlib.import_module(path.stem)
        if callable(getattr(module, "run", None)):
            name = getattr(module, "NAME", path.stem.removeprefix("bench_"))
            found[name] = module
    if BASELINE not in found:
        raise SystemExit("bench/bench_baseline.py is missing: the other figures need it")
    return {BASELINE: found.pop(BASELINE), **found}


def parse_args(argv: list[str] | None, names: list[str]) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8, help="seconds of load per benchmark")
    parser.add_argument(
        "--rounds", type=int, default=1, help="run everything N times and print the medians"
    )
    parser.add_argument("--warmup", type=float, default=2, help="seconds of unmeasured load first")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument("--worker-threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument(
        "--only",
        action="append",
        choices=names,
        metavar="NAME",
        help=f"run only this benchmark (repeatable; the baseline always runs): {', '.join(names)}",
    )
    parser.add_argument(
        "--no-save",
        dest="save",
        action="store_false",
        help="do not copy the figures to bench/results/",
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Read the command line, pick the benchmarks and run them; return the exit status."""
    benchmarks = discover()
    args = parse_args(argv, list(benchmarks))
    if args.list:
        for name, module in benchmarks.items():
            print(f"{name}: {(module.__doc__ or '').strip().splitlines()[0]}")
        return 0
    if shutil.which("wrk") is None:
        harness.log("wrk is not installed (Debian package wrk; `make bench` installs it)")
        return 2
    selected = list(benchmarks)
    if args.only:
        selected = [n for n in benchmarks if n == BASELINE or n in args.only]

    database_url = os.environ.get("DATABASE_URL") or None
    with contextlib.ExitStack() as stack:
        if args.save:
            RESULTS_DIR.mkdir(exist_ok=True)
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            kind = database_url.split(":", 1)[0] if database_url else "sqlite"
            path = RESULTS_DIR / f"{stamp}-{kind}.txt"
            harness.FIGURE_SINKS.append(stack.enter_context(path.open("w")))
            harness.log(f"figures are also written to {path.relative_to(harness.REPO)}")
        return run_all(args, benchmarks, selected, database_url)


def run_all(
    args: argparse.Namespace,
    benchmarks: dict[str, ModuleType],
    selected: list[str],
    database_url: str | None,
) -> int:
    """Start the server, run the selected benchmarks for every round and print the figures."""
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    with harness.running_server(
        database_url=database_url,
        workers=args.workers,
        worker_class=args.worker_class,
        threads=args.worker_threads,
    ) as server:
        ctx = harness.BenchContext(
            server=server,
            duration=args.duration,
            warmup=args.warmup,
            connections=args.connections,
            threads=args.threads,
        )
        harness.emit("date", datetime.now().astimezone().isoformat(timespec="seconds"))
        harness.emit("machine", f"{platform.machine()} {os.cpu_count()}", "cores")
        harness.emit("database", server.database)
        harness.emit("database_version", server.database_version)
        harness.emit("gunicorn_workers", f"{server.workers} {server.worker_class}", "workers")
        if server.worker_class == "gthread":
            harness.emit("gunicorn_threads", server.threads, "threads")
        harness.emit("wrk_connections", ctx.connections, "connections")
        harness.emit("wrk_threads", ctx.threads, "threads")
        harness.emit("wrk_duration", f"{ctx.duration:g}", "s")
        harness.emit("rounds", args.rounds, "rounds")
        harness.emit("load_average_before", load_before, "load", digits=2)
        try:
            for round_number in range(1, args.rounds + 1):
                ctx.results.clear()
                for name in selected:
                    harness.log(
                        f"round {round_number}/{args.rounds}: {name} "
                        f"({ctx.warmup:g} s warm-up, {ctx.duration:g} s measured)"
                    )
                    benchmarks[name].run(ctx)
        finally:
            ctx.flush()
    harness.emit("load_average_after", os.getloadavg()[0], "load", digits=2)
    harness.emit("bench_wall_time", time.monotonic() - started, "s")
    if ctx.failures:
        harness.log(f"failed requests in: {', '.join(sorted(set(ctx.failures)))}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
