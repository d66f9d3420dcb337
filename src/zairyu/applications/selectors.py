"""Reads of service A: what a user sees (A-11), the list with search by state, the timeline.

A user sees the applications they file, and the unsubmitted drafts of the other users of their
organization (A-17: a colleague can take one over). Another user's application is answered
like a missing one (``filer_application_by_id`` raises the same Http404). The back office
reaches applications by the office's jurisdiction instead (``backoffice.access``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from zairyu.accounts.models import StaffAccount, User
from zairyu.core import clock

from .models import (
    Application,
    ApplicationHandover,
    ApplicationState,
    ApplicationStateChange,
    ApplicationVersion,
)
from .rules import STAFF_CATEGORIES

S = ApplicationState


def applications_visible_to(user: User) -> QuerySet[Application]:
    """The applications ``user`` may open: their own, and the drafts of the users of their
    organization (organization staff)."""
    if user is None or not user.is_authenticated:
        return Application.objects.none()
    condition = Q(filer=user)
    if user.category in STAFF_CATEGORIES:
        # The staff of the user's organization (a few ids, one query, the user among them),
        # then their drafts through the filer index: an OR over the joined staff account made
        # PostgreSQL read every application (issue 17).
        colleagues = list(
            StaffAccount.objects.filter(
                organization__in=StaffAccount.objects.filter(user=user).values("organization")
            ).values_list("user", flat=True)
        )
        if colleagues:
            condition |= Q(state=S.DRAFT, filer__in=colleagues)
    return Application.objects.filter(condition).select_related(
        "procedure", "status", "filer", "bureau"
    )


def filer_application_by_id(user: User, application_id: int) -> Application:
    """The application ``application_id`` if ``user`` may see it in the filer pages (their own,
    or a draft of their organization); else Http404 (the same for a missing one and another
    user's)."""
    application = applications_visible_to(user).filter(pk=application_id).first()
    if application is None:
        raise Http404("no such application")
    return application


def current_documents(application: Application, *, version: int | None = None):
    """The documents of ``version`` (default: the documents now attached, including those
    added or removed for the next amendment)."""
    documents = application.documents.all()
    if version is None:
        return documents.filter(version_removed__isnull=True)
    return documents.filter(version_added__lte=version).exclude(version_removed__lte=version)


def application_list(
    user: User, *, state: str | None = None, text: str = ""
) -> QuerySet[Application]:
    """A-11 (002 Q4-8, Q4-34): the user's applications, newest first, searchable by state and
    by number or applicant name (``text``). An unknown state finds nothing."""
    query = applications_visible_to(user)
    if state:
        query = query.filter(state=state) if state in S.values else query.none()
    text = (text or "").strip()
    if text:
        query = query.filter(
            Q(receipt_number__icontains=text)
            | Q(provisional_number__icontains=text)
            | Q(applicant_name__icontains=text.replace(" ", ","))
            | Q(applicant_name__icontains=text)
        )
    return query.order_by("-updated_at", "-id")


def officer_search(
    applications: QuerySet[Application], *, number: str = "", name: str = "", state: str = ""
) -> QuerySet[Application]:
    """BO-5: the back office's search within ``applications`` (already the officer's): part of
    the receipt or provisional number, every part of the applicant's name (roman letters; commas
    count as spaces), the state; the newest submission first. On PostgreSQL each text criterion
    reads a trigram index (migration 0005, issue 17)."""
    number = (number or "").strip()
    if number:
        applications = applications.filter(
            Q(receipt_number__icontains=number) | Q(provisional_number__icontains=number)
        )
    for part in (name or "").strip().upper().replace(",", " ").split():
        applications = applications.filter(applicant_name__icontains=part)
    if state:
        applications = applications.filter(state=state)
    return applications.order_by("-submitted_at", "-id")


def state_counts(user: User) -> dict[str, int]:
    """How many of the user's applications are in each state (for the search form)."""
    counts = dict.fromkeys(S.values, 0)
    for state in applications_visible_to(user).values_list("state", flat=True):
        counts[state] += 1
    return counts


@dataclass(frozen=True)
class TimelineEntry:
    """One line of an application's history (A-11 [B])."""

    at: dt.datetime
    kind: str  # "state", "version", "handover", "withdrawal_request", "receipt_number"
    from_state: str = ""
    to_state: str = ""
    actor: str = ""
    note: str = ""
    version: int | None = None

    @property
    def to_label(self) -> str:
        return str(S(self.to_state).label) if self.to_state else ""

    @property
    def from_label(self) -> str:
        return str(S(self.from_state).label) if self.from_state else ""


def timeline(application: Application) -> list[TimelineEntry]:
    """Every change of ``application`` in time order: states, versions after the first
    (amendments), handovers, the withdrawal request and the receipt number."""
    entries = [
        TimelineEntry(
            at=c.at,
            kind="state",
            from_state=c.from_state,
            to_state=c.to_state,
            actor=c.actor_repr,
            note=c.note,
        )
        for c in ApplicationStateChange.objects.filter(application=application)
    ]
    entries += [
        TimelineEntry(
            at=v.created_at, kind="version", actor=v.actor_repr, note=v.note, version=v.number
        )
        for v in ApplicationVersion.objects.filter(application=application, number__gt=1)
    ]
    entries += [
        TimelineEntry(at=h.at, kind="handover", actor=h.from_repr, note=h.to_repr)
        for h in ApplicationHandover.objects.filter(application=application)
    ]
    if application.withdrawal_requested_at:
        entries.append(
            TimelineEntry(
                at=application.withdrawal_requested_at,
                kind="withdrawal_request",
                actor=application.filer.username,
                note=application.withdrawal_reason,
            )
        )
    if application.receipt_assigned_at:
        entries.append(
            TimelineEntry(
                at=application.receipt_assigned_at,
                kind="receipt_number",
                note=application.receipt_number or "",
            )
        )
    order = {"state": 0, "receipt_number": 1, "version": 2, "handover": 3, "withdrawal_request": 4}
    return sorted(entries, key=lambda e: (e.at, order[e.kind]))


def versions(application: Application) -> QuerySet[ApplicationVersion]:
    """The submitted versions of ``application`` (A-12), first to last."""
    return ApplicationVersion.objects.filter(application=application).order_by("number")


def today_queue(applications: QuerySet[Application]) -> QuerySet[Application]:
    """The day's work (BO-5): applications waiting for examination (oldest first), receipt
    errors, withdrawal requests, papers received to issue, and papers overdue."""
    today = clock.today()
    return applications.filter(
        Q(state=S.SUBMITTED, receipt_number__isnull=False)
        | Q(state=S.RECEIPT_ERROR)
        | Q(
            state__in=[S.SUBMITTED, S.EXAMINING, S.RECEIPT_ERROR],
            withdrawal_requested_at__isnull=False,
        )
        | Q(state=S.AWAITING_ISSUE, papers_received_at__isnull=False)
        | Q(state=S.AWAITING_ISSUE, papers_received_at__isnull=True, papers_due__lt=today)
    ).order_by("submitted_at", "id")
