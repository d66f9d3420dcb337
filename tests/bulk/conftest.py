import pytest
from django.conf import settings

from zairyu.reference import cache


@pytest.fixture(autouse=True)
def _db(db):
    """Every test here reads reference data from the database."""


@pytest.fixture(autouse=True)
def _reference_cache():
    """Bulk batches reuse the reference cache inside their transaction (a test's transaction
    included): start and end every test with an empty cache so no test sees another's rows."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded files wait for the task in the default storage: a folder of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def client(client):
    """Pages in English, so assertions read the msgids."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
