import pytest


@pytest.fixture(autouse=True)
def _db(db):
    """Every test here reads reference data from the database."""
