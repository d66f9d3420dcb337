"""How the result is received (A-8, A-13; 002 Q4-18, Q5-1, Q5-4, Q6-3, Q6-7, Q7-1, Q7-3):
the receipt methods offered to the filer and to the office, and what makes post impossible.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from zairyu.cards.models import ResidenceCard
from zairyu.core import clock
from zairyu.core.days import add_months, add_years
from zairyu.reference.models import Procedure, Status

from ..models import CARD_PROCEDURES, Application, MainProcedure, ReceiptMethod
from .base import Refusal, _code
from .periods import period_days

# A-8 (002 Q5-1 (1)): a stay of 3 months or less is granted by a passport stamp, not a card.
PASSPORT_STAMP_MAX_DAYS = 90
# A-8 (002 Q5-1 (3)): the card's validity must be updated when the 16th birthday is this close.
CARD_UPDATE_MONTHS = 6
CARD_UPDATE_AGE = 16


# --- receipt methods --------------------------------------------------------------------


def passport_stamp(
    *, status: Status | None, period: str = "", card: ResidenceCard | None = None
) -> bool:
    """Whether permission is given by a passport stamp instead of a card (002 Q5-1 (1), Q6-7):
    a status without a card (Official) or a period of stay of 3 months or less."""
    if status is not None and not status.card_issued:
        return True
    period = period or (card.period_of_stay if card is not None else "")
    days = period_days(period)
    return days is not None and days <= PASSPORT_STAMP_MAX_DAYS


def card_validity_update_due(birth_date: dt.date | None, *, today: dt.date) -> bool:
    """002 Q5-1 (3): the new card needs a validity update when the holder turns 16 within six
    months (judged from the filing date; the office re-checks at issuance)."""
    if birth_date is None:
        return False
    sixteenth = add_years(birth_date, CARD_UPDATE_AGE)
    return today < sixteenth <= add_months(today, CARD_UPDATE_MONTHS)


def refuse_post(
    procedure: Procedure | str,
    *,
    status: Status | None = None,
    period_requested: str = "",
    card: ResidenceCard | None = None,
    kanji_name_requested: bool = False,
    birth_date: dt.date | None = None,
    today: dt.date | None = None,
) -> Refusal | None:
    """A-8 (002 Q5-1, Q5-4, Q6-7): why a residence card cannot be received by post, or None.

    Post is not offered when a passport stamp replaces the card (Official, stay ≤ 3 months),
    when a kanji name is requested (unless the current card already has one), or when the
    card's validity must be updated (16th birthday within six months). Other-activity
    permission does not prevent post since 2024 (Q6-10). Only card procedures have exceptions.
    """
    if _code(procedure) not in CARD_PROCEDURES:
        return None
    today = today or clock.today()
    counter = _("Choose receipt at the counter of a regional immigration services bureau.")
    if passport_stamp(status=status, period=period_requested, card=card):
        return Refusal(
            "post_passport_stamp",
            _(
                "Permission will be given by a stamp in the passport, not a residence card, so it "
                "cannot be received by post. %(counter)s"
            )
            % {"counter": counter},
            field="receipt_method",
        )
    if kanji_name_requested and not (card is not None and card.kanji_name):
        return Refusal(
            "post_kanji_name",
            _(
                "A kanji name on the residence card is requested with a form handed in at the "
                "counter, so the card cannot be received by post. %(counter)s"
            )
            % {"counter": counter},
            field="receipt_method",
        )
    if card_validity_update_due(birth_date or (card.birth_date if card else None), today=today):
        return Refusal(
            "post_card_update",
            _(
                "The applicant turns 16 within six months, so the card's validity must be updated "
                "and the card cannot be received by post. %(counter)s"
            )
            % {"counter": counter},
            field="receipt_method",
        )
    return None


def receipt_methods_offered(
    procedure: Procedure | str,
    *,
    status: Status | None = None,
    period_requested: str = "",
    card: ResidenceCard | None = None,
    kanji_name_requested: bool = False,
    birth_date: dt.date | None = None,
    today: dt.date | None = None,
) -> list[str]:
    """A-8 (002 Q5-1): the receipt methods to offer, in display order.

    COE: e-mail or post. Residence card (change, extension, acquisition): post (unless
    ``refuse_post``) or counter. Work certificate: post or counter.
    """
    code = _code(procedure)
    if code == MainProcedure.COE:
        return [ReceiptMethod.EMAIL, ReceiptMethod.POST]
    if code == MainProcedure.WORK_CERTIFICATE:
        return [ReceiptMethod.POST, ReceiptMethod.COUNTER]
    if code not in CARD_PROCEDURES:
        return []
    post = refuse_post(
        code,
        status=status,
        period_requested=period_requested,
        card=card,
        kanji_name_requested=kanji_name_requested,
        birth_date=birth_date,
        today=today,
    )
    return [ReceiptMethod.COUNTER] if post else [ReceiptMethod.POST, ReceiptMethod.COUNTER]


def refuse_receipt_method(
    method: str,
    procedure: Procedure | str,
    **facts,
) -> Refusal | None:
    """A-8: ``method`` is one of ``receipt_methods_offered(procedure, **facts)``; the refusal
    says why post is not offered when that is the reason."""
    if method in receipt_methods_offered(procedure, **facts):
        return None
    if method == ReceiptMethod.POST:
        post = refuse_post(procedure, **facts)
        if post is not None:
            return post
    return Refusal(
        "receipt_method_not_offered",
        _("Choose one of the receipt methods offered for this procedure."),
        field="receipt_method",
    )


def application_receipt_facts(application: Application, *, today: dt.date | None = None) -> dict:
    """The facts ``receipt_methods_offered`` needs, read from an application."""
    return {
        "status": application.status,
        "period_requested": application.period_requested,
        "card": application.applicant_card,
        "kanji_name_requested": application.kanji_name_requested,
        "birth_date": application.applicant_birth_date,
        "today": today,
    }


def application_receipt_methods(application: Application) -> list[str]:
    """A-8: the receipt methods offered for ``application`` now (``receipt_methods_offered``
    with ``application_receipt_facts``)."""
    return list(
        receipt_methods_offered(application.procedure_id, **application_receipt_facts(application))
    )


# --- re-checked by the office at the decision and at issuance ----------------------


def office_receipt_methods(procedure: Procedure | str, **facts) -> list[str]:
    """The receipt methods the office may set on request (BO-5): those offered to the filer,
    and for a COE also the counter, which the office arranges on consultation (002 Q7-1:
    "窓口で受領を希望される場合は、申請を受け付けた地方出入国在留管理官署にご相談ください")."""
    methods = receipt_methods_offered(procedure, **facts)
    if _code(procedure) == MainProcedure.COE and ReceiptMethod.COUNTER not in methods:
        methods = [*methods, ReceiptMethod.COUNTER]
    return methods


def refuse_office_receipt_method(method: str, procedure: Procedure | str, **facts):
    """``refuse_receipt_method`` for the office (``office_receipt_methods``)."""
    if method in office_receipt_methods(procedure, **facts):
        return None
    return refuse_receipt_method(method, procedure, **facts)


def refuse_post_on(application: Application, *, today: dt.date | None = None) -> Refusal | None:
    """002 Q5-1: whether a card can still go by post on ``today`` (the decision or the issuance):
    the period *granted* decides the passport stamp ("3月以下の在留期間が決定された方"), and the
    16th birthday counts from the new card's issue ("新しい在留カードの交付時点で16歳の誕生日まで
    6か月以内"), so a choice that was right at filing can become impossible later."""
    facts = application_receipt_facts(application, today=today)
    facts["period_requested"] = application.period_granted or application.period_requested
    return refuse_post(application.procedure_id, **facts)


def holder_latest_card(card: ResidenceCard) -> ResidenceCard:
    """The holder's latest valid card in the registry (an application may name a card renewed
    since), else ``card`` itself."""
    return (
        ResidenceCard.objects.filter(person_id=card.person_id, state=ResidenceCard.State.VALID)
        .order_by("-issued_on", "-id")
        .first()
    ) or card


def refuse_receipt_while_abroad(application: Application) -> Refusal | None:
    """002 Q4-18, Q6-3, Q7-3: no card or certificate is handed over or sent while the applicant
    is abroad (the registry's latest card of the applicant says so)."""
    card = application.applicant_card
    if card is None:
        return None
    if holder_latest_card(card).abroad_on_reentry:
        return Refusal(
            "applicant_abroad",
            _(
                "The registry records the applicant as abroad on a re-entry permit. The residence "
                "card or certificate cannot be received while the applicant is outside Japan; "
                "record the issuance after the return."
            ),
        )
    return None
