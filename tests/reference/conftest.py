import pytest

from zairyu.reference import cache


@pytest.fixture(autouse=True)
def _fresh_reference_cache():
    """Each test starts and ends with an empty per-process reference cache."""
    cache.clear()
    yield
    cache.clear()
