"""API keys (UX-5): issue, revoke, and find the account a key belongs to.

Who may hold a key: an account that may use bulk filing (``bulk.kinds.kinds_for``: the
organizations, schools and representatives the API serves). Each issue and revocation is
audited (``api.key.issued`` / ``api.key.revoked``) and mailed to the account (``api_key_issued``
/ ``api_key_revoked``) in the same transaction; the key itself never reaches either.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from zairyu.accounts import rules as account_rules
from zairyu.accounts.models import User
from zairyu.audit.services import audit_record
from zairyu.bulk.kinds import kinds_for
from zairyu.core import clock
from zairyu.mail.services import mail_queue

from .models import ApiKey

# Active keys one account may hold (one per system that calls the API, with room to rotate).
MAX_ACTIVE_KEYS = 5
# ``last_used_at`` is written at most this often per key (not on every call).
LAST_USED_PRECISION = dt.timedelta(minutes=5)
_SCHEME = "zr"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _mail(key: ApiKey, template: str, at: dt.datetime) -> None:
    """Tell the account that a key was issued or revoked (in the caller's transaction), so a
    key its owner did not ask for is noticed."""
    user = key.user
    if user.email:
        mail_queue(
            template=template,
            to=user.email,
            language=user.language or "ja",
            context={"user": user, "key": key, "at": at},
            related=key,
        )


def may_hold_keys(user: User) -> bool:
    """An account the API serves: one that may use at least one kind of bulk filing."""
    return user.is_authenticated and bool(kinds_for(user))


def api_key_issue(
    *, user: User, name: str, request: HttpRequest | None = None
) -> tuple[ApiKey, str]:
    """Issue a key named ``name`` to ``user``; return it and the key text, shown only now."""
    name = (name or "").strip()
    if not may_hold_keys(user):
        raise ValidationError(
            _("API keys are for accounts that file in bulk (organizations and representatives).")
        )
    if not name:
        raise ValidationError(
            {
                "name": [
                    ValidationError(
                        _("Name: enter it, e.g. the system that will use the key."), code="required"
                    )
                ]
            }
        )
    if len(name) > 100:
        raise ValidationError(
            {"name": [ValidationError(_("Name: at most 100 characters."), code="max_length")]}
        )
    with transaction.atomic():
        # Lock the account's row: two issues at once cannot both pass the limit.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if ApiKey.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_KEYS:
            raise ValidationError(
                _(
                    "You already hold %(max)d active API keys. Revoke one you no longer use, "
                    "then issue a new one."
                )
                % {"max": MAX_ACTIVE_KEYS}
            )
        prefix = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        text = f"{_SCHEME}_{prefix}_{secret}"
        key = ApiKey.objects.create(
            user=user, name=name, prefix=prefix, digest=_digest(text), created_at=clock.now()
        )
        audit_record(
            action="api.key.issued",
            obj=key,
            actor=user,
            after={"name": name, "prefix": prefix},
            request=request,
        )
        _mail(key, "api_key_issued", key.created_at)
    return key, text


def api_key_revoke(*, user: User, key_id: int, request: HttpRequest | None = None) -> ApiKey:
    """Revoke one of ``user``'s keys (at once: the next call with it is refused)."""
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().filter(pk=key_id, user=user).first()
        if key is None:
            raise ValidationError(_("There is no such API key."), code="not_found")
        if key.revoked_at is None:
            key.revoked_at = clock.now()
            key.save(update_fields=["revoked_at"])
            audit_record(
                action="api.key.revoked",
                obj=key,
                actor=user,
                after={"prefix": key.prefix},
                request=request,
            )
            _mail(key, "api_key_revoked", key.revoked_at)
    return key


def api_key_user(text: str) -> User | None:
    """The account a key belongs to, or None: unknown, malformed or revoked key, or an
    account that may no longer sign in (suspended, deleted, expired: the log-in's own rule)
    or no longer file in bulk."""
    parts = (text or "").split("_", 2)
    if len(parts) != 3 or parts[0] != _SCHEME or not parts[1] or not parts[2]:
        return None
    key = ApiKey.objects.select_related("user").filter(prefix=parts[1]).first()
    if key is None or not hmac.compare_digest(key.digest, _digest(text)):
        return None
    if key.revoked_at is not None:
        return None
    user = key.user
    if account_rules.login_refusal(user) is not None or not may_hold_keys(user):
        return None
    now = clock.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return user


def keys_of(user: User):
    return ApiKey.objects.filter(user=user)
