"""Residents' own accounts: self-registration (ID-1), validity that follows the card registry
(ID-7) and auth ID / password re-notification (ID-12).

A resident proves who they are with the data printed on their residence card; the registry
(``zairyu.cards``) says whether they match, never which field differed (no enumeration). The
account hangs off the registry's ``Person``, not the card, so a renewed card keeps the auth ID
(001 Q37) and the auth ID's validity follows the latest card's period of stay (001 Q44).

Audit actions: ``account.registered``, ``account.registration_refused``,
``account.validity_followed``, ``account.voided``, ``account.auth_id_renotified``,
``account.renotification_unmatched`` and, through ``services.set_password``,
``account.password_renotified``.

Mails (templates in ``templates/mail/<lang>/``): ``resident_registered``,
``auth_id_renotified``, ``resident_voided`` and ``password_changed``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from zairyu.audit.services import audit_record
from zairyu.cards.models import Person, ResidenceCard
from zairyu.cards.selectors import TypedCardFace
from zairyu.core import clock
from zairyu.core.validators import PasswordPolicy
from zairyu.mail.services import mail_queue
from zairyu.reference.models import Status

from . import rules, services
from .attempts import (  # noqa: F401 (the rate limit of these pages, SEC-5; re-exported)
    RATE_WINDOW,
    RateLimited,
    count_renotification_attempt,
    registration_rate_limit,
    renotification_rate_limit,
)
from .attempts import (  # noqa: F401 (re-exported)
    count_resident_registration_attempt as count_registration_attempt,
)
from .models import ACCOUNT, AccountState, Category, User

# The card-face fields a resident types (001 Q33: as printed on the card). Forms use the same
# names, so a refusal can mark each of them.
CARD_FIELDS = ("number", "roman_name", "nationality", "birth_date", "sex")


@dataclass(frozen=True)
class CardFace(TypedCardFace):
    """What the resident typed from the card face (already parsed by the form)."""

    number: str
    roman_name: str
    nationality: str
    birth_date: dt.date
    sex: str


# --- reads ------------------------------------------------------------------------------------


def eligible_statuses(on: dt.date | None = None) -> list[Status]:
    """The statuses whose holders notify under Art. 19-16 and so may register (001 Q6, Q35)."""
    on = on or clock.today()
    return [
        status
        for status in Status.objects.all()
        if status.notification_groups and status.is_current(on)
    ]


def person_resident_accounts(person: Person | int):
    """The person's resident accounts that are not deleted (at most one: 001 Q43)."""
    person_id = getattr(person, "pk", person)
    return User.objects.filter(person_id=person_id, category=Category.RESIDENT).exclude(
        state=AccountState.DELETED
    )


def registrable_card(numbers: list[str]) -> ResidenceCard | None:
    """The first of these cards that could register now (for the demo's printed hint): current,
    issued before today, a status under Art. 19-16, and a holder without an auth ID."""
    today = clock.today()
    cards = {
        card.number: card
        for card in ResidenceCard.objects.current(today)
        .filter(number__in=numbers, issued_on__lt=today)
        .select_related("status", "nationality")
    }
    for number in numbers:
        card = cards.get(number)
        if (
            card is not None
            and card.status.notification_groups
            and not person_resident_accounts(card.person_id).exists()
        ):
            return card
    return None


# --- ID-7: the auth ID follows the registry ---------------------------------------------------


def _registry_card(person_id: int) -> ResidenceCard | None:
    """The person's card stored as valid (expired or not), newest first; None when every card
    of the person has been invalidated without a successor (departure, revocation …)."""
    return (
        ResidenceCard.objects.filter(person_id=person_id, state=ResidenceCard.State.VALID)
        .order_by("-issued_on", "-id")
        .first()
    )


def _validity_from(card: ResidenceCard) -> dt.date:
    # The period of stay (001 Q44); a card without one (status changed to permanent resident)
    # ends with the card itself.
    return card.stay_until or card.card_valid_until


def resident_refresh_validity(user: User, *, request: HttpRequest | None = None) -> User:
    """ID-7: bring a resident's auth ID in line with the card registry; return the user.

    - The registry shows a new permission (a renewed card, a later end of stay): the auth ID
      is valid until the new period of stay ends (001 Q44, Q37: no new registration needed).
    - Every card of the person is invalidated (departure without re-entry, revocation, death …)
      and none replaced it: the auth ID is void (001 Q41); the account is deleted and the
      resident told by mail. Log-in then answers "deleted".

    Anything else (other categories, accounts without a person, deleted accounts) is returned
    unchanged. Cheap when nothing changed: one indexed query, no write.
    """
    if (
        user.category != Category.RESIDENT
        or user.person_id is None
        or user.state == AccountState.DELETED
    ):
        return user
    card = _registry_card(user.person_id)
    if card is not None and _validity_from(card) == user.valid_until:
        return user
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.state == AccountState.DELETED:
            return locked
        card = _registry_card(locked.person_id)
        if card is None:
            locked = _void(locked, request=request)
        elif _validity_from(card) != locked.valid_until:
            before = locked.valid_until
            locked.valid_until = _validity_from(card)
            locked.save(update_fields=["valid_until"])
            audit_record(
                action="account.validity_followed",
                obj=locked,
                before={"valid_until": before},
                after={"valid_until": locked.valid_until, "card": card.pk},
                request=request,
            )
    return locked


def _void(user: User, *, request: HttpRequest | None) -> User:
    """Delete the account of a person whose every card is invalidated (001 Q41), through the
    ``ACCOUNT`` lifecycle; return the updated row."""
    last = ResidenceCard.objects.filter(person_id=user.person_id).order_by("-issued_on", "-id")
    last_card = last.first()

    def enter(locked: User, from_state: str, now: dt.datetime) -> list[str]:
        locked.is_active = False
        return ["is_active"]

    def record(locked: User, from_state: str, now: dt.datetime) -> None:
        audit_record(
            action="account.voided",
            obj=locked,
            before={"state": from_state},
            after={
                "state": locked.state,
                "reason": "card_invalidated",
                "card": last_card.pk if last_card else None,
                "card_reason": last_card.invalidation_reason if last_card else "",
            },
            request=request,
        )
        mail_queue(
            template="resident_voided",
            to=locked.email,
            language=locked.language,
            context={"user": locked},
            related=locked,
        )

    return ACCOUNT.transition(user, to=AccountState.DELETED, enter=enter, record=record)


# --- ID-1: registration -----------------------------------------------------------------------


class _Candidate:
    """Stands in for the account being created when checking its password (FMT-2): the auth ID
    it will have and no password history."""

    previous_password_hashes: tuple[str, ...] = ()

    def __init__(self, auth_id: str) -> None:
        self.auth_id = auth_id

    def get_username(self) -> str:
        return self.auth_id


def _password_errors(password: str, auth_id: str) -> list[ValidationError]:
    try:
        services.validate_new_password(user=_Candidate(auth_id), password=password)
    except ValidationError as exc:
        return exc.error_list
    return []


def card_mismatch_error() -> dict[str, list[ValidationError]]:
    """One message for the whole card, and the same mark on every card field (no enumeration:
    the message never depends on which field differed)."""
    check = ValidationError(_("Check this entry against your residence card."), code="card_check")
    errors: dict[str, list[ValidationError]] = {name: [check] for name in CARD_FIELDS}
    errors[NON_FIELD_ERRORS] = [
        ValidationError(
            _(
                "The residence card data do not match. Enter the card number, name, nationality "
                "or region, date of birth and sex exactly as printed on your residence card."
            ),
            code="card_mismatch",
        )
    ]
    return errors


def _refusal(code: str, message: str) -> ValidationError:
    return ValidationError({NON_FIELD_ERRORS: [ValidationError(message, code=code)]})


def _refuse(code: str, *, request, person: Person | None = None) -> None:
    with transaction.atomic():
        audit_record(
            action="account.registration_refused",
            object_type="cards.person" if person is not None else "",
            object_id=str(person.pk) if person is not None else "",
            after={"reason": code},
            request=request,
        )


def resident_register(
    *,
    card: CardFace,
    email: str,
    auth_id: str,
    password: str,
    language: str,
    request: HttpRequest | None = None,
) -> User:
    """ID-1: register a mid-to-long-term resident from their card data; return the account.

    Raises ValidationError keyed by field (``CARD_FIELDS``, ``auth_id``, ``password``) or
    ``NON_FIELD_ERRORS`` with one of these codes:

    - ``card_mismatch``: the data do not match a current card (all card fields marked alike);
    - ``status_not_eligible``: the status is not subject to Art. 19-16 (001 Q6, Q35);
    - ``card_issued_today``: a card issued today cannot register until tomorrow (001 Q36);
    - ``already_registered``: the person already holds an auth ID (001 Q43);
    - ``auth_id_taken``: another account uses the auth ID (001 Q42);
    - the PasswordPolicy codes (FMT-2), on ``password``.

    The auth ID is valid until the period of stay ends (ID-7); the password for a year (ID-9).
    The completion mail is queued in the same transaction and sent after commit (001 Q38).
    """
    found = _registrable_card(card, password=password, auth_id=auth_id, request=request)
    try:
        with transaction.atomic():
            user = _resident_create(
                found,
                email=email,
                auth_id=auth_id,
                password=password,
                language=language,
                request=request,
            )
    except ValidationError as exc:
        _refuse(_first_code(exc) or "refused", request=request, person=found.person)
        raise
    return user


def _registrable_card(
    card: CardFace, *, password: str, auth_id: str, request: HttpRequest | None
) -> ResidenceCard:
    """The current card the typed data match, when its holder may register now (the password
    checked first); raise the refusal otherwise (audited)."""
    errors: dict[str, list[ValidationError]] = {}
    password_errors = _password_errors(password, auth_id)
    if password_errors:
        errors["password"] = password_errors
    found = card.match()
    if found is None:
        errors.update(card_mismatch_error())
        _refuse("card_mismatch", request=request)
        raise ValidationError(errors)
    if errors:
        raise ValidationError(errors)
    if not found.status.notification_groups:
        _refuse("status_not_eligible", request=request, person=found.person)
        raise _refusal(
            "status_not_eligible",
            _(
                "Your status of residence (%(status)s) does not need the notifications this "
                "system handles, so it cannot be registered. Only the statuses listed below can "
                "use the e-Notification System."
            )
            % {"status": _status_name(found.status)},
        )
    if found.issued_on >= clock.today():
        _refuse("card_issued_today", request=request, person=found.person)
        raise _refusal(
            "card_issued_today",
            _(
                "A residence card cannot be registered on the day it was issued. Please try "
                "again tomorrow."
            ),
        )
    return found


def _resident_create(
    found: ResidenceCard,
    *,
    email: str,
    auth_id: str,
    password: str,
    language: str,
    request: HttpRequest | None,
) -> User:
    """Create the account of ``found``'s holder (in the caller's transaction): refused when the
    person already holds one (001 Q43) or the auth ID is taken (001 Q42)."""
    now = clock.now()
    # One registration per person at a time; the partial unique index is the backstop.
    Person.objects.select_for_update().get(pk=found.person_id)
    for existing in person_resident_accounts(found.person_id):
        resident_refresh_validity(existing, request=request)
    if person_resident_accounts(found.person_id).exists():
        raise _already_registered()
    if User.objects.filter(username=auth_id).exists():
        raise _auth_id_taken()
    user = User(
        username=auth_id,
        email=email,
        category=Category.RESIDENT,
        state=AccountState.ACTIVE,
        language=language,
        display_name=found.roman_name,
        person_id=found.person_id,
        valid_until=_validity_from(found),
        password_changed_at=now,
        last_used_at=now,
        date_joined=now,
    )
    user.set_password(services.password_text(password))
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        if User.objects.filter(username=auth_id).exists():
            raise _auth_id_taken() from None
        raise _already_registered() from None
    _registered(user, found, now=now, request=request)
    return user


def _registered(
    user: User, found: ResidenceCard, *, now: dt.datetime, request: HttpRequest | None
) -> None:
    """Audit the registration and queue the completion mail (sent after commit, 001 Q38)."""
    audit_record(
        action="account.registered",
        obj=user,
        actor=user,
        after={
            "category": user.category,
            "person": found.person_id,
            "card": found.pk,
            "valid_until": user.valid_until,
            "language": user.language,
        },
        request=request,
    )
    mail_queue(
        template="resident_registered",
        to=user.email,
        language=user.language,
        context={
            "user": user,
            "at": now,
            "auth_id_valid_until": rules.auth_id_valid_until(user),
            "password_valid_until": rules.password_valid_until(user),
        },
        related=user,
    )


def _first_code(exc: ValidationError) -> str | None:
    for errors in exc.error_dict.values():
        for error in errors:
            return error.code
    return None


def _already_registered() -> ValidationError:
    return _refusal(
        "already_registered",
        _(
            "An auth ID is already registered for this residence card holder; one person can "
            "hold only one. Sign in with it. If you forgot the auth ID or the password, use "
            "“Auth ID / password re-notification”."
        ),
    )


def _auth_id_taken() -> ValidationError:
    return ValidationError(
        {
            "auth_id": [
                ValidationError(
                    _("This auth ID is already used by someone else. Choose another one."),
                    code="auth_id_taken",
                )
            ]
        }
    )


def _status_name(status: Status) -> str:
    return status.name_ja if (get_language() or "").startswith("ja") else status.name_en


# --- ID-12: auth ID / password re-notification -----------------------------------------------


def new_password_format_errors(password: str) -> list[ValidationError]:
    """FMT-2 rules that do not depend on the account (length, characters, common passwords).

    Checked before the card data are looked at, so the answer is the same whether or not the
    data match a registration.
    """
    try:
        PasswordPolicy().check(password)
    except ValidationError as exc:
        return exc.error_list
    return []


def resident_renotify(
    *,
    card: CardFace,
    new_password: str = "",
    request: HttpRequest | None = None,
) -> User | None:
    """ID-12: mail the auth ID of the resident whose card data match; optionally set a new
    password. Return the account, or None when nothing matched.

    The caller shows the same answer in both cases (no enumeration) and never shows the auth
    ID; the new password is never mailed (001 Q48). Setting it also lifts a lock at once
    (001 Q52) and starts a new year of password validity (ID-9). Format errors of the new
    password (``new_password_format_errors``) must be checked by the caller first; the
    account-specific ones (containing the auth ID, one of the last five) are raised here as a
    ValidationError on ``new_password``. Organizations have no card and never match.
    """
    found = card.match()
    account = None
    if found is not None:
        account = person_resident_accounts(found.person_id).first()
    if account is None:
        if new_password:
            # Spend the time a real password change takes, so timing does not tell either.
            check_password(
                services.password_text(new_password), make_password("zairyu-timing-equaliser")
            )
        with transaction.atomic():
            audit_record(
                action="account.renotification_unmatched",
                object_type="cards.person" if found is not None else "",
                object_id=str(found.person_id) if found is not None else "",
                after={"card_matched": found is not None},
                request=request,
            )
        return None
    account = resident_refresh_validity(account, request=request)
    now = clock.now()
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        was_locked = rules.is_locked(account, now=now)
        if new_password:
            try:
                services.set_password(
                    user=account,
                    password=new_password,
                    actor=account,
                    request=request,
                    reason="renotified",
                )
            except ValidationError as exc:
                raise ValidationError({"new_password": exc.error_list}) from exc
        audit_record(
            action="account.auth_id_renotified",
            obj=account,
            actor=account,
            after={
                "card": found.pk,
                "password_set": bool(new_password),
                "lock_lifted": bool(new_password) and was_locked,
            },
            request=request,
        )
        mail_queue(
            template="auth_id_renotified",
            to=account.email,
            language=account.language,
            context={
                "user": account,
                "at": now,
                "password_set": bool(new_password),
                "auth_id_valid_until": rules.auth_id_valid_until(account),
                "password_valid_until": rules.password_valid_until(account),
            },
            related=account,
        )
    return account
