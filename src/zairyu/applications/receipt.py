"""The downloadable receipt of an application (A-16 [B], 002 Q4-38): a PDF that proves the
application is pending, like the receipt-number mail.

Drawn with reportlab in the vendored IPAexGothic with the shared page writer
(``zairyu.core.pdf``): Japanese labels with the English beside them.
It shows the receipt number (or the provisional one while the number is being assigned), the
procedure, the applicant, the filing date, the state at printing time and the fee of
REFERENCE.md §7 for the acceptance date (``services.fee_for_application``).
"""

from __future__ import annotations

from django.utils import translation

from zairyu.core import clock
from zairyu.core.pdf import Document, PageWriter, show_time
from zairyu.reference.models import Procedure

from .fees import fee_for_application
from .models import PENDING, Application, ApplicationState, ReceiptMethod

# The agency's terms (002 Q4-35); the English comes from the model's labels.
STATE_JA = {
    ApplicationState.DRAFT: "入力完了(申請未了)",
    ApplicationState.SUBMITTED: "申請完了",
    ApplicationState.EXAMINING: "審査中",
    ApplicationState.AWAITING_ISSUE: "発行待ち",
    ApplicationState.COMPLETED: "完了",
    ApplicationState.BULK_ERROR: "エラー(一括登録)",
    ApplicationState.RECEIPT_ERROR: "エラー(申請受付番号取得エラー)",
    ApplicationState.DENIED: "不許可",
    ApplicationState.WITHDRAWN: "取下げ",
}
RECEIPT_METHOD_JA = {
    ReceiptMethod.EMAIL: "電子メール",
    ReceiptMethod.POST: "郵送",
    ReceiptMethod.COUNTER: "地方出入国在留管理官署の窓口",
}

PROOF_JA = (
    "この申請受付票は、上記の申請がオンラインで受け付けられ、現在申請中であることを証明するものです。"
    "申請中に在留期間が経過した場合（特例期間中）は、在留カードとともに携行してください。"
)
PROOF_EN = (
    "This receipt proves that the application above was filed online and is pending. If the "
    "period of stay ends while it is pending (special period), carry it with the residence card."
)
NOT_PENDING_JA = "この申請は現在申請中ではありません（申請状態を参照）。"
NOT_PENDING_EN = "This application is no longer pending (see its state)."


def _yen(amount: int) -> str:
    return f"{amount:,}円 / JPY {amount:,}" if amount else "不要 / free"


def render_receipt(application: Application) -> bytes:
    """Return the PDF receipt of a submitted ``application`` (any state after submission)."""
    number = application.receipt_number or application.provisional_number or application.number
    document = Document(title=f"申請受付票 {number}", subject=application.procedure.name_ja)
    out = document.writer()
    out.title("申請受付票 / Application receipt")
    _numbers(out, application)
    _procedure(out, application)
    _applicant(out, application)
    _state(out, application)
    _fee(out, application)
    out.gap()
    if application.state in PENDING:
        out.text(PROOF_JA)
        out.text(PROOF_EN)
    else:
        out.text(NOT_PENDING_JA)
        out.text(NOT_PENDING_EN)
    out.gap()
    out.text(f"出力日時 / Printed: {show_time(clock.now())}")
    return document.finish()


def _numbers(out: PageWriter, application: Application) -> None:
    if application.receipt_number:
        out.row("申請受付番号", "Receipt number", application.receipt_number)
    else:
        out.row("申請受付番号", "Receipt number", "付番中 / being assigned")
    if application.provisional_number:
        out.row("申請受付仮番号", "Provisional number", application.provisional_number)


def _procedure(out: PageWriter, application: Application) -> None:
    """The procedure, the ones applied for with it and the status of residence."""
    out.row("申請の種類", "Procedure", application.procedure.name_ja)
    out.row("", "", application.procedure.name_en)
    add_ons = []
    if application.reentry:
        add_ons.append(f"reentry_{application.reentry}")
    if application.other_activity:
        add_ons.append("other_activity")
    for code in add_ons:
        procedure = Procedure.objects.filter(pk=code).first()
        if procedure is not None:
            out.row("同時申請", "Applied for with it", procedure.name_ja)
    if application.status_id:
        out.row(
            "在留資格",
            "Status of residence",
            f"{application.status.name_ja} / {application.status.name_en}",
        )


def _applicant(out: PageWriter, application: Application) -> None:
    """Who applies, who filed, when and where."""
    out.row("申請人", "Applicant", application.applicant_name)
    if application.applicant_birth_date:
        out.row("生年月日", "Date of birth", application.applicant_birth_date.isoformat())
    filer = application.filer
    out.row("申請した利用者", "Filed by", filer.display_name or filer.username)
    out.row(
        "申請受付日",
        "Filing date",
        application.filed_on.isoformat() if application.filed_on else "—",
    )
    out.row("申請日時", "Submitted", show_time(application.submitted_at))
    if application.bureau_id:
        out.row(
            "受付官署", "Office", f"{application.bureau.name_ja} / {application.bureau.name_en}"
        )


def _state(out: PageWriter, application: Application) -> None:
    with translation.override("en"):
        state_en = str(ApplicationState(application.state).label)
    out.row("申請状態", "State", f"{STATE_JA[application.state]} / {state_en}")
    if application.receipt_method:
        with translation.override("en"):
            method_en = str(ReceiptMethod(application.receipt_method).label)
        out.row(
            "受領方法",
            "Receipt method",
            f"{RECEIPT_METHOD_JA[application.receipt_method]} / {method_en}",
        )


def _fee(out: PageWriter, application: Application) -> None:
    """The fee of REFERENCE.md §7 for the acceptance date, line by line."""
    fee = fee_for_application(application)
    out.heading("手数料 / Fee (収入印紙 revenue stamps)")
    names = {
        p.pk: p for p in Procedure.objects.filter(pk__in=[line.procedure for line in fee.lines])
    }
    for line in fee.lines:
        procedure = names.get(line.procedure)
        out.row(procedure.name_ja if procedure else line.procedure, "", _yen(line.amount))
    out.row("合計", "Total", _yen(fee.total))
    out.text(
        f"受付日（{fee.on.isoformat()}）のオンライン申請の額。許可の際に納付します。"
        f" / Online amount on the acceptance date ({fee.on.isoformat()}), paid on approval."
    )
