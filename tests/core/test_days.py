"""REF-7 / REFERENCE.md §8: administrative holidays and the next business day."""

import datetime as dt

import pytest

from zairyu.core import days

D = dt.date


@pytest.mark.parametrize(
    ("day", "open_"),
    [
        (D(2026, 11, 20), True),  # Friday
        (D(2026, 11, 21), False),  # Saturday
        (D(2026, 11, 22), False),  # Sunday
        (D(2026, 11, 23), False),  # Labour Thanksgiving Day (Monday)
        (D(2026, 11, 24), True),
        (D(2026, 12, 28), True),  # last working day of the year
        (D(2026, 12, 29), False),  # year-end closure starts
        (D(2026, 12, 31), False),
        (D(2027, 1, 1), False),
        (D(2027, 1, 3), False),
        (D(2027, 1, 4), True),  # offices reopen
        (D(2026, 5, 6), False),  # substitute holiday after Constitution Day falls on Sunday
    ],
)
def test_ref7_business_days(day, open_):
    assert days.is_business_day(day) is open_


def test_ref7_next_business_day_skips_weekend_holiday_and_year_end():
    assert days.next_business_day(D(2026, 11, 20)) == D(2026, 11, 24)
    assert days.next_business_day(D(2026, 12, 28)) == D(2027, 1, 4)


def test_ref7_deadline_counts_from_the_day_after_the_event():
    # Event on Wednesday 1 April 2026: 14 days end on Wednesday 15 April.
    assert days.deadline(D(2026, 4, 1), days=14) == D(2026, 4, 15)


def test_ref7_deadline_on_a_holiday_moves_to_the_next_business_day():
    # 9 Nov + 14 = Monday 23 Nov (a national holiday) -> Tuesday 24 Nov.
    assert days.deadline(D(2026, 11, 9), days=14) == D(2026, 11, 24)
    # 17 Dec + 14 = 31 Dec (year-end closure) -> 4 Jan 2027.
    assert days.deadline(D(2026, 12, 17), days=14) == D(2027, 1, 4)


def test_days_left_counts_down_to_zero_and_below():
    last = D(2026, 4, 15)
    assert days.days_left(last, today=D(2026, 4, 1)) == 14
    assert days.days_left(last, today=last) == 0
    assert days.days_left(last, today=D(2026, 4, 16)) == -1


@pytest.mark.django_db
def test_ref7_administrative_closure_is_not_a_business_day():
    from zairyu.reference.models import AdministrativeClosure

    friday = D(2026, 11, 20)
    assert days.is_business_day(friday)
    AdministrativeClosure.objects.create(date=friday, reason_ja="臨時閉庁")
    assert not days.is_business_day(friday)
    assert days.next_business_day(D(2026, 11, 19)) == D(2026, 11, 24)
    # 6 Nov + 14 = Friday 20 Nov (closed) -> over the weekend and the holiday to Tuesday 24 Nov.
    assert days.deadline(D(2026, 11, 6), days=14) == D(2026, 11, 24)
    AdministrativeClosure.objects.filter(date=friday).delete()
    assert days.is_business_day(friday)


def test_ref7_without_database_access_only_the_rules_apply():
    # This test has no django_db mark: the closure table cannot be read, the rules still work.
    assert days.is_business_day(D(2026, 11, 20))
    assert not days.is_business_day(D(2026, 11, 23))
