"""BK-1: the kinds of bulk filing are read from reference data once per process (reference
cache) and a change to the reference data lists the new kinds at once."""

import pytest

from zairyu.bulk.kinds import get_kind
from zairyu.reference import cache as reference_cache
from zairyu.reference.models import NotificationEvent

from .helpers import SCHOOL_START

pytestmark = pytest.mark.django_db


def test_bk1_kinds_read_once_then_from_the_cache(django_assert_num_queries):
    # The test runs in a transaction, where the cache is bypassed unless the caller opts in.
    with reference_cache.reuse_in_transaction():
        reference_cache.clear()
        assert get_kind(SCHOOL_START) is not None
        with django_assert_num_queries(0):
            assert get_kind(SCHOOL_START).key == SCHOOL_START
            assert get_kind("n_19_17_no_such_event") is None


def test_bk1_new_event_is_a_new_kind_at_once():
    with reference_cache.reuse_in_transaction():
        reference_cache.clear()
        assert get_kind("n_19_17_school_acceptance_start_copy") is None
        event = NotificationEvent.objects.get(pk="school_acceptance_start")
        event.pk = "school_acceptance_start_copy"
        event.save()
        kind = get_kind("n_19_17_school_acceptance_start_copy")
        assert kind is not None and kind.event_code == "school_acceptance_start_copy"
