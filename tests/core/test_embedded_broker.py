"""The embedded broker of ``make run``: kombu's SQLAlchemy transport on a SQLite file
(zairyu.core.broker, docs/decisions/0007-embedded-background-work.md). A worker started on it
is tested in test_worker_kill.py and test_serve.py."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from kombu import Connection
from kombu.transport import resolve_transport
from kombu.transport import sqlalchemy as kombu_sqlalchemy

from zairyu.core import broker

ROOT = Path(__file__).resolve().parents[2]


def test_sqla_urls_use_the_zairyu_transport():
    broker.register()
    assert resolve_transport("sqla") is broker.Transport
    assert resolve_transport("sqlalchemy") is broker.Transport
    assert broker.sqlite_path("sqla+sqlite:////srv/var/broker.sqlite3") == "/srv/var/broker.sqlite3"
    assert broker.sqlite_path("redis://127.0.0.1:6379/0") is None
    assert broker.sqlite_path("filesystem://") is None


def test_messages_round_trip_in_wal_mode_and_delivered_ones_are_deleted(tmp_path):
    url = f"sqla+sqlite:///{tmp_path / 'b' / 'broker.sqlite3'}"
    broker.prepare(url)  # creates the folder and the tables
    with Connection(url, transport_options={"polling_interval": 0.05}) as conn:
        assert conn.transport.polling_interval == 0.05  # read, and kept from create_engine
        channel = conn.default_channel
        channel._new_queue("q")
        for n in range(3):
            channel._put("q", {"n": n})
        channel._next_prune = 0.0
        assert channel._get("q") == {"n": 0}  # oldest first
        assert channel._get("q") == {"n": 1}
    db = sqlite3.connect(tmp_path / "b" / "broker.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = db.execute("SELECT visible FROM kombu_message").fetchall()
    # The first delivery's prune deleted its own (delivered) row; the second's stays until the
    # next prune (at most a minute later); the third is waiting.
    assert sorted(visible for (visible,) in rows) == [0, 1]


def test_a_forked_process_opens_its_own_connections(tmp_path):
    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    broker.prepare(url)
    with Connection(url) as conn:
        conn.default_channel._new_queue("q")
        assert kombu_sqlalchemy.Channel._engines  # this process holds an engine
        pid = os.fork()
        if pid == 0:  # the child: a pool worker publishing after the fork
            code = 1
            try:
                if not kombu_sqlalchemy.Channel._engines:
                    with Connection(url) as child:
                        child.default_channel._put("q", {"from": "child"})
                    code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert conn.default_channel._get("q") == {"from": "child"}


def test_the_default_broker_is_the_sqlite_file_and_site_url_follows_port(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CELERY_BROKER_URL", "SITE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="zairyu.settings.dev",
        ZAIRYU_VAR_DIR=str(tmp_path / "var"),
        PORT="8100",
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    )
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "from zairyu.celery import app; "
        "print(settings.CELERY_BROKER_URL); print(settings.ZAIRYU_SITE_URL); "
        "print(app.conf.broker_transport_options)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    url, site, options = result.stdout.split("\n")[:3]
    assert url == f"sqla+sqlite:///{tmp_path / 'var' / 'broker.sqlite3'}"
    assert site == "http://127.0.0.1:8100"
    assert options == "{'polling_interval': 0.2}"
