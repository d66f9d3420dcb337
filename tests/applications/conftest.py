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
