"""Start the web server, two Celery workers and Celery beat, and keep them running; Ctrl-C stops
all.

The workers: ``worker`` consumes every queue; ``urgent`` (``--urgent-concurrency`` processes)
consumes only the ``urgent`` and ``mail`` queues, so a receipt number or a mail never waits
behind a backlog of registrations (docs/decisions/0009-urgent-queue.md).

Used by ``make run`` (one machine; production runs each process under its own supervisor,
docs/operations.md). Each child runs in its own process group, so that one signal reaches it
whole. A child that exits is started again after a back-off (1 s, doubling up to 30 s) with a
line on the terminal; a child that ran for ``STABLE_SECONDS`` counts as healthy again. ``serve``
gives up only when one child fails ``MAX_FAST_FAILURES`` times in a row, each time within
``STABLE_SECONDS`` of its start: it then stops the others and exits with status 1.

The children's output (the workers' and beat's logs, the web access log) goes to ``var/log/``
(``web.log``, ``worker.log``, ``beat.log``, ``urgent.log``); the terminal shows the start-up,
the restarts and, last, the demo log-ins (``demo_logins``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from zairyu.core import broker

BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0
STABLE_SECONDS = 30.0
MAX_FAST_FAILURES = 5
STOP_GRACE_SECONDS = 15.0
LOG_ROTATE_BYTES = 5 * 1024 * 1024
TICK_SECONDS = 0.2


def default_addr() -> str:
    """``127.0.0.1:$PORT`` (``make run PORT=8100``), port 8000 when PORT is unset."""
    return f"127.0.0.1:{os.environ.get('PORT') or 8000}"


def local_url(addr: str) -> str:
    """The address a browser on this machine opens for runserver's ``addr``."""
    host, _, port = addr.rpartition(":")
    if not host or host in ("0.0.0.0", "0", "[::]"):  # noqa: S104 (only read, never bound here)
        host = "127.0.0.1"
    return f"http://{host}:{port or addr}"


def exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


@dataclass
class Child:
    name: str
    command: list[str]
    log_path: Path
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    fast_failures: int = 0
    restart_at: float | None = None

    def start(self, env: dict, cwd: Path) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self.log_path.exists() and self.log_path.stat().st_size > LOG_ROTATE_BYTES:
            self.log_path.replace(self.log_path.with_suffix(".log.1"))
        with self.log_path.open("ab") as log:
            log.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting {self.name}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started_at = time.monotonic()
        self.restart_at = None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        """Signal whatever is left of the child's process group (e.g. orphaned pool workers)."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)

    def tail(self, lines: int = 12) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join("    " + line for line in text.splitlines()[-lines:])


class Command(BaseCommand):
    help = (
        "Run web + worker + beat + the urgent worker as separate processes and restart any that "
        "exits (the single-machine default of make run)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--addr", default=None, help="runserver's address (default 127.0.0.1:$PORT or 8000)"
        )
        parser.add_argument("--concurrency", type=int, default=2)
        parser.add_argument(
            "--urgent-concurrency",
            type=int,
            default=1,
            help="processes of the worker that takes only receipt numbers and mails",
        )
        parser.add_argument(
            "--backoff",
            type=float,
            default=BACKOFF_FIRST_SECONDS,
            help="seconds before the first restart of a child (doubles up to 30 s)",
        )
        parser.add_argument(
            "--no-demo-logins",
            action="store_true",
            help="do not print the demo log-ins once the site answers",
        )

    def handle(
        self,
        *args,
        addr: str | None,
        concurrency: int,
        urgent_concurrency: int,
        backoff: float,
        no_demo_logins: bool,
        **options,
    ):
        addr = addr or default_addr()
        self.backoff = backoff
        root = Path(settings.BASE_DIR)
        var = Path(settings.VAR_DIR)
        logs = var / "log"
        logs.mkdir(parents=True, exist_ok=True)
        broker.prepare(settings.CELERY_BROKER_URL)
        commands = self._commands(addr, concurrency, urgent_concurrency, root)
        children = [Child(name, cmd, logs / f"{name}.log") for name, cmd in commands.items()]
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(sys.path),
            "PYTHONUNBUFFERED": "1",
        }
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for child in children:
            child.start(env, root)
        self.stdout.write(
            f"Starting web, worker, beat and the urgent worker "
            f"(pids {', '.join(str(c.proc.pid) for c in children)}); "
            f"their logs are in {self._shown(logs)}/."
        )
        gave_up = self._supervise_all(
            children, env, root, local_url(addr), logs, no_demo_logins, lambda: stopping
        )
        if gave_up is not None:
            self.stderr.write(
                f"{gave_up.name} failed {MAX_FAST_FAILURES} times in a row, each time within "
                f"{STABLE_SECONDS:.0f} s of its start; stopped everything. Last lines of "
                f"{self._shown(gave_up.log_path)}:\n{gave_up.tail()}"
            )
            sys.exit(1)

    @staticmethod
    def _commands(
        addr: str, concurrency: int, urgent_concurrency: int, root: Path
    ) -> dict[str, list[str]]:
        """The command line of each child: the web server, the worker, beat and the urgent
        worker (in this order: ``pids a, b, c, d`` on the terminal)."""
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "zairyu"]
        commands = {
            "web": [python, str(root / "manage.py"), "runserver", addr, "--noreload"],
            "worker": [
                *celery,
                "worker",
                "-n",
                "worker1@%h",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "INFO",
            ],
            "beat": [
                *celery,
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(settings.CELERY_BEAT_SCHEDULE_FILENAME),
            ],
            "urgent": [
                *celery,
                "worker",
                "-n",
                "urgent1@%h",
                "-Q",
                f"{broker.URGENT},{broker.MAIL}",
                "--concurrency",
                str(urgent_concurrency),
                "--loglevel",
                "INFO",
            ],
        }
        return commands

    def _supervise_all(
        self,
        children: list[Child],
        env: dict,
        root: Path,
        url: str,
        logs: Path,
        no_demo_logins: bool,
        stopping,
    ) -> Child | None:
        """Watch the children until Ctrl-C (``stopping()``) or one is hopeless (returned); say
        where the site is once it answers. Every child is stopped on the way out."""
        announced = False
        next_probe = 0.0
        gave_up: Child | None = None
        try:
            while not stopping() and gave_up is None:
                now = time.monotonic()
                for child in children:
                    gave_up = gave_up or self._supervise(child, now, env, root)
                if not announced and now >= next_probe and children[0].running():
                    next_probe = now + 0.5
                    if self._answers(url):
                        announced = True
                        self._announce(url, logs, no_demo_logins)
                time.sleep(TICK_SECONDS)
        finally:
            self._stop_all(children)
        return gave_up

    def _supervise(self, child: Child, now: float, env: dict, root: Path) -> Child | None:
        """Restart ``child`` if it exited (after its back-off); return it when it is hopeless."""
        if child.running():
            if child.fast_failures and now - child.started_at >= STABLE_SECONDS:
                child.fast_failures = 0
            return None
        if child.restart_at is None:  # it has just exited
            code = child.proc.returncode
            child.kill_group()
            ran = now - child.started_at
            child.fast_failures = child.fast_failures + 1 if ran < STABLE_SECONDS else 0
            if child.fast_failures >= MAX_FAST_FAILURES:
                return child
            delay = min(self.backoff * 2 ** max(child.fast_failures - 1, 0), BACKOFF_MAX_SECONDS)
            child.restart_at = now + delay
            self.stderr.write(
                f"{time.strftime('%H:%M:%S')} {child.name} {exit_reason(code)} after {ran:.0f} s; "
                f"restarting in {delay:g} s (log: {self._shown(child.log_path)})"
            )
            return None
        if now >= child.restart_at:
            child.start(env, root)
            self.stderr.write(
                f"{time.strftime('%H:%M:%S')} {child.name} restarted (pid {child.proc.pid})"
            )
        return None

    @staticmethod
    def _answers(url: str) -> bool:
        """Whether the web server answers HTTP at all (an error status is an answer too)."""
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    def _announce(self, url: str, logs: Path, no_demo_logins: bool) -> None:
        self.stdout.write(
            self.style.SUCCESS(f"Zairyu is running on {url}/ (web, workers, beat).")
            + " Ctrl-C stops them all."
        )
        if no_demo_logins:
            return
        try:
            call_command("demo_logins", stdout=self.stdout, stderr=self.stderr)
        except Exception as exc:  # the site runs all the same
            self.stderr.write(f"The demo log-ins could not be printed ({exc}).")

    def _stop_all(self, children: list[Child]) -> None:
        for child in children:
            if child.running():
                child.proc.terminate()  # the main process shuts its children down (warm stop)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            if child.proc is None:
                continue
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            child.kill_group()
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.proc.wait(timeout=5)
        self.stdout.write("Stopped web, workers and beat.")

    @staticmethod
    def _shown(path: Path) -> str:
        """``path`` relative to the working directory when it is inside it."""
        try:
            return str(path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(path)
