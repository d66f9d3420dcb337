"""After approval (A-13; 002 Q5-1, Q5-5, Q6-2): the papers sent by post received, and the
issuance recorded (sent by post, or handed over at the counter). A residence card issued enters
the registry through ``zairyu.cards.services`` (``card_renew`` for a holder of a valid card,
``card_create`` otherwise) with the status, period and end of stay granted; a card sent by post
goes only to the address the user's category fixes (``rules.delivery_address``).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from zairyu.accounts.models import User
from zairyu.audit.services import audit_record
from zairyu.cards import services as card_services
from zairyu.cards.models import ResidenceCard
from zairyu.cards.rules import CardData
from zairyu.core import clock

from ... import rules
from ...lifecycle import transition
from ...mails import application_mail
from ...models import Application, ApplicationState, Decision, ReceiptMethod
from .base import _error, _locked, _save, _state_error, _sync

S = ApplicationState


def papers_received(
    *,
    officer: User,
    application: Application,
    note: str = "",
    request: HttpRequest | None = None,
) -> Application:
    """Record that the papers sent by post arrived (A-13: fee stamp, envelope, current card).
    Only while 発行待ち and once. Audit ``applications.application.papers_received``; mail
    ``officer_papers_received``."""
    with transaction.atomic():
        locked = _locked(application)
        if locked.state != S.AWAITING_ISSUE:
            raise _state_error(locked, _("Recording the papers received"))
        if locked.papers_received_at:
            raise _error(
                "__all__", _("The papers were already recorded as received."), "already_received"
            )
        now = clock.now()
        _save(locked, papers_received_at=now)
        audit_record(
            action="applications.application.papers_received",
            obj=locked,
            actor=officer,
            after={"papers_received_at": now.isoformat(), "note": note},
            request=request,
        )
        application_mail(locked, template="officer_papers_received", to_applicant=False)
    _sync(application, locked)
    return locked


def _new_card_data(
    application: Application, *, number: str, valid_until: dt.date | None
) -> tuple[CardData, ResidenceCard | None]:
    card = application.applicant_card
    if card is None:
        raise _error(
            "card_number",
            _(
                "The applicant has no card in the registry to take the personal data from. "
                "Register the new card on the card registry page, then record the issuance."
            ),
            "no_card",
        )
    # The holder's latest card (the application may name one already renewed).
    current = rules.holder_latest_card(card)
    data = CardData(
        number=number,
        roman_name=current.roman_name,
        nationality_id=current.nationality_id,
        birth_date=current.birth_date,
        sex=current.sex,
        prefecture_id=current.prefecture_id,
        municipality_id=current.municipality_id,
        street=current.street,
        status_id=application.status_id or current.status_id,
        card_valid_until=valid_until or application.stay_until_granted,
        issued_on=clock.today(),
        kanji_name=current.kanji_name,
        period_of_stay=application.period_granted,
        stay_until=application.stay_until_granted,
        representative_name=current.representative_name,
        representative_relationship=current.representative_relationship,
    )
    return data, current


def _refuse_issuance(application: Application, *, post: bool) -> None:
    """By post: only 発行待ち with the papers received; at the counter: approved for counter
    receipt (完了, Q4-35); once; never while the applicant is abroad (Q4-18, Q6-3, Q7-3)."""
    if post:
        if application.state != S.AWAITING_ISSUE:
            raise _state_error(application, _("Recording the issuance"))
        if not application.papers_received_at:
            raise _error(
                "__all__",
                _("Record the papers received (fee stamp, envelope, card) before the issuance."),
                "papers_missing",
            )
    elif not (
        application.state == S.COMPLETED
        and application.decision == Decision.APPROVED
        and application.receipt_method == ReceiptMethod.COUNTER
    ):
        raise _state_error(application, _("Recording the issuance"))
    if application.issued_at:
        raise _error("__all__", _("The issuance was already recorded."), "already_issued")
    abroad = rules.refuse_receipt_while_abroad(application)
    if abroad is not None:
        raise _error("__all__", abroad.message, abroad.code)


def _checked_card_number(application: Application, card_number: str, *, post: bool) -> str:
    """The new card's number (required when a card is issued); a card that can no longer go by
    post on the day is refused here (002 Q5-1 (3))."""
    card_number = (card_number or "").strip()
    issue_card = rules.gives_card(application)
    if post and issue_card:
        # 002 Q5-1 (3): judged at the new card's issue; papers that arrived late can make the
        # 16th birthday fall within six months: the card is then handed over at the counter.
        refusal = rules.refuse_post_on(application)
        if refusal is not None:
            raise _error(
                "__all__",
                _(
                    "%(reason)s Change the receipt method to the counter (the filer is told "
                    "what to bring), then record the hand-over there."
                )
                % {"reason": refusal.message},
                refusal.code,
            )
    if issue_card and not card_number:
        raise _error(
            "card_number",
            _("New residence card number is empty. Enter the number of the card issued."),
            "required",
        )
    return card_number


def _issue_card(
    application: Application,
    *,
    officer: User,
    card_number: str,
    card_valid_until: dt.date | None,
    request: HttpRequest | None,
) -> ResidenceCard:
    """The new card enters the registry (the holder's valid card renewed, else a new card)."""
    data, current = _new_card_data(application, number=card_number, valid_until=card_valid_until)
    try:
        if current is not None and current.state == ResidenceCard.State.VALID:
            return card_services.card_renew(actor=officer, card=current, data=data, request=request)
        return card_services.card_create(
            actor=officer, data=data, person=current.person, request=request
        )
    except ValidationError as exc:
        raise _card_errors(exc) from exc


def issuance_record(
    *,
    officer: User,
    application: Application,
    card_number: str = "",
    card_valid_until: dt.date | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Application:
    """Record the issuance (A-13): the card or certificate was made and sent by post, or handed
    over at the counter.

    By post: only 発行待ち with the papers received → 完了; it goes to ``delivery_address``
    (002 Q6-2). At the counter: the application is already 完了 (approved, Q4-35); the hand-over
    is recorded once (``issued_at``). A residence card (change, extension, acquisition, unless a
    passport stamp) needs the new card's number: the new card enters the registry in the same
    transaction (``cards.services.card_renew``; the old card is invalidated as renewed) with
    the status, period and end of stay granted. Mails ``officer_issued`` (post) or
    ``officer_issued_counter``. Audit ``applications.application.issued``.
    """
    post = application.receipt_method == ReceiptMethod.POST
    _refuse_issuance(application, post=post)
    card_number = _checked_card_number(application, card_number, post=post)
    with transaction.atomic():
        new_card = None
        if rules.gives_card(application):
            new_card = _issue_card(
                application,
                officer=officer,
                card_number=card_number,
                card_valid_until=card_valid_until,
                request=request,
            )
        delivery = rules.delivery_address(application)
        now = clock.now()
        after = {"issued_at": now.isoformat(), "note": note}
        if new_card is not None:
            after["card"] = new_card.pk
        if post:
            after["sent_to"] = delivery.kind
            locked = transition(
                application,
                to=S.COMPLETED,
                actor=officer,
                note=note,
                request=request,
                changes={"issued_at": now},
            )
            template = "officer_issued"
        else:
            locked = _locked(application)
            _save(locked, issued_at=now)
            template = "officer_issued_counter"
        audit_record(
            action="applications.application.issued",
            obj=locked,
            actor=officer,
            after=after,
            request=request,
        )
        application_mail(
            locked,
            template=template,
            context={
                "delivery": delivery,
                "card": new_card,
                "note": note,
                "papers_office": rules.papers_office(),
            },
        )
    _sync(application, locked)
    return locked


def _card_errors(exc: ValidationError) -> ValidationError:
    """The registry's errors under this form's fields (number → card_number)."""
    if not hasattr(exc, "error_dict"):
        return ValidationError({"card_number": exc.error_list})
    fields = {"number": "card_number", "card_valid_until": "card_valid_until"}
    return ValidationError(
        {fields.get(name, "__all__"): errors for name, errors in exc.error_dict.items()}
    )
