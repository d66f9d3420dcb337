"""The electronic COE (A-14): the PDF (no photo, the code and the verification URL), the public
verification page ("genuine", "revoked", nothing for a wrong code; rate-limited), revocation,
the filer's downloads, and the fee payment slip (A-13)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.filings.pdftext import pdf_text
from zairyu.applications import coe, officer, payment_slip
from zairyu.applications.models import Application
from zairyu.audit.models import AuditEvent
from zairyu.core import clock
from zairyu.mail.models import Mail

from .factories import make_foreign_national, make_organization_staff
from .officer_fixtures import make_submitted, officer_of

VERIFY = "/coe/verify/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded files go to a temporary folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def ecoe():
    """An electronic COE issued to an organization's staff member (Tokyo)."""
    staff, organization = make_organization_staff()
    application = make_submitted(
        filer=staff,
        procedure="coe",
        receipt_method="email",
        bureau="tokyo",
        organization=organization,
    )
    tokyo = officer_of("tokyo")
    with clock.frozen(clock.tokyo_datetime(2026, 11, 20, 10, 0)):
        officer.examination_open(officer=tokyo, application=application)
        officer.application_approve(officer=tokyo, application=application, period_granted="P1Y")
    application.refresh_from_db()
    return application


def test_a14_codes_are_random_base32_and_typing_is_forgiving():
    codes = {coe.new_verification_code() for _ in range(50)}
    assert len(codes) == 50
    assert all(len(c) == 16 and coe.CODE_RE.match(c) for c in codes)
    code = "ABCDEFGHIJKLMNOP"
    assert coe.normalise_code("abcd-efgh ijkl-mnop") == code
    assert coe.normalise_code("ＡＢＣＤ－ＥＦＧＨ－ＩＪＫＬ－ＭＮＯＰ") == code
    assert coe.normalise_code("ABCD-EFGH-1JKL-MN0P") == code  # 1 → I, 0 → O
    assert coe.normalise_code("ABCD") == "" and coe.normalise_code("ABCDEFGHIJKLMNO9") == ""
    assert coe.format_code(code) == "ABCD-EFGH-IJKL-MNOP"


def test_a14_pdf_carries_the_coe_data_code_and_url_but_no_photo(ecoe):
    pdf = coe.render_coe_pdf(ecoe)
    assert pdf.startswith(b"%PDF") and b"/Subtype /Image" not in pdf
    text = pdf_text(pdf)
    assert "在留資格認定証明書" in text and "Certificate of Eligibility" in text
    assert "YAMADA,JOHN" in text and "1995-05-05" in text
    assert "技術・人文知識・国際業務" in text and "1年 / 1 year" in text
    assert ecoe.receipt_number in text and "2026-11-20" in text and "2027-02-20" in text
    assert coe.format_code(ecoe.coe_verification_code) in text
    assert "/coe/verify/" in text and "no photo" in text


def test_a14_verification_page_says_genuine_with_minimal_data(client, ecoe):
    response = client.post(VERIFY, {"code": coe.format_code(ecoe.coe_verification_code).lower()})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Genuine" in text and "YAMADA,JOHN" in text
    assert "Engineer" in text and "2026-11-20" in text and "2027-02-20" in text
    assert "United States" in text
    for private in ("1995-05-05", ecoe.receipt_number, ecoe.organization.name, "applicant@"):
        assert private not in text
    event = AuditEvent.objects.filter(action="applications.coe.verified").latest("id")
    assert event.after == {"result": "genuine"} and event.object_id == str(ecoe.pk)


def test_a14_verification_page_says_revoked_after_revocation(client, ecoe):
    tokyo = officer_of("tokyo")
    with pytest.raises(ValidationError) as empty:
        coe.coe_revoke(officer=tokyo, application=ecoe, reason=" ")
    assert empty.value.error_dict["reason"][0].code == "required"
    coe.coe_revoke(officer=tokyo, application=ecoe, reason="申請人の入国予定がなくなった")
    text = client.post(VERIFY, {"code": ecoe.coe_verification_code}).content.decode()
    assert "Revoked" in text and "YAMADA" not in text and "Genuine" not in text
    assert AuditEvent.objects.filter(
        action="applications.application.coe_revoked", object_id=str(ecoe.pk)
    ).exists()
    (mail,) = Mail.objects.filter(template="officer_coe_revoked")
    assert mail.to_address == ecoe.filer.email and "入国予定" in mail.body
    with pytest.raises(ValidationError) as twice:
        coe.coe_revoke(officer=tokyo, application=ecoe, reason="again")
    assert twice.value.error_dict["__all__"][0].code == "already_revoked"


def test_a14_wrong_code_shows_nothing(client, ecoe):
    code = ecoe.coe_verification_code
    wrong = ("A" if code[0] != "A" else "B") + code[1:]
    answers = [client.post(VERIFY, {"code": value}) for value in (wrong, "AAAA" * 4)]
    for response in answers:
        assert response.status_code == 200
        text = response.content.decode()
        assert "No Certificate of Eligibility with this code." in text
        assert "YAMADA" not in text and "Genuine" not in text and "Revoked" not in text
        assert "as printed on the certificate" not in text
    empty = client.post(VERIFY, {"code": ""})
    assert empty.status_code == 400 and "Verification code is empty" in empty.content.decode()
    assert client.get(VERIFY).status_code == 200


def test_a14_malformed_code_gets_a_field_error_not_no_such_certificate(client, ecoe):
    too_short, outside_alphabet = "hello", ecoe.coe_verification_code[:15] + "9"
    for value in (too_short, outside_alphabet, "ABCD-EFGH-JKLM-NPQRS", "ABCD EFGH JKLM NP@R"):
        response = client.post(VERIFY, {"code": value})
        assert response.status_code == 400, value
        text = response.content.decode()
        message = "A verification code has 16 letters and digits, as printed on the certificate"
        assert f'<p class="field__error" id="id_code_error">{message}' in text
        assert "No Certificate of Eligibility with this code." not in text
        assert "YAMADA" not in text and "Genuine" not in text
    with pytest.raises(ValidationError) as malformed:
        coe.clean_code("ABCD-EFGH")
    assert malformed.value.code == "malformed_code"
    # Spaces, hyphens and lower case are still forgiven.
    assert coe.clean_code(coe.format_code(ecoe.coe_verification_code).lower().replace("-", " "))
    assert not AuditEvent.objects.filter(action="applications.coe.verified").exists()


def test_a14_not_completed_or_other_procedures_are_not_verifiable(client):
    application = make_submitted(procedure="extension")
    Application.objects.filter(pk=application.pk).update(coe_verification_code="ABCDEFGHIJKLMNOP")
    text = client.post(VERIFY, {"code": "ABCDEFGHIJKLMNOP"}).content.decode()
    assert "No Certificate of Eligibility with this code." in text


def test_a14_verification_is_rate_limited(client, settings, ecoe):
    settings.ZAIRYU_COE_VERIFICATIONS_PER_IP = 3
    for _ in range(3):
        assert client.post(VERIFY, {"code": "ZZZZZZZZZZZZZZZZ"}).status_code == 200
    limited = client.post(VERIFY, {"code": ecoe.coe_verification_code})
    assert limited.status_code == 429 and "YAMADA" not in limited.content.decode()
    with clock.travel(dt.timedelta(hours=1, minutes=1)):
        assert (
            "Genuine" in client.post(VERIFY, {"code": ecoe.coe_verification_code}).content.decode()
        )


def test_a14_filer_downloads_the_pdf_while_logged_in(client, ecoe):
    path = f"/coe/{ecoe.pk}/certificate/"
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    stranger, _card = make_foreign_national()
    client.force_login(stranger)
    assert client.get(path).status_code == 404
    client.force_login(ecoe.filer)
    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert coe.format_code(ecoe.coe_verification_code) in pdf_text(response.content)
    assert AuditEvent.objects.filter(action="applications.application.coe_downloaded").exists()
    coe.coe_revoke(officer=officer_of("tokyo"), application=ecoe, reason="取消し")
    assert client.get(path).status_code == 404


def test_a13_fee_slip_prefilled_with_receipt_number_fee_and_name(client):
    application = make_submitted(procedure="extension", receipt_method="post", reentry="single")
    tokyo = officer_of("tokyo")
    path = f"/coe/{application.pk}/fee-slip/"
    client.force_login(application.filer)
    assert client.get(path).status_code == 404  # not approved yet
    officer.examination_open(officer=tokyo, application=application)
    officer.application_approve(
        officer=tokyo,
        application=application,
        period_granted="P1Y",
        stay_until_granted=clock.today() + dt.timedelta(days=365),
    )
    application.refresh_from_db()
    assert payment_slip.slip_available(application)
    response = client.get(path)
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "手数料納付書" in text and application.receipt_number in text
    assert "9,000 円" in text and application.applicant_name in text
    assert "在留期間更新許可" in text and "5,500 円" in text and "3,500 円" in text


def test_a13_no_fee_slip_for_a_free_procedure(ecoe):
    assert ecoe.fee_amount == 0 and not payment_slip.slip_available(ecoe)
