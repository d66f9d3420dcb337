import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def _db(db):
    """Every test here reads reference data from the database."""


@pytest.fixture(autouse=True)
def _no_address_check(settings):
    """Tests run with the address check off (the test settings' default), whatever the
    environment says; the A-4 address tests turn it on themselves."""
    settings.ZAIRYU_SERVICE_A_ALLOWED_NETWORKS = []


@pytest.fixture
def client(client):
    """Pages in English, so assertions read the msgids."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


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
