"""Issue 17: receipt numbers are urgent work — their own queue, their own short grace.

The receipt sweeper wakes a submitted application without a number only when its last wake-up
(the submission's, or the sweeper's) is older than ``ZAIRYU_URGENT_WAKE_GRACE_SECONDS``; a
claimed one is never woken. Its task and its sweep go to the ``urgent`` queue, which no
registration backlog shares.
"""

import datetime as dt

import pytest

from zairyu.applications import services
from zairyu.applications.models import Application
from zairyu.applications.tasks import receipt_number_task
from zairyu.celery import app
from zairyu.core import clock
from zairyu.core.work import run_sweepers

from .drafting import complete_draft, media_root, resident, submit  # noqa: F401


@pytest.fixture
def woken(monkeypatch) -> list[int]:
    published: list[int] = []
    monkeypatch.setattr(receipt_number_task, "delay", published.append)
    return published


def submitted() -> Application:
    user, card = resident()
    return submit(user, complete_draft(user, card))  # its wake-up follows the commit: "queued"


def test_issue17_receipt_sweep_after_a_sweep_wakes_nothing_then_again_after_the_grace(
    woken, settings
):
    application = submitted()
    grace = dt.timedelta(seconds=settings.ZAIRYU_URGENT_WAKE_GRACE_SECONDS)
    assert services.receipt_sweep() == 0  # just submitted: its wake-up is queued
    with clock.travel(grace):
        assert services.receipt_sweep() == 1  # not claimed within the grace: lost
        assert services.receipt_sweep() == 0  # right after a sweep: nothing
    with clock.travel(2 * grace - dt.timedelta(seconds=1)):
        assert services.receipt_sweep() == 0
    with clock.travel(2 * grace + dt.timedelta(seconds=1)):
        assert services.receipt_sweep() == 1
    assert woken == [application.pk, application.pk]
    assert Application.objects.get(pk=application.pk).receipt_number is None


def test_issue17_a_claimed_application_is_not_woken(woken):
    application = submitted()
    Application.objects.filter(pk=application.pk).update(
        leased_until=clock.now() + dt.timedelta(minutes=5), attempts=1
    )
    with clock.travel(dt.timedelta(minutes=4)):
        assert services.receipt_sweep() == 0
    with clock.travel(dt.timedelta(minutes=6)):  # the worker died: the lease ran out
        assert services.receipt_sweep() == 1
    assert woken == [application.pk]


def test_issue17_receipt_numbers_and_their_sweep_run_on_the_urgent_queue(woken):
    assert app.amqp.router.route({}, "zairyu.applications.receipt_number")["queue"].name == (
        "urgent"
    )
    submitted()
    with clock.travel(dt.timedelta(hours=1)):
        assert run_sweepers("urgent") == {"applications_receipt": 1}
        assert "applications_receipt" not in run_sweepers("celery")
    assert len(woken) == 1
