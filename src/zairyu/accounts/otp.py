"""Second factor (ID-17): TOTP devices, their actions, and the sign-in gate.

**Model.** A user's authenticator is a django-otp ``TOTPDevice`` (RFC 6238, 6 digits, 30 s,
one step of tolerance either way). A device is *confirmed* once the user has typed a code from
it; only confirmed devices count. A user has at most one confirmed device.

**Who needs one.** Optional for every user; required for every staff path (SEC-2): the back
office (officers, supervisors, helpdesk, administrators: ``User.is_back_office``) and every
``is_staff`` or superuser account whatever its category (the Django admin, and anyone the
back-office permission helper ``zairyu.backoffice.access`` lets in). The admin itself lets in
only a verified session (``accounts.admin_site``).

**The sign-in gate.** The password step (``accounts.services.login_attempt`` behind the
sign-in page, or the officers' sign-in page) logs the user in; django-otp's ``OTPMiddleware``
then says whether *this session* has also been verified with a code. Until the session has
passed every step that applies, ``SignInGateMiddleware`` lets the user reach only the steps
themselves and sign-out:

1. ``verify``: the user has a confirmed device but the session is not verified;
2. ``password``: an officer re-issued the password (``TemporaryPassword``), so a new one must
   be chosen before anything else (004 Q31, Q33);
3. ``setup``: a back-office user without a confirmed device.

Once passed, the session remembers it (one query per session, not per request); back-office
pages check ``is_verified()`` again on every request.

**Lock-out.** A wrong code counts like a wrong password (ID-14): it adds to the user's
consecutive failures, and five lock the auth ID for 24 hours. The password step resets that
counter, so the device's own failure count (reset only by a right code) is checked too:
otherwise someone holding the password could alternate password and four guesses forever.
Replayed codes are refused (django-otp keeps the last accepted time step).
"""

from __future__ import annotations

import contextlib
import unicodedata
from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from zairyu.audit.services import audit_record
from zairyu.core import clock
from zairyu.mail.services import mail_queue

from . import rules
from .models import TemporaryPassword, User

GATE_SESSION_KEY = "zairyu.signin_gate"
TOKEN_DIGITS = 6
DEVICE_NAME = "TOTP"


class SecondFactorLocked(Exception):
    """The code was wrong once too often: the auth ID is now locked (ID-14)."""

    def __init__(self, user: User):
        super().__init__("locked")
        self.user = user


# --- Reads -----------------------------------------------------------------------------------


def confirmed_device(user) -> TOTPDevice | None:
    """Return the user's confirmed authenticator, or None."""
    if not getattr(user, "pk", None):
        return None
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).order_by("-id").first()


def has_second_factor(user) -> bool:
    return confirmed_device(user) is not None


def second_factor_required(user) -> bool:
    """Back-office, staff and superuser accounts must use a second factor (ID-17, SEC-2); for
    everyone else it is optional. Staff flags count on their own: an account made with
    ``createsuperuser`` has no category but opens the admin."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (user.is_back_office or user.is_staff or user.is_superuser)
    )


def session_verified(request: HttpRequest) -> bool:
    """Say whether this session has been verified with a code (django-otp's OTPMiddleware)."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


def second_factor_step(request: HttpRequest) -> str | None:
    """Return the second-factor step this session still needs: "verify", "setup" or None.

    For the staff paths (back office, admin), which check it on every request as well as the
    sign-in gate: a session is let in only once verified with a code.
    """
    user = request.user
    if not user.is_authenticated or session_verified(request):
        return None
    if has_second_factor(user):
        return "verify"
    return "setup" if second_factor_required(user) else None


def normalise_token(value: str) -> str:
    """Return the code as ASCII digits: full-width digits, spaces and hyphens are forgiven."""
    text = unicodedata.normalize("NFKC", value or "")
    return "".join(ch for ch in text if not ch.isspace() and ch != "-")


def check_token_format(value: str) -> str:
    """Return the normalised code or raise ValidationError saying what a code looks like."""
    token = normalise_token(value)
    if len(token) != TOKEN_DIGITS or not (token.isascii() and token.isdigit()):
        raise ValidationError(
            _("Enter the %(digits)d-digit code your authenticator app shows now."),
            code="token_format",
            params={"digits": TOKEN_DIGITS},
        )
    return token


def _token(value: str) -> str:
    """``check_token_format`` with its error on the form's ``token`` field."""
    try:
        return check_token_format(value)
    except ValidationError as exc:
        raise ValidationError({"token": exc.error_list}) from exc


def secret_for_display(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an app that cannot scan."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The provisioning URI as an SVG QR code in a data: URI (allowed by the CSP's img-src)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=4)


# --- Actions ---------------------------------------------------------------------------------


def second_factor_setup_device(*, user: User) -> TOTPDevice:
    """Return the user's pending (unconfirmed) device, creating one with a fresh key.

    The same pending device is returned until it is confirmed, so the QR code does not change
    between the page being shown and the code being typed.
    """
    with transaction.atomic():
        pending = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-id")
        )
        device = pending.first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        return device


def second_factor_restart_setup(*, user: User) -> TOTPDevice:
    """Throw the pending key away and make a new one (the user wants a new QR code)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def second_factor_enable(*, user: User, token: str, request: HttpRequest | None = None):
    """Confirm the pending device with a code from it; it replaces any earlier device.

    Returns the confirmed device; raises ValidationError on ``token`` when the code is wrong.
    """
    token = _token(token)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        raise ValidationError(
            {
                "token": ValidationError(
                    _("The set-up has expired. Scan the new QR code and enter its code."),
                    code="no_pending_device",
                )
            }
        )
    accepted = verify_token(user, device.persistent_id, token)
    if accepted is None:
        with transaction.atomic():
            audit_record(action="account.second_factor.enable_failed", obj=user, request=request)
        raise ValidationError(
            {
                "token": ValidationError(
                    _(
                        "This code does not match. Check that the app shows the account you "
                        "just added and that the phone's clock is right, then enter the "
                        "current code."
                    ),
                    code="wrong_token",
                )
            }
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=accepted.pk).delete()
        accepted.confirmed = True
        accepted.save(update_fields=["confirmed"])
        audit_record(action="account.second_factor.enabled", obj=user, actor=user, request=request)
        mail_queue(
            template="second_factor_enabled",
            to=user.email,
            language=user.language,
            context={"user": user, "at": clock.now()},
            related=user,
        )
    return accepted


def second_factor_verify(*, user: User, token: str, request: HttpRequest | None = None):
    """Check the sign-in code of a user whose password was right; return the device.

    Raises ValidationError (``token``) for a wrong or replayed code, counted toward the lock-out
    (ID-14), and ``SecondFactorLocked`` when the auth ID is (or has just become) locked.
    """
    if rules.is_locked(user):
        raise SecondFactorLocked(user)
    token = _token(token)
    device = confirmed_device(user)
    if device is None:
        raise ValidationError(_("No authenticator is registered for this account."), code="none")
    accepted = verify_token(user, device.persistent_id, token)
    if accepted is not None:
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(failed_logins=0)
            audit_record(
                action="account.second_factor.verified", obj=user, actor=user, request=request
            )
        return accepted
    if _record_failure(user=user, device=device, request=request, step="sign_in"):
        raise SecondFactorLocked(user)
    raise ValidationError({"token": ValidationError(_wrong_token_message(), code="wrong_token")})


def _wrong_token_message() -> str:
    codes = rules.MAX_FAILED_LOGINS
    hours = int(rules.LOCK_DURATION.total_seconds() // 3600)
    return ngettext(
        "The code is not correct, or it has been used already. Enter the code the app shows "
        "now (a new one appears every 30 seconds). After %(codes)d wrong code the auth ID is "
        "locked for %(hours)d hours.",
        "The code is not correct, or it has been used already. Enter the code the app shows "
        "now (a new one appears every 30 seconds). After %(codes)d wrong codes the auth ID is "
        "locked for %(hours)d hours.",
        codes,
    ) % {"codes": codes, "hours": hours}


def second_factor_disable(
    *, user: User, password: str, token: str, request: HttpRequest | None = None
) -> None:
    """Remove the user's authenticator after checking the password and a current code.

    Wrong passwords and codes count toward the lock-out (a left-open session must not become a
    way to guess either). Back-office users may do this to replace a phone: the gate sends them
    straight to set up a new one.
    """
    if rules.is_locked(user):
        raise SecondFactorLocked(user)
    device = confirmed_device(user)
    if device is None:
        raise ValidationError(_("No authenticator is registered for this account."), code="none")
    token = _token(token)
    errors: dict[str, list[ValidationError]] = {}
    password_ok = user.check_password(password)
    accepted = verify_token(user, device.persistent_id, token) if password_ok else None
    if not password_ok or accepted is None:
        if not password_ok:
            errors["password"] = [
                ValidationError(_("The password is not correct."), code="wrong_password")
            ]
        else:
            errors["token"] = [
                ValidationError(
                    _("The code is not correct, or it has been used already."),
                    code="wrong_token",
                )
            ]
        if _record_failure(user=user, device=device, request=request, step="disable"):
            raise SecondFactorLocked(user)
        raise ValidationError(errors)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        User.objects.filter(pk=user.pk).update(failed_logins=0)
        audit_record(action="account.second_factor.disabled", obj=user, actor=user, request=request)
        mail_queue(
            template="second_factor_disabled",
            to=user.email,
            language=user.language,
            context={"user": user, "at": clock.now(), "by_officer": False},
            related=user,
        )
    if request is not None and hasattr(request, "session"):
        request.session.pop(GATE_SESSION_KEY, None)


def second_factor_reset(
    *, user: User, actor: User, reason: str = "", request: HttpRequest | None = None
) -> bool:
    """BO-3: an officer removes a user's authenticator (phone lost), on a paper request.

    The user is told by mail; a back-office user must set up a new one at the next sign-in.
    Returns False when the user had none.
    """
    with transaction.atomic():
        deleted, _details = TOTPDevice.objects.filter(user=user).delete()
        if not deleted:
            return False
        audit_record(
            action="account.second_factor.reset",
            obj=user,
            actor=actor,
            after={"reason": reason},
            request=request,
        )
        mail_queue(
            template="second_factor_disabled",
            to=user.email,
            language=user.language,
            context={"user": user, "at": clock.now(), "by_officer": True, "reason": reason},
            related=user,
        )
    return True


def _record_failure(*, user: User, device: TOTPDevice, request, step: str) -> bool:
    """Count a wrong code (or password at the disable step) toward ID-14; True if now locked."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        code_failures = (
            TOTPDevice.objects.filter(pk=device.pk)
            .values_list("throttling_failure_count", flat=True)
            .first()
            or 0
        )
        locked.failed_logins += 1
        audit_record(
            action="account.second_factor.failed",
            obj=locked,
            after={
                "step": step,
                "failed_logins": locked.failed_logins,
                "code_failures": code_failures,
            },
            request=request,
        )
        fields = ["failed_logins"]
        now_locked = (
            locked.failed_logins >= rules.MAX_FAILED_LOGINS
            or code_failures >= rules.MAX_FAILED_LOGINS
        )
        if now_locked:
            locked.locked_until = clock.now() + rules.LOCK_DURATION
            locked.failed_logins = 0
            fields.append("locked_until")
            TOTPDevice.objects.filter(pk=device.pk).update(
                throttling_failure_count=0, throttling_failure_timestamp=None
            )
            audit_record(
                action="account.locked",
                obj=locked,
                after={"locked_until": locked.locked_until, "cause": "second_factor"},
                request=request,
            )
            mail_queue(
                template="second_factor_locked",
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
    user.refresh_from_db(fields=["failed_logins", "locked_until"])
    return now_locked


# --- The sign-in gate ------------------------------------------------------------------------

STEP_URLS = {
    "verify": "accounts:otp_verify",
    "password": "accounts:password_renew",
    "setup": "accounts:otp_setup",
}
# Pages a session may reach before it has passed the gate (the steps themselves and sign-out).
OPEN_URLS = [
    "accounts:otp_verify",
    "accounts:otp_setup",
    "accounts:password_renew",
    "accounts:logout",
    "accounts:keepalive",
    "backoffice:logout",
    "set_language",
    "healthz",
    "readyz",
]


def pending_step(request: HttpRequest) -> str | None:
    """Return the first sign-in step this session still has to pass, or None."""
    user = request.user
    verified = session_verified(request)
    if not verified and has_second_factor(user):
        return "verify"
    if TemporaryPassword.objects.filter(user_id=user.pk).exists():
        return "password"
    if not verified and second_factor_required(user):
        return "setup"
    return None


def gate_passed(request: HttpRequest) -> None:
    """Remember that this session has passed every sign-in step."""
    request.session[GATE_SESSION_KEY] = request.user.pk


def step_redirect(request: HttpRequest, step: str) -> HttpResponseRedirect:
    """Send the user to ``step``, carrying where they were going."""
    target = reverse(STEP_URLS[step])
    if request.method == "GET" and request.path != target:
        target += "?" + urlencode({"next": request.get_full_path()})
    return HttpResponseRedirect(target)


def open_paths() -> set[str]:
    paths = set()
    for name in OPEN_URLS:
        with contextlib.suppress(NoReverseMatch):  # an app that is not installed
            paths.add(reverse(name))
    return paths


class SignInGateMiddleware:
    """Hold a signed-in session at the sign-in steps it has not passed (see the module doc).

    Sits after django-otp's OTPMiddleware. Static files never get here (WhiteNoise serves them
    first). A user who became locked while the session waited (wrong codes) is signed out.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._open: set[str] | None = None

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and request.session.get(GATE_SESSION_KEY) != user.pk
        ):
            step = pending_step(request)
            if step is None:
                gate_passed(request)
            else:
                if step == "verify" and rules.is_locked(user):
                    logout(request)
                    return HttpResponseRedirect(reverse(settings.LOGIN_URL))
                if self._open is None:
                    self._open = open_paths()
                if request.path not in self._open:
                    return step_redirect(request, step)
        return self.get_response(request)
