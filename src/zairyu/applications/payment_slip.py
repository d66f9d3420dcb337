"""The fee payment slip (手数料納付書) of an approved application, pre-filled (A-13, REF-6;
002 Q5-8, Q5-9, Q6-5 ※2).

The filer sticks revenue stamps (収入印紙) for the fee on it and sends it by post or brings it to
the counter; there is no electronic payment (Q5-8). The agency's slip has the receipt number in
the number box at the top right and the applicant's name in the name box at the bottom right
(Q6-5 ※2 (2)); a slip without the name is sent back (Q5-9), so both are printed here. The fee is
the one fixed at the decision (``Application.fee_amount``) with its lines for the acceptance date
(``services.fee_for_application``).
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from zairyu.core.pdf import Document
from zairyu.reference.models import Procedure

from .models import Application, Decision
from .services import fee_for_application

STAMP_HEIGHT = 70 * mm  # the box the revenue stamps are stuck in


def slip_available(application: Application) -> bool:
    """An approved application with a fee to pay has a slip."""
    return application.decision == Decision.APPROVED and bool(application.fee_amount)


@dataclass(frozen=True)
class _Page:
    """The slip's canvas and where its boxes go."""

    pdf: canvas.Canvas
    font: str
    width: float
    left: float
    right: float
    top: float


def render_payment_slip(application: Application) -> bytes:
    """Return the pre-filled fee payment slip of ``application`` as a one-page PDF."""
    number = application.receipt_number or application.number
    document = Document(title=f"手数料納付書 {number}")
    page = _Page(
        pdf=document.pdf,
        font=document.font,
        width=document.width,
        left=20 * mm,
        right=document.width - 20 * mm,
        top=document.height - 20 * mm,
    )
    _number_box(page, number)
    _title(page)
    y, total = _fee_lines(page, application)
    y = _stamp_box(page, y, total)
    _name_box(page, y, application)
    return document.finish()


def _number_box(page: _Page, number: str) -> None:
    """The number box at the top right (Q6-5 ※2 (2))."""
    pdf, font, right, top = page.pdf, page.font, page.right, page.top
    box_w, box_h = 80 * mm, 16 * mm
    pdf.rect(right - box_w, top - box_h, box_w, box_h)
    pdf.setFont(font, 8)
    pdf.drawString(right - box_w + 2 * mm, top - 4 * mm, "番号（申請受付番号） / Receipt number")
    pdf.setFont(font, 13)
    pdf.drawString(right - box_w + 2 * mm, top - 12 * mm, number)


def _title(page: _Page) -> None:
    pdf, font = page.pdf, page.font
    pdf.setFont(font, 20)
    pdf.drawString(page.left, page.top - 10 * mm, "手数料納付書")
    pdf.setFont(font, 10)
    pdf.drawString(page.left, page.top - 16 * mm, "Fee payment slip")


def _fee_lines(page: _Page, application: Application) -> tuple[float, int]:
    """The bureau, the procedures with their fees and the total; return (y below, total)."""
    pdf, font, left, right = page.pdf, page.font, page.left, page.right
    y = page.top - 30 * mm
    bureau = application.bureau
    pdf.setFont(font, 10)
    if bureau is not None:
        pdf.drawString(left, y, f"{bureau.name_ja} 長殿 / To the Director of the {bureau.name_en}")
        y -= 8 * mm
    pdf.drawString(left, y, "申請の種類 / Procedure")
    y -= 6 * mm
    fee = fee_for_application(application)
    names = {
        p.code: p for p in Procedure.objects.filter(code__in=[line.procedure for line in fee.lines])
    }
    for line in fee.lines:
        procedure = names.get(line.procedure)
        label = f"{procedure.name_ja} / {procedure.name_en}" if procedure else line.procedure
        amount = f"{line.amount:,} 円" if line.amount else "無料 / free"
        pdf.drawString(left + 4 * mm, y, label[:70])
        pdf.drawRightString(right, y, amount)
        y -= 6 * mm
    y -= 2 * mm
    pdf.setFont(font, 12)
    total = application.fee_amount or fee.total
    pdf.drawString(left, y, "手数料額 / Fee")
    pdf.drawRightString(right, y, f"{total:,} 円 (yen)")
    y -= 6 * mm
    pdf.setFont(font, 8)
    pdf.drawString(
        left,
        y,
        f"受付日 {fee.on.isoformat()} の手数料（オンライン申請） / Fee for the "
        f"acceptance date {fee.on.isoformat()} (online application)",
    )
    return y, total


def _stamp_box(page: _Page, y: float, total: int) -> float:
    """The stamp box below ``y``; return its top."""
    pdf, font, left, right, width = page.pdf, page.font, page.left, page.right, page.width
    y -= 10 * mm
    pdf.rect(left, y - STAMP_HEIGHT, right - left, STAMP_HEIGHT)
    pdf.setFont(font, 11)
    pdf.drawCentredString(width / 2, y - 8 * mm, "収入印紙貼付欄 / Affix revenue stamps here")
    pdf.setFont(font, 9)
    pdf.drawCentredString(
        width / 2,
        y - 14 * mm,
        f"{total:,} 円分の収入印紙を貼ってください（消印しないでください）。",
    )
    pdf.drawCentredString(
        width / 2,
        y - 19 * mm,
        f"Revenue stamps for {total:,} yen; do not cancel them. No electronic payment (Q5-8).",
    )
    return y


def _name_box(page: _Page, y: float, application: Application) -> None:
    """The name box at the bottom right, below the stamp box at ``y`` (Q6-5 ※2 (2), Q5-9)."""
    pdf, font, left, right = page.pdf, page.font, page.left, page.right
    name_w, name_h = 95 * mm, 20 * mm
    name_y = y - STAMP_HEIGHT - 8 * mm - name_h
    pdf.rect(right - name_w, name_y, name_w, name_h)
    pdf.setFont(font, 8)
    pdf.drawString(
        right - name_w + 2 * mm, name_y + name_h - 4 * mm, "申請人氏名 / Applicant's name"
    )
    pdf.setFont(font, 12)
    pdf.drawString(
        right - name_w + 2 * mm, name_y + 5 * mm, (application.applicant_name or "")[:40]
    )
    pdf.setFont(font, 8)
    pdf.drawString(
        left,
        name_y - 8 * mm,
        "記名欄が空欄のものは受け付けられません。 / A slip without the name is sent back.",
    )
