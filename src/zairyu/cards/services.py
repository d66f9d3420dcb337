"""Changes to the card registry (REF-5, BO-2). Each runs in one transaction with its audit event.

Actions written to the audit trail: ``cards.card.created``, ``cards.card.renewed`` (on the new
card; the old card gets ``cards.card.invalidated`` with reason "renewed"),
``cards.card.invalidated``, ``cards.card.departed``, ``cards.card.returned``,
``cards.card.moving_in_recorded``, ``cards.card.address_changed``,
``cards.organization.created``. Views of personal data are audited by the callers that show
them (``cards.card.viewed``).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from zairyu.audit.services import audit_record
from zairyu.core import clock

from . import normalise
from .models import CARD, CardStateError, Organization, Person, ResidenceCard
from .rules import CardData, DatabaseReferences, clean_card_data

__all__ = ["CardStateError", "card_transition"]  # and the actions below

State = ResidenceCard.State
Reason = ResidenceCard.InvalidationReason


def card_snapshot(card: ResidenceCard) -> dict:
    """Return the card's registry data as a JSON-able dict (for audit before/after)."""
    data = {"number": card.number, "person": card.person_id, "state": card.state}
    for field in ResidenceCard.DATA_FIELDS:
        data[field] = getattr(card, field)
    return data


def _number_taken() -> ValidationError:
    return ValidationError(
        {
            "number": ValidationError(
                _("A card with this number is already registered; card numbers are never reused."),
                code="number_taken",
            )
        }
    )


def _insert_card(*, person: Person, data: CardData) -> ResidenceCard:
    now = clock.now()
    if ResidenceCard.objects.with_number(data.number).exists():
        raise _number_taken()
    try:
        with transaction.atomic():  # a savepoint, so a lost race leaves the caller usable
            return ResidenceCard.objects.create(
                person=person, created_at=now, updated_at=now, **data.model_fields()
            )
    except IntegrityError as exc:
        if ResidenceCard.objects.with_number(data.number).exists():
            raise _number_taken() from exc
        raise


def card_transition(
    *,
    card: ResidenceCard,
    to: str,
    actor,
    reason: str = "",
    note: str = "",
    request: HttpRequest | None = None,
) -> ResidenceCard:
    """Move a card to state ``to`` if the transition table allows it; the only writer of state.

    Locks the row, checks ``ResidenceCard.TRANSITIONS`` (``CARD``; a refusal is a
    ``CardStateError``), applies the change and audits it.
    """
    if to == State.INVALIDATED and reason not in Reason.values:
        raise ValidationError(
            {"reason": ValidationError(_("Choose why the card is invalidated."), code="reason")}
        )

    def enter(locked: ResidenceCard, from_state: str, now: dt.datetime) -> list[str]:
        if to != State.INVALIDATED:
            return []
        locked.invalidated_at = now
        locked.invalidation_reason = reason
        locked.invalidation_note = note[:300]
        return ["invalidated_at", "invalidation_reason", "invalidation_note"]

    def record(locked: ResidenceCard, from_state: str, now: dt.datetime) -> None:
        audit_record(
            action=f"cards.card.{to}",
            actor=actor,
            obj=locked,
            before={"state": from_state},
            after={"state": to, "reason": reason, "note": note},
            request=request,
        )

    locked = CARD.transition(card, to=to, enter=enter, record=record)
    card.refresh_from_db()
    return locked


def card_create(
    *,
    actor,
    data: CardData,
    person: Person | None = None,
    request: HttpRequest | None = None,
) -> ResidenceCard:
    """Register a new card, for a new person or for ``person``.

    When the person still holds a card that is stored as valid: if it is still current the
    request is refused (renew it instead); if it has expired it is invalidated as superseded.
    """
    data = clean_card_data(data, refs=DatabaseReferences(), today=clock.today())
    with transaction.atomic():
        if person is None:
            person = Person.objects.create(created_at=clock.now())
        else:
            previous = (
                ResidenceCard.objects.select_for_update().filter(person=person, state=State.VALID)
            ).first()
            if previous is not None:
                if previous.standing() == ResidenceCard.Standing.VALID:
                    raise ValidationError(
                        _(
                            "This person already holds a valid card (%(number)s); renew that "
                            "card instead."
                        ),
                        code="person_has_valid_card",
                        params={"number": previous.number},
                    )
                card_transition(
                    card=previous,
                    to=State.INVALIDATED,
                    actor=actor,
                    reason=Reason.SUPERSEDED,
                    request=request,
                )
        card = _insert_card(person=person, data=data)
        audit_record(
            action="cards.card.created",
            actor=actor,
            obj=card,
            after=card_snapshot(card),
            request=request,
        )
    return card


def card_renew(
    *,
    actor,
    card: ResidenceCard,
    data: CardData,
    reason: str = Reason.RENEWED,
    request: HttpRequest | None = None,
) -> ResidenceCard:
    """Issue a new card to the holder of ``card`` (renewal, change of status, re-issue).

    The old card is invalidated with ``reason`` (renewed or reissued) and the new one created
    for the same person, in one transaction: the person is never without a valid card record
    and never holds two.
    """
    if reason not in (Reason.RENEWED, Reason.REISSUED):
        raise ValidationError(
            {"reason": ValidationError(_("Choose renewal or re-issue."), code="reason")}
        )
    data = clean_card_data(data, refs=DatabaseReferences(), today=clock.today())
    with transaction.atomic():
        old = ResidenceCard.objects.select_for_update().get(pk=card.pk)
        if old.state != State.VALID:
            raise CardStateError(
                _("This card is invalidated; a new card can only replace a valid card."),
                code="renew_invalidated",
            )
        if data.number == old.number:
            raise _number_taken()
        card_transition(card=old, to=State.INVALIDATED, actor=actor, reason=reason, request=request)
        new = _insert_card(person=old.person, data=data)
        audit_record(
            action="cards.card.renewed",
            actor=actor,
            obj=new,
            before=card_snapshot(old),
            after=card_snapshot(new),
            request=request,
        )
    card.refresh_from_db()
    return new


def card_invalidate(
    *,
    actor,
    card: ResidenceCard,
    reason: str,
    note: str = "",
    request: HttpRequest | None = None,
) -> ResidenceCard:
    """Invalidate a card (departure without re-entry, revocation, death, naturalisation …)."""
    return card_transition(
        card=card, to=State.INVALIDATED, actor=actor, reason=reason, note=note, request=request
    )


def _not_future(field: str, day: dt.date) -> None:
    if day > clock.today():
        raise ValidationError(
            {field: ValidationError(_("The date cannot be in the future."), code="future")}
        )


def _change(
    *,
    card: ResidenceCard,
    actor,
    action: str,
    changes: dict,
    request: HttpRequest | None,
    check=None,
    extra: dict | None = None,
) -> ResidenceCard:
    """Lock a valid card, run ``check`` on it, apply ``changes`` and audit before/after."""
    with transaction.atomic():
        locked = ResidenceCard.objects.select_for_update().get(pk=card.pk)
        if locked.state != State.VALID:
            raise CardStateError(
                _("This card is invalidated; its record can no longer change."),
                code="card_invalidated",
            )
        if check is not None:
            check(locked)
        before = {field: getattr(locked, field) for field in changes}
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.updated_at = clock.now()
        locked.save(update_fields=[*changes, "updated_at"])
        audit_record(
            action=action,
            actor=actor,
            obj=locked,
            before=before,
            after={**changes, **(extra or {})},
            request=request,
        )
    for field, value in changes.items():
        setattr(card, field, value)
    return locked


def card_record_departure(
    *, actor, card: ResidenceCard, departed_on: dt.date, request: HttpRequest | None = None
) -> ResidenceCard:
    """Record that the holder left Japan on a re-entry permit (再入国中; A-4 refuses meanwhile)."""
    _not_future("departed_on", departed_on)

    def check(locked: ResidenceCard) -> None:
        if locked.abroad_on_reentry:
            raise CardStateError(
                _("The holder is already recorded as abroad; record the return first."),
                code="already_abroad",
            )
        if locked.standing() != ResidenceCard.Standing.VALID:
            raise CardStateError(
                _("The card has expired; a departure on re-entry needs a current card."),
                code="card_expired",
            )
        if departed_on < locked.issued_on:
            raise ValidationError(
                {
                    "departed_on": ValidationError(
                        _("The departure date is before the card was issued; check it."),
                        code="before_issue",
                    )
                }
            )

    return _change(
        card=card,
        actor=actor,
        action="cards.card.departed",
        changes={"abroad_on_reentry": True, "abroad_since": departed_on},
        request=request,
        check=check,
    )


def card_record_return(
    *, actor, card: ResidenceCard, returned_on: dt.date, request: HttpRequest | None = None
) -> ResidenceCard:
    """Record that the holder came back from abroad on a re-entry permit."""
    _not_future("returned_on", returned_on)

    def check(locked: ResidenceCard) -> None:
        if not locked.abroad_on_reentry:
            raise CardStateError(
                _("The holder is not recorded as abroad; there is no departure to close."),
                code="not_abroad",
            )
        if locked.abroad_since and returned_on < locked.abroad_since:
            raise ValidationError(
                {
                    "returned_on": ValidationError(
                        _("The return date is before the departure date (%(date)s); check it."),
                        code="before_departure",
                        params={"date": locked.abroad_since.isoformat()},
                    )
                }
            )

    return _change(
        card=card,
        actor=actor,
        action="cards.card.returned",
        changes={"abroad_on_reentry": False, "abroad_since": None},
        request=request,
        check=check,
        extra={"returned_on": returned_on},
    )


def _address(prefecture_id: str, municipality_id: str | None, street: str) -> dict:
    """Check an address against the reference data; return the card fields or raise."""
    refs = DatabaseReferences()
    errors: dict[str, list[ValidationError]] = {}
    try:
        street = normalise.jis_text(street, full_width=True, field=_("Street address"))
        if not street:
            raise ValidationError(_("Enter the street address."), code="required")
    except ValidationError as exc:
        errors["street"] = exc.error_list
    if not refs.prefecture_exists(prefecture_id):
        errors["prefecture"] = [
            ValidationError(_("Choose a prefecture from the list."), code="unknown_prefecture")
        ]
    if municipality_id and refs.municipality_prefecture(municipality_id) != prefecture_id:
        errors["municipality"] = [
            ValidationError(
                _("This municipality is not in the chosen prefecture; choose one that is."),
                code="municipality_prefecture",
            )
        ]
    if errors:
        raise ValidationError(errors)
    return {
        "prefecture_id": prefecture_id,
        "municipality_id": municipality_id or None,
        "street": street,
    }


def card_record_moving_in(
    *,
    actor,
    card: ResidenceCard,
    notified_on: dt.date,
    prefecture_id: str,
    municipality_id: str | None,
    street: str,
    request: HttpRequest | None = None,
) -> ResidenceCard:
    """Record a moving-in notification (転入届) at a municipality: its date and the new address.

    The date matters to service A: no online application on the day of a moving-in
    notification (002 Q4-12).
    """
    _not_future("notified_on", notified_on)
    changes = {"last_moving_in_on": notified_on, **_address(prefecture_id, municipality_id, street)}
    return _change(
        card=card,
        actor=actor,
        action="cards.card.moving_in_recorded",
        changes=changes,
        request=request,
    )


def card_update_address(
    *,
    actor,
    card: ResidenceCard,
    prefecture_id: str,
    municipality_id: str | None,
    street: str,
    request: HttpRequest | None = None,
) -> ResidenceCard:
    """Correct the address on record without a moving-in notification (e.g. a typing error)."""
    return _change(
        card=card,
        actor=actor,
        action="cards.card.address_changed",
        changes=_address(prefecture_id, municipality_id, street),
        request=request,
    )


def organization_create(
    *,
    actor,
    name: str,
    kind: str,
    prefecture_id: str,
    street: str,
    municipality_id: str | None = None,
    corporate_number: str = "",
    name_en: str = "",
    rso_registration_number: str = "",
    bureau_id: str | None = None,
    request: HttpRequest | None = None,
) -> Organization:
    """Register an organization; its bureau defaults to the one over its prefecture."""
    from zairyu.reference.models import Prefecture

    errors: dict[str, list[ValidationError]] = {}
    try:
        name = normalise.jis_text(name, full_width=True, field=_("Name"))
    except ValidationError as exc:
        errors["name"] = exc.error_list
    if corporate_number:
        try:
            corporate_number = normalise.corporate_number(corporate_number)
        except ValidationError as exc:
            errors["corporate_number"] = exc.error_list
    if kind not in Organization.Kind.values:
        errors["kind"] = [ValidationError(_("Choose the kind of organization."), code="kind")]
    try:
        address = _address(prefecture_id, municipality_id, street)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    if bureau_id is None:
        bureau_id = Prefecture.objects.values_list("bureau_id", flat=True).get(pk=prefecture_id)
    now = clock.now()
    with transaction.atomic():
        org = Organization.objects.create(
            name=name,
            name_en=name_en,
            kind=kind,
            corporate_number=corporate_number or None,
            rso_registration_number=rso_registration_number,
            bureau_id=bureau_id,
            created_at=now,
            updated_at=now,
            **address,
        )
        audit_record(
            action="cards.organization.created",
            actor=actor,
            obj=org,
            after={
                "name": org.name,
                "kind": org.kind,
                "corporate_number": org.corporate_number,
                "bureau": bureau_id,
                **address,
            },
            request=request,
        )
    return org
