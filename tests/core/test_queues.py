"""Issue 17: three queues, so a registration backlog never stands in front of a receipt number
or a mail (docs/decisions/0009-urgent-queue.md): the routes, beat's sweep per queue, the
embedded SQLite broker carrying the extra queues, a busy worker on it taking the next message
as soon as a task ends, and ``serve``'s worker for the urgent queues."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from kombu import Connection, Exchange, Queue

from zairyu.celery import SWEEPS, app
from zairyu.core import broker
from zairyu.core.management.commands.serve import Command as Serve
from zairyu.core.work import _sweeper_queues, run_sweepers


def queue_of(task: str) -> str:
    return app.amqp.router.route({}, task)["queue"].name


def test_receipt_numbers_and_refused_wake_ups_are_urgent_mails_apart_the_rest_default():
    assert queue_of("zairyu.applications.receipt_number") == "urgent"
    assert queue_of("zairyu.core.wake_missed") == "urgent"
    assert queue_of("zairyu.mail.send") == "mail"
    for task in (
        "zairyu.filings.register",
        "zairyu.bulk.process",
        "zairyu.bulk.register_filings",
        "zairyu.audit.seal",
        "zairyu.core.housekeeping",
    ):
        assert queue_of(task) == "celery", task
    # A worker started without -Q consumes every queue.
    assert set(app.amqp.queues) == {"urgent", "mail", "celery"}


def test_beat_sweeps_each_queue_on_that_queue():
    schedule = app.conf.beat_schedule
    for queue, entry in SWEEPS.items():
        assert schedule[entry]["task"] == "zairyu.core.sweep"
        assert schedule[entry]["kwargs"] == {"queue": queue}
        assert schedule[entry]["options"] == {"queue": queue}
    assert schedule["wake-missed"]["task"] == "zairyu.core.wake_missed"  # routed: urgent
    assert _sweeper_queues == {
        "applications_receipt": "urgent",
        "mail": "mail",
        "filings": "celery",
        "bulk": "celery",
    }


@pytest.mark.django_db
def test_run_sweepers_runs_the_sweepers_of_one_queue_or_all():
    assert set(run_sweepers("urgent")) == {"applications_receipt"}
    assert set(run_sweepers("mail")) == {"mail"}
    assert set(run_sweepers("celery")) == {"filings", "bulk"}
    assert set(run_sweepers()) == {"applications_receipt", "mail", "filings", "bulk"}


def sqlite_broker(tmp_path: Path) -> str:
    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    broker.prepare(url)
    return url


def kombu_queue(name: str) -> Queue:
    return Queue(name, Exchange(name), routing_key=name)


def test_the_embedded_broker_has_the_three_queues_and_keeps_them_apart(tmp_path):
    url = sqlite_broker(tmp_path)
    names = {
        name
        for (name,) in sqlite3.connect(tmp_path / "broker.sqlite3").execute(
            "SELECT name FROM kombu_queue"
        )
    }
    assert names == {"urgent", "mail", "celery"}  # made up front: no race between workers
    with Connection(url, transport_options={"polling_interval": 0.05}) as conn:
        producer = conn.Producer()
        queues = {name: kombu_queue(name) for name in broker.QUEUES}
        for n in range(3):
            producer.publish(
                {"n": n}, exchange="celery", routing_key="celery", declare=[queues["celery"]]
            )
        producer.publish(
            {"n": "u"}, exchange="urgent", routing_key="urgent", declare=[queues["urgent"]]
        )
        got = []
        with conn.Consumer(
            [queues["urgent"], queues["mail"]],
            callbacks=[lambda body, message: (got.append(body), message.ack())],
        ):
            conn.drain_events(timeout=2)
            with pytest.raises(TimeoutError):
                conn.drain_events(timeout=0.3)  # the default queue's messages are not its own
        assert got == [{"n": "u"}]
        assert conn.default_channel._size("celery") == 3


def test_a_task_published_through_the_routes_lands_in_its_queue_of_the_embedded_broker(
    tmp_path,
):
    from zairyu.applications.tasks import receipt_number_task
    from zairyu.filings.tasks import filing_register_task
    from zairyu.mail.tasks import send_mail_task

    url = sqlite_broker(tmp_path)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False  # published for real, not run in-process
    try:
        with app.connection_for_write(url) as conn:
            receipt_number_task.apply_async((1,), connection=conn)
            send_mail_task.apply_async((2,), connection=conn)
            filing_register_task.apply_async((3,), connection=conn)
            sizes = {name: conn.default_channel._size(name) for name in broker.QUEUES}
    finally:
        app.conf.task_always_eager = eager
    assert sizes == {"urgent": 1, "mail": 1, "celery": 1}


def test_a_busy_worker_takes_the_next_message_as_soon_as_a_task_is_acknowledged(tmp_path):
    """kombu slept the polling interval whenever nothing was delivered, also when the only
    reason was a full pool (the prefetch taken): at 0.2 s a worker of 2 processes ran at most
    10 tasks a second, whatever they cost. Now it looks again every QOS_WAIT_SECONDS."""
    url = sqlite_broker(tmp_path)
    queue = kombu_queue("celery")
    with Connection(url, transport_options={"polling_interval": 2.0}) as conn:
        producer = conn.Producer()
        for n in range(2):
            producer.publish({"n": n}, exchange="celery", routing_key="celery", declare=[queue])
        got = []
        consumer = conn.Consumer(
            [queue], callbacks=[lambda body, message: got.append(message)], prefetch_count=1
        )
        with consumer:
            conn.drain_events(timeout=5)
            assert len(got) == 1  # unacknowledged: the "pool" is full
            threading.Timer(0.1, got[0].ack).start()
            started = time.monotonic()
            conn.drain_events(timeout=5)
            waited = time.monotonic() - started
        assert len(got) == 2
        got[1].ack()
    assert 0.09 < waited < 1.0  # not the 2 s polling interval


def test_serve_runs_a_worker_of_its_own_for_the_urgent_queues(tmp_path):
    commands = Serve._commands("127.0.0.1:8000", 2, 1, tmp_path)
    assert list(commands) == ["web", "worker", "beat", "urgent"]
    urgent = commands["urgent"]
    assert urgent[urgent.index("-Q") + 1] == "urgent,mail"
    assert urgent[urgent.index("--concurrency") + 1] == "1"
    assert "-Q" not in commands["worker"]  # the worker takes everything, urgent work too
