"""Drafts filled in through the services (A-3): step data that matches a card, a complete
draft ready to submit, and a submitted application (the services tests of submission, drafts,
amendments, receipt numbers and the receipt PDF share them)."""

from __future__ import annotations

import uuid

import pytest

from zairyu.applications import services
from zairyu.applications.models import DocumentKind

from . import uploads_fixtures as f


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files go to a temporary folder (autouse where imported)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def personal1_for(card, **overrides) -> dict:
    """STEP2-1 as printed on ``card`` (the name typed in service A's comma form)."""
    data = {
        "nationality": card.nationality_id,
        "roman_name": card.roman_name.replace(" ", ","),
        "sex": card.sex,
        "birth_date": card.birth_date.isoformat(),
        "prefecture": card.prefecture_id,
        "municipality": card.municipality_id or "",
        "address": "霞が関1-1-1",
    }
    data.update(overrides)
    return data


def personal2_for(card, **overrides) -> dict:
    data = {"card_number": card.number, "card_valid_until": card.card_valid_until.isoformat()}
    data.update(overrides)
    return data


def coe_personal1(**overrides) -> dict:
    data = {
        "nationality": "VNM",
        "roman_name": "NGUYEN,VAN,AN",
        "sex": "M",
        "birth_date": "1998-05-06",
        "passport_number": "C1234567",
    }
    data.update(overrides)
    return data


def organization_data(organization=None, **overrides) -> dict:
    if organization is not None:
        data = {
            "organization_name": organization.name,
            "corporate_number": organization.corporate_number or "",
            "organization_prefecture": organization.prefecture_id,
            "organization_address": organization.street,
        }
    else:
        data = {
            "organization_name": "株式会社大阪商事",
            "organization_prefecture": "27",
            "organization_address": "中央区本町1-1",
        }
    data.update(overrides)
    return data


def attach(user, application, *, kind=DocumentKind.ACTIVITY, name="documents.pdf", **options):
    return services.document_add(
        user=user,
        application=application,
        kind=kind,
        upload=f.upload(f.good_pdf(), name),
        **options,
    )


def attach_photo(user, application):
    return services.photo_set(
        user=user, application=application, upload=f.upload(f.jpeg(), "face.jpg", "image/jpeg")
    )


def save(user, application, step, data, *, partial=False):
    return services.draft_save(
        user=user, application=application, step=step, data=data, partial=partial
    )


def complete_draft(
    user,
    card=None,
    *,
    procedure="extension",
    status=None,
    organization=None,
    receipt_method="post",
    applicant_email="applicant@example.jp",
    personal1=None,
    photo=True,
    documents=1,
    **start,
):
    """A draft with every step that applies done, a PDF and (where needed) a photo."""
    if status is None and procedure != "work_certificate":
        status = card.status_id if card is not None else "engineer_humanities_international"
    draft = services.application_start(user=user, procedure=procedure, status=status, **start)
    steps = services.steps_for(draft)
    save(user, draft, "personal1", personal1 or personal1_for(card))
    if "personal2" in steps:
        save(user, draft, "personal2", personal2_for(card))
    if "organization" in steps:
        save(user, draft, "organization", organization_data(organization))
    save(
        user,
        draft,
        "step3",
        {"receipt_method": receipt_method, "applicant_email": applicant_email},
    )
    for n in range(documents):
        attach(user, draft, name=f"documents{n}.pdf")
    if photo and services.photo_needed(draft):
        attach_photo(user, draft)
    return draft


def submit(user, draft, token=None):
    return services.application_submit(user=user, application=draft, token=token or uuid.uuid4())


def resident(**card_fields):
    """A foreign national whose period of stay ends in 60 days (an extension is open, A-4)."""
    import datetime as dt

    from zairyu.core import clock

    from .factories import make_foreign_national

    end = clock.today() + dt.timedelta(days=60)
    card_fields.setdefault("stay_until", end)
    card_fields.setdefault("card_valid_until", end)
    return make_foreign_national(**card_fields)
