"""Organization accounts (ID-2, ID-8, ID-9, ID-13, ID-19; BO-3): officers act on paper forms.

Organizations cannot register online (001 Q33-Q34: the system cannot check who the submitter
is). Their staff bring or post the paper form 利用者情報登録届出書 with a document showing they
work there (000 §1); an officer registers the account here. The same goes for a forgotten auth
ID (004 Q29), a new password (004 Q31, Q33), and a void auth ID (004 Q27, 000 §4).

Mails: the registration mail goes out the next day at 09:00 (001 Q38 "登録した翌日", 004 Q21
"登録した日の翌日": the calendar day after, as the seeds say; SPEC ID-2 and REFERENCE §8 said
"next business day" — the seeds win, see docs/seed-001-conformance.md), held in the outbox with
``send_at``; the other mails go out at once.

Services first (they write, audit and mail in one transaction), then the reads the back office
uses. Who may see which account is not decided here but in ``zairyu.backoffice.access``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Concat, Substr
from django.http import HttpRequest
from django.utils.translation import gettext as _

from zairyu.audit.services import audit_record
from zairyu.cards.models import Organization
from zairyu.cards.services import organization_create
from zairyu.core import clock
from zairyu.core.validators import AuthIdValidator, CorporateNumber
from zairyu.mail.services import mail_queue

from . import rules, services
from .models import (
    AccountState,
    Category,
    OrganizationAccount,
    TemporaryPassword,
    User,
)

COMPLETION_MAIL_HOUR = 9  # the next day's completion mail goes out in the morning
# Which organizations use which system (SPEC §0, ID-8): service O is for specified skilled
# worker organizations, registered support organizations and Japanese-language institutions;
# only an institution may use both (000 §4).
SERVICE_O_KINDS = {
    Organization.Kind.SSW_EMPLOYER,
    Organization.Kind.SUPPORT_ORGANIZATION,
    Organization.Kind.LANGUAGE_SCHOOL,
}
BOTH_SERVICES_KINDS = {Organization.Kind.LANGUAGE_SCHOOL}


@dataclass(frozen=True)
class OrganizationData:
    """A new organization as the paper form gives it."""

    name: str
    kind: str
    prefecture_id: str
    street: str
    municipality_id: str | None = None
    corporate_number: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class Registration:
    """The account part of the paper form, and what the officer checked."""

    auth_id: str
    email: str
    password: str
    uses_service_n: bool
    uses_service_o: bool
    submitter_name: str
    submitted_via: str
    staff_id_checked: bool
    staff_id_document: str
    staff_id_note: str = ""
    language: str = "ja"


def completion_mail_at(today: dt.date) -> dt.datetime:
    """When the registration mail goes out: 09:00 in Tokyo on the next day (001 Q38, 004 Q21).

    The mail is sent by the system, not by an office, so a weekend or holiday does not hold it.
    """
    day = today + dt.timedelta(days=1)
    return clock.tokyo_datetime(day.year, day.month, day.day, COMPLETION_MAIL_HOUR)


def _field_errors(errors: dict, field: str, exc: ValidationError) -> None:
    errors.setdefault(field, []).extend(exc.error_list)


def _check_new_password(*, auth_id: str, password: str, user: User | None = None) -> None:
    """FMT-2 for a password typed from a paper form (the user may not exist yet)."""
    target = user or SimpleNamespace(get_username=lambda: auth_id, previous_password_hashes=[])
    password_validation.validate_password(password, target)


def _check_services(*, kind: str, uses_n: bool, uses_o: bool) -> list[ValidationError]:
    if not (uses_n or uses_o):
        return [
            ValidationError(
                _("Choose the system the organization uses (at least one)."),
                code="no_service",
            )
        ]
    if uses_n and uses_o and kind not in BOTH_SERVICES_KINDS:
        return [
            ValidationError(
                _(
                    "Only a Japanese-language educational institution may use both systems. "
                    "Choose one, or correct the kind of organization."
                ),
                code="both_services",
            )
        ]
    if uses_o and kind not in SERVICE_O_KINDS:
        return [
            ValidationError(
                _(
                    "The organization filings system (service O) is for specified skilled "
                    "worker organizations, registered support organizations and "
                    "Japanese-language institutions. Choose notifications (service N), or "
                    "correct the kind of organization."
                ),
                code="service_o_kind",
            )
        ]
    return []


def _active_account(organization: Organization) -> OrganizationAccount | None:
    """The organization's account that is not deleted (locks the rows it reads)."""
    links = (
        OrganizationAccount.objects.select_for_update()
        .select_related("user")
        .filter(organization=organization, active=True)
    )
    for link in links:
        if link.user.state == AccountState.DELETED:
            # Deleted by another path (e.g. the admin): the organization is free again.
            OrganizationAccount.objects.filter(pk=link.pk).update(active=False)
            continue
        return link
    return None


def _organization_taken(link: OrganizationAccount) -> ValidationError:
    return ValidationError(
        _(
            "This organization already has an auth ID (%(auth_id)s). An organization holds one "
            "auth ID: look it up, re-issue its password, or delete it first."
        ),
        code="organization_has_account",
        params={"auth_id": link.user.username},
    )


def organization_account_register(
    *,
    actor: User,
    registration: Registration,
    organization: Organization | None = None,
    organization_data: OrganizationData | None = None,
    request: HttpRequest | None = None,
) -> User:
    """ID-2: register an organization's account from its paper form.

    Give either an existing ``organization`` or the ``organization_data`` of a new one. Every
    problem is reported at once, by field (the form's field names); nothing is written unless
    everything is right. The completion mail is held until the next day (001 Q38).
    """
    if (organization is None) == (organization_data is None):
        raise ValueError("give either organization or organization_data")
    kind = organization.kind if organization is not None else organization_data.kind
    errors = _registration_errors(registration, kind=kind, organization_data=organization_data)
    now = clock.now()
    try:
        with transaction.atomic():
            if organization is not None:
                link = _active_account(organization)
                if link is not None:
                    errors.setdefault("__all__", []).append(_organization_taken(link))
            elif "corporate_number" not in errors:
                organization = _organization_from(organization_data, actor, errors, request)
            if errors:
                raise ValidationError(errors)
            user = _organization_account_create(
                registration, organization=organization, actor=actor, now=now, request=request
            )
    except IntegrityError as exc:
        # Two officers registering the same auth ID or organization at the same moment: the
        # unique indexes decide; the loser sees the same message as a sequential duplicate.
        raise ValidationError(
            {
                "auth_id": ValidationError(
                    _(
                        "This auth ID or organization was registered a moment ago by someone "
                        "else. Search for it before trying again."
                    ),
                    code="registered_concurrently",
                )
            }
        ) from exc
    return user


def _registration_errors(
    registration: Registration, *, kind: str, organization_data: OrganizationData | None
) -> dict[str, list[ValidationError]]:
    """Every problem of the paper form that can be seen before writing, by field."""
    errors: dict[str, list[ValidationError]] = {}
    auth_id = registration.auth_id
    try:
        AuthIdValidator().clean(auth_id)
    except ValidationError as exc:
        _field_errors(errors, "auth_id", exc)
    else:
        if User.objects.filter(username=auth_id).exists():
            errors["auth_id"] = [
                ValidationError(
                    _(
                        "This auth ID is already used by another account. Ask the organization "
                        "for another one (an auth ID never changes)."
                    ),
                    code="auth_id_taken",
                )
            ]
    if not registration.email.strip():
        errors["email"] = [ValidationError(_("Enter the e-mail address."), code="required")]
    try:
        _check_new_password(auth_id=auth_id, password=registration.password)
    except ValidationError as exc:
        _field_errors(errors, "password", exc)
    if not registration.staff_id_checked:
        errors["staff_id_checked"] = [
            ValidationError(
                _(
                    "Check the document showing that the submitter works for the organization "
                    "before registering."
                ),
                code="staff_id_not_checked",
            )
        ]
    service_errors = _check_services(
        kind=kind, uses_n=registration.uses_service_n, uses_o=registration.uses_service_o
    )
    if service_errors:
        errors["services"] = service_errors
    existing = _registered_organization(organization_data)
    if existing is not None:
        errors["corporate_number"] = [
            ValidationError(
                _(
                    "An organization with this corporate number is already registered "
                    "(%(name)s). Choose it from the organization search instead."
                ),
                code="organization_exists",
                params={"name": existing.name},
            )
        ]
    return errors


def _registered_organization(organization_data: OrganizationData | None) -> Organization | None:
    """The organization already registered with the new one's corporate number, if any."""
    if organization_data is None or not organization_data.corporate_number:
        return None
    try:
        number = CorporateNumber().clean(organization_data.corporate_number).value
    except ValidationError:
        return None  # organization_create reports it by field
    return Organization.objects.filter(corporate_number=number).first()


def _organization_from(
    organization_data: OrganizationData,
    actor: User,
    errors: dict[str, list[ValidationError]],
    request: HttpRequest | None,
) -> Organization | None:
    """Register the new organization of the form; its problems go to ``errors`` by field."""
    try:
        return organization_create(
            actor=actor,
            name=organization_data.name,
            kind=organization_data.kind,
            prefecture_id=organization_data.prefecture_id,
            municipality_id=organization_data.municipality_id,
            street=organization_data.street,
            corporate_number=organization_data.corporate_number,
            name_en=organization_data.name_en,
            request=request,
        )
    except ValidationError as exc:
        for field, items in exc.error_dict.items():
            errors.setdefault(field, []).extend(items)
        return None


def _organization_account_create(
    registration: Registration,
    *,
    organization: Organization,
    actor: User,
    now: dt.datetime,
    request: HttpRequest | None,
) -> User:
    """Create the account and its link to the organization, audit it and hold the completion
    mail until the next day (001 Q38)."""
    user = User(
        username=registration.auth_id,
        email=registration.email.strip(),
        category=Category.ORGANIZATION,
        language=registration.language,
        display_name=organization.name,
        uses_service_n=registration.uses_service_n,
        uses_service_o=registration.uses_service_o,
        date_joined=now,
        password_changed_at=now,
    )
    user.set_password(registration.password)
    user.save()
    OrganizationAccount.objects.create(
        user=user,
        organization=organization,
        registered_at=now,
        registered_by=actor,
        registered_by_repr=str(actor)[:150],
        submitted_via=registration.submitted_via,
        submitter_name=registration.submitter_name,
        staff_id_document=registration.staff_id_document,
        staff_id_note=registration.staff_id_note,
    )
    audit_record(
        action="account.organization_registered",
        obj=user,
        actor=actor,
        after={
            "auth_id": user.username,
            "organization": organization.pk,
            "uses_service_n": user.uses_service_n,
            "uses_service_o": user.uses_service_o,
            "submitted_via": registration.submitted_via,
            "staff_id_document": registration.staff_id_document,
        },
        request=request,
    )
    mail_queue(
        template="organization_registered",
        to=user.email,
        language=user.language,
        context={"user": user, "organization": organization, "reissued": False},
        related=user,
        send_at=completion_mail_at(now.date()),
    )
    return user


def _require_organization_account(user: User) -> None:
    if user.category != Category.ORGANIZATION:
        raise ValidationError(
            _("Only organization accounts are handled this way."), code="not_organization"
        )
    if user.state == AccountState.DELETED:
        raise ValidationError(
            _("This account is deleted. Register the organization again instead."),
            code="deleted",
        )


def organization_password_reissue(
    *,
    actor: User,
    user: User,
    password: str,
    paper: dict | None = None,
    request: HttpRequest | None = None,
) -> None:
    """BO-3 (004 Q31, Q33): set the password an organization asked for on paper.

    It is temporary: the organization must choose a new one at its next sign-in. Setting it
    also lifts a lock-out; older sessions end (the session hash follows the password).
    ``paper`` records who asked and what the officer checked (audited).
    """
    _require_organization_account(user)
    try:
        with transaction.atomic():
            services.set_password(
                user=user,
                password=password,
                actor=actor,
                request=request,
                reason="reissued",
                notify=False,
            )
            TemporaryPassword.objects.update_or_create(
                user=user,
                defaults={
                    "set_at": clock.now(),
                    "set_by": actor,
                    "set_by_repr": str(actor)[:150],
                },
            )
            audit_record(
                action="account.temporary_password_set",
                obj=user,
                actor=actor,
                after={"paper": paper or {}},
                request=request,
            )
            mail_queue(
                template="password_reissued",
                to=user.email,
                language=user.language,
                context={"user": user, "at": clock.now()},
                related=user,
            )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        raise ValidationError({"password": exc.error_list}) from exc


def temporary_password_replace(
    *, user: User, new_password: str, request: HttpRequest | None = None
) -> None:
    """The user replaces a password an officer set (the sign-in gate's "password" step)."""
    try:
        with transaction.atomic():
            services.set_password(user=user, password=new_password, actor=user, request=request)
            TemporaryPassword.objects.filter(user=user).delete()
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.error_list}) from exc


def organization_auth_id_reissue(
    *,
    actor: User,
    user: User,
    password: str,
    paper: dict | None = None,
    request: HttpRequest | None = None,
) -> None:
    """ID-8: give a void organization auth ID a new validity period (004 Q27, 000 §4).

    The organization re-submits the registration form with a password; the validity counts
    again from today (both the service-N and the service-O anchor). The mail follows the
    registration rule: the next day.
    """
    _require_organization_account(user)
    today = clock.today()
    valid_until = rules.auth_id_valid_until(user)
    if valid_until is None or valid_until >= today:
        raise ValidationError(
            _("This auth ID is still valid (until %(date)s); only a void auth ID is re-issued."),
            code="not_void",
            params={"date": valid_until.isoformat() if valid_until else "—"},
        )
    if user.state != AccountState.ACTIVE:
        raise ValidationError(_("This account is suspended. Resume it first."), code="suspended")
    try:
        with transaction.atomic():
            services.set_password(
                user=user,
                password=password,
                actor=actor,
                request=request,
                reason="reissued_with_auth_id",
                notify=False,
            )
            now = clock.now()
            User.objects.filter(pk=user.pk).update(last_used_at=now)
            user.refresh_from_db()
            TemporaryPassword.objects.filter(user=user).delete()
            audit_record(
                action="account.auth_id_reissued",
                obj=user,
                actor=actor,
                before={"valid_until": valid_until.isoformat()},
                after={
                    "valid_until": rules.auth_id_valid_until(user).isoformat(),
                    "paper": paper or {},
                },
                request=request,
            )
            link = getattr(user, "organization_account", None)
            mail_queue(
                template="organization_registered",
                to=user.email,
                language=user.language,
                context={
                    "user": user,
                    "organization": link.organization if link else None,
                    "reissued": True,
                },
                related=user,
                send_at=completion_mail_at(now.date()),
            )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        raise ValidationError({"password": exc.error_list}) from exc


def organization_auth_id_notify(
    *, actor: User, user: User, paper: dict | None = None, request: HttpRequest | None = None
) -> None:
    """ID-13 (002 Q12-5, 004 Q29): mail a forgotten auth ID to the registered address."""
    _require_organization_account(user)
    with transaction.atomic():
        audit_record(
            action="account.auth_id_notified",
            obj=user,
            actor=actor,
            after={"paper": paper or {}},
            request=request,
        )
        mail_queue(
            template="auth_id_notice",
            to=user.email,
            language=user.language,
            context={"user": user},
            related=user,
        )


def account_state_change(
    *, actor: User, user: User, to: str, reason: str = "", request: HttpRequest | None = None
) -> None:
    """ID-19: suspend, resume or delete an account (mailed); a deleted organization account
    frees its organization to register again, and any temporary password goes with it."""
    with transaction.atomic():
        services.account_transition(user=user, to=to, actor=actor, reason=reason, request=request)
        if to == AccountState.DELETED:
            OrganizationAccount.objects.filter(user=user).update(active=False)
            TemporaryPassword.objects.filter(user=user).delete()


# --- Reads -----------------------------------------------------------------------------------


def account_search(
    accounts: QuerySet[User],
    *,
    auth_id: str = "",
    name: str = "",
    email: str = "",
    category: str = "",
) -> QuerySet[User]:
    """Filter ``accounts`` (already scoped to the officer) by the officer's criteria.

    The auth ID matches exactly or as a prefix (case-sensitive, like the ID itself); name and
    e-mail match any part, ignoring case. No criterion: nothing.

    The name is looked for in the accounts' names and in the linked organizations' names
    separately, each through its own (trigram) indexes on PostgreSQL, and the two sets of ids
    united: an OR over the joined organization made PostgreSQL read every account (issue 17).
    """
    query = accounts
    given = False
    if auth_id:
        given = True
        # startswith narrows (SQLite's LIKE ignores ASCII case); the equality on the prefix
        # keeps the auth ID case-sensitive on every database.
        query = query.annotate(auth_id_prefix=Substr("username", 1, len(auth_id))).filter(
            username__startswith=auth_id, auth_id_prefix=auth_id
        )
    if name:
        given = True
        named = User.objects.filter(
            Q(display_name__icontains=name)
            | Q(first_name__icontains=name)
            | Q(last_name__icontains=name)
        ).values("pk")
        of_organization = OrganizationAccount.objects.filter(
            organization__name__icontains=name
        ).values("user_id")
        query = query.filter(pk__in=named.union(of_organization))
    if email:
        given = True
        query = query.filter(email__icontains=email)
    if category:
        given = True
        query = query.filter(category=category)
    if not given:
        return query.none()
    query = query.select_related("organization_account__organization")
    if name or email:
        # Sorted by the auth ID, but not along its index: with a page to fill and a part of a
        # name or address (which the planner cannot estimate) PostgreSQL would walk the whole
        # index for the few accounts that match; the trigram indexes find them, then they are
        # sorted (issue 17).
        return query.order_by(Concat("username", Value("")))
    return query.order_by("username")


def organization_search(
    organizations: QuerySet[Organization], *, corporate_number: str = "", name: str = ""
) -> QuerySet[Organization]:
    """Organizations by corporate number (exact) or part of the name; with their accounts."""
    query = organizations
    if corporate_number:
        query = query.filter(corporate_number=corporate_number)
    if name:
        query = query.filter(Q(name__icontains=name) | Q(name_en__icontains=name))
    if not (corporate_number or name):
        return query.none()
    return query.select_related("prefecture", "bureau").order_by("name", "id")


def organization_active_account(organization: Organization) -> OrganizationAccount | None:
    return (
        OrganizationAccount.objects.select_related("user")
        .filter(organization=organization, active=True)
        .exclude(user__state=AccountState.DELETED)
        .first()
    )
