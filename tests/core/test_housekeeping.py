import datetime as dt
import os
import time

import pytest
from django.contrib.sessions.backends.db import SessionStore

from zairyu.core import clock
from zairyu.core.work import run_housekeeping

pytestmark = pytest.mark.django_db


def test_housekeeping_deletes_expired_sessions_only():
    old, fresh = SessionStore(), SessionStore()
    old.create()
    fresh.create()
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key=old.session_key).update(
        expire_date=clock.now() - dt.timedelta(minutes=1)
    )
    assert run_housekeeping()["sessions"] == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [fresh.session_key]


def test_housekeeping_prunes_old_processed_broker_messages(settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_FOLDER = tmp_path
    processed = tmp_path / "processed"
    processed.mkdir()
    stale, recent = processed / "a.msg", processed / "b.msg"
    stale.write_text("x")
    recent.write_text("y")
    two_days_ago = time.time() - 2 * 86400
    os.utime(stale, (two_days_ago, two_days_ago))
    assert run_housekeeping()["broker_messages"] == 1
    assert not stale.exists() and recent.exists()
