"""The Celery application. The broker only wakes workers; the database says what work is left.

Settings come from Django's (``CELERY_`` prefix); the filesystem transport is the default so
``make run`` needs no broker server. Options follow DESIGN.md ("Verified on these machines").
"""

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

# Servers and workers default to production settings (which refuse to start unconfigured);
# manage.py defaults to dev and its child processes inherit that choice.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zairyu.settings.production")

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
    conf.timezone = "Asia/Tokyo"
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
    elif conf.broker_url.startswith(("redis://", "rediss://")):
        # Above the longest task or countdown, so Redis does not hand a message out twice.
        conf.broker_transport_options = {"visibility_timeout": 2 * 3600}
    conf.beat_schedule = {
        "sweep-work": {
            "task": "zairyu.core.sweep",
            "schedule": float(settings.ZAIRYU_SWEEP_SECONDS),
        },
        "housekeeping": {
            "task": "zairyu.core.housekeeping",
            "schedule": crontab(hour=3, minute=17),
        },
        "seal-audit-events": {
            "task": "zairyu.audit.seal",
            "schedule": float(settings.ZAIRYU_AUDIT_SEAL_SECONDS),
        },
    }


app.autodiscover_tasks()
