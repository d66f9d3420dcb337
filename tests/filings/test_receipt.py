"""NF-7: the PDF receipt — embedded Japanese font, content read back from the PDF."""

import re
import uuid

from django.urls import reverse

from zairyu.core.fonts import JAPANESE_FONT_FILE, register_japanese_font
from zairyu.filings import services
from zairyu.filings.receipt import render_receipt
from zairyu.reference.models import NotificationEvent

from .factories import days_ago
from .pdftext import pdf_text


def registered_filing(user):
    filing = services.filing_submit_resident(
        user=user,
        event=NotificationEvent.objects.get(pk="con_contract_end"),
        items={
            "event_date": days_ago(3),
            "org_name": "株式会社法務商事",
            "org_address": "東京都千代田区丸の内１−１−１",
            "activity_place": "大阪営業所",
        },
        token=uuid.uuid4(),
    )
    services.filing_register(filing_id=filing.pk)
    filing.refresh_from_db()
    return filing


def test_nf7_font_is_vendored_with_its_licence():
    assert JAPANESE_FONT_FILE.is_file()
    assert JAPANESE_FONT_FILE.stat().st_size > 1_000_000
    licence = JAPANESE_FONT_FILE.with_name("IPA_Font_License_Agreement_v1.0.txt")
    assert "IPA Font License Agreement v1.0" in licence.read_text(encoding="utf-8")
    assert register_japanese_font() == "IPAexGothic"


def test_nf7_receipt_pdf_text_reads_back(engineer):
    user, card = engineer
    filing = registered_filing(user)
    pdf = render_receipt(filing)
    assert pdf.startswith(b"%PDF-")
    # The TrueType subset is embedded (FontFile2), so any viewer shows the Japanese text.
    assert b"/FontFile2" in pdf and b"+IPAexGothic" in pdf
    text = pdf_text(pdf)
    assert "届出受付票" in text
    assert filing.number in text
    assert "契約機関との契約の終了" in text  # the event, in Japanese
    assert "登録完了" in text  # the state
    assert card.number in text and "HOUMU TAROU" in text
    assert "株式会社法務商事" in text and "大阪営業所" in text
    assert filing.deadline.isoformat() in text


def test_nf7_receipt_of_error_states_the_error(engineer):
    from zairyu.cards.services import card_invalidate

    user, card = engineer
    filing = services.filing_submit_resident(
        user=user,
        event=NotificationEvent.objects.get(pk="con_contract_end"),
        items={"event_date": days_ago(1), "org_name": "法務商事", "org_address": "東京都"},
        token=uuid.uuid4(),
    )
    card_invalidate(actor=None, card=card, reason="reissued")
    services.filing_register(filing_id=filing.pk)
    filing.refresh_from_db()
    text = pdf_text(render_receipt(filing))
    assert "登録エラー" in text and "エラー内容" in text


def test_nf7_receipt_download_only_for_the_owner(client, engineer, spouse):
    user, _ = engineer
    filing = registered_filing(user)
    client.force_login(user)
    response = client.get(reverse("filings:receipt", args=[filing.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert re.search(r'filename="N\d{10}\.pdf"', response["Content-Disposition"])
    assert "no-store" in response["Cache-Control"]
    assert filing.number in pdf_text(response.content)
    client.force_login(spouse[0])
    assert client.get(reverse("filings:receipt", args=[filing.pk])).status_code == 404


def test_nf7_long_roster_breaks_pages(student, school):
    from zairyu.core import clock
    from zairyu.filings.services import RosterLine

    _, card = student
    org_user, _ = school
    roster_event = NotificationEvent.objects.get(pk="school_roster")
    line = RosterLine(1, card.number, card.roman_name, card.nationality_id, card.birth_date, "F")
    filing = services.filing_submit_organization(
        user=org_user,
        event=roster_event,
        items={},
        roster=[line],
        as_of=services.rules.as_of_dates(roster_event, today=clock.today())[0],
        token=uuid.uuid4(),
    )
    # A large school: 120 students run over several pages.
    filing.content["roster"] = [dict(line.as_content(), line=n) for n in range(1, 121)]
    pdf = render_receipt(filing)
    assert len(re.findall(rb"/Type /Page[^s]", pdf)) >= 2
    text = pdf_text(pdf)
    assert f"120. {card.number}" in text and f"1. {card.number}" in text
