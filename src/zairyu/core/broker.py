"""The embedded broker of ``make run``: kombu's SQLAlchemy transport on a SQLite file.

A message is a row that becomes visible when the INSERT that writes it commits, so a worker can
never read half of one (the filesystem transport could: celery/kombu#1551, a worker dead of
``JSONDecodeError``). ``zairyu.celery`` registers this transport for ``sqla+…`` URLs; it is
kombu's own with five additions (docs/decisions/0007-embedded-background-work.md, 0009):

- ``polling_interval`` (how often an idle worker looks for a message) is taken out of the options
  before they reach ``create_engine``, which refuses unknown keywords;
- SQLite connections wait for a lock instead of failing (``busy_timeout``) and the file runs in
  WAL mode, so publishers and the polling worker do not block each other's reads;
- a process forked from one that had connections (Celery's pool workers) opens its own: SQLite
  connections must not cross a fork;
- delivered messages are deleted (kombu keeps them, marked invisible, for ever), at most once a
  minute by the consuming worker, so the table a worker polls stays small;
- a worker whose pool is full (its prefetch reached) looks for a free slot every
  ``QOS_WAIT_SECONDS`` instead of sleeping the polling interval as if the queues were empty: kombu
  slept 0.2 s after every task, which capped a worker at ``concurrency`` tasks per 0.2 s
  whatever the tasks cost (10 a second with 2 processes; issue 17).

The queues (``QUEUES``, routed in ``zairyu.celery``; docs/decisions/0009-urgent-queue.md) are
created up front by ``prepare``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from queue import Empty

from kombu.transport import sqlalchemy as kombu_sqlalchemy
from sqlalchemy import create_engine, event

BUSY_TIMEOUT_MS = 5_000
PRUNE_EVERY_SECONDS = 60.0
QOS_WAIT_SECONDS = 0.01

# The queues (docs/decisions/0009-urgent-queue.md): what a user waits for on a page (receipt
# numbers) goes to URGENT, mails to MAIL, everything else (registrations, bulk jobs, seals) to
# DEFAULT, Celery's default queue. ``zairyu.celery`` routes the tasks; a worker started without
# ``-Q`` consumes all three.
URGENT = "urgent"
MAIL = "mail"
DEFAULT = "celery"
QUEUES = (URGENT, MAIL, DEFAULT)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous = NORMAL")  # the rows in the database are the truth
        # Once per file (WAL mode persists; prepare() does it first). If another process holds
        # the file, it keeps its mode, which works too.
        with contextlib.suppress(sqlite3.OperationalError):
            cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


class Channel(kombu_sqlalchemy.Channel):
    _next_prune = 0.0

    def _engine_from_config(self):
        conninfo = self.connection.client
        options = dict(conninfo.transport_options)
        for key in (
            "queue_tablename",
            "message_tablename",
            "callback",
            "errback",
            "max_retries",
            "interval_start",
            "interval_step",
            "interval_max",
            "retry_errors",
            "polling_interval",
        ):
            options.pop(key, None)
        url = conninfo.hostname
        if url.startswith("sqlite:"):
            options.setdefault("connect_args", {}).setdefault("timeout", BUSY_TIMEOUT_MS / 1000)
            engine = create_engine(url, **options)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(url, **options)

    def _get(self, queue):
        payload = super()._get(queue)
        now = time.monotonic()
        if now >= self._next_prune:
            self._next_prune = now + PRUNE_EVERY_SECONDS
            self._prune()
        return payload

    def _prune(self) -> None:
        """Delete the messages already handed out (kombu marks them invisible and keeps them)."""
        try:
            self.session.query(self.message_cls).filter(self.message_cls.visible.is_(False)).delete(
                synchronize_session=False
            )
            self.session.commit()
        except Exception:  # pruning is housekeeping: never cost a delivery
            self.session.rollback()


class Transport(kombu_sqlalchemy.Transport):
    Channel = Channel

    def drain_events(self, connection, timeout=None):
        """kombu's loop, with one change: when nothing was delivered because every consuming
        channel has its prefetch taken (the pool is busy), look again in ``QOS_WAIT_SECONDS``
        (an in-memory check) rather than after the polling interval, so the next message goes
        out as soon as a task is acknowledged. Empty queues are still polled every interval."""
        started = time.monotonic()
        while True:
            try:
                self.cycle.get(self._deliver, timeout=timeout)
            except Empty:
                elapsed = time.monotonic() - started
                if timeout is not None and elapsed >= timeout:
                    raise TimeoutError from None  # socket.timeout, which kombu raises
                wait = self.polling_interval if self._room() else QOS_WAIT_SECONDS
                if wait is not None:
                    time.sleep(min(wait, timeout - elapsed) if timeout else wait)
            else:
                return

    def _room(self) -> bool:
        """Whether a consuming channel may take a message (so "empty" meant the queues)."""
        consuming = [channel for channel in self.channels if channel._consumers]
        return not consuming or any(channel.qos.can_consume() for channel in consuming)


def _forget_connections_after_fork() -> None:
    """In a forked child, drop the engines (and their SQLite connections) of the parent."""
    for engine, _session in list(kombu_sqlalchemy.Channel._engines.values()):
        engine.dispose(close=False)
    kombu_sqlalchemy.Channel._engines.clear()


os.register_at_fork(after_in_child=_forget_connections_after_fork)


def register() -> None:
    """Use this transport for ``sqla+…`` and ``sqlalchemy+…`` broker URLs."""
    from kombu import transport

    for alias in ("sqla", "sqlalchemy"):
        transport.TRANSPORT_ALIASES[alias] = "zairyu.core.broker:Transport"
        transport._transport_cache.pop(alias, None)


def sqlite_path(url: str) -> str | None:
    """The file of a ``sqla+sqlite:///…`` URL, or None for any other broker."""
    for prefix in ("sqla+sqlite:///", "sqlalchemy+sqlite:///"):
        if url.startswith(prefix):
            return url.removeprefix(prefix).split("?", 1)[0] or None
    return None


def prepare(url: str) -> None:
    """Create the SQLite broker's folder, tables and queues up front (once, before the workers
    and beat start together and race to create them). Other brokers: nothing to do."""
    path = sqlite_path(url)
    if path is None:
        return
    from pathlib import Path

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    from kombu import Connection

    with Connection(url) as connection:
        channel = connection.default_channel
        for queue in QUEUES:
            channel._new_queue(queue)
