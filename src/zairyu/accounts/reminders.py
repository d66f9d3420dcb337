"""Reminder mails (SPEC A-15, 002 Q12-1), sent by a daily job.

- Residence card expiry, 30 and 7 days before, to foreign-national users of service A
  (在留カードの有効期限, Q12-1). The card is the person's valid card in the registry
  (``User.person`` → ``cards.ResidenceCard.card_valid_until``).
- Filing-agent certificate expiry, 30 and 7 days before, to lawyers and gyoseishoshi
  (届出済証明書, ``FilingAgentCertificate.valid_until``).
- Password expiry approaching (パスワード有効期限切迫時), 30 and 7 days before the end of the
  password's year (ID-9, ``rules.password_valid_until``), to every active user with an e-mail
  address whose auth ID still works.
- The periodic report (定期報告, ID-10, two months before the staff IDs expire) is
  ``staff.staff_expiry_reminders``, registered by staff.py as a daily job of its own. It keeps
  the same promises (once per user and expiry date through ``StaffAccount.reminded_for``, late
  runs catch up, only active users), so it is not sent from here a second time.

**Once, and late if need be.** A reminder is due on the day ``threshold`` days before its
target date. The job sends every reminder that is due and not yet sent, so a day the job did
not run (server down) is caught up on the next run, up to ``LATE_DAYS`` late. A reminder whose
next, more urgent threshold has come is not sent any more: a user whose card has 7 days left
gets the 7-day reminder, not a late 30-day one as well. The row in ``ReminderSent`` (unique per
user, kind, threshold and target date) is written in the transaction that queues the mail, so
two runs — at the same time or one after the other — send it once. A new target date (a
renewed card, a changed password) gets reminders of its own.

Suspended and deleted users get none; each mail is written in the user's language and audited.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from zairyu.audit.services import audit_record
from zairyu.core import clock
from zairyu.mail.services import mail_queue

from . import rules
from .models import (
    BACK_OFFICE_CATEGORIES,
    AccountState,
    Category,
    FilingAgentCertificate,
    ReminderKind,
    ReminderSent,
    User,
)

log = logging.getLogger(__name__)

# Days before the target date (002 Q12-1: 30 and 7 for the card and the certificate; the same
# for passwords, whose reminder days the Q&A does not state).
THRESHOLDS: dict[str, tuple[int, ...]] = {
    ReminderKind.RESIDENCE_CARD: (30, 7),
    ReminderKind.FILING_AGENT_CERTIFICATE: (30, 7),
    ReminderKind.PASSWORD: (30, 7),
}
# How many days after its day a reminder is still sent when the job did not run.
LATE_DAYS = 7

TEMPLATES = {
    ReminderKind.RESIDENCE_CARD: "reminder_residence_card",
    ReminderKind.FILING_AGENT_CERTIFICATE: "reminder_filing_agent_certificate",
    ReminderKind.PASSWORD: "reminder_password",
}


@dataclass(frozen=True)
class Due:
    """A reminder to send: whom, about what, which threshold and the date it is about."""

    user: User
    kind: str
    threshold: int
    target: dt.date


def due_threshold(
    *, target: dt.date, today: dt.date, thresholds: Iterable[int], late_days: int = LATE_DAYS
) -> int | None:
    """The threshold whose reminder is due today for ``target``, or None.

    That is the smallest threshold not below the days left (the most urgent one reached), if
    its day was at most ``late_days`` ago. Nothing once the target date has passed.
    """
    days_left = (target - today).days
    if days_left < 0:
        return None
    reached = [t for t in thresholds if days_left <= t]
    if not reached:
        return None
    threshold = min(reached)
    if threshold - days_left > late_days:
        return None
    return threshold


def _reachable(users):
    """Active users who can receive mail."""
    return users.filter(state=AccountState.ACTIVE, is_active=True).exclude(email="")


def _card_targets(today: dt.date, horizon: dt.date) -> Iterator[tuple[User, dt.date]]:
    from zairyu.cards.models import ResidenceCard

    # The person's one valid card (a partial unique index keeps it one) expiring in the window.
    cards = ResidenceCard.objects.filter(
        state=ResidenceCard.State.VALID,
        card_valid_until__gte=today,
        card_valid_until__lte=horizon,
    )
    users = list(
        _reachable(User.objects.filter(category=Category.FOREIGN_NATIONAL)).filter(
            person_id__in=cards.values("person_id")
        )
    )
    expiry = dict(
        cards.filter(person_id__in=[u.person_id for u in users]).values_list(
            "person_id", "card_valid_until"
        )
    )
    for user in users:
        if user.person_id in expiry:
            yield user, expiry[user.person_id]


def _certificate_targets(today: dt.date, horizon: dt.date) -> Iterator[tuple[User, dt.date]]:
    certificates = FilingAgentCertificate.objects.filter(
        valid_until__gte=today,
        valid_until__lte=horizon,
        user__category=Category.LAWYER,
        user__in=_reachable(User.objects.all()),
    ).select_related("user")
    for certificate in certificates:
        yield certificate.user, certificate.valid_until


def _password_targets(today: dt.date, horizon: dt.date) -> Iterator[tuple[User, dt.date]]:
    # A password set on day D works until the same day a year later (core.days.add_years); the
    # window is a little wider than needed and the exact date is checked below.
    since = clock.tokyo_datetime(today.year, today.month, today.day) - dt.timedelta(days=367)
    until = clock.tokyo_datetime(horizon.year, horizon.month, horizon.day) - dt.timedelta(days=363)
    users = (
        _reachable(User.objects.exclude(category__in=BACK_OFFICE_CATEGORIES))
        .filter(password_changed_at__gte=since, password_changed_at__lt=until)
        .order_by("pk")
    )
    for user in users:
        target = rules.password_valid_until(user)
        if target is None or not today <= target <= horizon:
            continue
        auth_id_until = rules.auth_id_valid_until(user)
        if auth_id_until is not None and auth_id_until < today:
            continue  # the auth ID no longer works: a new password would not help
        yield user, target


_TARGETS = {
    ReminderKind.RESIDENCE_CARD: _card_targets,
    ReminderKind.FILING_AGENT_CERTIFICATE: _certificate_targets,
    ReminderKind.PASSWORD: _password_targets,
}


def reminders_due(*, kind: str, today: dt.date) -> list[Due]:
    """Every reminder of ``kind`` that is due today and has not been sent."""
    thresholds = THRESHOLDS[kind]
    horizon = today + dt.timedelta(days=max(thresholds))
    candidates = []
    for user, target in _TARGETS[kind](today, horizon):
        threshold = due_threshold(target=target, today=today, thresholds=thresholds)
        if threshold is not None:
            candidates.append(Due(user=user, kind=kind, threshold=threshold, target=target))
    if not candidates:
        return []
    sent = set(
        ReminderSent.objects.filter(
            kind=kind, user_id__in=[d.user.pk for d in candidates], target__gte=today
        ).values_list("user_id", "threshold_days", "target")
    )
    return [d for d in candidates if (d.user.pk, d.threshold, d.target) not in sent]


def reminder_send(due: Due, *, today: dt.date) -> bool:
    """Queue one reminder with its ReminderSent row and audit event; False if already sent."""
    user = due.user
    try:
        with transaction.atomic():
            ReminderSent.objects.create(
                user=user,
                kind=due.kind,
                threshold_days=due.threshold,
                target=due.target,
                sent_on=today,
                created_at=clock.now(),
            )
            audit_record(
                action="account.reminder_sent",
                obj=user,
                after={
                    "kind": due.kind,
                    "threshold_days": due.threshold,
                    "target": due.target.isoformat(),
                    "late_days": due.threshold - (due.target - today).days,
                },
            )
            mail_queue(
                template=TEMPLATES[due.kind],
                to=user.email,
                language=user.language,
                context={
                    "user": user,
                    "target": due.target,
                    "days_left": (due.target - today).days,
                    "login_url": settings.ZAIRYU_SITE_URL + reverse("accounts:login"),
                    "password_url": settings.ZAIRYU_SITE_URL + reverse("accounts:password_change"),
                },
                related=user,
            )
    except IntegrityError:
        # Another run queued it between our read and this write: the constraint held.
        return False
    return True


def reminders_send(*, today: dt.date | None = None) -> dict[str, int]:
    """A-15: queue every reminder due today (or overdue by at most LATE_DAYS); counts by kind."""
    today = today or clock.today()
    counts: dict[str, int] = {}
    for kind in THRESHOLDS:
        sent = 0
        for due in reminders_due(kind=kind, today=today):
            if reminder_send(due, today=today):
                sent += 1
        counts[str(kind)] = sent
        if sent:
            log.info("reminders: %s sent %d on %s", kind, sent, today.isoformat())
    return counts


def reminders_daily() -> int:
    """The daily job (zairyu.core.work housekeeping): how many reminders were queued."""
    return sum(reminders_send().values())
