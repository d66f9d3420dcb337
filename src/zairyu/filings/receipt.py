"""The printable receipt of a filing (NF-7 [B], UX-6): a PDF drawn with reportlab in the
vendored IPAexGothic, embedded as a subset so it renders on any viewer.

Labels are Japanese with the English beside them (the agency's language and the common second
one); the content is shown as filed. The receipt states the filing's state at the time it is
printed: a filing is complete only once registered (001 Q57).
"""

from __future__ import annotations

from django.utils import translation

from zairyu.core import clock
from zairyu.core.pdf import (  # noqa: F401 - the page layout, once importable from here
    FONT_SIZE,
    LABEL_WIDTH,
    LEADING,
    MARGIN,
    Document,
    PageWriter,
    show_time,
)

from . import presenters
from .models import Filing, FilingState

# The names the page writer and the time format had here (zairyu.core.pdf now).
_Writer = PageWriter
_when = show_time


def _bilingual_rows(build) -> list[tuple[str, str, str]]:
    """Rows with the Japanese and English labels and the values as a Japanese page shows them.

    The labels come from the reference data's names where there are some (items), so the
    receipt reads the same whatever the catalogues hold.
    """
    with translation.override("ja"):
        japanese = build()
    with translation.override("en"):
        english = build()
    return [
        (label_ja, label_en if label_en != label_ja else "", value)
        for (label_ja, value), (label_en, _value_en) in zip(japanese, english, strict=True)
    ]


STATE_JA = {
    FilingState.REGISTERING: "登録中",
    FilingState.REGISTERED: "登録完了",
    FilingState.ERROR: "登録エラー",
    FilingState.SUPERSEDED: "無効（同日の同一内容の届出が後から行われたため）",
    FilingState.WITHDRAWN: "取下げ",
}


SEX = {"M": "男 / Male", "F": "女 / Female"}


def render_receipt(filing: Filing) -> bytes:  # noqa: C901 - a debt (docs/architecture.md)
    """Return the PDF receipt of ``filing``."""
    document = Document(title=f"届出受付票 {filing.number}", subject=filing.event.name_ja)
    out = document.writer()
    article = "入管法第19条の17" if filing.filed_as == "organization" else "入管法第19条の16"
    out.title("届出受付票 / Notification receipt")
    with translation.override("en"):
        state_en = str(FilingState(filing.state).label)
    out.row("届出番号", "Number", filing.number)
    out.row("届出の種類", "Notification", f"{filing.event.name_ja}（{article}）")
    out.row("", "", filing.event.name_en)
    out.row("状況", "State", f"{STATE_JA[filing.state]} / {state_en}")
    out.row("届出日時", "Filed", show_time(filing.filed_at))
    if filing.registered_at:
        out.row("登録日時", "Registered", show_time(filing.registered_at))
    out.row("事由発生日", "Date of the event", filing.event_date.isoformat())
    deadline = filing.deadline.isoformat()
    if filing.late:
        deadline += "（期限後の届出 / filed after the deadline）"
    out.row("届出期限", "Deadline", deadline)
    out.row("管轄官署", "Bureau", filing.bureau.name_ja)
    organization = filing.content.get("organization")
    if organization:
        out.row("届出をした所属機関", "Filed by", organization.get("name", ""))
        if filing.filed_as == "proxy":
            out.text("中長期在留者からの依頼に基づく届出 / Filed on the resident's request")
    content = filing.content
    if content.get("resident"):
        out.heading("中長期在留者 / Resident")
        rows = _bilingual_rows(lambda: presenters.resident_rows(content.get("resident")))
        # resident_rows' order: card number, name, birth date, sex, nationality, address, status.
        # Sex and status read the same whatever the catalogues hold.
        sex = content["resident"].get("sex", "")
        rows[3] = (*rows[3][:2], SEX.get(sex, sex))
        rows[6] = ("在留資格", "Status of residence", rows[6][2])
        for row in rows:
            out.row(*row)
    items = content.get("items", {})
    if items:
        out.heading("届出事項 / Items")
        for row in _bilingual_rows(lambda: presenters.item_rows(filing.event, items)):
            out.row(*row)
    roster = content.get("roster")
    if roster:
        out.heading(f"在籍者 / Students ({len(roster)})")
        for row in roster:
            out.text(
                f"{row['line']}. {row['card_number']}  {row['roman_name']}  "
                f"{row['nationality']}  {row['birth_date']}  {row['sex']}"
            )
    if filing.state == FilingState.ERROR and filing.error_code:
        from .errors import error_message

        out.heading("エラー内容 / Error")
        with translation.override("ja"):
            out.text(error_message(filing.error_code, filing.error_params))
    out.gap()
    out.text(
        "届出は、登録完了をもって正常に完了します（登録完了メールをもって届出手続が完了したことに"
        "なります）。/ A notification is complete once it is registered."
    )
    out.text(f"出力日時 / Printed: {show_time(clock.now())}")
    return document.finish()
