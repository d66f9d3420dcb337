"""After the decision (A-13; 002 Q4-35, Q5-5, Q6-2, Q6-5, Q6-9, Q7-2): whether a card is issued,
where a card or certificate sent by post goes, and what the filer sends or brings.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zairyu.accounts.models import Category
from zairyu.cards.models import ResidenceCard

from ..models import CARD_PROCEDURES, Application, MainProcedure, ReceiptMethod
from .receipt import passport_stamp

# A-13 (002 Q6-9): the papers are to be sent within 14 days of the examination-completed mail.
PAPERS_DAYS = 14
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


def is_card_procedure(application: Application) -> bool:
    return application.procedure_id in CARD_PROCEDURES


def gives_card(application: Application) -> bool:
    """A residence card is issued (not a passport stamp: Official, stay of 3 months or less)."""
    if not is_card_procedure(application):
        return False
    return not passport_stamp(
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
