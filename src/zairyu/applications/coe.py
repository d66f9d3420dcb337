"""The electronic Certificate of Eligibility (A-14; 002 Q8-1..Q8-6, Q5-2).

A COE applied for with receipt by e-mail is issued when it is approved (``officer.
application_approve``): the application gets an unguessable ``coe_verification_code`` and
``issued_at``, the filer a mail with the code and a link to download the PDF while logged in
(the mail module sends no attachments, and a link behind the log-in keeps the certificate out of
mail servers' storage). The filer forwards the PDF to the applicant abroad (Q8-3).

The PDF carries what a paper COE carries except the photo (Q8-2), plus the verification code and
the public verification page's address, where an airline or embassy confirms that the COE is
genuine and not revoked ([B]). An officer can revoke a COE (e.g. the applicant will not come,
Q5-2; or it was obtained by fraud); the page says so from then on.

**Verification code.** 16 characters of RFC 4648 base32 (A-Z, 2-7) from ``secrets``: 80 bits,
so guessing one is hopeless, all the more with the page's rate limit. Shown in groups of four
(``ABCD-EFGH-…``); typing is forgiving (lower case, spaces, hyphens, 0/1/8 for O/I/B).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from zairyu.accounts.models import User
from zairyu.audit.services import audit_record
from zairyu.core import clock
from zairyu.core.days import add_months
from zairyu.core.pdf import Document
from zairyu.reference.selectors import nationality_name

from .mails import application_mail
from .models import Application, ApplicationState, MainProcedure

CODE_LENGTH = 16
CODE_RE = re.compile(r"^[A-Z2-7]{16}$")
# A COE loses its effect when no landing application is made within three months of its issue.
COE_VALID_MONTHS = 3
VERIFY_PATH = "/coe/verify/"
# Characters people mistype for base32 letters.
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


def new_verification_code() -> str:
    """Return a fresh, unguessable verification code (80 random bits, 16 base32 letters)."""
    while True:
        code = base64.b32encode(secrets.token_bytes(10)).decode("ascii")
        if code != _UNKNOWN_PLACEHOLDER and not (
            Application.objects.filter(coe_verification_code=code).exists()
        ):
            return code


def normalise_code(text: str) -> str:
    """Return the code as stored, from what someone typed ("abcd efgh-…" → "ABCDEFGH…"), or ""
    when it cannot be a code."""
    value = unicodedata.normalize("NFKC", text or "").upper()
    value = re.sub(r"[\s\-‐－ー_.]", "", value).translate(_LOOKALIKES)
    return value if CODE_RE.match(value) else ""


def clean_code(text: str) -> str:
    """Return the code as stored (``normalise_code``), or raise a ValidationError saying what a
    code looks like when ``text`` cannot be one (wrong length, characters outside base32 after
    removing spaces and hyphens): a typing mistake, not a certificate that does not exist."""
    code = normalise_code(text)
    if not code:
        raise ValidationError(
            _(
                "A verification code has 16 letters and digits, as printed on the certificate "
                "(e.g. ABCD-EFGH-JKLM-NPQR). Check the code and type it again."
            ),
            code="malformed_code",
        )
    return code


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def verification_url() -> str:
    return settings.ZAIRYU_SITE_URL.rstrip("/") + VERIFY_PATH


def valid_until(application: Application) -> dt.date | None:
    """The last day the COE can be used for a landing application (three months)."""
    if application.issued_at is None:
        return None
    issued = application.issued_at.astimezone(clock.TOKYO).date()
    return add_months(issued, COE_VALID_MONTHS)


def _content_value(application: Application, *keys: str) -> str:
    """The first of ``keys`` found in the application's steps (``content[step][key]``)."""
    content = application.content or {}
    for step in ("personal1", "personal2", "step1", "organization", "step3"):
        values = content.get(step) or {}
        if isinstance(values, dict):
            for key in keys:
                if values.get(key):
                    return str(values[key])
    return ""


@dataclass(frozen=True)
class CoeFacts:
    """What the COE says (the data of a paper COE without the photo, 002 Q8-2)."""

    name: str
    nationality: str  # code
    birth_date: dt.date | None
    sex: str
    status_ja: str
    status_en: str
    period: str
    organization: str
    receipt_number: str
    office_ja: str
    office_en: str
    issued_on: dt.date | None
    valid_until: dt.date | None
    code: str


def coe_facts(application: Application) -> CoeFacts:
    status = application.status
    bureau = application.bureau
    birth = application.applicant_birth_date
    if birth is None:
        text = _content_value(application, "birth_date")
        birth = dt.date.fromisoformat(text) if re.match(r"^\d{4}-\d{2}-\d{2}$", text) else None
    return CoeFacts(
        name=application.applicant_name or _content_value(application, "roman_name", "name"),
        nationality=_content_value(application, "nationality", "nationality_id"),
        birth_date=birth,
        sex=_content_value(application, "sex"),
        status_ja=status.name_ja if status else "",
        status_en=status.name_en if status else "",
        period=application.period_granted,
        organization=application.organization.name if application.organization_id else "",
        receipt_number=application.receipt_number or "",
        office_ja=bureau.name_ja if bureau else "",
        office_en=bureau.name_en if bureau else "",
        issued_on=application.issued_at.astimezone(clock.TOKYO).date()
        if application.issued_at
        else None,
        valid_until=valid_until(application),
        code=application.coe_verification_code or "",
    )


def is_electronic_coe(application: Application) -> bool:
    return (
        application.procedure_id == MainProcedure.COE
        and bool(application.coe_verification_code)
        and application.state == ApplicationState.COMPLETED
    )


SEX = {"M": "男 / Male", "F": "女 / Female"}


def _period_text(period: str) -> str:
    """The period on the bilingual PDF: "1年 / 1 year"."""
    from zairyu.cards.normalise import period_parts, period_text

    if period_parts(period) is None:
        return period or "—"
    return f"{period_text(period, 'ja')} / {period_text(period, 'en')}"


def render_coe_pdf(application: Application) -> bytes:
    """Return the electronic COE of ``application`` as a PDF (no photo, 002 Q8-2)."""
    facts = coe_facts(application)
    document = Document(
        title=f"在留資格認定証明書 {facts.receipt_number}",
        subject="Certificate of Eligibility (electronic)",
    )
    out = document.writer()
    out.title("在留資格認定証明書 / Certificate of Eligibility")
    out.text("電子交付 / Issued electronically (出入国管理及び難民認定法第7条の2)")
    out.gap()
    nationality = (
        f"{nationality_name(facts.nationality, language='ja')} / "
        f"{nationality_name(facts.nationality, language='en')}"
        if facts.nationality
        else "—"
    )
    out.row("氏名", "Name", facts.name)
    out.row("国籍・地域", "Nationality / Region", nationality)
    out.row("生年月日", "Date of birth", facts.birth_date.isoformat() if facts.birth_date else "—")
    out.row("性別", "Sex", SEX.get(facts.sex, "—"))
    out.row("在留資格", "Status of residence", f"{facts.status_ja} / {facts.status_en}")
    out.row("在留期間", "Period of stay", _period_text(facts.period))
    if facts.organization:
        out.row("受入れ機関", "Organization", facts.organization)
    out.row("申請受付番号", "Receipt number", facts.receipt_number)
    out.row("交付官署", "Issuing office", f"{facts.office_ja} / {facts.office_en}")
    out.row("交付年月日", "Date of issue", facts.issued_on.isoformat() if facts.issued_on else "—")
    out.row("有効期限", "Valid until", facts.valid_until.isoformat() if facts.valid_until else "—")
    out.gap()
    out.text("この証明書は、交付日から3か月以内に上陸申請を行わないときは効力を失います。")
    out.text(
        "This certificate loses its effect unless an application for landing is made within "
        "three months of its issue."
    )
    out.text(
        "この電子証明書には顔写真は表示されません。 / This electronic certificate shows no photo."
    )
    out.heading("真正性の確認 / Verification")
    out.row("認証コード", "Verification code", format_code(facts.code))
    out.row("確認ページ", "Verification page", verification_url())
    out.text(
        "航空会社・在外公館等は、上記ページで認証コードを入力し、この証明書が真正で失効していない"
        "ことを確認できます。"
    )
    out.text(
        "Airlines and embassies can enter the code on the page above to confirm that this "
        "certificate is genuine and has not been revoked."
    )
    return document.finish()


# --- public verification ------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What the public page shows for a code: "genuine", "revoked" or "unknown".

    Minimal disclosure: the page answers one question — is the COE in the verifier's hand
    genuine and still in force? For that a genuine COE shows what ties it to the passport and
    the visa or landing decision: the procedure (COE), the status of residence, the name, the
    nationality, the date of issue and the end of its validity. It never shows the date of
    birth, sex, organization, address, receipt number or anything of the application (the
    verifier holds the COE; matching its content to the passport needs no more, and a leaked
    code must not reveal more than the document itself). A revoked COE shows only that it was
    revoked (no personal data: it is no longer a document anyone should rely on). An unknown
    code shows nothing but "no COE with this code", with the same page and status.
    """

    result: str  # genuine / revoked / unknown
    name: str = ""
    nationality: str = ""
    status_ja: str = ""
    status_en: str = ""
    issued_on: dt.date | None = None
    valid_until: dt.date | None = None
    revoked_on: dt.date | None = None

    @property
    def expired(self) -> bool:
        return bool(self.valid_until and self.valid_until < clock.today())


_UNKNOWN_PLACEHOLDER = "A" * CODE_LENGTH  # never issued: "A" is bit pattern 00000 × 16


def coe_verify(*, code: str, request: HttpRequest | None = None) -> Verification:
    """Look a verification code up (A-14). One indexed query whatever the input (a malformed
    code looks up a code never issued), so timing says nothing about the input. Audit
    ``applications.coe.verified`` with the result (and the application when found)."""
    normalised = normalise_code(code)
    application = (
        Application.objects.select_related("status")
        .filter(
            coe_verification_code=normalised or _UNKNOWN_PLACEHOLDER,
            procedure_id=MainProcedure.COE,
            state=ApplicationState.COMPLETED,
        )
        .first()
    )
    if application is None:
        result = Verification("unknown")
    elif application.coe_revoked_at:
        result = Verification(
            "revoked", revoked_on=application.coe_revoked_at.astimezone(clock.TOKYO).date()
        )
    else:
        facts = coe_facts(application)
        result = Verification(
            "genuine",
            name=facts.name,
            nationality=facts.nationality,
            status_ja=facts.status_ja,
            status_en=facts.status_en,
            issued_on=facts.issued_on,
            valid_until=facts.valid_until,
        )
    audit_record(
        action="applications.coe.verified",
        object_type="applications.application",
        object_id=str(application.pk) if application else "",
        after={"result": result.result},
        request=request,
    )
    return result


def coe_revoke(
    *, officer: User, application: Application, reason: str, request: HttpRequest | None = None
) -> Application:
    """Revoke an electronic COE (A-14 [B]): the verification page says "revoked" from now on.
    Reason required. Audit ``applications.application.coe_revoked``; mail
    ``officer_coe_revoked`` to the filer."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {
                "reason": [
                    ValidationError(
                        _("Reason for revocation is empty. Fill it in."), code="required"
                    )
                ]
            }
        )
    with transaction.atomic():
        locked = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
        if not locked.coe_verification_code:
            raise ValidationError(
                {
                    "__all__": [
                        ValidationError(_("This application has no electronic COE."), code="no_coe")
                    ]
                }
            )
        if locked.coe_revoked_at:
            raise ValidationError(
                {
                    "__all__": [
                        ValidationError(_("This COE is already revoked."), code="already_revoked")
                    ]
                }
            )
        now = clock.now()
        locked.coe_revoked_at = now
        locked.updated_at = now
        locked.save(update_fields=["coe_revoked_at", "updated_at"])
        audit_record(
            action="applications.application.coe_revoked",
            obj=locked,
            actor=officer,
            after={"coe_revoked_at": now.isoformat(), "reason": reason},
            request=request,
        )
        application_mail(
            locked, template="officer_coe_revoked", context={"reason": reason}, to_applicant=False
        )
    application.coe_revoked_at = locked.coe_revoked_at
    application.updated_at = locked.updated_at
    return locked
