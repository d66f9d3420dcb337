"""Staff of accepting organizations, public-interest corporations and registered support
organizations (SPEC ID-5, ID-10, ID-11; 002 Q1-3, Q3-1..Q3-14, Q9-1..Q9-6, Q10-1..Q10-4; 003).

- Request for use (利用申出, ID-5): prepared online by the organization with the declarations and
  documents of the leaflet (003), or recorded by an officer from paper. The bureau with
  jurisdiction over the organization's address decides. Approval issues a personal auth ID
  (Q3-8: never shared; a new staff member is an additional request, 追加利用申出) and mails a
  one-time URL to set the password within 30 days (Q3-7). The link is service_a's one-time
  link mechanism (``service_a._LinkTokens``) with a 30-day life.
- Validity (ID-10): one year from the first password (Q3-7). The organization files one
  periodic report (定期報告) for all its users (Q9-1) at least a month before expiry (Q9-2);
  approval extends each included user's validity by one year from the previous expiry (Q9-4);
  after expiry a late report restores access once approved (Q9-5). Every user is reminded two
  months before expiry, once per expiry date (``staff_expiry_reminders``, a daily job).
- Resignation (離職報告書, Q10-3) deletes the user's ID at once and mails them; a user's own
  deletion request (抹消申出, Q10-4) deletes after they confirm; a change of organization name,
  address or user name (利用者情報変更届出, Q10-2) is applied when an officer approves it.

Every state change is audited and mailed in its transaction; decided papers follow
``STAFF_DECISION_TRANSITIONS``.

Documents: PDF only, checked by ``document_check`` with the one PDF validator of the uploads
module (size limit, real PDF, not encrypted or restricted, no JavaScript or embedded files).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import string
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zairyu.audit.services import audit_record
from zairyu.cards.models import Organization
from zairyu.cards.services import organization_create
from zairyu.core import clock
from zairyu.core.validators import CorporateNumber
from zairyu.core.work import register_housekeeper
from zairyu.mail.services import mail_queue
from zairyu.reference.models import Prefecture
from zairyu.reference.selectors import bureau_for_prefecture

from . import rules, services
from .models import (
    STAFF_DECISION_TRANSITIONS,
    AccountState,
    Category,
    PeriodicReport,
    StaffAccount,
    StaffChangeReport,
    StaffChannel,
    StaffClient,
    StaffDecision,
    StaffDocument,
    StaffDocumentKind,
    StaffRequest,
    User,
)
from .service_a import _LinkTokens

STAFF_CATEGORIES = (
    Category.ORGANIZATION_STAFF,
    Category.PUBLIC_INTEREST_STAFF,
    Category.RSO_STAFF,
)
# Public-interest and RSO staff file for client organizations that commissioned them (Q3-11).
COMMISSIONED_CATEGORIES = (Category.PUBLIC_INTEREST_STAFF, Category.RSO_STAFF)

PASSWORD_LINK_LIFETIME = dt.timedelta(days=30)  # Q3-7
REPORT_AT_LEAST_BEFORE_MONTHS = 1  # Q9-2
REMINDER_MONTHS_BEFORE = 2
AUTH_ID_LENGTH = 10

# The requirements of 003, declared by the organization (key, text).
DECLARATIONS = (
    (
        "no_penalty",
        gettext_lazy(
            "The organization has not been punished under immigration or labour laws in the "
            "past 5 years."
        ),
    ),
    (
        "notifications_filed",
        gettext_lazy(
            "The organization has filed the notifications required by the Immigration Control "
            "Act and the Labour Policy Act."
        ),
    ),
    (
        "lawful_acceptance",
        gettext_lazy(
            "The organization has accepted foreign nationals lawfully over the past 3 years."
        ),
    ),
    (
        "no_id_sharing",
        gettext_lazy(
            "No one whose request for use is not approved will use an auth ID or password."
        ),
    ),
    (
        "annual_report",
        gettext_lazy("The organization will file the periodic report once a year."),
    ),
)
DECLARATION_KEYS = tuple(key for key, _text in DECLARATIONS)


class _StaffLinkTokens(_LinkTokens):
    """service_a's one-time links, without Django's PASSWORD_RESET_TIMEOUT cap (3 days): the
    approval link lives 30 days (Q3-7)."""

    def check_token(self, user, token) -> bool:
        if not user or not token or token.count("-") != 1:
            return False
        try:
            issued = base36_to_int(token.split("-", 1)[0])
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, issued, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return 0 <= self._num_seconds(self._now()) - issued <= self.lifetime.total_seconds()


STAFF_LINK = _StaffLinkTokens(purpose="staff_initial", lifetime=PASSWORD_LINK_LIFETIME)


def _error(field_name: str, message: str, code: str) -> ValidationError:
    return ValidationError({field_name: ValidationError(message, code=code)})


def _transition(obj, to: str) -> str:
    """Apply the decision table; return the state before."""
    before = obj.state
    if to not in STAFF_DECISION_TRANSITIONS[before]:
        raise ValidationError(
            _("This has already been decided (%(state)s)."),
            code="invalid_transition",
            params={"state": obj.get_state_display()},
        )
    obj.state = to
    return before


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier (the month's last day when it has fewer days)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month + 1, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --- Documents --------------------------------------------------------------------------------


def required_documents(*, category: str, corporation: bool) -> list[str]:
    """The documents of 003 a request for use prepared online must attach."""
    kinds = [StaffDocumentKind.REQUEST_FORM, StaffDocumentKind.SUMMARY, StaffDocumentKind.PLEDGE]
    if corporation:
        kinds.append(StaffDocumentKind.REGISTRY)
    kinds.append(StaffDocumentKind.FOREIGN_STAFF)
    if category in COMMISSIONED_CATEGORIES:
        kinds.append(StaffDocumentKind.COMMISSION)
    return kinds


def document_check(*, data: bytes, filename: str) -> None:
    """A staff document is checked like every uploaded PDF (one validator per format:
    ``zairyu.applications.uploads.check_pdf`` — size, content type, encryption, restrictions,
    JavaScript and embedded files)."""
    from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: PLC0415

    from zairyu.applications.uploads import check_pdf  # noqa: PLC0415

    check_pdf(SimpleUploadedFile(filename, data, "application/pdf"))


# --- Requests for use (ID-5) ------------------------------------------------------------------


@dataclass(frozen=True)
class RequestData:
    organization_name: str
    organization_kind: str
    prefecture_id: str
    street: str
    category: str
    staff_name: str
    staff_email: str
    corporation: bool = True
    corporate_number: str = ""
    language: str = "ja"
    contact_email: str = ""
    clients: str = ""
    declarations: dict = field(default_factory=dict)


def _organization_of(data: RequestData, corporate_number: str) -> Organization | None:
    if corporate_number:
        return Organization.objects.filter(corporate_number=corporate_number).first()
    return Organization.objects.filter(
        name=data.organization_name.strip(), prefecture_id=data.prefecture_id
    ).first()


def _active_staff(organization: Organization | None) -> QuerySet[StaffAccount]:
    if organization is None:
        return StaffAccount.objects.none()
    return StaffAccount.objects.filter(organization=organization).exclude(
        user__state=AccountState.DELETED
    )


def staff_request_submit(
    *,
    data: RequestData,
    channel: str,
    documents: list[tuple[str, str, bytes]] = (),
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> StaffRequest:
    """ID-5: record a request for use. Online: every declaration and every document of 003;
    paper (an officer, ``actor``): the declarations as ticked on the form (papers stay filed).

    All problems are reported at once, by field.
    """
    if channel == StaffChannel.ONLINE:
        # SEC-5: the public form takes large uploads; limit it per client address.
        from zairyu.accounts.service_a import RateLimited, count_registration_attempt

        try:
            count_registration_attempt(request)
        except RateLimited as exc:
            raise ValidationError(
                _("Too many requests from your network. Please try again in an hour."),
                code="rate_limited",
            ) from exc
    errors: dict[str, list[ValidationError]] = {}

    def add(name: str, message: str, code: str) -> None:
        errors.setdefault(name, []).append(ValidationError(message, code=code))

    if data.category not in STAFF_CATEGORIES:
        add("category", _("Choose the kind of staff member."), "category")
    for key in ("organization_name", "street", "staff_name", "staff_email"):
        if not getattr(data, key).strip():
            add(key, _("This field is required."), "required")
    corporate_number = ""
    if data.corporation:
        try:
            corporate_number = CorporateNumber().clean(data.corporate_number).value
        except ValidationError as exc:
            errors.setdefault("corporate_number", []).extend(exc.error_list)
    elif data.corporate_number.strip():
        add(
            "corporate_number",
            _("Leave the corporate number empty for an organization that is not a corporation."),
            "not_corporation",
        )
    if data.organization_kind not in Organization.Kind.values:
        add("organization_kind", _("Choose the kind of organization."), "kind")
    prefecture = Prefecture.objects.filter(pk=data.prefecture_id).first()
    if prefecture is None:
        add("prefecture", _("Choose the prefecture."), "prefecture")
    missing = [key for key in DECLARATION_KEYS if not data.declarations.get(key)]
    if missing:
        for key in missing:
            add(
                f"declaration_{key}",
                _("The organization must meet this requirement to use the online system."),
                "declaration_missing",
            )
    if data.category in COMMISSIONED_CATEGORIES and not data.clients.strip():
        add(
            "clients",
            _("List the organizations that asked you to file for them (one a line)."),
            "clients_required",
        )
    if channel == StaffChannel.ONLINE:
        attached = {}
        for kind, filename, content in documents:
            try:
                document_check(data=content, filename=filename)
            except ValidationError as exc:
                errors.setdefault(f"document_{kind}", []).extend(exc.error_list)
            attached[kind] = True
        for kind in required_documents(category=data.category, corporation=data.corporation):
            if kind not in attached and f"document_{kind}" not in errors:
                add(
                    f"document_{kind}",
                    _("Attach this document as a PDF (%(document)s).")
                    % {"document": StaffDocumentKind(kind).label},
                    "document_missing",
                )
    if errors:
        with transaction.atomic():
            audit_record(
                action="accounts.staffrequest.refused_input",
                actor=actor,
                object_type="accounts.staffrequest",
                after={"fields": sorted(errors), "channel": channel},
                request=request,
            )
        raise ValidationError(errors)
    bureau = bureau_for_prefecture(prefecture.pk)
    now = clock.now()
    with transaction.atomic():
        organization = _organization_of(data, corporate_number)
        staff_request = StaffRequest.objects.create(
            organization_name=data.organization_name.strip(),
            corporate_number=corporate_number,
            organization_kind=data.organization_kind,
            prefecture=prefecture,
            street=data.street.strip(),
            bureau=bureau,
            category=data.category,
            staff_name=data.staff_name.strip(),
            staff_email=data.staff_email.strip(),
            language=data.language,
            contact_email=data.contact_email.strip(),
            clients=data.clients.strip(),
            declarations=dict.fromkeys(DECLARATION_KEYS, True),
            channel=channel,
            additional=_active_staff(organization).exists(),
            submitted_at=now,
            recorded_by=actor,
        )
        for kind, filename, content in documents if channel == StaffChannel.ONLINE else ():
            StaffDocument.objects.create(
                request=staff_request,
                kind=kind,
                filename=filename[:200],
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
            )
        audit_record(
            action="accounts.staffrequest.submitted",
            actor=actor,
            obj=staff_request,
            after={
                "channel": channel,
                "category": data.category,
                "bureau": bureau.pk,
                "additional": staff_request.additional,
                "documents": len(documents) if channel == StaffChannel.ONLINE else 0,
            },
            request=request,
        )
        mail_queue(
            template="staff_request_received",
            to=staff_request.contact_email or staff_request.staff_email,
            language=staff_request.language,
            context={"request": staff_request, "bureau": bureau},
            related=staff_request,
        )
    return staff_request


def _new_auth_id() -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        auth_id = "S" + "".join(secrets.choice(alphabet) for _i in range(AUTH_ID_LENGTH - 1))
        if not User.objects.filter(username=auth_id).exists():
            return auth_id


def password_link_url(user: User) -> str:
    """The absolute one-time URL to set the first password (valid 30 days, Q3-7)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = STAFF_LINK.make_token(user)
    return settings.ZAIRYU_SITE_URL.rstrip("/") + reverse(
        "accounts:staff_set_password", args=[uidb64, token]
    )


def _clients_from_text(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def staff_request_decide(
    *,
    staff_request: StaffRequest,
    actor: User,
    approve: bool,
    reason: str = "",
    request: HttpRequest | None = None,
    auth_id: str | None = None,
) -> StaffRequest:
    """ID-5: approve (issue a personal auth ID, mail the password link) or refuse with reason.

    Jurisdiction is the caller's check (backoffice.staff_views). ``auth_id`` is for the demo
    set-up only (a fixed, documented ID, docs/demo.md); the auth ID is random otherwise."""
    if not approve and not reason.strip():
        raise _error("reason", _("Give the reason for the refusal; it is mailed."), "required")
    now = clock.now()
    with transaction.atomic():
        locked = StaffRequest.objects.select_for_update().get(pk=staff_request.pk)
        before = _transition(locked, StaffDecision.APPROVED if approve else StaffDecision.REFUSED)
        locked.decided_at = now
        locked.decided_by = actor
        locked.decided_by_repr = actor.get_username()
        locked.reason = reason.strip()
        after: dict = {"state": locked.state, "reason": locked.reason}
        if approve:
            organization = _organization_of(locked, locked.corporate_number)
            if organization is None:
                organization = organization_create(
                    actor=actor,
                    name=locked.organization_name,
                    kind=locked.organization_kind,
                    prefecture_id=locked.prefecture_id,
                    street=locked.street,
                    corporate_number=locked.corporate_number,
                    bureau_id=locked.bureau_id,
                    request=request,
                )
            user = User(
                username=auth_id or _new_auth_id(),
                email=locked.staff_email,
                category=locked.category,
                language=locked.language,
                display_name=locked.staff_name,
                valid_until=None,  # one year from the first password (Q3-7)
                date_joined=now,
            )
            user.set_unusable_password()
            user.save()
            account = StaffAccount.objects.create(
                user=user,
                organization=organization,
                issued_at=now,
                password_by=now + PASSWORD_LINK_LIFETIME,
            )
            if locked.category in COMMISSIONED_CATEGORIES:
                for name in _clients_from_text(locked.clients):
                    StaffClient.objects.create(
                        account=account, name=name[:200], added_at=now, added_by=actor
                    )
            locked.organization = organization
            locked.user = user
            after.update({"user": user.pk, "organization": organization.pk})
            audit_record(
                action="account.staff_issued",
                actor=actor,
                obj=user,
                after={"category": user.category, "organization": organization.pk},
                request=request,
            )
            mail_queue(
                template="staff_request_approved",
                to=user.email,
                language=user.language,
                context={
                    "user": user,
                    "organization": organization,
                    "url": password_link_url(user),
                    "expires_at": account.password_by,
                },
                related=user,
            )
        else:
            mail_queue(
                template="staff_request_refused",
                to=locked.contact_email or locked.staff_email,
                language=locked.language,
                context={"request": locked},
                related=locked,
            )
        locked.save()
        audit_record(
            action=f"accounts.staffrequest.{locked.state}",
            actor=actor,
            obj=locked,
            before={"state": before},
            after=after,
            request=request,
        )
    return locked


def link_user(*, uidb64: str, token: str) -> User | None:
    """The staff user a password link is for, or None (unknown, used, expired, not theirs)."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = (
        User.objects.filter(
            pk=pk,
            category__in=STAFF_CATEGORIES,
            state=AccountState.ACTIVE,
            staff_account__activated_at__isnull=True,
        )
        .select_related("staff_account")
        .first()
    )
    if user is None or not STAFF_LINK.check_token(user, token):
        return None
    if clock.now() > user.staff_account.password_by:
        return None
    return user


def staff_initial_password_set(
    *, user: User, token: str, password: str, request: HttpRequest | None = None
) -> User:
    """Q3-7: the first password from the approval mail's link; valid one year from now."""
    now = clock.now()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if link_user(uidb64=urlsafe_base64_encode(force_bytes(locked.pk)), token=token) is None:
            raise _error("__all__", link_invalid_message(), "link_invalid")
        try:
            services.set_password(
                user=locked,
                password=password,
                actor=locked,
                request=request,
                reason="initial",
                notify=False,
            )
        except ValidationError as exc:
            raise ValidationError({"password": exc.error_list}) from exc
        locked.valid_until = rules.add_one_year(now.astimezone(clock.TOKYO).date())
        locked.save(update_fields=["valid_until"])
        StaffAccount.objects.filter(user=locked).update(activated_at=now)
        audit_record(
            action="account.staff_activated",
            actor=locked,
            obj=locked,
            after={"valid_until": locked.valid_until},
            request=request,
        )
        mail_queue(
            template="staff_activated",
            to=locked.email,
            language=locked.language,
            context={"user": locked, "valid_until": locked.valid_until},
            related=locked,
        )
    return locked


def link_invalid_message() -> str:
    return _(
        "This link has expired or has already been used. The link in the approval mail works "
        "once, for 30 days. If you have set your password, sign in; otherwise ask the regional "
        "immigration bureau that approved the request."
    )


def staff_client_add(
    *,
    account: StaffAccount,
    name: str,
    corporate_number: str = "",
    actor: User,
    request: HttpRequest | None = None,
) -> StaffClient:
    """Q3-12, Q3-13: an officer adds a client organization from the papers submitted."""
    if account.user.category not in COMMISSIONED_CATEGORIES:
        raise _error(
            "name",
            _("Only public-interest and RSO staff file for client organizations."),
            "not_commissioned",
        )
    if not name.strip():
        raise _error("name", _("This field is required."), "required")
    number = ""
    if corporate_number.strip():
        try:
            number = CorporateNumber().clean(corporate_number).value
        except ValidationError as exc:
            raise ValidationError({"corporate_number": exc.error_list}) from exc
    with transaction.atomic():
        client = StaffClient.objects.create(
            account=account,
            name=name.strip()[:200],
            corporate_number=number,
            added_at=clock.now(),
            added_by=actor,
        )
        audit_record(
            action="account.staff_client_added",
            actor=actor,
            obj=account.user,
            after={"client": client.name, "corporate_number": number},
            request=request,
        )
        mail_queue(
            template="staff_client_added",
            to=account.user.email,
            language=account.user.language,
            context={"user": account.user, "client": client},
            related=account.user,
        )
    return client


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
    new = rules.add_one_year(previous or today)
    return new if new >= today else rules.add_one_year(today)


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
    with transaction.atomic():
        locked = PeriodicReport.objects.select_for_update().get(pk=report.pk)
        before = _transition(locked, StaffDecision.APPROVED if approve else StaffDecision.REFUSED)
        locked.decided_at = now
        locked.decided_by = actor
        locked.decided_by_repr = actor.get_username()
        locked.reason = reason.strip()
        locked.save()
        extended = {}
        for account in locked.accounts.select_related("user"):
            user = User.objects.select_for_update().get(pk=account.user_id)
            if user.state == AccountState.DELETED:
                continue
            if approve:
                previous = user.valid_until
                user.valid_until = extended_until(previous, today)
                user.save(update_fields=["valid_until"])
                extended[user.pk] = [str(previous), str(user.valid_until)]
                if locked.clients and user.category in COMMISSIONED_CATEGORIES:
                    _sync_clients(account, _clients_from_text(locked.clients), actor, now)
            mail_queue(
                template="periodic_report_approved" if approve else "periodic_report_refused",
                to=user.email,
                language=user.language,
                context={
                    "user": user,
                    "organization": locked.organization,
                    "reason": locked.reason,
                    "valid_until": user.valid_until,
                },
                related=user,
            )
        audit_record(
            action=f"accounts.periodicreport.{locked.state}",
            actor=actor,
            obj=locked,
            before={"state": before},
            after={"state": locked.state, "reason": locked.reason, "valid_until": extended},
            request=request,
        )
    return locked


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
    with transaction.atomic():
        locked = StaffChangeReport.objects.select_for_update().get(pk=report.pk)
        before_state = _transition(
            locked, StaffDecision.APPROVED if approve else StaffDecision.REFUSED
        )
        locked.decided_at = clock.now()
        locked.decided_by = actor
        locked.reason = reason.strip()
        locked.save()
        account = locked.account
        user = account.user
        before, after = {"state": before_state}, {"state": locked.state}
        if approve:
            organization = Organization.objects.select_for_update().get(pk=account.organization_id)
            if locked.organization_name:
                before["organization_name"] = organization.name
                after["organization_name"] = organization.name = locked.organization_name
            if locked.street:
                before["street"] = organization.street
                after["street"] = organization.street = locked.street
            if locked.organization_name or locked.street:
                organization.save(update_fields=["name", "street"])
            if locked.staff_name:
                before["staff_name"] = user.display_name
                after["staff_name"] = user.display_name = locked.staff_name
                user.save(update_fields=["display_name"])
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
    return locked
