"""``manage.py serve`` (make run) supervises its children (issue 15).

Run as a real subprocess on a free port with the ``make run`` settings in a temporary var/: each
child (web, worker, beat, the urgent worker) killed with SIGKILL comes back with a line on the
terminal, the site answers again, Ctrl-C stops everything and exits 0, the children's chatter is
in var/log/ and not on the terminal; a child that keeps failing at once makes ``serve`` give up
with status 1.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHILDREN = ("web", "worker", "beat", "urgent")  # in the order of serve's "pids a, b, c, d"


def wait_for(predicate, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    shown = log.read_text() if log is not None and log.exists() else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{shown}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by serve) counts as gone.
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z"):
            return False
    return True


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


class Serve:
    def __init__(self, tmp_path: Path, port: int, *extra: str) -> None:
        self.var = tmp_path / "var"
        self.out = tmp_path / "serve.out"
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
        }
        env.update(
            DJANGO_SETTINGS_MODULE="zairyu.settings.dev",
            ZAIRYU_VAR_DIR=str(self.var),
            PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        )
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "serve",
                "--addr",
                f"127.0.0.1:{port}",
                "--no-demo-logins",
                "--concurrency",
                "1",
                *extra,
            ],
            cwd=ROOT,
            env=env,
            stdout=self.out.open("w"),
            stderr=subprocess.STDOUT,
        )

    def text(self) -> str:
        return self.out.read_text()

    def pids(self) -> dict[str, int]:
        """Each child's current pid, as the terminal lines tell it."""
        text = self.text()
        start = re.search(r"pids (\d+), (\d+), (\d+), (\d+)", text)
        found = dict(zip(CHILDREN, map(int, start.groups()), strict=True))
        for name, pid in re.findall(r"(\w+) restarted \(pid (\d+)\)", text):
            found[name] = int(pid)
        return found

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def test_serve_restarts_each_killed_child_and_ctrl_c_stops_all(tmp_path):
    port = free_port()
    serve = Serve(tmp_path, port)
    try:
        wait_for(lambda: "Zairyu is running" in serve.text(), 90, "the site", serve.out)
        first = serve.pids()
        for name in ("worker", "beat", "urgent", "web"):
            before = serve.pids()[name]
            os.kill(before, signal.SIGKILL)
            wait_for(
                lambda n=name, b=before: serve.pids()[n] != b and alive(serve.pids()[n]),
                30,
                f"{name} to come back",
                serve.out,
            )
            assert re.search(
                rf"{name} killed by SIGKILL after \d+ s; restarting in 1 s", serve.text()
            )
        wait_for(lambda: answers(port), 30, "the site to answer again", serve.out)
        time.sleep(1.5)  # the restarted children stay up
        now = serve.pids()
        assert all(alive(pid) for pid in now.values()), now
        assert all(now[name] != first[name] for name in now)
        assert serve.proc.poll() is None

        serve.proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert serve.proc.wait(40) == 0
        assert "Stopped web, workers and beat." in serve.text()
        wait_for(lambda: not any(alive(pid) for pid in now.values()), 10, "every child to end")
    finally:
        serve.stop()

    terminal = serve.text()
    assert "Task zairyu." not in terminal and "celery@" not in terminal  # no worker chatter
    assert "GET /healthz" not in terminal  # no access log
    logs = serve.var / "log"
    assert "Task zairyu." in (logs / "worker.log").read_text()
    urgent = (logs / "urgent.log").read_text()
    # The urgent worker consumes the urgent and mail queues, and those only.
    assert "urgent1@" in urgent and ".> urgent" in urgent and ".> mail" in urgent
    assert ".> celery" not in urgent and ".> celery" in (logs / "worker.log").read_text()
    assert "Sending due task" in (logs / "beat.log").read_text()
    assert "GET /healthz" in (logs / "web.log").read_text()


def test_serve_gives_up_after_repeated_fast_failures_and_exits_1(tmp_path):
    port = free_port()
    with socket.socket() as taken:  # the port is in use: the web server fails at once
        taken.bind(("127.0.0.1", port))
        taken.listen()
        serve = Serve(tmp_path, port, "--backoff", "0.1")
        try:
            code = serve.proc.wait(90)
        finally:
            serve.stop()
    text = serve.text()
    assert code == 1, text
    assert text.count("web exited with status 1") == 4  # restarted four times, then given up
    assert "web failed 5 times in a row" in text
    assert "That port is already in use" in text  # the last lines of var/log/web.log
    assert "Stopped web, workers and beat." in text
