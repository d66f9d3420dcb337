"""Service A: filing agents (ID-4) and COE e-delivery recipients (ID-6).

- Lawyer / gyoseishoshi (ID-4): the 12-digit filing-agent certificate number with the name and
  birth date printed on the notification certificate (届出済証明書), matched against the
  bureau's record (``FilingAgentCertificate``); one auth ID per person (Q2-15); valid until the
  certificate's expiry, moved by ``filing_agent_certificate_renew`` (Q2-17).
- COE e-delivery recipient (ID-6): name and e-mail only; receives electronic COEs for counter
  applications and cannot apply online (Q1-1 note 1, Q8-1). Nothing in the seeds limits its
  validity; we give it one year from the initial password, like ID-10's staff IDs.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from zairyu.audit.services import audit_record
from zairyu.core import clock
from zairyu.mail.services import mail_queue

from .models import Category, FilingAgentCertificate, User, fold_name
from .service_a_common import (
    _auth_id_taken,
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
    agent = _matching_certificate(
        number=number, name=name, birth_date=birth_date, now=now, request=request
    )

    def create() -> User:
        locked = FilingAgentCertificate.objects.select_for_update().get(pk=agent.pk)
        if locked.user_id is not None and not _pending_cleared(
            locked.user, now=now, request=request
        ):
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


def _matching_certificate(
    *, number: str, name: str, birth_date: dt.date, now: dt.datetime, request: HttpRequest | None
) -> FilingAgentCertificate:
    """The bureau's record of this certificate when the number, name and birth date all match
    and it has not expired; raise the refusal otherwise (audited)."""
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
    return agent


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
