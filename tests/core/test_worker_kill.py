"""A worker killed with SIGKILL in the middle of a task loses no work and does none twice.

The unit of work is a real one: an outbox mail to a real SMTP port. The first worker takes
the mail and hangs on an SMTP server that accepts the connection but never greets; we kill
its main process with SIGKILL. A new worker with beat then finds the abandoned row through
the sweeper once the lease has run out, and a real SMTP server receives the mail exactly once.
Run on the SQLite broker (the default, docs/decisions/0007-embedded-background-work.md), the
filesystem broker (both lose the in-flight message) and on Redis.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection, transaction

from tests.conftest import SmtpServer
from zairyu.mail import services as mail_services
from zairyu.mail.models import Mail

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


class HungSmtpServer:
    """Accepts TCP connections on the port and never says a word."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen()
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        for conn in self.connections:
            conn.close()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.sock.close()
        self.thread.join(5)


def broker_url(kind: str, folder: Path) -> str:
    if kind == "filesystem":
        return "filesystem://"
    if kind == "sqlite":
        return f"sqla+sqlite:///{folder / 'broker.sqlite3'}"
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        url = "redis://127.0.0.1:6379/2"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except redis.RedisError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is needed for this test in CI: {exc}")
        pytest.skip(f"Redis not reachable at {url}: {exc}")
    return url


def database_url() -> str:
    sd = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{sd['NAME']}"
    user = sd.get("USER") or "postgres"
    return (
        f"postgres://{user}@{sd.get('HOST') or '127.0.0.1'}:{sd.get('PORT') or 5432}/{sd['NAME']}"
    )


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def transport_options(folder: Path) -> dict:
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "store_processed": True,
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
    }


@pytest.mark.parametrize("kind", ["sqlite", "filesystem", "redis"])
def test_killed_worker_mail_is_sent_exactly_once_after_restart(kind, tmp_path, monkeypatch):
    folder = tmp_path / "broker"
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True)
    url = broker_url(kind, folder)
    smtp = SmtpServer()
    hung = HungSmtpServer(smtp.port)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zairyu.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": url,
        "CELERY_BROKER_FOLDER": str(folder),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "120",
        "ZAIRYU_WORK_LEASE_SECONDS": "3",
        "ZAIRYU_SWEEP_SECONDS": "1",
        "MAIL_RETRY_BASE_SECONDS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    worker_cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "zairyu",
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        "1",
        "--loglevel",
        "INFO",
        "--without-mingle",
        "--without-gossip",
    ]
    logs = tmp_path / "logs"
    logs.mkdir()
    procs: list[subprocess.Popen] = []

    def start_worker(name: str, *extra: str) -> subprocess.Popen:
        log = (logs / f"{name}.log").open("w")
        proc = subprocess.Popen(
            [*worker_cmd, "-n", f"{name}@%h", *extra],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        procs.append(proc)
        return proc

    # Write the mail without the in-process (eager) send; publish to the real broker instead.
    monkeypatch.setattr(mail_services, "enqueue_on_commit", lambda *args: None)
    with transaction.atomic():
        mail = mail_services.mail_queue(
            template="mail_check", to="resident@example.jp", language="ja", context={}
        )
    monkeypatch.setenv("CELERY_BROKER_URL", url)  # Celery lets this variable override broker=
    publisher = Celery("publisher", broker=url, set_as_current=False)
    if kind == "filesystem":
        publisher.conf.broker_transport_options = transport_options(folder)
    publisher.send_task("zairyu.mail.send", args=[mail.pk])

    try:
        first = start_worker("first")
        wait_for(lambda: hung.connections, 240, "the first worker to start sending")
        mail.refresh_from_db()
        assert mail.state == Mail.State.SENDING

        os.kill(first.pid, signal.SIGKILL)  # the worker's main process, mid-task
        first.wait(10)
        hung.close()
        smtp.start()

        start_worker("second", "--beat", "--schedule", str(tmp_path / "beat-schedule"))
        wait_for(lambda: smtp.messages, 240, "the mail to arrive after the restart")
        time.sleep(4)  # more sweeps, redelivered messages: nothing may arrive twice
        assert len(smtp.messages) == 1
        assert smtp.messages[0].rcpt_tos == ["resident@example.jp"]
        mail.refresh_from_db()
        assert mail.state == Mail.State.SENT
    except AssertionError:
        for log in sorted(logs.iterdir()):
            print(f"--- {log.name}\n{log.read_text()[-4000:]}")
        raise
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        smtp.stop()
        hung.close()
