"""Service A self-registration (ID-3, ID-4, ID-6), re-binding a renewed My Number certificate
(ID-3 [B]), filing-agent certificate renewal (ID-4) and the forgotten password (ID-13).

Registration (002 Q2-5): the user registers → a mail brings a one-time URL, valid for
``REGISTRATION_LINK_LIFETIME`` (24 hours) → they set the initial password (FMT-2) → a
completion mail. Until then the account has no usable password. A registration whose link
expired is removed when its certificate, filing-agent certificate or auth ID is used again (and
by ``service_a_pending_prune``, for housekeeping), so nobody is locked out by an unfinished one.

- Foreign national, legal representative, relative (ID-3): identity from the My Number card's
  signature certificate (``jpki``), and proof that the card itself is present: it signs a
  one-time challenge of this session (``possession``; 002 Q13-3), checked before anything is
  recorded; name, sex and birth date come from the certificate (Q2-11); the auth ID is valid
  until the certificate expires (Q2-16); once per category (Q2-10) for the certificate and for
  the person it names, so a renewed card re-binds to the existing account (ID-3 [B]) instead of
  opening a second one.
- Lawyer / gyoseishoshi (ID-4): the 12-digit filing-agent certificate number with the name and
  birth date printed on the notification certificate (届出済証明書), matched against the
  bureau's record (``FilingAgentCertificate``); one auth ID per person (Q2-15); valid until the
  certificate's expiry, moved by ``filing_agent_certificate_renew`` (Q2-17).
- COE e-delivery recipient (ID-6): name and e-mail only; receives electronic COEs for counter
  applications and cannot apply online (Q1-1 note 1, Q8-1). Nothing in the seeds limits its
  validity; we give it one year from the initial password, like ID-10's staff IDs.

Forgotten password (ID-13, Q12-4): auth ID and registered e-mail → when both match an active
service A user, a one-time link valid for ``RESET_LINK_LIFETIME`` (1 hour); the page answers the
same either way. A forgotten auth ID is a paper request to the bureau (Q12-5).

Links are Django password-reset tokens on this module's clock: they stop working once the
password changes (one-time), after their lifetime, and for any other user.

Audit actions: account.service_a_registered, account.service_a_registration_refused,
account.certificate_refused, account.possession_refused, account.password_initial,
account.service_a_registration_completed, account.registration_expired,
account.password_reset_requested, account.password_reset_unmatched, account.password_reset,
account.certificate_rebound, account.certificate_rebind_refused,
accounts.filingagentcertificate.renewed.
Mails: service_a_registered, service_a_completed, service_a_password_reset, password_changed,
identity_certificate_rebound, filing_agent_validity_changed.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from zairyu.audit.services import audit_record, client_ip
from zairyu.core import clock, crypto, ratelimit
from zairyu.core.validators import AuthIdValidator
from zairyu.mail.services import mail_queue

from . import jpki, possession, rules, services
from .models import (
    SERVICE_A_CATEGORIES,
    AccountState,
    Category,
    FilingAgentCertificate,
    IdentityCertificate,
    ServiceARegistration,
    User,
    fold_name,
    holder_identity_text,
)

ID3_CATEGORIES = (Category.FOREIGN_NATIONAL, Category.LEGAL_REPRESENTATIVE, Category.RELATIVE)
SELF_REGISTRATION_CATEGORIES = (*ID3_CATEGORIES, Category.LAWYER, Category.COE_RECIPIENT)

REGISTRATION_LINK_LIFETIME = dt.timedelta(hours=24)
RESET_LINK_LIFETIME = dt.timedelta(hours=1)
# A mailbox gets at most this many reset mails an hour, however many addresses ask.
RESET_MAILS_PER_AUTH_ID = 3
RATE_WINDOW = dt.timedelta(hours=1)


class RateLimited(Exception):
    """Too many attempts from one client address (SEC-5); the view says to come back later."""


# --- One-time links --------------------------------------------------------------------------


class _LinkTokens(PasswordResetTokenGenerator):
    """Django's password-reset tokens, read on ``zairyu.core.clock`` with their own lifetime.

    The hash covers the password hash, so a token dies when the password is set (one-time), and
    the e-mail address, so a link mailed to an old address dies when the address changes.
    """

    def __init__(self, *, purpose: str, lifetime: dt.timedelta):
        super().__init__()
        self.key_salt = f"zairyu.accounts.service_a.{purpose}"
        self.lifetime = lifetime

    def _now(self) -> dt.datetime:
        return clock.now().astimezone(dt.UTC).replace(tzinfo=None)

    def _make_hash_value(self, user, timestamp) -> str:
        return f"{user.pk}{user.password}{timestamp}{user.email}"

    def check_token(self, user, token) -> bool:
        if not token or not super().check_token(user, token):
            return False
        issued = base36_to_int(token.split("-", 1)[0])
        return self._num_seconds(self._now()) - issued <= self.lifetime.total_seconds()


LINKS = {
    "registration": _LinkTokens(purpose="registration", lifetime=REGISTRATION_LINK_LIFETIME),
    "reset": _LinkTokens(purpose="reset", lifetime=RESET_LINK_LIFETIME),
}
LINK_URL_NAMES = {
    "registration": "accounts:service_a_set_password",
    "reset": "accounts:service_a_reset_password",
}


def link_url(*, purpose: str, user: User) -> str:
    """The absolute one-time URL mailed to ``user`` for ``purpose`` (registration or reset)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = LINKS[purpose].make_token(user)
    return settings.ZAIRYU_SITE_URL.rstrip("/") + reverse(
        LINK_URL_NAMES[purpose], args=[uidb64, token]
    )


def link_user(*, purpose: str, uidb64: str, token: str) -> User | None:
    """The user a link is for, or None when it is unknown, used, expired or not theirs."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = User.objects.filter(pk=pk, category__in=SERVICE_A_CATEGORIES).first()
    if user is None or not LINKS[purpose].check_token(user, token):
        return None
    if purpose == "registration" and _registration(user) is None:
        return None
    return user


# --- Helpers ---------------------------------------------------------------------------------


def _count_attempt(kind: str, request: HttpRequest | None, limit: int) -> None:
    key = f"{kind}-ip:{client_ip(request) or 'unknown'}"
    if ratelimit.exceeded(key, limit=limit, window=RATE_WINDOW):
        raise RateLimited(kind)
    ratelimit.hit(key, limit=limit, window=RATE_WINDOW)


def count_registration_attempt(request: HttpRequest | None) -> None:
    """Count one registration step from the client's address; raise RateLimited past the limit."""
    _count_attempt("service-a-register", request, settings.ZAIRYU_REGISTRATIONS_PER_IP)


def _registration(user: User) -> ServiceARegistration | None:
    return ServiceARegistration.objects.filter(user=user).first()


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


# --- Certificates ----------------------------------------------------------------------------


def certificate_check(
    *, data: bytes, request: HttpRequest | None = None
) -> jpki.VerifiedCertificate:
    """Verify an uploaded My Number signature certificate (ID-3); counts toward the rate limit.

    Raises RateLimited, or jpki.CertificateRefused (audited with its code, nothing personal).
    """
    count_registration_attempt(request)
    try:
        return jpki.certificate_verify(data)
    except jpki.CertificateRefused as refused:
        with transaction.atomic():
            audit_record(
                action="account.certificate_refused",
                object_type="accounts.identitycertificate",
                after={"reason": refused.code},
                request=request,
            )
        raise


def certificate_prove(
    *,
    data: bytes,
    flow: str,
    challenge: str,
    signature: str,
    session: SessionBase,
    demo: bool = False,
    request: HttpRequest | None = None,
) -> tuple[jpki.VerifiedCertificate, possession.Proof]:
    """Read a My Number card (ID-3): verify its uploaded certificate, then that the card signed
    this session's ``challenge`` for ``flow`` (002 Q13-3). Counts toward the rate limit.

    ``demo`` has the demo sign in place of the card (``possession.demo_card``; refused unless the
    bundled test CA is trusted); its signature is verified like any other. Raises RateLimited,
    jpki.CertificateRefused or possession.PossessionRefused, each refusal audited with its code
    and nothing personal. Nothing else is recorded.
    """
    certificate = certificate_check(data=data, request=request)
    try:
        if demo:
            card = possession.demo_card(certificate=data)
            signature = possession.demo_sign(card=card, flow=flow, challenge=challenge)
        proof = possession.possession_verify(
            session=session,
            flow=flow,
            certificate=certificate,
            challenge=challenge,
            signature=signature,
        )
    except possession.PossessionRefused as refused:
        with transaction.atomic():
            audit_record(
                action="account.possession_refused",
                object_type="accounts.identitycertificate",
                after={"reason": refused.code, "flow": flow},
                request=request,
            )
        raise
    return certificate, proof


def _proof_required(
    proof: possession.Proof | None, *, flow: str, certificate: jpki.VerifiedCertificate, field: str
) -> None:
    try:
        possession.proof_check(proof, flow=flow, certificate=certificate)
    except possession.PossessionRefused as refused:
        raise _error(field, refused.message, refused.code) from refused


def _person_registered(*, category: str, name: str, sex: str, birth_date: dt.date) -> list[User]:
    """The accounts of ``category`` registered for this person: the same name (folded), sex and
    birth date as held from the certificate they registered with (Q2-10 across renewals).

    The one place that matches a person: one indexed query on the holder's blind index
    (SEC-3: the birth date is stored encrypted; ``IdentityCertificate.holder_index``).
    """
    indexes = crypto.blind_indexes("jpki-holder", holder_identity_text(name, sex, birth_date))
    return [
        c.user
        for c in IdentityCertificate.objects.select_related("user").filter(
            category=category, current=True, holder_index__in=indexes
        )
    ]


def _closed(user: User, *, today: dt.date) -> bool:
    """An account its holder can no longer sign in to for good: its auth ID expired with its
    certificate (Q2-16) or it was deleted. Registering again is then the way back, as the
    agency's own answer says; a suspended account still counts."""
    refusal = rules.login_refusal(user, today=today)
    return refusal is not None and refusal.code in {"auth_id_expired", "deleted"}


def _person_already_registered(category: str) -> ValidationError:
    return _error(
        None,
        _(
            "An auth ID as “%(category)s” is already registered for the person named in this "
            "certificate (same name, sex and date of birth). One person registers once for "
            "each user category. If you renewed your My Number card or its certificate, do not "
            "register again: sign in with your auth ID and choose “Bind a renewed My Number "
            "card”. If you have no such auth ID, contact the helpdesk."
        )
        % {"category": Category(category).label},
        "person_registered",
    )


def service_a_register_holder(
    *,
    category: str,
    certificate: jpki.VerifiedCertificate,
    proof: possession.Proof | None,
    email: str,
    auth_id: str,
    language: str,
    address: str = "",
    name: str = "",
    sex: str = "",
    birth_date: dt.date | None = None,
    request: HttpRequest | None = None,
) -> User:
    """ID-3: register a foreign national, legal representative or relative.

    ``proof`` (from ``certificate_prove``) must show that the card of ``certificate`` was
    present in this flow; it is checked first, before anything is looked up or recorded. Name,
    sex and birth date come from the certificate; ``name``/``sex``/``birth_date`` only fill in
    what the certificate does not carry (Q2-11: typed as on the card's face). A person who
    already holds an account in ``category`` is refused and sent to re-binding.
    """
    if category not in ID3_CATEGORIES:
        raise ValueError(category)
    try:
        _proof_required(
            proof,
            flow=possession.register_flow(category),
            certificate=certificate,
            field="certificate",
        )
    except ValidationError:
        _refuse("proof_missing", category=category, request=request)
        raise
    _check_auth_id(auth_id)
    name = certificate.name or name.strip()
    sex = certificate.sex or sex
    birth_date = certificate.birth_date or birth_date
    missing = {
        field: _("Enter this as printed on your My Number card.")
        for field, value in (("name", name), ("sex", sex), ("birth_date", birth_date))
        if not value
    }
    if missing:
        raise ValidationError({f: ValidationError(m, code="required") for f, m in missing.items()})
    now = clock.now()

    def create() -> User:
        existing = (
            IdentityCertificate.objects.select_related("user")
            .filter(issuer=certificate.issuer, serial=certificate.serial, category=category)
            .first()
        )
        if existing is not None:
            registration = _registration(existing.user)
            if _is_pending(registration) and _link_expired(registration, now):
                _remove_stale(existing.user, request=request)
            elif _is_pending(registration):
                raise _pending_error(registration)
            else:
                raise _certificate_registered(category)
        today = now.astimezone(clock.TOKYO).date()
        for holder in _person_registered(
            category=category, name=name, sex=sex, birth_date=birth_date
        ):
            registration = _registration(holder)
            if _is_pending(registration) and _link_expired(registration, now):
                _remove_stale(holder, request=request)
            elif _is_pending(registration):
                raise _pending_error(registration)
            elif not _closed(holder, today=today):
                raise _person_already_registered(category)
        _free_auth_id(auth_id, now=now, request=request)
        user = _create_user(
            category=category,
            auth_id=auth_id,
            email=email,
            language=language,
            display_name=name,
            valid_until=certificate.valid_until,
            address=address,
            now=now,
            request=request,
        )
        IdentityCertificate.objects.create(
            user=user,
            category=category,
            issuer=certificate.issuer,
            serial=certificate.serial,
            fingerprint=certificate.fingerprint,
            not_after=certificate.not_after,
            holder_name=name,
            holder_sex=sex,
            holder_birth_date=birth_date,
            bound_at=now,
        )
        return user

    try:
        return _save_new_user(create, on_conflict=lambda: _conflict(auth_id, category))
    except ValidationError as exc:
        _refuse(_first_code(exc), category=category, request=request)
        raise


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


def identity_certificate_rebind(
    *,
    user: User,
    certificate: jpki.VerifiedCertificate,
    proof: possession.Proof | None,
    request: HttpRequest | None = None,
) -> IdentityCertificate:
    """ID-3 [B]: bind a renewed card's certificate to the signed-in user's account.

    ``proof`` (from ``certificate_prove``, flow ``rebind``) must show that the renewed card was
    present; it is checked first. Accepted when the new certificate names the same person (name,
    sex and birth date as registered); the account's validity moves to the new certificate's
    expiry. Audited and mailed. Raises ValidationError (field ``certificate``) otherwise.
    """
    _proof_required(proof, flow=possession.FLOW_REBIND, certificate=certificate, field="signature")
    now = clock.now()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        current = IdentityCertificate.objects.filter(user=locked, current=True).first()
        reason = _rebind_refusal(locked, current, certificate)
        if reason is not None:
            audit_record(
                action="account.certificate_rebind_refused",
                obj=locked,
                actor=locked,
                after={"reason": reason.error_dict["certificate"][0].code},
                request=request,
            )
        else:
            before = {"fingerprint": current.fingerprint, "valid_until": locked.valid_until}
            current.current = False
            current.save(update_fields=["current"])
            bound = IdentityCertificate.objects.create(
                user=locked,
                category=locked.category,
                issuer=certificate.issuer,
                serial=certificate.serial,
                fingerprint=certificate.fingerprint,
                not_after=certificate.not_after,
                holder_name=current.holder_name,
                holder_sex=current.holder_sex,
                holder_birth_date=current.holder_birth_date,
                bound_at=now,
            )
            locked.valid_until = certificate.valid_until
            locked.save(update_fields=["valid_until"])
            audit_record(
                action="account.certificate_rebound",
                obj=locked,
                actor=locked,
                before=before,
                after={"fingerprint": bound.fingerprint, "valid_until": locked.valid_until},
                request=request,
            )
            mail_queue(
                template="identity_certificate_rebound",
                to=locked.email,
                language=locked.language,
                context={"user": locked, "valid_until": locked.valid_until, "at": now},
                related=locked,
            )
    if reason is not None:
        raise reason
    user.refresh_from_db()
    return bound


def _rebind_refusal(
    user: User, current: IdentityCertificate | None, certificate: jpki.VerifiedCertificate
) -> ValidationError | None:
    if current is None or user.category not in ID3_CATEGORIES:
        return _error(
            "certificate",
            _("Only accounts registered with a My Number card can bind a new certificate."),
            "not_certificate_account",
        )
    if current.fingerprint == certificate.fingerprint:
        return _error(
            "certificate",
            _("This certificate is already the one bound to your account. Upload the new one."),
            "already_bound",
        )
    same_person = (
        fold_name(certificate.name) == fold_name(current.holder_name)
        and certificate.sex == current.holder_sex
        and certificate.birth_date == current.holder_birth_date
    )
    if not same_person:
        return _error(
            "certificate",
            _(
                "The name, sex or date of birth in this certificate differs from your "
                "registration, so it cannot be bound to this account. If your name has changed, "
                "register again with the new card."
            ),
            "identity_mismatch",
        )
    if certificate.not_after <= current.not_after:
        return _error(
            "certificate",
            _("This certificate is not newer than the one bound to your account."),
            "not_newer",
        )
    taken = IdentityCertificate.objects.filter(
        issuer=certificate.issuer, serial=certificate.serial, category=user.category
    ).exists()
    if taken:
        return _certificate_registered(user.category)
    return None


# --- Filing agents (ID-4) ----------------------------------------------------------------------


def filing_agent_register(
    *,
    number: str,
    name: str,
    birth_date: dt.date,
    office_address: str,
    email: str,
    auth_id: str,
    language: str,
    request: HttpRequest | None = None,
) -> User:
    """ID-4: register a lawyer or gyoseishoshi against the bureau's certificate record.

    The number, name and birth date must all match one certificate (the answer never says
    which differed); an expired certificate is refused with its date (Q2-17).
    """
    _check_auth_id(auth_id)
    now = clock.now()
    agent = FilingAgentCertificate.objects.filter(number=number).select_related("user").first()
    if (
        agent is None
        or fold_name(agent.holder_name) != fold_name(name)
        or agent.holder_birth_date != birth_date
    ):
        _refuse("agent_unknown", category=Category.LAWYER, request=request)
        raise ValidationError(
            {
                NON_FIELD_ERRORS: ValidationError(
                    _(
                        "No filing-agent certificate matches this number, name and date of "
                        "birth. Check all three against your notification certificate "
                        "(届出済証明書): the 12-digit number is printed at its top right."
                    ),
                    code="agent_unknown",
                ),
                "number": ValidationError(_("Check this number."), code="agent_unknown"),
                "name": ValidationError(_("Check the name."), code="agent_unknown"),
                "birth_date": ValidationError(_("Check the date."), code="agent_unknown"),
            }
        )
    if agent.valid_until < now.astimezone(clock.TOKYO).date():
        _refuse("agent_expired", category=Category.LAWYER, request=request)
        raise _error(
            "number",
            _(
                "This filing-agent certificate expired on %(date)s. Renew it at the regional "
                "immigration bureau; then register again."
            )
            % {"date": agent.valid_until.isoformat()},
            "agent_expired",
        )

    def create() -> User:
        locked = FilingAgentCertificate.objects.select_for_update().get(pk=agent.pk)
        if locked.user_id is not None:
            holder = locked.user
            registration = _registration(holder)
            if _is_pending(registration) and _link_expired(registration, now):
                _remove_stale(holder, request=request)
            elif _is_pending(registration):
                raise _pending_error(registration)
            else:
                raise _error(
                    None,
                    _(
                        "An auth ID has already been registered for this filing-agent "
                        "certificate. Each lawyer or gyoseishoshi holds one auth ID for all "
                        "clients. If you forgot it, ask the regional immigration bureau."
                    ),
                    "already_registered",
                )
        _free_auth_id(auth_id, now=now, request=request)
        user = _create_user(
            category=Category.LAWYER,
            auth_id=auth_id,
            email=email,
            language=language,
            display_name=locked.holder_name,
            valid_until=locked.valid_until,
            address=office_address,
            organization_name=locked.office_name,
            now=now,
            request=request,
        )
        FilingAgentCertificate.objects.filter(pk=locked.pk).update(user=user)
        return user

    try:
        return _save_new_user(create, on_conflict=lambda: _conflict(auth_id, Category.LAWYER))
    except ValidationError as exc:
        _refuse(_first_code(exc), category=Category.LAWYER, request=request)
        raise


def filing_agent_certificate_renew(
    *,
    certificate: FilingAgentCertificate,
    valid_until: dt.date,
    actor: User | None,
    request: HttpRequest | None = None,
) -> FilingAgentCertificate:
    """ID-4 (Q2-17): record a certificate's new expiry; the holder's auth ID follows it."""
    now = clock.now()
    with transaction.atomic():
        locked = FilingAgentCertificate.objects.select_for_update().get(pk=certificate.pk)
        before = {"valid_until": locked.valid_until}
        after = {"valid_until": valid_until}
        if locked.valid_until != valid_until:
            locked.valid_until = valid_until
            locked.save(update_fields=["valid_until"])
        holder = User.objects.select_for_update().get(pk=locked.user_id) if locked.user_id else None
        if holder is not None and holder.valid_until != valid_until:
            before["user_valid_until"] = holder.valid_until
            after["user_valid_until"] = valid_until
            holder.valid_until = valid_until
            holder.save(update_fields=["valid_until"])
            mail_queue(
                template="filing_agent_validity_changed",
                to=holder.email,
                language=holder.language,
                context={"user": holder, "valid_until": valid_until, "at": now},
                related=holder,
            )
        if before != after:
            audit_record(
                action="accounts.filingagentcertificate.renewed",
                obj=locked,
                actor=actor,
                before=before,
                after=after,
                request=request,
            )
    certificate.refresh_from_db()
    return locked


# --- COE e-delivery recipients (ID-6) ---------------------------------------------------------


def coe_recipient_register(
    *,
    name: str,
    email: str,
    auth_id: str,
    language: str,
    organization_name: str = "",
    request: HttpRequest | None = None,
) -> User:
    """ID-6: register someone who only receives electronic COEs for counter applications."""
    _check_auth_id(auth_id)
    now = clock.now()

    def create() -> User:
        _free_auth_id(auth_id, now=now, request=request)
        return _create_user(
            category=Category.COE_RECIPIENT,
            auth_id=auth_id,
            email=email,
            language=language,
            display_name=name.strip(),
            valid_until=None,  # set with the initial password
            organization_name=organization_name.strip(),
            now=now,
            request=request,
        )

    try:
        return _save_new_user(create, on_conflict=_auth_id_taken)
    except ValidationError as exc:
        _refuse(_first_code(exc), category=Category.COE_RECIPIENT, request=request)
        raise


# --- Passwords from links (Q2-5, ID-13) --------------------------------------------------------


def _password_from_link(
    *,
    purpose: str,
    user: User,
    token: str,
    password: str,
    request: HttpRequest | None,
    after_set,
) -> User:
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        # Checked again under the row lock: of two submissions of one link, one wins.
        if not LINKS[purpose].check_token(locked, token):
            raise _error(None, link_invalid_message(purpose), "link_invalid")
        try:
            services.set_password(
                user=locked,
                password=password,
                actor=locked,
                request=request,
                reason="initial" if purpose == "registration" else "reset",
                notify=purpose == "reset",
            )
        except ValidationError as exc:
            raise ValidationError({"password": exc.error_list}) from exc
        after_set(locked)
    return locked


def link_invalid_message(purpose: str) -> str:
    if purpose == "registration":
        return _(
            "This link has expired or has already been used. A registration link works once, "
            "for 24 hours. If you have set your password, sign in; otherwise register again."
        )
    return _(
        "This link has expired or has already been used. A password reset link works once, for "
        "1 hour. Ask for a new one with “Forgot your password?”."
    )


def service_a_initial_password_set(
    *, user: User, token: str, password: str, request: HttpRequest | None = None
) -> User:
    """Q2-5: set the initial password from the registration link; the completion mail follows."""
    now = clock.now()

    def complete(locked: User) -> None:
        ServiceARegistration.objects.filter(user=locked).update(completed_at=now)
        if locked.category == Category.COE_RECIPIENT:
            locked.valid_until = rules.add_one_year(now.astimezone(clock.TOKYO).date())
            locked.save(update_fields=["valid_until"])
        audit_record(
            action="account.service_a_registration_completed",
            obj=locked,
            actor=locked,
            after={"valid_until": locked.valid_until},
            request=request,
        )
        mail_queue(
            template="service_a_completed",
            to=locked.email,
            language=locked.language,
            context={"user": locked, "valid_until": rules.auth_id_valid_until(locked)},
            related=locked,
        )

    return _password_from_link(
        purpose="registration",
        user=user,
        token=token,
        password=password,
        request=request,
        after_set=complete,
    )


def service_a_password_reset_request(
    *, auth_id: str, email: str, request: HttpRequest | None = None
) -> None:
    """ID-13: mail a one-time reset link when the auth ID and e-mail match an active service A
    user. Says nothing about whether they matched (the caller shows the same page)."""
    _count_attempt("password-reset", request, settings.ZAIRYU_PASSWORD_RESETS_PER_IP)
    user = User.objects.filter(username=auth_id, category__in=SERVICE_A_CATEGORIES).first()
    eligible = (
        user is not None
        and user.email.strip().casefold() == email.strip().casefold()
        and user.state == AccountState.ACTIVE
        and user.is_active
        and user.has_usable_password()  # an unfinished registration uses its own link
        and rules.login_refusal(user) in (None, rules.Refusal("password_expired"))
    )
    with transaction.atomic():
        if not eligible:
            audit_record(
                action="account.password_reset_unmatched",
                object_type="accounts.user",
                object_id=str(user.pk) if user is not None else "",
                after={"auth_id_known": user is not None},
                request=request,
            )
            return
        if not ratelimit.hit(
            f"password-reset-id:{user.pk}", limit=RESET_MAILS_PER_AUTH_ID, window=RATE_WINDOW
        ):
            audit_record(
                action="account.password_reset_unmatched",
                obj=user,
                after={"reason": "too_many_mails"},
                request=request,
            )
            return
        now = clock.now()
        audit_record(action="account.password_reset_requested", obj=user, request=request)
        mail_queue(
            template="service_a_password_reset",
            to=user.email,
            language=user.language,
            context={
                "user": user,
                "url": link_url(purpose="reset", user=user),
                "expires_at": now + RESET_LINK_LIFETIME,
            },
            related=user,
        )


def service_a_password_reset(
    *, user: User, token: str, password: str, request: HttpRequest | None = None
) -> User:
    """ID-13: set a new password (FMT-2, not one of the last five) from a reset link; mailed."""
    return _password_from_link(
        purpose="reset",
        user=user,
        token=token,
        password=password,
        request=request,
        after_set=lambda locked: None,
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
