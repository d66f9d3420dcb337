"""Submitted applications for the back-office tests (BO-5, issue #8).

``make_submitted`` files a draft the way ``services.application_submit`` does (state-change row,
audit, provisional number, version 1) and assigns the receipt number with
``services.next_receipt_number``, so the officer's work starts from a realistic row.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.db import transaction

from tests.cards.factories import make_card, next_number
from tests.filings.factories import make_officer
from zairyu.accounts.models import ServiceARegistration
from zairyu.applications.models import (
    Application,
    ApplicationDocument,
    ApplicationState,
    ApplicationVersion,
)
from zairyu.applications.services import next_provisional_number, next_receipt_number, transition
from zairyu.core import clock
from zairyu.reference.models import Bureau

from .factories import make_draft, make_foreign_national, make_lawyer, make_organization_staff

S = ApplicationState
_serial = itertools.count(1)

__all__ = [
    "make_card",
    "make_foreign_national",
    "make_lawyer",
    "make_officer",
    "make_organization_staff",
    "make_submitted",
    "add_requested_document",
    "next_number",
]


def make_submitted(
    *,
    filer=None,
    card=None,
    procedure: str = "extension",
    receipt_method: str = "post",
    bureau: str | None = None,
    receipt_number: bool = True,
    filed_on: dt.date | None = None,
    applicant_email: str = "applicant@example.jp",
    **fields,
) -> Application:
    """A submitted application (申請完了) with its receipt number, for ``filer`` (default: a
    foreign national registered at an address in Tokyo, with their own card)."""
    if filer is None:
        filer, card = make_foreign_national()
        ServiceARegistration.objects.get_or_create(
            user=filer,
            defaults={"address": "東京都千代田区霞が関１－１－１", "registered_at": clock.now()},
        )
    later = {}
    if procedure == "coe":
        fields.setdefault("status", "engineer_humanities_international")
        later = {
            "applicant_name": fields.pop("applicant_name", "YAMADA,JOHN"),
            "applicant_birth_date": fields.pop("applicant_birth_date", dt.date(1995, 5, 5)),
        }
        fields.setdefault(
            "content",
            {"personal1": {"nationality": "USA", "sex": "M", "birth_date": "1995-05-05"}},
        )
    draft = make_draft(filer=filer, procedure=procedure, card=card, **fields)
    office = Bureau.objects.get(pk=bureau or (card.prefecture.bureau_id if card else "tokyo"))
    with transaction.atomic():
        submitted = transition(
            draft,
            to=S.SUBMITTED,
            actor=filer,
            changes={
                "provisional_number": next_provisional_number(),
                "version": 1,
                "receipt_method": receipt_method,
                "applicant_email": applicant_email,
                "bureau": office,
                **later,
                **({"filed_on": filed_on} if filed_on else {}),
            },
        )
        ApplicationVersion.objects.create(
            application=submitted,
            number=1,
            content=submitted.content,
            documents=[],
            receipt_method=receipt_method,
            created_at=clock.now(),
            actor=filer,
            actor_repr=str(filer),
        )
        if receipt_number:
            submitted.receipt_number = next_receipt_number(
                bureau=office, letter=submitted.procedure.receipt_kanji
            )
            submitted.receipt_assigned_at = clock.now()
            submitted.save(update_fields=["receipt_number", "receipt_assigned_at"])
    return Application.objects.get(pk=submitted.pk)


def add_requested_document(application: Application, *, name: str = "追加資料.pdf"):
    """The filer's re-attachment of a requested PDF (as ``services.document_add`` stores it)."""
    from django.core.files.base import ContentFile

    from .uploads_fixtures import good_pdf

    data = good_pdf(1)
    document = ApplicationDocument(
        application=application,
        kind="additional",
        original_name=name,
        size=len(data),
        sha256=f"{next(_serial):064x}",
        uploaded_at=clock.now(),
        uploaded_by=application.filer,
        version_added=application.version,
        requested_by_office=True,
    )
    document.file.save(name, ContentFile(data), save=False)
    document.save()
    return document


def officer_of(bureau: str = "tokyo"):
    return make_officer(bureau_id=bureau)


def card_in(prefecture: str, municipality: str, **fields):
    """A card at an address in another prefecture (another office's jurisdiction)."""
    return make_card(
        number=next_number("OB"), prefecture_id=prefecture, municipality_id=municipality, **fields
    )
