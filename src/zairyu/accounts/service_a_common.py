"""What every service A self-registration shares (ID-3, ID-4, ID-6; 002 Q2-5).

The user registers → a mail brings a one-time URL, valid for ``REGISTRATION_LINK_LIFETIME``
(24 hours) → they set the initial password. Until then the account has no usable password and
its registration is *pending*. A pending registration whose link expired is removed when its
certificate, filing-agent certificate or auth ID is used again (``_remove_stale``) and by
``service_a_pending_prune`` (housekeeping), so nobody is locked out by an unfinished one.
Here: the categories, the auth-ID checks, creating the user with its registration and mail,
the refusals and their audit events.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from zairyu.audit.services import audit_record
from zairyu.core import clock
from zairyu.core.validators import AuthIdValidator
from zairyu.mail.services import mail_queue

from .models import Category, ServiceARegistration, User
from .service_a_links import REGISTRATION_LINK_LIFETIME, _registration, link_url

ID3_CATEGORIES = (Category.FOREIGN_NATIONAL, Category.LEGAL_REPRESENTATIVE, Category.RELATIVE)
SELF_REGISTRATION_CATEGORIES = (*ID3_CATEGORIES, Category.LAWYER, Category.COE_RECIPIENT)


def _is_pending(registration: ServiceARegistration | None) -> bool:
    return registration is not None and registration.completed_at is None


def _link_expired(registration: ServiceARegistration, now: dt.datetime) -> bool:
    return registration.registered_at + REGISTRATION_LINK_LIFETIME < now


def _remove_stale(user: User, *, request: HttpRequest | None) -> None:
    audit_record(
        action="account.registration_expired",
        obj=user,
        after={"category": user.category},
        request=request,
    )
    user.delete()


def _error(field: str | None, message: str, code: str) -> ValidationError:
    return ValidationError({field or NON_FIELD_ERRORS: ValidationError(message, code=code)})


def _pending_error(registration: ServiceARegistration) -> ValidationError:
    until = (registration.registered_at + REGISTRATION_LINK_LIFETIME).astimezone(clock.TOKYO)
    return _error(
        None,
        _(
            "A registration with these details is waiting for its password to be set. Open the "
            "link in the mail we sent. If the mail has not arrived, check your spam folder; you "
            "can register again after %(until)s (Japan time), when that link expires."
        )
        % {"until": until.strftime("%Y-%m-%d %H:%M")},
        "pending",
    )


def _pending_cleared(holder: User, *, now: dt.datetime, request: HttpRequest | None) -> bool:
    """For an account in the way of a new registration: True when it was a pending registration
    whose link expired (removed here); the pending refusal while its link still works; False
    when it is a finished registration (the caller refuses in its own words)."""
    registration = _registration(holder)
    if _is_pending(registration) and _link_expired(registration, now):
        _remove_stale(holder, request=request)
        return True
    if _is_pending(registration):
        raise _pending_error(registration)
    return False


def _free_auth_id(auth_id: str, *, now: dt.datetime, request: HttpRequest | None) -> None:
    """Raise when the auth ID is taken; an expired unfinished registration gives it back."""
    holder = User.objects.filter(username=auth_id).first()
    if holder is None:
        return
    registration = _registration(holder)
    if _is_pending(registration) and _link_expired(registration, now):
        _remove_stale(holder, request=request)
        return
    raise _auth_id_taken()


def _auth_id_taken() -> ValidationError:
    return _error(
        "auth_id",
        _("This auth ID is already used by someone else. Choose another one."),
        "auth_id_taken",
    )


def _check_auth_id(auth_id: str) -> None:
    try:
        AuthIdValidator(field=_("Auth ID")).clean(auth_id)
    except ValidationError as exc:
        raise ValidationError({"auth_id": exc.error_list}) from exc


def _refuse(code: str, *, category: str, request: HttpRequest | None) -> None:
    with transaction.atomic():
        audit_record(
            action="account.service_a_registration_refused",
            object_type="accounts.user",
            after={"reason": code, "category": category},
            request=request,
        )


def _create_user(
    *,
    category: str,
    auth_id: str,
    email: str,
    language: str,
    display_name: str,
    valid_until: dt.date | None,
    address: str = "",
    organization_name: str = "",
    now: dt.datetime,
    request: HttpRequest | None,
) -> User:
    user = User(
        username=auth_id,
        email=email.strip(),
        category=category,
        language=language,
        display_name=display_name,
        valid_until=valid_until,
        date_joined=now,
    )
    user.set_unusable_password()
    user.save()
    ServiceARegistration.objects.create(
        user=user, address=address, organization_name=organization_name, registered_at=now
    )
    audit_record(
        action="account.service_a_registered",
        obj=user,
        after={"category": category, "valid_until": valid_until},
        request=request,
    )
    mail_queue(
        template="service_a_registered",
        to=user.email,
        language=language,
        context={
            "user": user,
            "url": link_url(purpose="registration", user=user),
            "expires_at": now + REGISTRATION_LINK_LIFETIME,
        },
        related=user,
    )
    return user


def _save_new_user(create, *, on_conflict) -> User:
    """Run ``create`` in a transaction; a unique index that another request won first raises
    ``on_conflict()`` (the checks before it make this the rare race, not the rule)."""
    try:
        with transaction.atomic():
            return create()
    except IntegrityError as exc:
        raise on_conflict() from exc


def _first_code(exc: ValidationError) -> str:
    errors = exc.error_dict.values() if hasattr(exc, "error_dict") else [exc.error_list]
    return next((e.code for group in errors for e in group if e.code), "invalid")


def _conflict(auth_id: str, category: str) -> ValidationError:
    if User.objects.filter(username=auth_id).exists():
        return _auth_id_taken()
    return _certificate_registered(category)


def _certificate_registered(category: str) -> ValidationError:
    return _error(
        "certificate",
        _(
            "This My Number card is already registered as “%(category)s”. One card can be "
            "registered once for each user category. Sign in with the auth ID you received; if "
            "you forgot the password, use “Forgot your password?” on the sign-in page."
        )
        % {"category": Category(category).label},
        "already_registered",
    )


# --- Housekeeping ----------------------------------------------------------------------------


def service_a_pending_prune(*, now: dt.datetime | None = None) -> int:
    """Remove registrations whose password link expired unused; return how many."""
    now = now or clock.now()
    removed = 0
    stale = ServiceARegistration.objects.filter(
        completed_at__isnull=True, registered_at__lt=now - REGISTRATION_LINK_LIFETIME
    ).select_related("user")
    for registration in stale:
        with transaction.atomic():
            _remove_stale(registration.user, request=None)
        removed += 1
    return removed
