import datetime as dt

from zairyu.core import clock


def test_now_is_aware_and_in_tokyo():
    now = clock.now()
    assert now.tzinfo is not None
    assert now.utcoffset() == dt.timedelta(hours=9)


def test_today_is_the_date_in_japan_not_utc():
    # 2026-11-22 20:30 UTC is already 23 November in Tokyo.
    with clock.frozen(dt.datetime(2026, 11, 22, 20, 30, tzinfo=dt.UTC)):
        assert clock.today() == dt.date(2026, 11, 23)


def test_frozen_and_travel_move_time_and_restore_it():
    at = clock.tokyo_datetime(2026, 4, 1, 9, 0)
    with clock.frozen(at):
        assert clock.now() == at
        with clock.travel(dt.timedelta(days=14)):
            assert clock.today() == dt.date(2026, 4, 15)
        assert clock.now() == at
    assert abs(clock.now() - at) > dt.timedelta(days=1)


def test_frozen_refuses_a_naive_datetime():
    import pytest

    with pytest.raises(ValueError), clock.frozen(dt.datetime(2026, 1, 1)):
        pass
