"""Service A: My Number card holders (ID-3) — foreign nationals, legal representatives and
relatives — registering with the card's signature certificate, and re-binding a renewed card
(ID-3 [B]).

Identity comes from the certificate (``jpki``), and proof that the card itself is present: it
signs a one-time challenge of this session (``possession``; 002 Q13-3), checked before anything
is recorded; name, sex and birth date come from the certificate (Q2-11); the auth ID is valid
until the certificate expires (Q2-16); once per category (Q2-10) for the certificate and for the
person it names, so a renewed card re-binds to the existing account instead of opening a second
one.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from zairyu.audit.services import audit_record
from zairyu.core import clock, crypto
from zairyu.mail.services import mail_queue

from . import jpki, possession, rules
from .attempts import count_service_a_registration_attempt as count_registration_attempt
from .models import Category, IdentityCertificate, User, fold_name, holder_identity_text
from .service_a_common import (
    ID3_CATEGORIES,
    _certificate_registered,
    _check_auth_id,
    _conflict,
    _create_user,
    _error,
    _first_code,
    _free_auth_id,
    _pending_cleared,
    _refuse,
    _save_new_user,
)

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
    name, sex, birth_date = _holder_identity(
        certificate, name=name.strip(), sex=sex, birth_date=birth_date
    )
    now = clock.now()

    def create() -> User:
        _holder_free(category, certificate, name, sex, birth_date, now=now, request=request)
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


def _holder_identity(
    certificate: jpki.VerifiedCertificate, *, name: str, sex: str, birth_date: dt.date | None
) -> tuple[str, str, dt.date]:
    """Name, sex and birth date from the certificate, what it does not carry as typed (Q2-11);
    raise when one of them is still missing."""
    name = certificate.name or name
    sex = certificate.sex or sex
    birth_date = certificate.birth_date or birth_date
    missing = {
        field: _("Enter this as printed on your My Number card.")
        for field, value in (("name", name), ("sex", sex), ("birth_date", birth_date))
        if not value
    }
    if missing:
        raise ValidationError({f: ValidationError(m, code="required") for f, m in missing.items()})
    return name, sex, birth_date


def _holder_free(
    category: str,
    certificate: jpki.VerifiedCertificate,
    name: str,
    sex: str,
    birth_date: dt.date,
    *,
    now: dt.datetime,
    request: HttpRequest | None,
) -> None:
    """Raise unless this card and this person may register in ``category`` (Q2-10): neither
    holds an account there, other than a pending one whose link expired (removed here) or, for
    the person, one closed for good (``_closed``)."""
    existing = (
        IdentityCertificate.objects.select_related("user")
        .filter(issuer=certificate.issuer, serial=certificate.serial, category=category)
        .first()
    )
    if existing is not None and not _pending_cleared(existing.user, now=now, request=request):
        raise _certificate_registered(category)
    today = now.astimezone(clock.TOKYO).date()
    for holder in _person_registered(category=category, name=name, sex=sex, birth_date=birth_date):
        if not _pending_cleared(holder, now=now, request=request) and not _closed(
            holder, today=today
        ):
            raise _person_already_registered(category)


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
