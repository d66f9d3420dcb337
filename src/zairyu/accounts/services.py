"""Account actions: sign-in with lock-out, password and e-mail changes, officer actions.

Each action writes its audit event and its mails in one transaction (mails are sent after
commit by the outbox).
"""

import logging

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from zairyu.audit.services import audit_record, client_ip
from zairyu.core import clock, ratelimit
from zairyu.core.validators import PasswordPolicy
from zairyu.mail.services import mail_queue

from . import rules
from .models import ACCOUNT, AccountState, PasswordHistory, User

log = logging.getLogger(__name__)


class LoginRefused(Exception):
    """Sign-in refused; ``code`` says why (the view maps it to a message)."""

    def __init__(self, code: str, user: User | None = None):
        super().__init__(code)
        self.code = code
        self.user = user


def password_text(password: str) -> str:
    """The form of a typed password that is hashed and compared (NFKC under the nist policy)."""
    return PasswordPolicy().normalise(password)


def _dummy_password_check(password: str) -> None:
    # Spend the same time as a real check so that response times do not reveal auth IDs.
    check_password(password, make_password("zairyu-timing-equaliser"))


def login_attempt(*, auth_id: str, password: str, request: HttpRequest | None = None) -> User:
    """Check an auth ID and password (ID-14, ID-7..ID-9); return the user or raise LoginRefused.

    Wrong auth ID and wrong password give the same answer. Five consecutive wrong passwords
    lock the ID for 24 hours; while locked, even the right password is refused.
    """
    ip = client_ip(request) or "unknown"
    limit, window = rules.login_rate_limit()
    if ratelimit.exceeded(f"login-ip:{ip}", limit=limit, window=window):
        raise LoginRefused("rate_limited")
    now = clock.now()
    user = User.objects.filter(username=auth_id).first()
    if user is None:
        _dummy_password_check(password)
        ratelimit.hit(f"login-ip:{ip}", limit=limit, window=window)
        with transaction.atomic():
            audit_record(
                action="account.login_failed",
                object_type="accounts.user",
                object_id="",
                after={"auth_id_known": False},
                request=request,
            )
        raise LoginRefused("invalid")
    if rules.is_locked(user, now=now):
        with transaction.atomic():
            audit_record(action="account.login_while_locked", obj=user, request=request)
        raise LoginRefused("locked", user)
    if not user.check_password(password_text(password)):
        ratelimit.hit(f"login-ip:{ip}", limit=limit, window=window)
        _record_failure(user, request=request)
        raise LoginRefused("invalid")
    # ID-7: a resident's auth ID follows the card registry (a renewal extends it, an
    # invalidated card voids it, 001 Q41/Q44) before its validity is judged. Local import:
    # registration.py builds on this module.
    from .registration import resident_refresh_validity

    user = resident_refresh_validity(user, request=request)
    refusal = rules.login_refusal(user, today=now.astimezone(clock.TOKYO).date())
    if refusal is not None:
        with transaction.atomic():
            audit_record(
                action="account.login_refused",
                obj=user,
                after={"reason": refusal.code},
                request=request,
            )
        raise LoginRefused(refusal.code, user)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(
            failed_logins=0, locked_until=None, last_used_at=now, last_login=now
        )
        audit_record(action="account.login", obj=user, actor=user, request=request)
    user.refresh_from_db()
    return user


def _record_failure(user: User, *, request: HttpRequest | None) -> None:
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.failed_logins += 1
        fields = ["failed_logins"]
        audit_record(
            action="account.login_failed",
            obj=locked,
            after={"failed_logins": locked.failed_logins},
            request=request,
        )
        if locked.failed_logins >= rules.MAX_FAILED_LOGINS:
            locked.locked_until = clock.now() + rules.LOCK_DURATION
            locked.failed_logins = 0
            fields += ["locked_until"]
            audit_record(
                action="account.locked",
                obj=locked,
                after={"locked_until": locked.locked_until},
                request=request,
            )
            mail_queue(
                template="account_locked",
                to=locked.email,
                language=locked.language,
                context={
                    "user": locked,
                    "locked_until": locked.locked_until,
                    "self_unlock": rules.may_unlock_themselves(locked),
                },
                related=locked,
            )
        locked.save(update_fields=fields)


def validate_new_password(*, user: User, password: str) -> None:
    """FMT-2: the configured PasswordPolicy (it also refuses the last five passwords, read from
    ``User.previous_password_hashes``)."""
    password_validation.validate_password(password, user)


def set_password(
    *,
    user: User,
    password: str,
    actor: User | None,
    request=None,
    reason: str = "changed",
    notify: bool = True,
) -> None:
    """Store a new password (keeping history), reset the lock, audit and mail (ID-15)."""
    validate_new_password(user=user, password=password)
    now = clock.now()
    with transaction.atomic():
        if user.password and user.has_usable_password():
            PasswordHistory.objects.create(user=user, password=user.password, created_at=now)
        user.set_password(password_text(password))
        user.password_changed_at = now
        user.failed_logins = 0
        user.locked_until = None
        update = ["password", "password_changed_at", "failed_logins", "locked_until"]
        if actor is not None and actor.pk == user.pk:
            user.last_used_at = now  # ID-8: a password change counts as use
            update.append("last_used_at")
        user.save(update_fields=update)
        audit_record(action=f"account.password_{reason}", obj=user, actor=actor, request=request)
        if notify:
            mail_queue(
                template="password_changed",
                to=user.email,
                language=user.language,
                context={"user": user, "at": now},
                related=user,
            )


def change_password(*, user: User, current: str, new: str, request=None) -> None:
    """ID-15: a signed-in user changes their password after typing the current one."""
    if not user.check_password(password_text(current)):
        raise ValidationError(
            {
                "current_password": ValidationError(
                    _("The current password is not correct."), code="wrong_password"
                )
            }
        )
    try:
        set_password(user=user, password=new, actor=user, request=request)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.error_list}) from exc


def change_email(*, user: User, new_email: str, request=None) -> None:
    """ID-15: change the e-mail address; both the old and the new address are told."""
    old = user.email
    if new_email.strip().lower() == old.lower():
        raise ValidationError(
            {"email": ValidationError(_("This is already your e-mail address."), code="same")}
        )
    now = clock.now()
    with transaction.atomic():
        user.email = new_email.strip()
        user.last_used_at = now
        user.save(update_fields=["email", "last_used_at"])
        audit_record(
            action="account.email_changed",
            obj=user,
            actor=user,
            before={"email": old},
            after={"email": user.email},
            request=request,
        )
        for address in (old, user.email):
            mail_queue(
                template="email_changed",
                to=address,
                language=user.language,
                context={"user": user, "old": old, "new": user.email, "at": now},
                related=user,
            )


def account_transition(*, user: User, to: str, actor: User, reason: str = "", request=None) -> None:
    """ID-19: an officer suspends, resumes or deletes an account; the user is told by mail.

    The move follows the ``ACCOUNT`` lifecycle (``User.TRANSITIONS``); a move it does not allow
    is a ValidationError (``invalid_transition``)."""

    def enter(locked: User, from_state: str, now) -> list[str]:
        locked.is_active = to == AccountState.ACTIVE
        return ["is_active"]

    def record(locked: User, from_state: str, now) -> None:
        audit_record(
            action=f"account.{to}",
            obj=locked,
            actor=actor,
            before={"state": from_state},
            after={"state": to, "reason": reason},
            request=request,
        )
        mail_queue(
            template=f"account_{to}",
            to=locked.email,
            language=locked.language,
            context={"user": locked, "reason": reason},
            related=locked,
        )

    ACCOUNT.transition(user, to=to, enter=enter, record=record)
    user.refresh_from_db()


def unlock(*, user: User, actor: User, request=None) -> None:
    """BO-3: an officer lifts a lock-out."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        audit_record(action="account.unlocked", obj=user, actor=actor, request=request)


def change_address(*, user: User, address: str, request=None) -> str:
    """ID-11: a self-registered service A user (ID-3, ID-4) updates their own address.

    Japanese text only (FMT-4); half-width characters are converted to full width. Audited.
    Returns the stored form so the page can show any conversion.
    """
    from zairyu.core.validators import JisX0208Text, refuse_my_number

    registration = getattr(user, "service_a_registration", None)
    if registration is None:
        raise ValidationError(
            _("Your user category does not keep an address here."), code="no_address"
        )
    try:
        refuse_my_number(address, field=_("Address"))
        cleaned = (
            JisX0208Text(field=_("Address"), max_length=200, convert_halfwidth=True)
            .clean(address)
            .value
        )
    except ValidationError as exc:
        raise ValidationError({"address": exc.error_list}) from exc
    before = registration.address
    with transaction.atomic():
        registration.address = cleaned
        registration.save(update_fields=["address"])
        audit_record(
            action="account.address_changed",
            obj=user,
            actor=user,
            before={"address": before},
            after={"address": cleaned},
            request=request,
        )
    return cleaned
