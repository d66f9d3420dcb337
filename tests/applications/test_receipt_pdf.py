"""A-16 (002 Q4-38): the downloadable PDF receipt proves a pending application and shows the
fee of REFERENCE.md §7 for the acceptance date."""

import datetime as dt

from tests.filings.pdftext import pdf_text
from zairyu.applications import services
from zairyu.applications.models import Application, ApplicationState
from zairyu.applications.receipt import render_receipt
from zairyu.core import clock

from .drafting import complete_draft, media_root, resident, submit  # noqa: F401

S = ApplicationState


def receipt_text(application) -> str:
    pdf = render_receipt(Application.objects.get(pk=application.pk))
    assert pdf.startswith(b"%PDF-")
    return pdf_text(pdf)


def filed(**options):
    user, card = resident()
    application = submit(user, complete_draft(user, card, **options))
    services.receipt_number_assign(application_id=application.pk)
    return Application.objects.get(pk=application.pk)


def test_a16_receipt_shows_number_procedure_applicant_date_state_and_fee():
    application = filed(reentry="single")
    text = receipt_text(application)
    assert "申請受付票" in text
    assert application.receipt_number in text
    assert application.provisional_number in text
    assert "在留期間更新許可申請" in text
    assert application.applicant_name in text
    assert application.filed_on.isoformat() in text
    assert "申請完了 / Submitted" in text
    assert "東京出入国在留管理局" in text
    # REFERENCE.md §7 from 2025-04-01: extension 5,500 + single re-entry 3,500 online.
    assert "5,500円" in text and "3,500円" in text and "9,000円" in text
    assert "申請中であることを証明" in text
    assert "proves that the application above was filed online and is pending" in text


def test_a16_receipt_before_the_receipt_number_shows_the_provisional_one():
    user, card = resident()
    application = submit(user, complete_draft(user, card))
    text = receipt_text(application)
    assert application.provisional_number in text
    assert "付番中" in text


def test_ref6_receipt_fee_of_the_acceptance_date():
    application = filed()
    Application.objects.filter(pk=application.pk).update(filed_on=dt.date(2025, 3, 31))
    text = receipt_text(application)
    assert "4,000円" in text and "5,500円" not in text
    assert "2025-03-31" in text


def test_a16_receipt_of_a_finished_application_proves_nothing_pending():
    application = filed()
    services.transition(application, to=S.WITHDRAWN)
    text = receipt_text(application)
    assert "取下げ / Withdrawn" in text
    assert "申請中であることを証明" not in text
    assert "no longer pending" in text


def test_a16_work_certificate_fee_and_printed_time():
    with clock.frozen(clock.tokyo_datetime(2026, 2, 2, 9, 30)):
        application = filed(procedure="work_certificate", photo=False)
        text = receipt_text(application)
    assert "1,600円" in text
    assert "2026-02-02 09:30" in text
