"""SEC-5: the client address behind the TLS proxy (core.net.client_address).

X-Forwarded-For is believed only from a trusted proxy (TRUSTED_PROXIES) and only as far as
trusted proxies wrote it: the right-most hop that is not a trusted proxy is the client. The
same address reaches the rate limits, the A-4 address check and the audit trail; each is
driven over HTTP here, both ways (through a trusted proxy, and a forged header from anyone
else)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from tests.applications.drafting import resident
from zairyu.applications.models import Application
from zairyu.audit.models import AuditEvent
from zairyu.core.net import client_address, parse_address

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # the TLS proxy, in TRUSTED_PROXIES
INNER_PROXY = "10.0.0.3"  # a second trusted hop (a load balancer behind a CDN, say)
CLIENT = "198.51.100.7"
OTHER_CLIENT = "198.51.100.8"
FORGED = "203.0.113.50"
JAPAN = "203.0.113.0/24"  # the A-4 allowed range in these tests


@pytest.fixture(autouse=True)
def trusted(settings):
    settings.ZAIRYU_TRUSTED_PROXIES = ["10.0.0.0/8", "fd00::/8"]
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _address(remote: str, forwarded: str | None = None) -> str | None:
    extra = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


# --- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        (PROXY, CLIENT, CLIENT),  # one trusted proxy
        (PROXY, f"{CLIENT}, {INNER_PROXY}", CLIENT),  # two trusted hops
        (PROXY, f"{FORGED}, {CLIENT}", CLIENT),  # what the client sent is never read
        (PROXY, f"{FORGED}, {CLIENT}, {INNER_PROXY}", CLIENT),
        (PROXY, f"{CLIENT}:4711", CLIENT),  # a proxy that writes the port
        (PROXY, "[2001:db8::7]:4711", "2001:db8::7"),
        (PROXY, "::ffff:198.51.100.7", CLIENT),  # IPv4-mapped is IPv4
        ("fd00::1", CLIENT, CLIENT),  # an IPv6 proxy
        (PROXY, "10.0.0.9", "10.0.0.9"),  # every hop trusted: the left-most
        (CLIENT, FORGED, CLIENT),  # an untrusted peer's header is ignored
        (CLIENT, None, CLIENT),
        (PROXY, None, PROXY),  # the proxy itself (a health check)
        (PROXY, "", PROXY),
    ],
)
def test_sec5_client_address_rule(remote, forwarded, expected):
    assert _address(remote, forwarded) == expected


@pytest.mark.parametrize(
    "forwarded",
    ["garbage", "unknown", f"{CLIENT}, garbage", f"{CLIENT},, ", "<script>", "a" * 5000],
)
def test_sec5_garbage_header_never_stands_for_a_client(forwarded):
    # The walk stops at the last address a trusted proxy vouched for: the peer.
    assert _address(PROXY, forwarded) == PROXY


def test_sec5_garbage_left_of_the_client_is_never_read():
    assert _address(PROXY, f"garbage, {CLIENT}") == CLIENT


def test_sec5_no_trusted_proxies_ignores_the_header(settings):
    settings.ZAIRYU_TRUSTED_PROXIES = []
    assert _address(PROXY, CLIENT) == PROXY


def test_sec5_unusable_peer_is_none():
    assert _address("") is None
    assert _address("not-an-address", CLIENT) is None
    assert parse_address("1.2.3.4.5") is None


def test_sec5_trusted_proxies_setting_read_from_the_environment():
    import subprocess
    import sys

    show = "from django.conf import settings; print(settings.ZAIRYU_TRUSTED_PROXIES)"
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "zairyu.settings.test",
        "TRUSTED_PROXIES": "10.0.0.0/8, 2001:db8::/32",
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {show}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip() == "['10.0.0.0/8', '2001:db8::/32']", result.stderr
    env["TRUSTED_PROXIES"] = "10.0.0.0/33"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {show}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "TRUSTED_PROXIES" in result.stderr


# --- the audit trail (SEC-6) ------------------------------------------------------------------

LOGIN = reverse("accounts:login")


def _failed_login(client, **meta):
    response = client.post(LOGIN, {"auth_id": "nobody-here", "password": "Wrong#pass1"}, **meta)
    assert response.status_code == 400
    return AuditEvent.objects.filter(action="account.login_failed").latest("id")


def test_sec5_audit_records_the_forwarded_client_through_a_trusted_proxy(client):
    event = _failed_login(
        client,
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"{FORGED}, {CLIENT}, {INNER_PROXY}",
    )
    assert event.ip == CLIENT


def test_sec5_audit_ignores_a_forged_header_from_an_untrusted_peer(client):
    event = _failed_login(client, REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR=FORGED)
    assert event.ip == CLIENT


def test_sec5_audit_records_the_proxy_for_a_garbage_header(client):
    event = _failed_login(client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="garbage")
    assert event.ip == PROXY


# --- rate limits ------------------------------------------------------------------------------

VERIFY = "/coe/verify/"


def _verify(client, **meta):
    return client.post(VERIFY, {"code": "ZZZZZZZZZZZZZZZZ"}, **meta).status_code


def test_sec5_rate_limit_counts_each_client_behind_the_proxy(client, settings):
    settings.ZAIRYU_COE_VERIFICATIONS_PER_IP = 2
    via_proxy = {"REMOTE_ADDR": PROXY}
    assert _verify(client, **via_proxy, HTTP_X_FORWARDED_FOR=CLIENT) == 200
    assert _verify(client, **via_proxy, HTTP_X_FORWARDED_FOR=CLIENT) == 200
    assert _verify(client, **via_proxy, HTTP_X_FORWARDED_FOR=CLIENT) == 429
    # A forged left part does not make the limited client someone else.
    assert _verify(client, **via_proxy, HTTP_X_FORWARDED_FOR=f"{FORGED}, {CLIENT}") == 429
    # Another client behind the same proxy has its own count.
    assert _verify(client, **via_proxy, HTTP_X_FORWARDED_FOR=OTHER_CLIENT) == 200


def test_sec5_rate_limit_not_escaped_by_forging_the_header(client, settings):
    settings.ZAIRYU_COE_VERIFICATIONS_PER_IP = 2
    answers = [
        _verify(client, REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}") for n in range(4)
    ]
    assert answers == [200, 200, 429, 429]


def test_sec5_login_limit_counts_the_forwarded_client(client, settings):
    settings.ZAIRYU_LOGIN_FAILURES_PER_IP = 2
    meta = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": CLIENT}
    for _ in range(2):
        _failed_login(client, **meta)
    refused = client.post(LOGIN, {"auth_id": "nobody-here", "password": "Wrong#pass1"}, **meta)
    assert "Too many" in refused.context["error"]
    other = client.post(
        LOGIN,
        {"auth_id": "nobody-here", "password": "Wrong#pass1"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=OTHER_CLIENT,
    )
    assert "Too many" not in other.context["error"]


# --- service A only from the allowed ranges ------------------------------------------------

START = reverse("applications:start")
STEP1 = {
    "procedure": "extension",
    "status": "engineer_humanities_international",
    "period_requested": "P1Y",
}


@pytest.fixture
def applicant(client, settings):
    settings.ZAIRYU_SERVICE_A_ALLOWED_NETWORKS = [JAPAN]
    user, _card = resident()
    client.force_login(user)
    return user


def test_sec5_a4_accepts_a_client_in_japan_through_the_trusted_proxy(client, applicant):
    response = client.post(START, STEP1, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Application.objects.filter(filer=applicant).count() == 1
    event = AuditEvent.objects.filter(action="applications.application.draft").latest("id")
    assert event.ip == "203.0.113.9"


def test_sec5_a4_refuses_a_client_abroad_through_the_trusted_proxy(client, applicant):
    # The proxy's own address (10.0.0.2) is not what is judged, nor the forged Japanese hop.
    response = client.post(
        START, STEP1, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"203.0.113.9, {CLIENT}"
    )
    assert response.status_code == 400
    assert "outside Japan" in response.content.decode()
    assert not Application.objects.filter(filer=applicant).exists()


def test_sec5_a4_ignores_a_forged_header_from_an_untrusted_peer(client, applicant):
    response = client.post(START, STEP1, REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 400
    assert "outside Japan" in response.content.decode()
    assert not Application.objects.filter(filer=applicant).exists()


def test_sec5_a4_without_trusted_proxies_judges_the_peer(client, applicant, settings):
    settings.ZAIRYU_TRUSTED_PROXIES = []
    refused = client.post(START, STEP1, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert refused.status_code == 400
    accepted = client.post(START, STEP1, REMOTE_ADDR="203.0.113.9")
    assert accepted.status_code == 302


# --- logs (SEC-7) -----------------------------------------------------------------------------


def test_sec5_log_line_carries_the_forwarded_client(client, caplog):
    import json
    import logging

    from zairyu.core.logs import JsonFormatter

    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get("/no-such-page/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{FORGED}, {CLIENT}")
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert json.loads(JsonFormatter().format(record))["client_address"] == CLIENT
