"""SEC-7: /metrics serves the gauges of the work waiting in the system, in the Prometheus text
format, only to a scraper with the configured token."""

import pytest

from tests.filings.factories import make_organization_account
from zairyu.core import clock, metrics
from zairyu.mail.services import mail_queue

pytestmark = pytest.mark.django_db

TOKEN = "scrape-Zairyu-2026-metrics"


@pytest.fixture
def token(settings):
    settings.ZAIRYU_METRICS_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def _values(text: str) -> dict[str, float]:
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def test_sec7_metrics_off_without_a_token(client, settings):
    settings.ZAIRYU_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_sec7_metrics_refused_without_the_right_token(client, token, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"zairyu_" not in response.content


def test_sec7_metrics_count_the_waiting_work(client, token):
    response = client.get("/metrics", **token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    before = _values(response.content.decode())
    for name in (
        'zairyu_mail_unsent{state="queued"}',
        'zairyu_notifications_open{state="registering"}',
        'zairyu_service_o_open{state="pending"}',
        'zairyu_applications_open{state="submitted"}',
        'zairyu_bulk_jobs_open{state="processing"}',
        "zairyu_audit_unsealed",
    ):
        assert name in before, name
    assert before["zairyu_metric_errors"] == 0
    user, _ = make_organization_account()
    mail_queue(
        template="password_changed",
        to="a@zairyu.example",
        language="ja",
        context={"user": user, "at": clock.now()},
    )
    after = _values(client.get("/metrics", **token).content.decode())
    assert (
        after['zairyu_mail_unsent{state="queued"}']
        == before['zairyu_mail_unsent{state="queued"}'] + 1
    )
    assert after["zairyu_audit_unsealed"] >= before["zairyu_audit_unsealed"]
    assert client.post("/metrics", **token).status_code == 405


def test_sec7_a_broken_gauge_is_counted_not_fatal(client, token):
    def broken():
        raise RuntimeError("the query failed")

    metrics.register_gauge("zairyu_test_broken", "A gauge that fails.", broken)
    try:
        text = client.get("/metrics", **token).content.decode()
    finally:
        metrics._gauges.pop("zairyu_test_broken")
    values = _values(text)
    assert values["zairyu_metric_errors"] == 1
    assert "zairyu_test_broken" not in text
    assert 'zairyu_mail_unsent{state="queued"}' in values


@pytest.mark.parametrize("name", ["mail_unsent", "zairyu_mail-unsent", "zairyu mail"])
def test_sec7_gauge_names_are_checked(name):
    with pytest.raises(ValueError):
        metrics.register_gauge(name, "x", dict)
