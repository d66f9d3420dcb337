"""The Celery application. The broker only wakes workers; the database says what work is left.

Settings come from Django's (``CELERY_`` prefix). The default broker is a SQLite file through
kombu's SQLAlchemy transport (``zairyu.core.broker``), so ``make run`` needs no broker server
(docs/decisions/0007-embedded-background-work.md). Options follow DESIGN.md ("Verified on these
machines").

Three queues (docs/decisions/0009-urgent-queue.md): ``urgent`` for what a user waits for on a
page (the receipt number) and the re-sending of refused wake-ups, ``mail`` for the outbox,
``celery`` (the default) for everything else — registrations, bulk jobs, seals. A backlog of
registrations therefore never stands in front of a receipt number or a mail: ``make run`` and
deploy/ run a worker that consumes only ``urgent`` and ``mail``; a worker started without ``-Q``
consumes all three.
"""

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings
from kombu import Exchange, Queue

from zairyu.core import broker

# Servers and workers default to production settings (which refuse to start unconfigured);
# manage.py defaults to dev and its child processes inherit that choice.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zairyu.settings.production")

broker.register()  # sqla+… URLs: kombu's SQLAlchemy transport with SQLite made safe for it

# A publish the broker refuses is retried this often, briefly: the user's request waits for it.
# Then core.work.enqueue_on_commit keeps the wake-up for beat to send again.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

# The tasks that do not go to the default queue (broker.DEFAULT, "celery").
ROUTES = {
    "zairyu.applications.receipt_number": broker.URGENT,
    "zairyu.core.wake_missed": broker.URGENT,
    "zairyu.mail.send": broker.MAIL,
}
# Beat's sweep of each queue (the default queue's keeps the name it had before the split).
SWEEPS = {broker.DEFAULT: "sweep-work", broker.URGENT: "sweep-urgent", broker.MAIL: "sweep-mail"}

app = Celery("zairyu")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.on_after_configure.connect
def _configure(sender: Celery, **kwargs) -> None:
    conf = sender.conf
    conf.task_acks_late = True
    conf.task_reject_on_worker_lost = True
    conf.worker_prefetch_multiplier = 1
    conf.task_ignore_result = True
    conf.broker_connection_retry_on_startup = True
    conf.task_publish_retry_policy = PUBLISH_RETRY
    conf.timezone = "Asia/Tokyo"
    conf.task_default_queue = broker.DEFAULT
    conf.task_queues = [Queue(name, Exchange(name), routing_key=name) for name in broker.QUEUES]
    conf.task_routes = {task: {"queue": queue} for task, queue in ROUTES.items()}
    if conf.broker_url.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_FOLDER
        for sub in ("queue", "processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        conf.broker_transport_options = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "store_processed": True,
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "polling_interval": 0.1,
        }
    elif broker.sqlite_path(conf.broker_url):
        # An idle worker looks for a message this often: the wake-up latency of make run.
        conf.broker_transport_options = {"polling_interval": settings.ZAIRYU_BROKER_POLL_SECONDS}
    elif conf.broker_url.startswith(("redis://", "rediss://")):
        # Above the longest task or countdown, so Redis does not hand a message out twice.
        conf.broker_transport_options = {"visibility_timeout": 2 * 3600}
    conf.beat_schedule = {
        # One sweep per queue, run on that queue: each hands out the rows of the work that
        # queue carries (core.work.register_sweeper), so none waits behind another's backlog.
        **{
            SWEEPS[queue]: {
                "task": "zairyu.core.sweep",
                "schedule": float(settings.ZAIRYU_SWEEP_SECONDS),
                "kwargs": {"queue": queue},
                "options": {"queue": queue},
            }
            for queue in broker.QUEUES
        },
        "housekeeping": {
            "task": "zairyu.core.housekeeping",
            "schedule": crontab(hour=3, minute=17),
        },
        "wake-missed": {
            "task": "zairyu.core.wake_missed",
            "schedule": float(settings.ZAIRYU_WAKE_RETRY_SECONDS),
        },
        "seal-audit-events": {
            "task": "zairyu.audit.seal",
            "schedule": float(settings.ZAIRYU_AUDIT_SEAL_SECONDS),
        },
    }


app.autodiscover_tasks()
