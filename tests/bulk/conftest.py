import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def _db(db):
    """Every test here reads reference data from the database."""


@pytest.fixture
def client(client):
    """Pages in English, so assertions read the msgids."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
