"""Validity, periodic reports, resignation, deletion and change reports of staff auth IDs
(SPEC ID-10, ID-11; 002 Q9-1..Q9-6, Q10-1..Q10-4).

- Validity (ID-10): one year from the first password (Q3-7). The organization files one
  periodic report (定期報告) for all its users (Q9-1) at least a month before expiry (Q9-2);
  approval extends each included user's validity by one year from the previous expiry (Q9-4);
  after expiry a late report restores access once approved (Q9-5). Every user is reminded two
  months before expiry, once per expiry date (``staff_expiry_reminders``, a daily job).
- Resignation (離職報告書, Q10-3) deletes the user's ID at once and mails them; a user's own
  deletion request (抹消申出, Q10-4) deletes after they confirm; a change of organization name,
  address or user name (利用者情報変更届出, Q10-2) is applied when an officer approves it.

Every state change is audited and mailed in its transaction; decided papers follow the
``STAFF_DECISION`` lifecycle.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from zairyu.audit.services import audit_record
from zairyu.cards.models import Organization
from zairyu.core import clock, days
from zairyu.core.days import months_before
from zairyu.core.work import register_housekeeper
from zairyu.mail.services import mail_queue

from . import services
from .models import (
    STAFF_DECISION,
    AccountState,
    PeriodicReport,
    StaffAccount,
    StaffChangeReport,
    StaffChannel,
    StaffClient,
    StaffDecision,
    User,
)
from .staff_requests import (
    COMMISSIONED_CATEGORIES,
    DECLARATION_KEYS,
    _active_staff,
    _clients_from_text,
    _decided,
    _error,
)

REPORT_AT_LEAST_BEFORE_MONTHS = 1  # Q9-2
REMINDER_MONTHS_BEFORE = 2


# --- Validity and periodic reports (ID-10) ----------------------------------------------------


def organization_users(organization: Organization) -> QuerySet[StaffAccount]:
    """The organization's users with an auth ID in use (first password set, not deleted)."""
    return (
        _active_staff(organization)
        .filter(activated_at__isnull=False)
        .select_related("user")
        .order_by("user__display_name", "pk")
    )


def report_due_by(organization: Organization) -> dt.date | None:
    """The last day to file on time: a month before the earliest expiry (Q9-2)."""
    expiries = [a.user.valid_until for a in organization_users(organization) if a.user.valid_until]
    if not expiries:
        return None
    return months_before(min(expiries), REPORT_AT_LEAST_BEFORE_MONTHS)


def periodic_report_submit(
    *,
    organization: Organization,
    declarations: dict,
    clients: str = "",
    channel: str,
    actor: User,
    request: HttpRequest | None = None,
) -> PeriodicReport:
    """ID-10: one periodic report for all the organization's users (Q9-1)."""
    errors: dict[str, list[ValidationError]] = {}
    for key in DECLARATION_KEYS:
        if not declarations.get(key):
            errors.setdefault(f"declaration_{key}", []).append(
                ValidationError(
                    _("The organization must meet this requirement to keep using the system."),
                    code="declaration_missing",
                )
            )
    accounts = list(organization_users(organization))
    if not accounts:
        errors.setdefault("__all__", []).append(
            ValidationError(
                _("The organization has no users to report for. File a new request for use."),
                code="no_users",
            )
        )
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        if PeriodicReport.objects.filter(
            organization=organization, state=StaffDecision.SUBMITTED
        ).exists():
            raise _error(
                "__all__",
                _("A periodic report of this organization is already waiting for a decision."),
                "report_open",
            )
        report = PeriodicReport.objects.create(
            organization=organization,
            bureau_id=organization.bureau_id,
            declarations=dict.fromkeys(DECLARATION_KEYS, True),
            clients=clients.strip(),
            channel=channel,
            submitted_at=now,
            submitted_by=actor,
        )
        report.accounts.set(accounts)
        due = report_due_by(organization)
        audit_record(
            action="accounts.periodicreport.submitted",
            actor=actor,
            obj=report,
            after={
                "users": [a.user_id for a in accounts],
                "channel": channel,
                "late": bool(due and now.astimezone(clock.TOKYO).date() > due),
            },
            request=request,
        )
        for account in accounts:
            mail_queue(
                template="periodic_report_received",
                to=account.user.email,
                language=account.user.language,
                context={"user": account.user, "organization": organization, "due": due},
                related=report,
            )
    return report


def extended_until(previous: dt.date | None, today: dt.date) -> dt.date:
    """Q9-4: one year from the previous expiry. A report filed more than a year late would
    leave the ID expired; then it runs one year from the approval."""
    new = days.add_years(previous or today, 1)
    return new if new >= today else days.add_years(today, 1)


def periodic_report_decide(
    *,
    report: PeriodicReport,
    actor: User,
    approve: bool,
    reason: str = "",
    request: HttpRequest | None = None,
) -> PeriodicReport:
    """ID-10: approval extends every included user's validity (Q9-4) and restores expired ones
    (Q9-5); refusal is mailed to them with its reason."""
    if not approve and not reason.strip():
        raise _error("reason", _("Give the reason for the refusal; it is mailed."), "required")
    now = clock.now()
    today = now.astimezone(clock.TOKYO).date()

    def enter(locked: PeriodicReport, from_state: str, _now) -> list[str]:
        return _decided(locked, actor=actor, reason=reason, now=now)

    def record(locked: PeriodicReport, from_state: str, _now) -> None:
        extended = _report_decided_for_users(
            locked, approve=approve, actor=actor, today=today, now=now
        )
        audit_record(
            action=f"accounts.periodicreport.{locked.state}",
            actor=actor,
            obj=locked,
            before={"state": from_state},
            after={"state": locked.state, "reason": locked.reason, "valid_until": extended},
            request=request,
        )

    return STAFF_DECISION.transition(
        report,
        to=StaffDecision.APPROVED if approve else StaffDecision.REFUSED,
        enter=enter,
        record=record,
    )


def _report_decided_for_users(
    report: PeriodicReport, *, approve: bool, actor: User, today: dt.date, now: dt.datetime
) -> dict:
    """Each included user who is not deleted: on approval a year more (Q9-4) and the clients
    listed in the report (Q9-6); the decision mailed. Return the validity changes by user."""
    extended = {}
    for account in report.accounts.select_related("user"):
        user = User.objects.select_for_update().get(pk=account.user_id)
        if user.state == AccountState.DELETED:
            continue
        if approve:
            previous = user.valid_until
            user.valid_until = extended_until(previous, today)
            user.save(update_fields=["valid_until"])
            extended[user.pk] = [str(previous), str(user.valid_until)]
            if report.clients and user.category in COMMISSIONED_CATEGORIES:
                _sync_clients(account, _clients_from_text(report.clients), actor, now)
        mail_queue(
            template="periodic_report_approved" if approve else "periodic_report_refused",
            to=user.email,
            language=user.language,
            context={
                "user": user,
                "organization": report.organization,
                "reason": report.reason,
                "valid_until": user.valid_until,
            },
            related=user,
        )
    return extended


def _sync_clients(account: StaffAccount, names: list[str], actor: User, now) -> None:
    """Q9-6: the report lists every client at that time; the list becomes the one on file."""
    current = {c.name: c for c in account.clients.filter(removed_at__isnull=True)}
    for name, client in current.items():
        if name not in names:
            StaffClient.objects.filter(pk=client.pk).update(removed_at=now)
    for name in names:
        if name not in current:
            StaffClient.objects.create(
                account=account, name=name[:200], added_at=now, added_by=actor
            )


def staff_expiry_reminders(*, today: dt.date | None = None) -> int:
    """ID-10: mail every user two months before expiry, once per user per expiry date."""
    today = today or clock.today()
    horizon = today + dt.timedelta(days=62)
    sent = 0
    candidates = StaffAccount.objects.filter(
        activated_at__isnull=False,
        user__state=AccountState.ACTIVE,
        user__valid_until__gte=today,
        user__valid_until__lte=horizon,
    ).select_related("user", "organization")
    for account in candidates:
        valid_until = account.user.valid_until
        if today < months_before(valid_until, REMINDER_MONTHS_BEFORE):
            continue
        with transaction.atomic():
            # The update is the claim: a second run (or worker) finds it done.
            claimed = (
                StaffAccount.objects.filter(pk=account.pk)
                .exclude(reminded_for=valid_until)
                .update(reminded_for=valid_until)
            )
            if not claimed:
                continue
            audit_record(
                action="account.staff_expiry_reminded",
                obj=account.user,
                after={"valid_until": valid_until},
            )
            mail_queue(
                template="staff_expiry_reminder",
                to=account.user.email,
                language=account.user.language,
                context={
                    "user": account.user,
                    "organization": account.organization,
                    "valid_until": valid_until,
                    "report_by": months_before(valid_until, REPORT_AT_LEAST_BEFORE_MONTHS),
                },
                related=account.user,
            )
        sent += 1
    return sent


register_housekeeper("staff_expiry_reminders", staff_expiry_reminders)


# --- Resignation, deletion and change reports (ID-11) -----------------------------------------


def _same_organization(actor: User, account: StaffAccount) -> bool:
    own = StaffAccount.objects.filter(user=actor).values_list("organization_id", flat=True)
    return account.organization_id in set(own)


def resignation_report(
    *,
    account: StaffAccount,
    actor: User,
    channel: str,
    request: HttpRequest | None = None,
) -> None:
    """Q10-3: the organization reports that a user left; the ID is deleted and they are told.

    Online by a user of the same organization, or recorded by an officer from the paper form.
    """
    if channel == StaffChannel.ONLINE and not _same_organization(actor, account):
        raise PermissionError("not the same organization")
    with transaction.atomic():
        audit_record(
            action="account.staff_resigned",
            actor=actor,
            obj=account.user,
            after={"organization": account.organization_id, "channel": channel},
            request=request,
        )
        services.account_transition(
            user=account.user,
            to=AccountState.DELETED,
            actor=actor,
            reason=_("resignation report (離職報告書)"),
            request=request,
        )


def deletion_request(*, user: User, confirmed: bool, request: HttpRequest | None = None) -> None:
    """Q10-4: a user asks for their own ID to be deleted; done once they confirm."""
    if not confirmed:
        raise _error(
            "confirm", _("Tick the box to confirm that your auth ID is to be deleted."), "required"
        )
    with transaction.atomic():
        audit_record(action="account.deletion_requested", actor=user, obj=user, request=request)
        services.account_transition(
            user=user,
            to=AccountState.DELETED,
            actor=user,
            reason=_("deletion request (抹消申出)"),
            request=request,
        )


def change_report_submit(
    *,
    account: StaffAccount,
    actor: User,
    channel: str,
    organization_name: str = "",
    street: str = "",
    staff_name: str = "",
    request: HttpRequest | None = None,
) -> StaffChangeReport:
    """Q10-2: report a new organization name or address or user name; applied on approval."""
    if not (organization_name.strip() or street.strip() or staff_name.strip()):
        raise _error("__all__", _("Enter at least one change."), "no_change")
    if channel == StaffChannel.ONLINE and not _same_organization(actor, account):
        raise PermissionError("not the same organization")
    with transaction.atomic():
        report = StaffChangeReport.objects.create(
            account=account,
            organization_name=organization_name.strip(),
            street=street.strip(),
            staff_name=staff_name.strip(),
            channel=channel,
            submitted_at=clock.now(),
            submitted_by=actor,
        )
        audit_record(
            action="accounts.staffchangereport.submitted",
            actor=actor,
            obj=report,
            after={
                "organization_name": report.organization_name,
                "street": report.street,
                "staff_name": report.staff_name,
            },
            request=request,
        )
        mail_queue(
            template="staff_change_received",
            to=account.user.email,
            language=account.user.language,
            context={"user": account.user, "report": report},
            related=report,
        )
    return report


def change_report_decide(
    *,
    report: StaffChangeReport,
    actor: User,
    approve: bool,
    reason: str = "",
    request: HttpRequest | None = None,
) -> StaffChangeReport:
    """Q10-2: an officer applies (or refuses, with reason) a reported change."""
    if not approve and not reason.strip():
        raise _error("reason", _("Give the reason for the refusal; it is mailed."), "required")

    def enter(locked: StaffChangeReport, from_state: str, now: dt.datetime) -> list[str]:
        locked.decided_at = now
        locked.decided_by = actor
        locked.reason = reason.strip()
        return ["decided_at", "decided_by", "reason"]

    def record(locked: StaffChangeReport, from_state: str, now: dt.datetime) -> None:
        user = locked.account.user
        before, after = {"state": from_state}, {"state": locked.state}
        if approve:
            _apply_change(locked, user, before=before, after=after)
        audit_record(
            action=f"accounts.staffchangereport.{locked.state}",
            actor=actor,
            obj=locked,
            before=before,
            after={**after, "reason": locked.reason},
            request=request,
        )
        mail_queue(
            template="staff_change_decided",
            to=user.email,
            language=user.language,
            context={"user": user, "report": locked},
            related=locked,
        )

    return STAFF_DECISION.transition(
        report,
        to=StaffDecision.APPROVED if approve else StaffDecision.REFUSED,
        enter=enter,
        record=record,
    )


def _apply_change(report: StaffChangeReport, user: User, *, before: dict, after: dict) -> None:
    """Q10-2: apply an approved change to the organization and the user; ``before`` and
    ``after`` get what changed."""
    organization = Organization.objects.select_for_update().get(pk=report.account.organization_id)
    if report.organization_name:
        before["organization_name"] = organization.name
        after["organization_name"] = organization.name = report.organization_name
    if report.street:
        before["street"] = organization.street
        after["street"] = organization.street = report.street
    if report.organization_name or report.street:
        organization.save(update_fields=["name", "street"])
    if report.staff_name:
        before["staff_name"] = user.display_name
        after["staff_name"] = user.display_name = report.staff_name
        user.save(update_fields=["display_name"])
