"""Honest answers in outages (issue 15), over HTTP.

Broker unreachable: a submission whose rows committed answers its success page (the user must
not file again), the refused wake-up is logged without personal data, counted in /metrics and
kept; once the broker answers again, beat's ``zairyu.core.wake_missed`` sends it and the filing
registers — seconds later, not after the lease. Database unreachable: the 503 page in the
user's language with ``Retry-After``, JSON for the API (more in test_security_headers.py and
tests/api/test_api_errors.py).
"""

from __future__ import annotations

import importlib
import logging
import socket
import time
from unittest import mock

import pytest
from django.apps import apps
from django.conf import settings
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from tests.filings.factories import days_ago, make_resident
from zairyu.core.models import MissedWakeUp
from zairyu.core.work import wake_missed
from zairyu.filings.models import Filing, FilingState
from zairyu.reference import cache
from zairyu.reference.loader import load

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """The reference rows an earlier transactional test's flush may have removed, loaded as
    the data migrations load them (as in tests/e2e)."""
    base = importlib.import_module("zairyu.reference.migrations.0002_load_reference_data")
    for model_name, file_name in base.FILES:
        load(apps, model_name, file_name)
    events = importlib.import_module(
        "zairyu.reference.migrations.0004_load_procedures_fees_events_permissions"
    )
    events.forwards(apps, None)
    cache.clear()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens


@pytest.fixture
def broker_down(monkeypatch):
    """Tasks are published for real (not run in-process) to a Redis port nobody listens on."""
    from zairyu.celery import app

    down = f"redis://127.0.0.1:{closed_port()}/0"
    monkeypatch.setenv("CELERY_BROKER_URL", down)  # Celery prefers it to broker_url

    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    saved_pools = (app._pool, app.amqp._producer_pool)  # kombu shares them per broker URL
    app._pool = app.amqp._producer_pool = None
    app.conf.task_always_eager = False
    app.conf.broker_url = down

    def back_up():
        """The broker answers again (tasks run in-process, as everywhere in the tests)."""
        app.conf.task_always_eager = True

    try:
        yield back_up
    finally:
        down_pool = app._pool
        app._pool, app.amqp._producer_pool = saved_pools
        app.conf.update(saved)
        if down_pool is not None:
            down_pool.force_close_all()


def submit_contract_end(client) -> tuple:
    resident, card = make_resident(roman_name="OUTAGE TAROU", language="en")
    client.force_login(resident)
    start = client.get(reverse("filings:resident_start", args=["con_contract_end"]))
    form = client.post(
        start["Location"],
        {
            "event_date": days_ago(2).isoformat(),
            "org_name": "株式会社法務商事",
            "org_address": "東京都千代田区丸の内1-1-1",
            "org_corporate_number": "",
            "activity_place": "",
        },
    )
    assert form.status_code == 302, form.content.decode()[:2000]
    began = time.monotonic()
    response = client.post(form["Location"], {"action": "submit"})
    return response, time.monotonic() - began, card


def test_broker_down_submission_answers_success_and_registers_when_broker_returns(
    broker_down, settings, caplog
):
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with caplog.at_level(logging.WARNING, logger="zairyu.core.work"):
        response, seconds, card = submit_contract_end(client)

    filing = Filing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("filings:detail", args=[filing.pk])
    assert seconds < 5, f"the user waited {seconds:.1f} s for a broker that is down"
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Registering" in page.content.decode()
    assert filing.state == FilingState.REGISTERING

    # Logged for each wake-up (the registration, the receipt mail) with the task and the row
    # id, without personal data.
    refused = [r.getMessage() for r in caplog.records if "refused the wake-up" in r.getMessage()]
    assert len(refused) == 2
    assert any(f"zairyu.filings.register({filing.pk})" in text for text in refused)
    for personal in (card.number, card.roman_name, "法務商事", str(card.birth_date)):
        assert not any(personal in text for text in refused)
    kept = sorted(MissedWakeUp.objects.values_list("task", flat=True))
    assert kept == ["zairyu.filings.register", "zairyu.mail.send"]

    # Counted for the operators.
    settings.ZAIRYU_METRICS_TOKEN = "t"
    metrics = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    assert "# TYPE zairyu_wakeup_failures_total counter" in metrics
    assert "\nzairyu_wakeup_failures_total 2\n" in metrics
    assert "\nzairyu_wakeups_missed 2\n" in metrics

    # Still down: beat's retry keeps them.
    assert wake_missed() == 0
    assert MissedWakeUp.objects.count() == 2

    # The broker is back: the next retry (every ZAIRYU_WAKE_RETRY_SECONDS) wakes the worker.
    broker_down()
    assert wake_missed() == 2
    filing.refresh_from_db()
    assert filing.state == FilingState.REGISTERED
    assert not MissedWakeUp.objects.exists()
    metrics = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    assert "\nzairyu_wakeup_failures_total 2\n" in metrics  # a counter: it stays
    assert "\nzairyu_wakeups_missed 0\n" in metrics


def test_the_retry_runs_every_few_seconds_from_beat():
    import zairyu.core.tasks  # noqa: F401 (a worker imports every app's tasks)
    from zairyu.celery import app

    entry = app.conf.beat_schedule["wake-missed"]
    assert entry["task"] == "zairyu.core.wake_missed"
    assert entry["schedule"] == float(settings.ZAIRYU_WAKE_RETRY_SECONDS) <= 10
    assert "zairyu.core.wake_missed" in app.tasks


@pytest.mark.parametrize(
    ("language", "title"),
    [("en", "Temporarily unavailable"), ("ja", "一時的にご利用いただけません")],
)
def test_database_down_answers_503_in_the_users_language(language, title):
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.cookies[settings.SESSION_COOKIE_NAME] = "a-session-the-database-cannot-load"
    refused = OperationalError("connection to server at 10.0.0.5 port 5432 refused")
    with mock.patch(
        "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection", side_effect=refused
    ):
        page = client.get(reverse("filings:resident_events"))
        api = client.get("/api/v1/bulk/kinds", HTTP_AUTHORIZATION="Bearer zk_x")
    assert page.status_code == 503
    assert page["Retry-After"] == "60"
    html = page.content.decode()
    assert f'lang="{language}"' in html and title in html
    assert "10.0.0.5" not in html
    assert settings.ZAIRYU_HELPDESK["phone"] in html
    assert api.status_code == 503
    assert api["Retry-After"] == "60"
    assert api["Content-Type"].startswith("application/json")
    assert api.json()["detail"]
