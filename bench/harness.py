"""Reusable pieces for the benchmarks in bench/: a server, a load generator and figure printing.

A benchmark module (bench/bench_*.py) gets a :class:`BenchContext` and uses it like this::

    def run(ctx):
        result = ctx.load("/some/path/")
        ctx.report("some_page", result)
        ctx.ratio("some_page_vs_baseline", result)

Figures go to standard output as ``name: value unit`` lines and nothing else does; progress
and warnings go to standard error, so ``bench/run.py > figures.txt`` keeps only the figures.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

REPO = Path(__file__).resolve().parent.parent
SETTINGS = "zairyu.settings.bench"
DEFAULT_VAR_DIR = REPO / "var" / "bench"


def log(message: str) -> None:
    """Write a progress message to standard error (standard output carries only figures)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# Files that get a copy of every figure line (bench/run.py adds one under bench/results/).
FIGURE_SINKS: list[TextIO] = []


def emit(name: str, value: float | int | str, unit: str = "", digits: int = 1) -> None:
    """Print one figure as a ``name: value unit`` line (and copy it to FIGURE_SINKS)."""
    text = f"{value:.{digits}f}" if isinstance(value, float) else str(value)
    line = f"{name}: {text} {unit}".rstrip()
    print(line, flush=True)
    for sink in FIGURE_SINKS:
        sink.write(line + "\n")


# --- The server ----------------------------------------------------------------------------


def server_env(database_url: str | None, var_dir: Path) -> dict[str, str]:
    """Return the environment for manage.py and gunicorn under the benchmark settings."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS
    env["ZAIRYU_VAR_DIR"] = str(var_dir)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    """Run ``manage.py ARGS`` with the given environment and return its standard output."""
    proc = subprocess.run(
        [sys.executable, str(REPO / "manage.py"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def describe_database(env: dict[str, str]) -> tuple[str, str]:
    """Ask Django which database the settings connect to; return (vendor, version)."""
    out = manage(
        env,
        "shell",
        "--no-imports",
        "-v0",
        "-c",
        "from django.db import connection; "
        "print(connection.vendor); "
        "print('.'.join(map(str, connection.get_database_version())))",
    )
    vendor, version = out.split()[-2:]
    return vendor, version


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(base_url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """Poll ``/healthz`` until it answers 200; raise if the server dies or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base_url}/healthz did not answer within {timeout:.0f} s")


def stop_process_group(proc: subprocess.Popen, grace: float = 15.0) -> None:
    """Stop gunicorn gracefully (SIGTERM to its master), then kill its group if it lingers.

    The master waits for its workers before it exits, so after a clean stop nothing is left.
    The group is killed only while the master is still unreaped, so its id cannot be reused.
    """
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        log("gunicorn did not stop in time; killing its process group")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@dataclass
class Server:
    """A running gunicorn: where it answers and what it runs on."""

    base_url: str
    env: dict[str, str]
    database: str
    database_version: str
    workers: int
    worker_class: str
    threads: int
    log_path: Path


@contextlib.contextmanager
def running_server(
    database_url: str | None = None,
    var_dir: Path = DEFAULT_VAR_DIR,
    workers: int = 3,
    worker_class: str = "sync",
    threads: int = 1,
) -> Iterator[Server]:
    """Migrate, start gunicorn with the benchmark settings, yield it, and stop it.

    ``database_url`` selects PostgreSQL (or any URL dj-database-url reads); without it the
    settings use SQLite under ``var_dir``. Static files are collected so pages that link them
    behave as in production.
    """
    var_dir.mkdir(parents=True, exist_ok=True)
    env = server_env(database_url, var_dir)
    log("migrating")
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    database, version = describe_database(env)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = var_dir / "gunicorn.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "zairyu.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--graceful-timeout",
        "10",
        "--log-level",
        "warning",
    ]
    log(f"starting gunicorn ({workers} {worker_class} workers) on {base_url}, log {log_path}")
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            try:
                wait_for_health(base_url, proc)
            except RuntimeError:
                log_file.flush()
                sys.stderr.write(log_path.read_text()[-4000:])
                raise
            yield Server(
                base_url=base_url,
                env=env,
                database=database,
                database_version=version,
                workers=workers,
                worker_class=worker_class,
                threads=threads,
                log_path=log_path,
            )
        finally:
            log("stopping gunicorn")
            stop_process_group(proc)


# --- The load generator --------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE = re.compile(r"^\s*(50|75|90|99)(?:\.\d+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.M)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_TOTAL = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", re.M)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass
class WrkResult:
    """What one wrk run measured. Latencies are in milliseconds."""

    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    http_errors: int = 0  # responses with status >= 400 (wrk's "Non-2xx or 3xx")
    socket_errors: dict[str, int] = field(default_factory=dict)  # connect/read/write/timeout
    raw: str = ""

    @property
    def failed(self) -> int:
        """Return how many requests failed: error statuses plus connect errors and timeouts.

        Read errors are left out: gunicorn's sync workers close the connection after each
        response, and wrk counts some of those closes as read errors.
        """
        return (
            self.http_errors
            + self.socket_errors.get("connect", 0)
            + self.socket_errors.get("timeout", 0)
        )


def parse_wrk(output: str) -> WrkResult:
    """Parse the text wrk prints with ``--latency`` into a :class:`WrkResult`."""
    percentiles = {
        int(p): float(value) * _UNITS_MS[unit] for p, value, unit in _PERCENTILE.findall(output)
    }
    rps = _RPS.search(output)
    total = _TOTAL.search(output)
    if rps is None or total is None or not {50, 90, 99} <= percentiles.keys():
        raise ValueError(f"could not parse wrk output:\n{output}")
    non_2xx = _NON_2XX.search(output)
    sockets = _SOCKET.search(output)
    socket_errors = {}
    if sockets:
        socket_errors = dict(
            zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True)
        )
    return WrkResult(
        rps=float(rps.group(1)),
        p50_ms=percentiles[50],
        p90_ms=percentiles[90],
        p99_ms=percentiles[99],
        requests=int(total.group(1)),
        http_errors=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=socket_errors,
        raw=output,
    )


def _lua_string(text: str) -> str:
    """Quote text as a Lua long string (no escapes to get wrong)."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    return f"[{eq}[{text}]{eq}]"


def request_script(method: str, body: str | None, headers: dict[str, str]) -> str:
    """Return a wrk Lua script that sends every request with this method, body and headers."""
    lines = [f"wrk.method = {_lua_string(method)}"]
    if body is not None:
        lines.append(f"wrk.body = {_lua_string(body)}")
    for name, value in headers.items():
        lines.append(f"wrk.headers[ {_lua_string(name)} ] = {_lua_string(value)}")
    return "\n".join(lines) + "\n"


def run_wrk(
    url: str,
    duration: float = 8,
    connections: int = 8,
    threads: int = 1,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
    timeout: float = 10,
) -> WrkResult:
    """Load ``url`` with wrk and return requests/s and the p50/p90/p99 latencies.

    ``method``, ``body`` and ``headers`` are turned into a small Lua script; pass ``script``
    instead for anything more (a Lua file of your own, e.g. one that varies each request).
    """
    headers = dict(headers or {})
    if body is not None and method == "GET":
        method = "POST"
    with tempfile.TemporaryDirectory(prefix="zairyu-bench-") as tmp:
        if script is None and (method != "GET" or body is not None or headers):
            script = Path(tmp) / "request.lua"
            script.write_text(request_script(method, body, headers))
        command = [
            "wrk",
            "--latency",
            "--duration",
            f"{max(1, round(duration))}s",
            "--connections",
            str(connections),
            "--threads",
            str(threads),
            "--timeout",
            f"{max(1, round(timeout))}s",
        ]
        if script is not None:
            command += ["--script", str(script)]
        command.append(url)
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return parse_wrk(proc.stdout)


def probe(url: str, method: str = "GET", body: str | None = None, headers=None) -> int:
    """Send one request and return its status (redirects are not followed)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    data = body.encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


# --- What a benchmark gets -----------------------------------------------------------------


@dataclass
class Figure:
    """Values of one named figure, one per round, and how to print them."""

    unit: str
    digits: int
    combine: str  # "median" or "sum" over the rounds
    values: list[float] = field(default_factory=list)

    def value(self) -> float:
        """Return the value to print: the median (or the sum) of the rounds' values."""
        if self.combine == "sum":
            return sum(self.values)
        return statistics.median(self.values)


@dataclass
class BenchContext:
    """The running server, the load settings and the baseline measured in this round.

    Figures are collected with :meth:`figure` (or :meth:`report` and :meth:`ratio`) and printed
    by :meth:`flush` once every round has run: with several rounds each figure is the median of
    the rounds, and each ratio is taken against the baseline of its own round first.
    """

    server: Server
    duration: float = 8
    warmup: float = 2
    connections: int = 8
    threads: int = 1
    results: dict[str, WrkResult] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        """Return the server's base URL, e.g. ``http://127.0.0.1:40123``."""
        return self.server.base_url

    @property
    def baseline(self) -> WrkResult | None:
        """Return the baseline measured in this round (None if it did not run)."""
        return self.results.get("baseline_insert")

    def manage(self, *args: str) -> str:
        """Run ``manage.py ARGS`` against the benchmark database (e.g. to create test data)."""
        return manage(self.server.env, *args)

    def load(
        self,
        path: str,
        method: str = "GET",
        body: str | None = None,
        headers: dict[str, str] | None = None,
        script: Path | None = None,
        expect: int | None = 200,
        duration: float | None = None,
    ) -> WrkResult:
        """Check one request answers ``expect``, warm up, then load ``path`` and return figures.

        Pass ``expect=None`` to skip the check (e.g. when ``script`` builds the requests).
        """
        url = f"{self.base_url}{path}"
        if expect is not None:
            status = probe(url, method=method, body=body, headers=headers)
            if status != expect:
                raise RuntimeError(f"{method} {path} answered {status}, expected {expect}")
        options = {
            "connections": self.connections,
            "threads": self.threads,
            "method": method,
            "body": body,
            "headers": headers,
            "script": script,
        }
        if self.warmup > 0:
            run_wrk(url, duration=self.warmup, **options)
        return run_wrk(url, duration=duration or self.duration, **options)

    def figure(
        self, name: str, value: float, unit: str, digits: int = 1, combine: str = "median"
    ) -> None:
        """Record one figure for this round; :meth:`flush` prints it."""
        figure = self.figures.setdefault(name, Figure(unit=unit, digits=digits, combine=combine))
        figure.values.append(value)

    def report(self, name: str, result: WrkResult) -> None:
        """Record requests/s and p50/p90/p99 for ``name`` and remember the result."""
        self.results[name] = result
        self.figure(f"{name}_rps", result.rps, "req/s")
        self.figure(f"{name}_p50", result.p50_ms, "ms", digits=2)
        self.figure(f"{name}_p90", result.p90_ms, "ms", digits=2)
        self.figure(f"{name}_p99", result.p99_ms, "ms", digits=2)
        self.figure(f"{name}_requests", result.requests, "requests", digits=0)
        self.figure(f"{name}_failed", result.failed, "requests", digits=0, combine="sum")
        log(f"{name}: {result.rps:.1f} req/s, p99 {result.p99_ms:.2f} ms")
        if result.failed:
            self.failures.append(name)
            log(f"{name}: {result.failed} failed requests; its figures are not to be trusted")

    def ratio(self, name: str, result: WrkResult) -> float | None:
        """Record ``result``'s requests/s divided by the baseline's as ``NAME: 0.85 ratio``."""
        if self.baseline is None or self.baseline.rps <= 0:
            log(f"{name}: no baseline in this round, so no ratio")
            return None
        value = result.rps / self.baseline.rps
        self.figure(name, value, "ratio", digits=2)
        return value

    def flush(self) -> None:
        """Print every recorded figure (median or sum over the rounds) and forget them."""
        for name, figure in self.figures.items():
            emit(name, figure.value(), figure.unit, digits=figure.digits)
        self.figures.clear()
