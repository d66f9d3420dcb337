"""The back office's actions on service A applications (BO-5, A-6, A-11..A-14; 002 Q4-3, Q4-5,
Q4-32, Q4-35, Q5-1, Q5-5, Q6-1..Q6-10, Q7-2, Q8-1..Q8-5): one function per use case.

Every state change goes through ``services.transition`` (lock, ``TRANSITIONS`` check,
state-change row, audit ``applications.application.<state>``, mail — one transaction). The
actions that change no state (documents requested, papers received, receipt method changed,
counter hand-over, COE revoked) lock the row themselves and write their audit event and mail in
the same transaction. Who may act on which application is ``zairyu.backoffice.access``
(``access_application_by_id``: the office with jurisdiction, ``Application.bureau``); these
services check the state and the input and say by field what is wrong
(``ValidationError({field: ...}, code=...)``, shown by ``add_service_errors``).

**After the decision (A-13, 002 Q4-35).** Approval fixes the fee of REFERENCE.md §7 for the
acceptance date (``services.fee_for_application``) and moves the application:

============================  ===============  =====================================================
procedure / receipt method    state            what happens next
============================  ===============  =====================================================
COE by e-mail                 完了 completed   the electronic COE (``coe``) is issued and mailed
any by post                   発行待ち          the mail lists what to send within 14 days
                              awaiting_issue   (``papers_due``); papers received → issued → 完了
card / certificate, counter   完了 completed   the mail lists what to bring (Q7-2); the officer
                                               records the hand-over at the counter (issuance)
============================  ===============  =====================================================

A residence card issued (post or counter) enters the registry through ``zairyu.cards.services``
(``card_renew`` for a holder of a card, ``card_create`` otherwise), with the status, period and
end of stay granted. A card sent by post goes only to the address the user's category fixes
(002 Q6-2; ``delivery_address``).

Audit actions besides the transitions: ``applications.application.receipt_error_fixed``,
``.documents_requested``, ``.reattachment_closed``, ``.papers_received``, ``.issued``,
``.receipt_method_changed``, ``.coe_revoked`` (``coe``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from zairyu.accounts.models import Category, User
from zairyu.audit.services import audit_record
from zairyu.cards import normalise
from zairyu.cards import services as card_services
from zairyu.cards.models import ResidenceCard
from zairyu.cards.rules import CardData
from zairyu.core import clock

from . import rules
from .models import (
    CARD_PROCEDURES,
    OTHER_ACTIVITY_PROCEDURE,
    PENDING,
    RECEIPT_METHOD_CHANGEABLE,
    REENTRY_PROCEDURE,
    WITHDRAWABLE,
    Application,
    ApplicationState,
    ApplicationVersion,
    Decision,
    MainProcedure,
    ReceiptMethod,
    Reentry,
    WithdrawalAddOn,
)
from .services import _documents_snapshot, application_mail, fee_for_application, transition

S = ApplicationState

# A-13 (002 Q6-9): the papers are to be sent within 14 days of the examination-completed mail.
PAPERS_DAYS = 14
TEXT_MAX = 2000
# 002 Q6-5 ※3: the designation (指定書) is sent with the card for these statuses.
DESIGNATION_STATUSES = ("hsp_", "ssw_", "designated_activities")
# 002 Q5-9, Q5-10, Q6-4, Q6-5, Q6-9: the papers for receipt by post (envelope, fee slip, card)
# go to ONE office, whichever bureau received the application; it also answers for cards sent
# by post. Configurable (``ZAIRYU_PAPERS_OFFICE``); the default is the seed's address.
PAPERS_OFFICE_DEFAULT = {
    "name_ja": "東京出入国在留管理局オンライン審査部門オンライン申請手続班（おだいば分室内）",
    "name_en": (
        "Tokyo Regional Immigration Services Bureau, Online Examination Division, "
        "Online Application Section (Odaiba Branch)"
    ),
    "postal_code": "135-0064",
    "address_ja": "東京都江東区青海2-7-11 東京港湾合同庁舎9階",
    "address_en": "Tokyo Port Joint Government Building 9F, 2-7-11 Aomi, Koto-ku, Tokyo",
    "phone": "03-3599-1068",
}


def papers_office() -> dict:
    """Where the papers for receipt by post are sent (002 Q6-5), from the settings."""
    return {**PAPERS_OFFICE_DEFAULT, **(getattr(settings, "ZAIRYU_PAPERS_OFFICE", None) or {})}


def _error(field: str, message, code: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def _state_error(application: Application, action) -> ValidationError:
    return ValidationError(
        {
            "__all__": [
                ValidationError(
                    _("%(action)s is not possible while the application is “%(state)s”."),
                    code="wrong_state",
                    params={"action": action, "state": S(application.state).label},
                )
            ]
        }
    )


def _locked(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("procedure", "filer", "bureau", "status", "applicant_card")
        .get(pk=application.pk)
    )


def _require_text(field: str, value: str, *, label) -> str:
    text = (value or "").strip()
    if not text:
        raise _error(field, _("%(field)s is empty. Fill it in.") % {"field": label}, "required")
    if len(text) > TEXT_MAX:
        raise _error(
            field,
            _("%(field)s is too long (at most %(max)d characters). Shorten it.")
            % {"field": label, "max": TEXT_MAX},
            "too_long",
        )
    return text


def _save(application: Application, **fields) -> None:
    for name, value in fields.items():
        setattr(application, name, value)
    application.updated_at = clock.now()
    application.save(update_fields=[*fields, "updated_at"])


def _sync(target: Application, source: Application) -> None:
    target.__dict__.update({k: v for k, v in source.__dict__.items() if not k.startswith("_")})


# --- facts the pages and mails need -----------------------------------------------------------


def is_card_procedure(application: Application) -> bool:
    return application.procedure_id in CARD_PROCEDURES


def gives_card(application: Application) -> bool:
    """A residence card is issued (not a passport stamp: Official, stay of 3 months or less)."""
    if not is_card_procedure(application):
        return False
    return not rules.passport_stamp(
        status=application.status,
        period=application.period_granted or application.period_requested,
    )


def needs_designation(application: Application) -> bool:
    """002 Q6-5 ※3: HSP, SSW and designated activities send the designation with the card."""
    return bool(application.status_id) and application.status_id.startswith(DESIGNATION_STATUSES)


@dataclass(frozen=True)
class DeliveryAddress:
    """Where a card or certificate sent by post goes (A-13, 002 Q6-2)."""

    kind: str  # user / office / organization / public_interest / rso
    label: str
    address: str


def _place(prefecture, municipality, street: str) -> str:
    parts = [prefecture.name_ja if prefecture else "", municipality.name_ja if municipality else ""]
    return "".join(parts) + (street or "")


def delivery_address(application: Application) -> DeliveryAddress:
    """Return the only address a card sent by post may go to (002 Q6-2): the user's address for
    a foreign national, legal representative or relative; the office for a lawyer or
    gyoseishoshi; the organization's address for staff of an accepting organization, a
    public-interest corporation or a registered support organization. Never another address."""
    filer = application.filer
    category = filer.category
    registration = getattr(filer, "service_a_registration", None)
    if category in (
        Category.ORGANIZATION_STAFF,
        Category.PUBLIC_INTEREST_STAFF,
        Category.RSO_STAFF,
    ):
        account = getattr(filer, "staff_account", None)
        organization = account.organization if account is not None else application.organization
        labels = {
            Category.ORGANIZATION_STAFF: _("The accepting organization's address"),
            Category.PUBLIC_INTEREST_STAFF: _("The public-interest corporation's address"),
            Category.RSO_STAFF: _("The registered support organization's address"),
        }
        address = ""
        if organization is not None:
            address = f"{organization.name} " + _place(
                organization.prefecture, organization.municipality, organization.street
            )
        kinds = {
            Category.ORGANIZATION_STAFF: "organization",
            Category.PUBLIC_INTEREST_STAFF: "public_interest",
            Category.RSO_STAFF: "rso",
        }
        return DeliveryAddress(kinds[category], str(labels[category]), address.strip())
    if category == Category.LAWYER:
        certificate = getattr(filer, "filing_agent_certificate", None)
        address = (certificate.office_address if certificate else "") or (
            registration.address if registration else ""
        )
        return DeliveryAddress("office", str(_("The lawyer's or gyoseishoshi's office")), address)
    address = registration.address if registration is not None else ""
    if not address and filer.person_id:
        card = ResidenceCard.objects.current().filter(person_id=filer.person_id).first()
        if card is not None:
            address = _place(card.prefecture, card.municipality, card.street)
    return DeliveryAddress("user", str(_("The user's address")), address)


def paper_codes(application: Application) -> list[str]:
    """What the filer sends by post (002 Q6-5) or brings to the counter (Q7-2), as codes the
    mail templates spell out in each language: ``envelope``, ``fee_slip``, ``current_card``,
    ``card_copy``, ``designation``, ``counter``."""
    codes = []
    if application.receipt_method == ReceiptMethod.POST:
        codes.append("envelope")
    if application.fee_amount:
        codes.append("fee_slip")
    if is_card_procedure(application) and application.applicant_card_id:
        codes.append("current_card")
    if application.procedure_id == MainProcedure.WORK_CERTIFICATE:
        codes.append("card_copy")
    if needs_designation(application) and is_card_procedure(application):
        codes.append("designation")
    if application.receipt_method != ReceiptMethod.POST:
        codes.append("counter")
    return codes


def required_papers(application: Application) -> list[str]:
    """What the filer sends by post (002 Q6-5) or brings to the counter (Q7-2), in the
    filer's language (call inside ``translation.override``)."""
    fee = application.fee_amount or 0
    code = application.procedure_id
    post = application.receipt_method == ReceiptMethod.POST
    number = application.receipt_number or application.number
    papers: list[str] = []
    if post:
        thing = {
            MainProcedure.COE: _("Certificate of Eligibility"),
            MainProcedure.WORK_CERTIFICATE: _("certificate of authorized employment"),
        }.get(code, _("residence card"))
        papers.append(
            str(
                _(
                    "A return envelope for the %(thing)s: stamps for simplified registered mail "
                    "(簡易書留) on it, addressed to your current address (the address must be "
                    "the one registered with the system), and the receipt number %(number)s "
                    "written on its back."
                )
                % {"thing": thing, "number": number}
            )
        )
    if fee:
        papers.append(
            str(
                _(
                    "The fee payment slip (手数料納付書) with revenue stamps (収入印紙) for "
                    "%(fee)s yen, the receipt number %(number)s in the number box at the top "
                    "right and the applicant's name in the name box at the bottom right. "
                    "Download the pre-filled slip from the application's page."
                )
                % {"fee": f"{fee:,}", "number": number}
            )
        )
    if is_card_procedure(application) and application.applicant_card_id:
        papers.append(
            str(
                _(
                    "The applicant's current residence card (the original). It is returned "
                    "with its IC chip invalidated by punching (002 Q5-5)."
                )
            )
        )
    if code == MainProcedure.WORK_CERTIFICATE:
        papers.append(
            str(
                _(
                    "A copy of the applicant's residence card (without one, a copy of the "
                    "passport's page with the personal data)."
                )
            )
        )
    if needs_designation(application) and is_card_procedure(application):
        papers.append(
            str(_("The designation (指定書), taken out of the passport. Do not send the passport."))
        )
    if not post:
        papers.append(
            str(
                _(
                    "This mail, shown on screen or printed, and the applicant's passport. The "
                    "applicant or you as the user of the system may collect it; nobody else "
                    "can, and not while the applicant is abroad (002 Q7-2, Q7-3)."
                )
            )
        )
    return papers


# --- intake (BO-5) ------------------------------------------------------------------------------


def receipt_error_fix(
    *,
    officer: User,
    application: Application,
    note: str,
    bureau=None,
    request: HttpRequest | None = None,
) -> Application:
    """Fix a receipt-number error (エラー(申請受付番号取得エラー), BO-5): receipt_error →
    submitted; the assignment runs again (the receipt task after commit, or the sweeper, which
    hands out submitted applications without a number and without a lease). ``bureau`` sets the
    office with jurisdiction when that was the cause. Audit
    ``applications.application.submitted`` (with the note) and ``.receipt_error_fixed``."""
    note = _require_text("note", note, label=_("What was fixed"))
    if application.state != S.RECEIPT_ERROR:
        raise _state_error(application, _("Fixing a receipt-number error"))
    changes = {"receipt_error_code": "", "leased_until": None, "attempts": 0}
    if bureau is not None:
        changes["bureau"] = bureau
    with transaction.atomic():
        before_code = application.receipt_error_code
        locked = transition(
            application, to=S.SUBMITTED, actor=officer, note=note, request=request, changes=changes
        )
        audit_record(
            action="applications.application.receipt_error_fixed",
            obj=locked,
            actor=officer,
            before={"receipt_error_code": before_code},
            after={"bureau": locked.bureau_id, "note": note},
            request=request,
        )
        _rerun_receipt_assignment(locked.pk)
    return locked


def _rerun_receipt_assignment(application_id: int) -> None:
    try:
        from .tasks import receipt_number_task  # the filer services' task (issue #7)
    except ImportError:
        return  # services.receipt_sweep hands it out within ZAIRYU_SWEEP_SECONDS
    from zairyu.core.work import enqueue_on_commit

    enqueue_on_commit(receipt_number_task, application_id)


def examination_open(
    *, officer: User, application: Application, request: HttpRequest | None = None
) -> Application:
    """Open the examination (審査中, BO-5): submitted → examining, the officer as examiner. From
    now on the filer can no longer amend (A-12). Needs the receipt number (A-10). Mail
    ``officer_examination_opened``."""
    if application.state != S.SUBMITTED:
        raise _state_error(application, _("Opening the examination"))
    if not application.receipt_number:
        raise _error(
            "__all__",
            _(
                "The application has no receipt number yet. Wait for it (it is assigned within "
                "a minute) or fix the receipt-number error first."
            ),
            "no_receipt_number",
        )
    return transition(
        application,
        to=S.EXAMINING,
        actor=officer,
        request=request,
        changes={"examiner": officer},
        mail="officer_examination_opened",
    )


def documents_request(
    *, officer: User, application: Application, text: str, request: HttpRequest | None = None
) -> Application:
    """Ask for additional documents (A-6, 002 Q4-3, Q4-5): opens re-attachment so the filer can
    add PDFs online (``services.document_add`` with ``requested_by_office``) and mails what is
    asked (``officer_documents_requested``). While 申請完了 or 審査中. Audit
    ``applications.application.documents_requested``."""
    text = _require_text("text", text, label=_("Documents requested"))
    with transaction.atomic():
        locked = _locked(application)
        if locked.state not in (S.SUBMITTED, S.EXAMINING):
            raise _state_error(locked, _("Requesting documents"))
        now = clock.now()
        _save(locked, reattachment_open=True, reattachment_opened_at=now, documents_requested=text)
        audit_record(
            action="applications.application.documents_requested",
            obj=locked,
            actor=officer,
            after={"documents_requested": text},
            request=request,
        )
        application_mail(
            locked,
            template="officer_documents_requested",
            context={"documents_requested": text},
            to_applicant=False,
        )
    _sync(application, locked)
    return locked


def reattachment_close(
    *, officer: User, application: Application, request: HttpRequest | None = None
) -> Application:
    """Close re-attachment once the documents arrived (the decision closes it too). Audit
    ``applications.application.reattachment_closed``; no mail."""
    with transaction.atomic():
        locked = _locked(application)
        if not locked.reattachment_open:
            raise _error(
                "__all__", _("Re-attachment is not open for this application."), "not_open"
            )
        _save(locked, reattachment_open=False)
        audit_record(
            action="applications.application.reattachment_closed",
            obj=locked,
            actor=officer,
            request=request,
        )
    _sync(application, locked)
    return locked


# --- decision (BO-5, A-13, A-14) ----------------------------------------------------------------


def _clean_period(value: str, *, required: bool) -> str:
    try:
        period = normalise.period_of_stay(value or "")
    except ValidationError as exc:
        raise ValidationError({"period_granted": exc.error_list}) from exc
    if required and not period:
        raise _error(
            "period_granted",
            _("Period of stay granted is empty. Enter it, e.g. P1Y, P3Y or P6M."),
            "required",
        )
    return period


def application_approve(
    *,
    officer: User,
    application: Application,
    period_granted: str = "",
    stay_until_granted: dt.date | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Application:
    """Approve (BO-5, A-13): examining → awaiting_issue (anything received by post), or
    completed (a COE by e-mail: the electronic COE is issued and mailed, A-14; a card or work
    certificate at the counter, 002 Q4-35).

    Period granted: required for a COE and the card procedures (ISO 8601, e.g. P1Y); the end of
    the period granted also for the card procedures (today or later). The fee is fixed here for
    the acceptance date and shown in the mail (REF-6, ``fee_amount``). Re-attachment closes. A
    pending withdrawal request is decided first (code ``withdrawal_requested``). Mails:
    ``officer_approved_post``, ``officer_approved_counter`` or ``officer_coe_issued``.
    """
    if application.state != S.EXAMINING:
        raise _state_error(application, _("Approval"))
    if application.withdrawal_requested_at:
        raise _error(
            "__all__",
            _(
                "The filer asked to withdraw this application. Record the withdrawal (or talk "
                "to the filer) before deciding."
            ),
            "withdrawal_requested",
        )
    code = application.procedure_id
    period = _clean_period(
        period_granted, required=code == MainProcedure.COE or code in CARD_PROCEDURES
    )
    if code in CARD_PROCEDURES:
        if stay_until_granted is None:
            raise _error(
                "stay_until_granted",
                _("End of the period granted is empty. Enter the last day of the new period."),
                "required",
            )
        if stay_until_granted < clock.today():
            raise _error(
                "stay_until_granted",
                _("End of the period granted is in the past. Enter today or a later date."),
                "past",
            )
    else:
        stay_until_granted = None
    fee = fee_for_application(application)
    method = application.receipt_method
    now = clock.now()
    changes = {
        "decision": Decision.APPROVED,
        "decided_by": officer,
        "decided_at": now,
        "period_granted": period,
        "stay_until_granted": stay_until_granted,
        "fee_amount": fee.total,
        "reattachment_open": False,
    }
    context = {"fee": fee, "note": note}
    # 002 Q5-1 (1), (3): re-checked at the decision with the period granted and today's date
    # (3 months or less → passport stamp; 16th birthday within six months of the new card's
    # issue → the card's validity must be updated): post is then not possible and the card is
    # handed over at the counter; the mail says why.
    post_refusal = None
    if method == ReceiptMethod.POST and code in CARD_PROCEDURES:
        probe = Application(
            procedure_id=code,
            status=application.status,
            period_requested=application.period_requested,
            period_granted=period,
            applicant_card=application.applicant_card,
            kanji_name_requested=application.kanji_name_requested,
            applicant_birth_date=application.applicant_birth_date,
        )
        post_refusal = rules.refuse_post_on(probe)
        if post_refusal is not None:
            method = ReceiptMethod.COUNTER
            changes["receipt_method"] = method
            context["post_refusal"] = post_refusal.code
    if code == MainProcedure.COE and method == ReceiptMethod.EMAIL:
        from .coe import new_verification_code

        changes |= {"coe_verification_code": new_verification_code(), "issued_at": now}
        to, template = S.COMPLETED, "officer_coe_issued"
    elif method == ReceiptMethod.POST:
        changes["papers_due"] = clock.today() + dt.timedelta(days=PAPERS_DAYS)
        to, template = S.AWAITING_ISSUE, "officer_approved_post"
    else:
        to, template = S.COMPLETED, "officer_approved_counter"
    with transaction.atomic():
        locked = transition(
            application, to=to, actor=officer, note=note, request=request, changes=changes
        )
        if post_refusal is not None:
            _set_step3_method(locked, method)
            audit_record(
                action="applications.application.receipt_method_changed",
                obj=locked,
                actor=officer,
                before={"receipt_method": ReceiptMethod.POST},
                after={"receipt_method": method, "reason": post_refusal.code},
                request=request,
            )
        _decision_mail(locked, template=template, context=context)
    return locked


def _set_step3_method(application: Application, method: str) -> None:
    """Keep STEP3's stored choice equal to the column (one source of truth for the pages)."""
    content = dict(application.content or {})
    content["step3"] = {**(content.get("step3") or {}), "receipt_method": method}
    application.content = content
    application.save(update_fields=["content"])


def _decision_mail(application: Application, *, template: str, context: dict) -> None:
    address = delivery_address(application)
    from .coe import format_code, valid_until, verification_url

    # The period granted is rendered by the templates (``|period``) in the mail's language.
    extra = {
        "paper_codes": paper_codes(application),
        "delivery": address,
        "fee_text": f"{application.fee_amount or 0:,}",
        "papers_office": papers_office(),
    }
    if application.coe_verification_code:
        extra |= {
            "code": format_code(application.coe_verification_code),
            "verify_url": verification_url(),
            "valid_until": valid_until(application),
        }
    application_mail(
        application,
        template=template,
        context={**context, **extra},
        # The e-COE link works for the filer only (log-in); the applicant gets it forwarded.
        to_applicant=template != "officer_coe_issued",
    )


def application_deny(
    *, officer: User, application: Application, reason: str, request: HttpRequest | None = None
) -> Application:
    """Deny (不許可, BO-5): examining → denied with the reason, mailed (``officer_denied``)."""
    reason = _require_text("reason", reason, label=_("Reason for denial"))
    if application.state != S.EXAMINING:
        raise _state_error(application, _("Denial"))
    return transition(
        application,
        to=S.DENIED,
        actor=officer,
        request=request,
        note=reason[:500],
        changes={
            "decision": Decision.DENIED,
            "decided_by": officer,
            "denial_reason": reason,
            "reattachment_open": False,
        },
        mail="officer_denied",
        mail_context={"reason": reason},
    )


# --- after approval (A-13) ----------------------------------------------------------------------


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
    current = (
        ResidenceCard.objects.filter(person_id=card.person_id, state=ResidenceCard.State.VALID)
        .order_by("-issued_on", "-id")
        .first()
    ) or card
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
    card_number = (card_number or "").strip()
    issue_card = gives_card(application)
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
    with transaction.atomic():
        new_card = None
        if issue_card:
            data, current = _new_card_data(
                application, number=card_number, valid_until=card_valid_until
            )
            try:
                if current is not None and current.state == ResidenceCard.State.VALID:
                    new_card = card_services.card_renew(
                        actor=officer, card=current, data=data, request=request
                    )
                else:
                    new_card = card_services.card_create(
                        actor=officer, data=data, person=current.person, request=request
                    )
            except ValidationError as exc:
                raise _card_errors(exc) from exc
        delivery = delivery_address(application)
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
                "papers_office": papers_office(),
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


# --- requests by the filer (A-8, A-12) ----------------------------------------------------------


def withdrawal_record(
    *,
    officer: User,
    application: Application,
    note: str,
    request: HttpRequest | None = None,
) -> Application:
    """Withdraw on the filer's request (A-12; 002 Q4-32: online request or by contacting the
    office): → withdrawn while pending a decision. ``note`` says how the request came. Mail
    ``officer_withdrawn``."""
    note = _require_text("note", note, label=_("How the request was made"))
    if application.state not in WITHDRAWABLE:
        raise _state_error(application, _("Withdrawal"))
    return transition(
        application,
        to=S.WITHDRAWN,
        actor=officer,
        note=note[:500],
        request=request,
        changes={"reattachment_open": False},
        mail="officer_withdrawn",
        mail_context={"reason": application.withdrawal_reason},
    )


def receipt_method_change(
    *,
    officer: User,
    application: Application,
    method: str,
    note: str = "",
    request: HttpRequest | None = None,
) -> Application:
    """Change the receipt method on the filer's request (A-8, 002 Q5-1, Q8-4, Q8-5): while 申請完了
    or 審査中; the method must be one the office may set (``rules.office_receipt_methods``:
    those offered to the filer, e.g. no post for a passport stamp, and for a COE also the
    counter, Q7-1). A COE's method changes only this way (the filer asks the office).

    While 発行待ち a card can still be moved from post to the counter when post is no longer
    possible on the day (Q5-1 (3): the 16th birthday within six months of the new card's
    issue; ``rules.refuse_post_on``): the application becomes 完了 (approved for counter
    receipt, Q4-35) and the filer gets the counter mail (``officer_approved_counter``).
    Audit ``applications.application.receipt_method_changed``; mail
    ``officer_receipt_method_changed`` (Q12-1)."""
    with transaction.atomic():
        locked = _locked(application)
        late_counter = (
            locked.state == S.AWAITING_ISSUE
            and locked.receipt_method == ReceiptMethod.POST
            and method == ReceiptMethod.COUNTER
            and not locked.issued_at
            and gives_card(locked)
            and rules.refuse_post_on(locked) is not None
        )
        if locked.state not in RECEIPT_METHOD_CHANGEABLE and not late_counter:
            raise _state_error(locked, _("Changing the receipt method"))
        if method == locked.receipt_method:
            raise _error(
                "method", _("This is already the receipt method. Choose another one."), "same"
            )
        refusal = (
            None
            if late_counter
            else rules.refuse_office_receipt_method(
                method, locked.procedure, **rules.application_receipt_facts(locked)
            )
        )
        if refusal is not None:
            raise ValidationError({"method": [ValidationError(refusal.message, code=refusal.code)]})
        before = locked.receipt_method
        if late_counter:
            reason = rules.refuse_post_on(locked)
            locked = transition(
                locked,
                to=S.COMPLETED,
                actor=officer,
                note=note,
                request=request,
                changes={"receipt_method": method, "papers_due": None},
            )
        else:
            _save(locked, receipt_method=method)
        _set_step3_method(locked, method)
        audit_record(
            action="applications.application.receipt_method_changed",
            obj=locked,
            actor=officer,
            before={"receipt_method": before},
            after={"receipt_method": method, "note": note},
            request=request,
        )
        with translation.override(locked.filer.language or "ja"):
            labels = {
                "before_label": str(ReceiptMethod(before).label) if before else "",
                "after_label": str(ReceiptMethod(method).label),
            }
        application_mail(locked, template="officer_receipt_method_changed", context=labels)
        if late_counter:
            _decision_mail(
                locked,
                template="officer_approved_counter",
                context={
                    "fee": fee_for_application(locked),
                    "note": note,
                    "post_refusal": reason.code,
                },
            )
    _sync(application, locked)
    return locked


# --- 002 Q4-33: withdrawing only an add-on; Q5-7: replacing a wrong photo ---------------------


def add_on_withdrawal_record(
    *,
    officer: User,
    application: Application,
    add_on: str,
    note: str,
    request: HttpRequest | None = None,
) -> Application:
    """Withdraw only the re-entry permit or the other-activity permission filed together with a
    change, extension or acquisition (002 Q4-33: the filer contacts the office, or requests it
    online with ``services.withdrawal_request(add_on=...)``). The main application goes on in
    its state; ``reentry`` / ``other_activity`` are cleared (so the fee fixed at the decision
    no longer includes the re-entry fee), STEP1's stored content follows, and a pending request
    for exactly this add-on is settled. While pending a decision (``WITHDRAWABLE``). Field
    ``add_on``: ``invalid_choice`` / ``add_on_not_applied``; ``note`` (how the request came)
    required. Audit ``applications.application.add_on_withdrawn``; mail
    ``officer_add_on_withdrawn`` to the filer and the applicant."""
    note = _require_text("note", note, label=_("How the request was made"))
    if add_on not in (WithdrawalAddOn.REENTRY, WithdrawalAddOn.OTHER_ACTIVITY):
        raise _error(
            "add_on",
            _("Choose the re-entry permit or the permission for other activity."),
            "invalid_choice",
        )
    with transaction.atomic():
        locked = _locked(application)
        if locked.state not in WITHDRAWABLE:
            raise _state_error(locked, _("Withdrawal"))
        applied = locked.reentry if add_on == WithdrawalAddOn.REENTRY else locked.other_activity
        if not applied:
            raise _error(
                "add_on",
                _("The application does not include it (any more). Choose what it includes."),
                "add_on_not_applied",
            )
        before = {"reentry": locked.reentry, "other_activity": locked.other_activity}
        fields: dict = {}
        content = dict(locked.content or {})
        step1 = dict(content.get("step1") or {})
        if add_on == WithdrawalAddOn.REENTRY:
            fields["reentry"] = Reentry.NONE
            step1["reentry"] = ""
            procedure_code = REENTRY_PROCEDURE.get(locked.reentry, "")
        else:
            fields["other_activity"] = False
            step1["other_activity"] = False
            procedure_code = OTHER_ACTIVITY_PROCEDURE
        content["step1"] = step1
        fields["content"] = content
        if locked.withdrawal_requested_at and locked.withdrawal_add_on == add_on:
            fields |= {"withdrawal_requested_at": None, "withdrawal_add_on": ""}
        # the content changed, so it is a new version (the earlier kept); changes the
        # filer prepared for the next amendment stay pending after it.
        before_version = locked.version
        fields["version"] = before_version + 1
        pending = locked.documents.all()
        pending.filter(version_added=before_version + 1).update(version_added=before_version + 2)
        pending.filter(version_removed=before_version + 1).update(
            version_removed=before_version + 2
        )
        _save(locked, **fields)
        with translation.override(locked.filer.language or "ja"):
            label = str(WithdrawalAddOn(add_on).label)
        ApplicationVersion.objects.create(
            application=locked,
            number=locked.version,
            content=locked.content,
            documents=_documents_snapshot(locked, locked.version),
            receipt_method=locked.receipt_method,
            photo_sha256=locked.photo_sha256,
            created_at=clock.now(),
            actor=officer,
            actor_repr=str(officer)[:150],
            note=f"{label} (002 Q4-33): {note}"[:500],
        )
        audit_record(
            action="applications.application.add_on_withdrawn",
            obj=locked,
            actor=officer,
            before=before,
            after={
                "reentry": locked.reentry,
                "other_activity": locked.other_activity,
                "withdrawn": procedure_code,
                "note": note,
            },
            request=request,
        )
        application_mail(
            locked,
            template="officer_add_on_withdrawn",
            context={"add_on": add_on, "note": note},
        )
    _sync(application, locked)
    return locked


def photo_replacement_allow(
    *, officer: User, application: Application, note: str = "", request: HttpRequest | None = None
) -> Application:
    """Let the filer attach the right face photo (002 Q5-7: a wrong person's photo was sent; the
    filer contacted the office). While pending (申請完了, 審査中, 発行待ち, receipt error) and
    only where a photo is needed; the filer replaces it once with ``services.photo_set`` (the
    earlier file is kept). Audit ``applications.application.photo_replacement_opened``; mail
    ``officer_photo_replacement`` to the filer."""
    from .services import photo_needed

    with transaction.atomic():
        locked = _locked(application)
        if locked.state not in PENDING:
            raise _state_error(locked, _("Opening the photo replacement"))
        if not photo_needed(locked):
            raise _error("__all__", _("This application needs no photo."), "photo_not_needed")
        if locked.photo_replacement_open:
            raise _error("__all__", _("The photo replacement is already open."), "already_open")
        _save(locked, photo_replacement_open=True)
        audit_record(
            action="applications.application.photo_replacement_opened",
            obj=locked,
            actor=officer,
            after={"note": note},
            request=request,
        )
        application_mail(
            locked,
            template="officer_photo_replacement",
            context={"note": note},
            to_applicant=False,
        )
    _sync(application, locked)
    return locked


# --- what the page offers ---------------------------------------------------------------------


def actions_offered(application: Application) -> set[str]:
    """The actions the application's state allows (the page shows only these forms)."""
    state = application.state
    offered: set[str] = set()
    if state == S.RECEIPT_ERROR:
        offered.add("fix_receipt")
    if state == S.SUBMITTED and application.receipt_number:
        offered.add("examine")
    if state in (S.SUBMITTED, S.EXAMINING):
        offered.add("request_documents")
    if application.reattachment_open:
        offered.add("close_reattachment")
    if state == S.EXAMINING:
        offered |= {"deny"} | (set() if application.withdrawal_requested_at else {"approve"})
    if state == S.AWAITING_ISSUE and not application.papers_received_at:
        offered.add("papers")
    if not application.issued_at and (
        (state == S.AWAITING_ISSUE and application.papers_received_at)
        or (
            state == S.COMPLETED
            and application.decision == Decision.APPROVED
            and application.receipt_method == ReceiptMethod.COUNTER
        )
    ):
        offered.add("issue")
    if state in WITHDRAWABLE:
        offered.add("withdraw")
    if state in RECEIPT_METHOD_CHANGEABLE:
        offered.add("receipt_method")
    if (
        state == S.AWAITING_ISSUE
        and application.receipt_method == ReceiptMethod.POST
        and not application.issued_at
        and gives_card(application)
        and rules.refuse_post_on(application) is not None
    ):
        offered.add("receipt_method")  # 002 Q5-1 (3): post no longer possible at issuance
    if state in WITHDRAWABLE and application.has_add_ons:
        offered.add("withdraw_add_on")  # 002 Q4-33
    if state in PENDING and not application.photo_replacement_open:
        from .services import photo_needed

        if photo_needed(application):
            offered.add("photo_replacement")  # 002 Q5-7
    if application.coe_verification_code and not application.coe_revoked_at:
        offered.add("coe_revoke")
    return offered
