"""Shared fixtures: a real SMTP server (aiosmtpd), the clock, the browser, and the admin's
signed-in client (with its second factor)."""

import os
import socket
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync Playwright beside live_server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RecordingHandler:
    messages: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on loopback that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = RecordingHandler()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list:
        return self.handler.messages

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture(autouse=True)
def _language_does_not_leak_between_tests():
    """Code outside a request runs in English in every test, whatever the test before it
    activated (pages still pick their language per request: Japanese unless chosen)."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _closures_need_the_database(request):
    """Tests without database access see the rule-based holidays only (no closure table)."""
    from zairyu.core import days

    uses_db = request.node.get_closest_marker("django_db") is not None or any(
        name in request.fixturenames for name in ("db", "transactional_db", "django_db_setup")
    )
    if uses_db:
        yield
        return
    source = days._closure_source
    days.set_closure_source(None)
    yield
    days.set_closure_source(source)


@pytest.fixture
def admin_client(db, admin_user):
    """pytest-django's ``admin_client`` with its session verified by a second factor: the admin
    lets in only a verified session (ID-17, SEC-2)."""
    from django.test import Client

    from tests.otp_support import verify_second_factor

    client = Client()
    client.force_login(admin_user)
    verify_second_factor(client, admin_user)
    return client


@pytest.fixture
def smtp_server(settings):
    """Point Django's SMTP backend at a real aiosmtpd server for the test."""
    server = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_TIMEOUT = 5
    server.start()
    yield server
    server.stop()


@pytest.fixture
def reference_data(transactional_db):
    """Reference rows an earlier transactional test's flush may have removed (loaded as the
    data migrations load them; see tests/e2e/test_service_n.py)."""
    import importlib

    from django.apps import apps

    from zairyu.reference import cache
    from zairyu.reference.loader import load

    base = importlib.import_module("zairyu.reference.migrations.0002_load_reference_data")
    for model_name, file_name in base.FILES:
        load(apps, model_name, file_name)
    events = importlib.import_module(
        "zairyu.reference.migrations.0004_load_procedures_fees_events_permissions"
    )
    events.forwards(apps, None)
    cache.clear()
