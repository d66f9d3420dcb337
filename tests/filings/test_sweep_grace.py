"""Issue 17: the filings sweeper never wakes a filing whose wake-up is still queued.

A filing woken less than ``ZAIRYU_WAKE_GRACE_SECONDS`` ago (by the commit that filed it, or by
the sweeper) is waiting behind other work; waking it again only lengthened the backlog (8,000
tasks were seen for 7,000 filings). After the grace its message counts as lost and it is woken
again; a filing a worker holds (lease running) is never woken.
"""

import datetime as dt
import uuid

import pytest

from zairyu.core import clock
from zairyu.core.work import wake_due
from zairyu.filings import services
from zairyu.filings.models import Filing, FilingState
from zairyu.filings.tasks import filing_register_task
from zairyu.reference.models import NotificationEvent

from .factories import days_ago


@pytest.fixture
def woken(monkeypatch) -> list[int]:
    """The wake-ups published (recorded, not run: the worker is slow, the message queued)."""
    published: list[int] = []
    monkeypatch.setattr(filing_register_task, "delay", published.append)
    return published


def filed(user) -> Filing:
    return services.filing_submit_resident(
        user=user,
        event=NotificationEvent.objects.get(pk="con_contract_end"),
        items={"event_date": days_ago(3), "org_name": "株式会社法務商事", "org_address": "東京都"},
        token=uuid.uuid4(),
    )  # its own wake-up follows the commit (not run in tests: it is "queued")


def test_issue17_a_sweep_right_after_a_sweep_wakes_nothing_after_the_grace_it_wakes_again(
    engineer, woken, settings
):
    user, _ = engineer
    filing = filed(user)
    grace = dt.timedelta(seconds=settings.ZAIRYU_WAKE_GRACE_SECONDS)
    second = dt.timedelta(seconds=1)
    assert services.filing_sweep() == 0  # just filed: its wake-up is queued
    with clock.travel(grace - second):
        assert services.filing_sweep() == 0  # still within the grace
    with clock.travel(grace + second):
        assert services.filing_sweep() == 1  # never claimed: its message was lost
        assert services.filing_sweep() == 0  # a sweep right after a sweep wakes nothing
    with clock.travel(2 * grace):
        assert services.filing_sweep() == 0  # the sweeper's own wake-up is within the grace
    with clock.travel(2 * grace + 2 * second):
        assert services.filing_sweep() == 1  # lost again: woken again
    assert woken == [filing.pk, filing.pk]
    filing.refresh_from_db()
    assert filing.state == FilingState.REGISTERING
    assert filing.woken_at is not None


def test_issue17_a_claimed_filing_is_not_woken_and_after_its_lease_it_is(engineer, woken):
    user, _ = engineer
    filing = filed(user)
    lease = dt.timedelta(hours=1)
    Filing.objects.filter(pk=filing.pk).update(leased_until=clock.now() + lease, attempts=1)
    with clock.travel(dt.timedelta(minutes=59)):
        assert services.filing_sweep() == 0  # a worker holds it, however long ago it was woken
    with clock.travel(lease + dt.timedelta(seconds=1)):
        assert services.filing_sweep() == 1  # the worker died: handed out again
        assert services.filing_sweep() == 0
    assert woken == [filing.pk]


def test_issue17_a_filing_moved_back_to_registering_waits_for_its_own_wake_up(
    engineer, woken, settings
):
    """The later of ``woken_at`` and ``state_changed_at`` counts: an officer's retry (error →
    登録中) publishes a wake-up with its commit, so an old sweeper wake-up does not count."""
    user, _ = engineer
    filing = filed(user)
    grace = dt.timedelta(seconds=settings.ZAIRYU_WAKE_GRACE_SECONDS)
    long_ago = clock.now() - 3 * grace
    Filing.objects.filter(pk=filing.pk).update(woken_at=long_ago)
    assert services.filing_sweep() == 0  # state_changed_at (just filed) is within the grace
    Filing.objects.filter(pk=filing.pk).update(state_changed_at=long_ago)
    assert services.filing_sweep() == 1
    assert woken == [filing.pk]


def test_issue17_the_sweep_wakes_the_oldest_first_and_at_most_its_limit(engineer, woken):
    user, _ = engineer
    filings = [filed(user) for _ in range(3)]
    with clock.travel(dt.timedelta(hours=1)):
        assert services.filing_sweep(limit=2) == 2
        assert services.filing_sweep(limit=2) == 1  # the third, not the first two again
    assert woken == [f.pk for f in filings]


def test_issue17_a_refused_publish_leaves_the_rest_for_the_next_sweep(engineer, monkeypatch):
    user, _ = engineer
    filings = [filed(user) for _ in range(3)]
    published: list[int] = []

    def broker_gone_after_one(pk: int) -> None:
        if published:
            raise ConnectionRefusedError("broker down")
        published.append(pk)

    monkeypatch.setattr(filing_register_task, "delay", broker_gone_after_one)
    with clock.travel(dt.timedelta(hours=1)), pytest.raises(ConnectionRefusedError):
        wake_due(
            Filing.objects.filter(state=FilingState.REGISTERING),
            filing_register_task,
            grace_seconds=60,
            since="state_changed_at",
        )
    assert published == [filings[0].pk]
    woken_at = dict(Filing.objects.values_list("pk", "woken_at"))
    assert woken_at[filings[0].pk] is not None
    assert woken_at[filings[1].pk] is None and woken_at[filings[2].pk] is None
    monkeypatch.setattr(filing_register_task, "delay", published.append)
    with clock.travel(dt.timedelta(hours=1)):
        assert services.filing_sweep() == 2  # the two the broker refused, not the first
    assert published == [f.pk for f in filings]


def test_issue17_a_wake_up_a_worker_took_does_not_count_its_row_is_woken_when_the_lease_ends(
    engineer, woken, settings
):
    """A worker claimed the filing (so its wake-up left the queue) and died: the sweeper wakes
    it as soon as the lease has run out, even with a lease shorter than the grace."""
    settings.ZAIRYU_WORK_LEASE_SECONDS = 10
    user, _ = engineer
    filing = filed(user)
    with clock.travel(dt.timedelta(seconds=1)):  # the worker claims it, then is killed
        lease_end = clock.now() + dt.timedelta(seconds=10)
        Filing.objects.filter(pk=filing.pk).update(leased_until=lease_end, attempts=1)
    with clock.travel(dt.timedelta(seconds=12)):
        assert services.filing_sweep() == 1  # within the grace, but its wake-up was taken
        assert services.filing_sweep() == 0  # the sweeper's own wake-up is queued now
    with clock.travel(dt.timedelta(seconds=12 + settings.ZAIRYU_WAKE_GRACE_SECONDS + 1)):
        assert services.filing_sweep() == 1
    assert woken == [filing.pk, filing.pk]
