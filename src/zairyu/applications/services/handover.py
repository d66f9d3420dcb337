"""Handing a draft to another user (A-17 [B]): a user of the same organization, or from staff
to a lawyer or gyoseishoshi the organization uses.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from zairyu.accounts.models import Category, User
from zairyu.audit.services import audit_record
from zairyu.core import clock
from zairyu.mail.services import mail_queue

from .. import rules
from ..models import Application, ApplicationHandover
from .applicant import _eligibility, _resolve_organization
from .base import _lock_own_draft, _sync


def handover_refusal(user: User, to_user: User) -> rules.Refusal | None:
    """A-17: who may receive a draft from ``user`` — an active user of the same organization,
    or a lawyer / gyoseishoshi when ``user`` is staff."""
    if to_user.pk == user.pk or to_user.state != "active" or not to_user.is_active:
        return rules.Refusal(
            "handover_not_allowed",
            _("Choose another active user to hand the draft to."),
            field="to_user",
        )
    own = rules.staff_organization(user) if user.category in rules.STAFF_CATEGORIES else None
    if own is not None:
        if to_user.category == Category.LAWYER:
            return None
        theirs = (
            rules.staff_organization(to_user)
            if to_user.category in rules.STAFF_CATEGORIES
            else None
        )
        if theirs is not None and theirs.pk == own.pk:
            return None
    return rules.Refusal(
        "handover_not_allowed",
        _(
            "A draft can be handed only to another user of your organization, or from staff to "
            "a lawyer or gyoseishoshi the organization uses."
        ),
        field="to_user",
    )


def draft_handover(
    *,
    user: User,
    application: Application,
    to_user: User,
    note: str = "",
    request: HttpRequest | None = None,
) -> Application:
    """Hand a draft to another user (A-17 [B]): a user of the same organization, or from a
    staff member to a lawyer the organization uses (``handover_refusal``: code
    ``handover_not_allowed``). Only the filer's drafts (code ``not_draft``); the new filer must
    be allowed to file it (``rules.check_eligibility`` with ``user=to_user``; codes as there;
    steps the new filer's category does not ask leave ``steps_done``). Sets ``filer``; writes
    ``ApplicationHandover`` and audit ``applications.application.handed_over``; mails
    ``application_handed_over`` to ``to_user``.
    """
    with transaction.atomic():
        locked = _lock_own_draft(user, application)
        refusal = handover_refusal(user, to_user)
        if refusal is not None:
            raise refusal.as_error()
        locked.filer = to_user
        organization = _resolve_organization(locked, to_user) or locked.organization
        refusals = _eligibility(
            locked,
            user=to_user,
            card=locked.applicant_card,
            organization=organization,
            client_ip=None,
            organization_known="organization" in (locked.steps_done or []),
        )
        if refusals:
            raise rules.refusals_as_error(refusals)
        applicable = rules.steps_for(locked)
        locked.steps_done = [s for s in (locked.steps_done or []) if s in applicable]
        now = clock.now()
        locked.updated_at = now
        locked.last_saved_at = now
        locked.save(update_fields=["filer", "steps_done", "updated_at", "last_saved_at"])
        ApplicationHandover.objects.create(
            application=locked,
            from_user=user,
            to_user=to_user,
            from_repr=str(user)[:150],
            to_repr=str(to_user)[:150],
            at=now,
            note=(note or "")[:500],
        )
        audit_record(
            action="applications.application.handed_over",
            obj=locked,
            actor=user,
            before={"filer": user.pk},
            after={"filer": to_user.pk},
            request=request,
        )
        _handover_mail(locked, from_user=user, to_user=to_user, note=note)
    return _sync(application, locked)


def _handover_mail(application: Application, *, from_user: User, to_user: User, note: str) -> None:
    """Tell the new filer (in their language) that the draft is theirs now."""
    if not to_user.email:
        return
    language = to_user.language or "ja"
    with translation.override(language):
        procedure_name = (
            application.procedure.name_ja if language == "ja" else application.procedure.name_en
        )
    mail_queue(
        template="application_handed_over",
        to=to_user.email,
        language=language,
        context={
            "application": application,
            "recipient": to_user,
            "from_user": from_user,
            "note": note,
            "procedure_name": procedure_name,
            "site_url": settings.ZAIRYU_SITE_URL,
        },
        related=application,
    )
