"""Requests for use by staff of accepting organizations, public-interest corporations and
registered support organizations (SPEC ID-5; 002 Q1-3, Q3-1..Q3-14; 003).

A request for use (利用申出) is prepared online by the organization with the declarations and
documents of the leaflet (003), or recorded by an officer from paper. The bureau with
jurisdiction over the organization's address decides. Approval issues a personal auth ID (Q3-8:
never shared; a new staff member is an additional request, 追加利用申出) and mails a one-time
URL to set the password within 30 days (Q3-7): service A's one-time link mechanism
(``service_a_links._LinkTokens``) with a 30-day life. Officers add client organizations of
public-interest and RSO staff from the papers (Q3-12, Q3-13).

Documents: PDF only, checked by ``document_check`` with the one PDF validator
(``zairyu.core.uploads.check_pdf``: size limit, real PDF, not encrypted or restricted, no
JavaScript or embedded files). Every decision follows the ``STAFF_DECISION`` lifecycle.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import string
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from zairyu.audit.services import audit_record
from zairyu.cards.models import Organization
from zairyu.cards.services import organization_create
from zairyu.core import clock
from zairyu.core.uploads import check_pdf
from zairyu.core.validators import CorporateNumber
from zairyu.mail.services import mail_queue
from zairyu.reference.models import Prefecture
from zairyu.reference.selectors import bureau_for_prefecture

from . import rules, services
from .attempts import RATE_WINDOW, RateLimited, count_service_a_registration_attempt
from .models import (
    STAFF_DECISION,
    AccountState,
    Category,
    StaffAccount,
    StaffChannel,
    StaffClient,
    StaffDecision,
    StaffDocument,
    StaffDocumentKind,
    StaffRequest,
    User,
)
from .service_a_links import _LinkTokens

STAFF_CATEGORIES = (
    Category.ORGANIZATION_STAFF,
    Category.PUBLIC_INTEREST_STAFF,
    Category.RSO_STAFF,
)
# Public-interest and RSO staff file for client organizations that commissioned them (Q3-11).
COMMISSIONED_CATEGORIES = (Category.PUBLIC_INTEREST_STAFF, Category.RSO_STAFF)

PASSWORD_LINK_LIFETIME = dt.timedelta(days=30)  # Q3-7
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
    ``zairyu.core.uploads.check_pdf`` — size, content type, encryption, restrictions,
    JavaScript and embedded files)."""
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
        _count_online_request(request)
    errors, corporate_number, prefecture = _request_errors(
        data, channel=channel, documents=documents
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
            additional=_active_staff(_organization_of(data, corporate_number)).exists(),
            submitted_at=now,
            recorded_by=actor,
        )
        attached = documents if channel == StaffChannel.ONLINE else ()
        for kind, filename, content in attached:
            StaffDocument.objects.create(
                request=staff_request,
                kind=kind,
                filename=filename[:200],
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
            )
        _request_received(staff_request, documents=len(attached), actor=actor, request=request)
    return staff_request


def _count_online_request(request: HttpRequest | None) -> None:
    """SEC-5: the public form takes large uploads; limit it per client address (the counter of
    service A's registration steps)."""
    try:
        count_service_a_registration_attempt(request)
    except RateLimited as exc:
        hours = int(RATE_WINDOW.total_seconds() // 3600)
        raise ValidationError(
            ngettext(
                "Too many requests from your network. Please try again in an hour.",
                "Too many requests from your network. Please try again in %(hours)d hours.",
                hours,
            )
            % {"hours": hours},
            code="rate_limited",
        ) from exc


Errors = dict[str, list[ValidationError]]


def _add(errors: Errors, name: str, message: str, code: str) -> None:
    errors.setdefault(name, []).append(ValidationError(message, code=code))


def _request_errors(
    data: RequestData, *, channel: str, documents: list[tuple[str, str, bytes]]
) -> tuple[Errors, str, Prefecture | None]:
    """Every problem of a request for use, by field; with the corporate number as cleaned and
    the prefecture."""
    errors: Errors = {}
    if data.category not in STAFF_CATEGORIES:
        _add(errors, "category", _("Choose the kind of staff member."), "category")
    for key in ("organization_name", "street", "staff_name", "staff_email"):
        if not getattr(data, key).strip():
            _add(errors, key, _("This field is required."), "required")
    corporate_number = _corporate_number(data, errors)
    if data.organization_kind not in Organization.Kind.values:
        _add(errors, "organization_kind", _("Choose the kind of organization."), "kind")
    prefecture = Prefecture.objects.filter(pk=data.prefecture_id).first()
    if prefecture is None:
        _add(errors, "prefecture", _("Choose the prefecture."), "prefecture")
    for key in DECLARATION_KEYS:
        if not data.declarations.get(key):
            _add(
                errors,
                f"declaration_{key}",
                _("The organization must meet this requirement to use the online system."),
                "declaration_missing",
            )
    if data.category in COMMISSIONED_CATEGORIES and not data.clients.strip():
        _add(
            errors,
            "clients",
            _("List the organizations that asked you to file for them (one a line)."),
            "clients_required",
        )
    if channel == StaffChannel.ONLINE:
        _document_errors(data, documents, errors)
    return errors, corporate_number, prefecture


def _corporate_number(data: RequestData, errors: Errors) -> str:
    """The corporate number as cleaned (a corporation's is required; others have none)."""
    if data.corporation:
        try:
            return CorporateNumber().clean(data.corporate_number).value
        except ValidationError as exc:
            errors.setdefault("corporate_number", []).extend(exc.error_list)
    elif data.corporate_number.strip():
        _add(
            errors,
            "corporate_number",
            _("Leave the corporate number empty for an organization that is not a corporation."),
            "not_corporation",
        )
    return ""


def _document_errors(
    data: RequestData, documents: list[tuple[str, str, bytes]], errors: Errors
) -> None:
    """Each attached document checked as a PDF; each one 003 requires attached."""
    attached = {}
    for kind, filename, content in documents:
        try:
            document_check(data=content, filename=filename)
        except ValidationError as exc:
            errors.setdefault(f"document_{kind}", []).extend(exc.error_list)
        attached[kind] = True
    for kind in required_documents(category=data.category, corporation=data.corporation):
        if kind not in attached and f"document_{kind}" not in errors:
            _add(
                errors,
                f"document_{kind}",
                _("Attach this document as a PDF (%(document)s).")
                % {"document": StaffDocumentKind(kind).label},
                "document_missing",
            )


def _request_received(
    staff_request: StaffRequest, *, documents: int, actor: User | None, request
) -> None:
    """Audit a recorded request for use and mail the receipt."""
    audit_record(
        action="accounts.staffrequest.submitted",
        actor=actor,
        obj=staff_request,
        after={
            "channel": staff_request.channel,
            "category": staff_request.category,
            "bureau": staff_request.bureau_id,
            "additional": staff_request.additional,
            "documents": documents,
        },
        request=request,
    )
    mail_queue(
        template="staff_request_received",
        to=staff_request.contact_email or staff_request.staff_email,
        language=staff_request.language,
        context={"request": staff_request, "bureau": staff_request.bureau},
        related=staff_request,
    )


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
    issued: list[StaffAccount] = []

    def enter(locked: StaffRequest, from_state: str, _now) -> list[str]:
        fields = _decided(locked, actor=actor, reason=reason, now=now)
        if approve:
            account = _issue_auth_id(locked, actor=actor, now=now, auth_id=auth_id, request=request)
            issued.append(account)
            locked.organization, locked.user = account.organization, account.user
            fields += ["organization", "user"]
        return fields

    def record(locked: StaffRequest, from_state: str, _now) -> None:
        after: dict = {"state": locked.state, "reason": locked.reason}
        if approve:
            _auth_id_issued(issued[0], actor=actor, request=request)
            after.update({"user": locked.user_id, "organization": locked.organization_id})
        else:
            mail_queue(
                template="staff_request_refused",
                to=locked.contact_email or locked.staff_email,
                language=locked.language,
                context={"request": locked},
                related=locked,
            )
        audit_record(
            action=f"accounts.staffrequest.{locked.state}",
            actor=actor,
            obj=locked,
            before={"state": from_state},
            after=after,
            request=request,
        )

    return STAFF_DECISION.transition(
        staff_request,
        to=StaffDecision.APPROVED if approve else StaffDecision.REFUSED,
        enter=enter,
        record=record,
    )


def _decided(paper, *, actor: User, reason: str, now: dt.datetime) -> list[str]:
    """Record who decided a paper (request for use or periodic report), when and why; return
    the fields set."""
    paper.decided_at = now
    paper.decided_by = actor
    paper.decided_by_repr = actor.get_username()
    paper.reason = reason.strip()
    return ["decided_at", "decided_by", "decided_by_repr", "reason"]


def _issue_auth_id(
    staff_request: StaffRequest,
    *,
    actor: User,
    now: dt.datetime,
    auth_id: str | None,
    request: HttpRequest | None,
) -> StaffAccount:
    """Approval (Q3-8): the organization (matched, or registered from the request), a personal
    auth ID without a password yet, its staff account and clients (Q3-11)."""
    organization = _organization_of(staff_request, staff_request.corporate_number)
    if organization is None:
        organization = organization_create(
            actor=actor,
            name=staff_request.organization_name,
            kind=staff_request.organization_kind,
            prefecture_id=staff_request.prefecture_id,
            street=staff_request.street,
            corporate_number=staff_request.corporate_number,
            bureau_id=staff_request.bureau_id,
            request=request,
        )
    user = User(
        username=auth_id or _new_auth_id(),
        email=staff_request.staff_email,
        category=staff_request.category,
        language=staff_request.language,
        display_name=staff_request.staff_name,
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
    if staff_request.category in COMMISSIONED_CATEGORIES:
        for name in _clients_from_text(staff_request.clients):
            StaffClient.objects.create(
                account=account, name=name[:200], added_at=now, added_by=actor
            )
    return account


def _auth_id_issued(account: StaffAccount, *, actor: User, request: HttpRequest | None) -> None:
    """Audit the new auth ID and mail its one-time password link (30 days, Q3-7)."""
    user, organization = account.user, account.organization
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
        locked.valid_until = rules.first_validity(now)
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
    link_days = PASSWORD_LINK_LIFETIME.days
    return ngettext(
        "This link has expired or has already been used. The link in the approval mail works "
        "once, for %(days)d day. If you have set your password, sign in; otherwise ask the "
        "regional immigration bureau that approved the request.",
        "This link has expired or has already been used. The link in the approval mail works "
        "once, for %(days)d days. If you have set your password, sign in; otherwise ask the "
        "regional immigration bureau that approved the request.",
        link_days,
    ) % {"days": link_days}


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
