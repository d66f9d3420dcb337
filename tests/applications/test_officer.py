"""The back office's work on applications (BO-5, BO-1, A-6, A-8, A-12, A-13, A-14, ML-1):
every procedure from submission to 完了 (post and counter) or 不許可, and each action refused
in a state that does not allow it."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from zairyu.accounts.models import FilingAgentCertificate, ServiceARegistration
from zairyu.applications import officer
from zairyu.applications.models import Application, ApplicationState, ApplicationStateChange
from zairyu.applications.services import transition
from zairyu.audit.models import AuditEvent
from zairyu.backoffice.access import access_application_by_id, applications_in_jurisdiction
from zairyu.cards.models import ResidenceCard
from zairyu.core import clock
from zairyu.mail.models import Mail

from .factories import make_draft, make_foreign_national, make_lawyer, make_organization_staff
from .officer_fixtures import (
    add_requested_document,
    card_in,
    make_submitted,
    officer_of,
)

S = ApplicationState


def codes(exc: ValidationError) -> dict[str, set[str]]:
    return {field: {e.code for e in errors} for field, errors in exc.error_dict.items()}


def mails(application, template):
    return list(
        Mail.objects.filter(
            template=template,
            related_type="applications.application",
            related_id=str(application.pk),
        )
    )


def timeline(application):
    return list(
        ApplicationStateChange.objects.filter(application=application)
        .order_by("id")
        .values_list("to_state", flat=True)
    )


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded files go to a temporary folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def tokyo():
    return officer_of("tokyo")


# --- full lifecycles -------------------------------------------------------------------------


def test_bo5_a13_extension_by_post_from_submission_to_completed(tokyo):
    application = make_submitted(procedure="extension", receipt_method="post")
    filer = application.filer
    old_card = application.applicant_card

    officer.examination_open(officer=tokyo, application=application)
    assert application.state == S.EXAMINING and application.examiner == tokyo
    assert mails(application, "officer_examination_opened")

    officer.documents_request(
        officer=tokyo, application=application, text="直近1年分の住民税の課税証明書"
    )
    application.refresh_from_db()
    assert application.reattachment_open and application.documents_requested
    (request_mail,) = mails(application, "officer_documents_requested")
    assert "住民税の課税証明書" in request_mail.body and request_mail.to_address == filer.email
    add_requested_document(application)

    stay_until = clock.today() + dt.timedelta(days=365)
    officer.application_approve(
        officer=tokyo, application=application, period_granted="p1y", stay_until_granted=stay_until
    )
    application.refresh_from_db()
    assert application.state == S.AWAITING_ISSUE
    assert application.decision == "approved" and application.decided_by == tokyo
    assert application.period_granted == "P1Y" and application.stay_until_granted == stay_until
    assert application.fee_amount == 5500  # online extension, accepted after 2025-04-01
    assert application.papers_due == clock.today() + dt.timedelta(days=14)
    assert not application.reattachment_open
    approved = mails(application, "officer_approved_post")
    assert {m.to_address for m in approved} == {filer.email, "applicant@example.jp"}
    body = approved[0].body
    assert "5,500 yen" in body and application.receipt_number in body
    assert "revenue stamps" in body and "return envelope" in body
    assert "current residence card" in body and "Do not send the My Number card" in body
    assert application.papers_due.isoformat() in body
    assert "東京都千代田区霞が関" in body  # the only address it goes to (Q6-2)

    officer.papers_received(officer=tokyo, application=application)
    assert mails(application, "officer_papers_received")
    officer.issuance_record(officer=tokyo, application=application, card_number="zz12345678yy")
    application.refresh_from_db()
    assert application.state == S.COMPLETED and application.issued_at and application.completed_at
    new_card = ResidenceCard.objects.get(number="ZZ12345678YY")
    old_card.refresh_from_db()
    assert old_card.state == ResidenceCard.State.INVALIDATED
    assert new_card.person_id == old_card.person_id
    assert (new_card.period_of_stay, new_card.stay_until) == ("P1Y", stay_until)
    assert new_card.status_id == application.status_id and new_card.issued_on == clock.today()
    (issued,) = [m for m in mails(application, "officer_issued") if m.to_address == filer.email]
    assert "ZZ12345678YY" in issued.body and "霞が関" in issued.body
    assert timeline(application) == [
        "draft",
        "submitted",
        "examining",
        "awaiting_issue",
        "completed",
    ]
    assert AuditEvent.objects.filter(
        action="applications.application.issued", object_id=str(application.pk)
    ).exists()


def test_bo5_a13_change_of_status_at_the_counter_completes_at_approval(tokyo):
    """002 Q4-35: counter receipt is 完了 once examined; the hand-over is recorded after."""
    application = make_submitted(procedure="change_of_status", receipt_method="counter")
    officer.examination_open(officer=tokyo, application=application)
    officer.application_approve(
        officer=tokyo,
        application=application,
        period_granted="P3Y",
        stay_until_granted=clock.today() + dt.timedelta(days=3 * 365),
    )
    application.refresh_from_db()
    assert application.state == S.COMPLETED and application.issued_at is None
    assert application.papers_due is None
    (mail,) = [
        m
        for m in mails(application, "officer_approved_counter")
        if m.to_address != "applicant@example.jp"
    ]
    assert "show this mail" in mail.body and "5,500 yen" in mail.body
    assert "return envelope" not in mail.body
    with pytest.raises(ValidationError) as refused:
        officer.papers_received(officer=tokyo, application=application)
    assert codes(refused.value) == {"__all__": {"wrong_state"}}
    with pytest.raises(ValidationError) as missing:
        officer.issuance_record(officer=tokyo, application=application)
    assert codes(missing.value) == {"card_number": {"required"}}
    officer.issuance_record(officer=tokyo, application=application, card_number="ZZ00000001YY")
    application.refresh_from_db()
    assert application.issued_at and application.state == S.COMPLETED
    assert mails(application, "officer_issued_counter")
    with pytest.raises(ValidationError) as again:
        officer.issuance_record(officer=tokyo, application=application, card_number="ZZ00000002YY")
    assert codes(again.value) == {"__all__": {"already_issued"}}
    assert timeline(application) == ["draft", "submitted", "examining", "completed"]


@pytest.mark.parametrize(
    ("language", "period", "expected", "foreign"),
    [
        ("ja", "P3Y", "許可された在留期間：3年（", "years"),
        ("ja", "P1Y6M", "許可された在留期間：1年6月（", "month"),
        ("en", "P3Y", "Period of stay granted: 3 years (until", "年"),
        ("en", "P6M", "Period of stay granted: 6 months (until", "月"),
        # Every language has its own mail: Korean in Korean, Tagalog in Tagalog, no English.
        ("ko", "P3Y", "허가된 재류기간: 3년(", "years"),
        ("tl", "P3Y", "Ipinagkaloob na period of stay: 3 taon (hanggang", "年"),
    ],
)
def test_ml1_a13_period_granted_in_the_mails_language_only(
    tokyo, language, period, expected, foreign
):
    application = make_submitted(procedure="extension", receipt_method="post")
    application.filer.language = language
    application.filer.save(update_fields=["language"])
    officer.examination_open(officer=tokyo, application=application)
    officer.application_approve(
        officer=tokyo,
        application=application,
        period_granted=period,
        stay_until_granted=clock.today() + dt.timedelta(days=365),
    )
    for mail in mails(application, "officer_approved_post"):
        assert expected in mail.body
        assert foreign not in mail.body


def test_ml1_period_text_formats_an_iso_period_in_one_language():
    from django.utils import translation

    from zairyu.cards.normalise import period_text

    assert [period_text(p, "ja") for p in ("P3Y", "P6M", "P1Y6M", "P90D")] == [
        "3年",
        "6月",
        "1年6月",
        "90日",
    ]
    assert [period_text(p, "en") for p in ("P3Y", "P1Y", "P6M", "P1Y6M", "P1M")] == [
        "3 years",
        "1 year",
        "6 months",
        "1 year 6 months",
        "1 month",
    ]
    assert period_text("", "ja") == "" and period_text("3 years", "en") == "3 years"
    with translation.override("ja"):
        assert period_text("P5Y") == "5年"


def test_bo5_a13_work_certificate_by_post_issues_no_card(tokyo):
    application = make_submitted(procedure="work_certificate", receipt_method="post")
    cards_before = ResidenceCard.objects.count()
    officer.examination_open(officer=tokyo, application=application)
    officer.application_approve(officer=tokyo, application=application)
    application.refresh_from_db()
    assert application.state == S.AWAITING_ISSUE and application.fee_amount == 1600
    body = mails(application, "officer_approved_post")[0].body
    assert "copy of the applicant's residence card" in body
    assert "current residence card (the original)" not in body
    officer.papers_received(officer=tokyo, application=application)
    officer.issuance_record(officer=tokyo, application=application)
    application.refresh_from_db()
    assert application.state == S.COMPLETED
    assert ResidenceCard.objects.count() == cards_before


def test_bo5_extension_denied_with_reason_mailed(tokyo):
    application = make_submitted(procedure="extension", receipt_method="post")
    officer.examination_open(officer=tokyo, application=application)
    with pytest.raises(ValidationError) as empty:
        officer.application_deny(officer=tokyo, application=application, reason="  ")
    assert codes(empty.value) == {"reason": {"required"}}
    officer.application_deny(
        officer=tokyo, application=application, reason="活動実態が認められないため"
    )
    application.refresh_from_db()
    assert application.state == S.DENIED and application.decision == "denied"
    assert application.denial_reason == "活動実態が認められないため" and application.decided_at
    denied = mails(application, "officer_denied")
    assert len(denied) == 2 and all("活動実態が認められない" in m.body for m in denied)
    with pytest.raises(ValidationError) as late:
        officer.application_approve(
            officer=tokyo,
            application=application,
            period_granted="P1Y",
            stay_until_granted=clock.today(),
        )
    assert codes(late.value) == {"__all__": {"wrong_state"}}
    assert timeline(application) == ["draft", "submitted", "examining", "denied"]


def test_a14_coe_by_email_is_completed_with_a_verification_code():
    staff, organization = make_organization_staff()
    application = make_submitted(
        filer=staff,
        procedure="coe",
        receipt_method="email",
        bureau="tokyo",
        organization=organization,
    )
    tokyo = officer_of("tokyo")
    officer.examination_open(officer=tokyo, application=application)
    officer.application_approve(officer=tokyo, application=application, period_granted="P1Y")
    application.refresh_from_db()
    assert application.state == S.COMPLETED and application.issued_at
    assert application.fee_amount == 0
    code = application.coe_verification_code
    assert len(code) == 16 and set(code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    (mail,) = mails(application, "officer_coe_issued")  # the filer only; they forward the PDF
    assert mail.to_address == staff.email
    assert f"/coe/{application.pk}/certificate/" in mail.body
    assert "-".join(code[i : i + 4] for i in range(0, 16, 4)) in mail.body
    assert "/coe/verify/" in mail.body and "no photo" in mail.body


def test_a13_coe_by_post_asks_only_for_the_envelope():
    lawyer = make_lawyer()
    FilingAgentCertificate.objects.create(
        number="123456789012",
        kind="gyoseishoshi",
        holder_name="GYOSEI TARO",
        holder_birth_date=dt.date(1970, 1, 1),
        office_address="大阪府大阪市北区梅田１－１",
        valid_until=clock.today() + dt.timedelta(days=300),
        user=lawyer,
    )
    application = make_submitted(
        filer=lawyer, procedure="coe", receipt_method="post", bureau="osaka"
    )
    osaka = officer_of("osaka")
    officer.examination_open(officer=osaka, application=application)
    officer.application_approve(officer=osaka, application=application, period_granted="P1Y")
    application.refresh_from_db()
    assert application.state == S.AWAITING_ISSUE and not application.coe_verification_code
    body = mails(application, "officer_approved_post")[0].body
    assert "return envelope for the Certificate of Eligibility" in body
    assert "revenue stamps" not in body and "current residence card" not in body
    assert "梅田" in body  # the lawyer's office (Q6-2)


# --- intake ------------------------------------------------------------------------------------


def test_bo5_receipt_error_fixed_runs_the_assignment_again(tokyo):
    application = make_submitted(receipt_number=False)
    transition(application, to=S.RECEIPT_ERROR, changes={"receipt_error_code": "no_office"})
    with pytest.raises(ValidationError) as empty:
        officer.receipt_error_fix(officer=tokyo, application=application, note="")
    assert codes(empty.value) == {"note": {"required"}}
    officer.receipt_error_fix(officer=tokyo, application=application, note="住所の官署を確認")
    application.refresh_from_db()
    assert application.state == S.SUBMITTED
    assert application.receipt_error_code == "" and application.leased_until is None
    assert application.attempts == 0
    assert AuditEvent.objects.filter(
        action="applications.application.receipt_error_fixed", object_id=str(application.pk)
    ).exists()
    with pytest.raises(ValidationError) as twice:
        officer.receipt_error_fix(officer=tokyo, application=application, note="again")
    assert codes(twice.value) == {"__all__": {"wrong_state"}}


def test_bo5_examination_needs_the_receipt_number(tokyo):
    application = make_submitted(receipt_number=False)
    with pytest.raises(ValidationError) as refused:
        officer.examination_open(officer=tokyo, application=application)
    assert codes(refused.value) == {"__all__": {"no_receipt_number"}}
    assert Application.objects.get(pk=application.pk).state == S.SUBMITTED


def test_bo5_documents_request_and_close_reattachment(tokyo):
    application = make_submitted()
    with pytest.raises(ValidationError) as empty:
        officer.documents_request(officer=tokyo, application=application, text="")
    assert codes(empty.value) == {"text": {"required"}}
    officer.documents_request(officer=tokyo, application=application, text="雇用契約書の写し")
    assert application.reattachment_open
    officer.reattachment_close(officer=tokyo, application=application)
    application.refresh_from_db()
    assert not application.reattachment_open
    with pytest.raises(ValidationError) as closed:
        officer.reattachment_close(officer=tokyo, application=application)
    assert codes(closed.value) == {"__all__": {"not_open"}}


# --- refusals in the wrong state ------------------------------------------------------------


def _in_state(state: str) -> Application:
    application = make_submitted(procedure="extension", receipt_method="post")
    tokyo = officer_of("tokyo")
    if state == S.SUBMITTED:
        return application
    if state == S.RECEIPT_ERROR:
        return transition(application, to=S.RECEIPT_ERROR)
    if state == S.WITHDRAWN:
        return transition(application, to=S.WITHDRAWN)
    transition(application, to=S.EXAMINING, actor=tokyo)
    if state == S.EXAMINING:
        return application
    if state == S.DENIED:
        return transition(application, to=S.DENIED)
    transition(
        application,
        to=S.AWAITING_ISSUE,
        changes={
            "decision": "approved",
            "period_granted": "P1Y",
            "stay_until_granted": clock.today() + dt.timedelta(days=365),
        },
    )
    if state == S.AWAITING_ISSUE:
        return application
    application.papers_received_at = clock.now()
    application.save(update_fields=["papers_received_at"])
    return transition(application, to=S.COMPLETED, changes={"issued_at": clock.now()})


ACTIONS = {
    "fix_receipt": (
        lambda o, a: officer.receipt_error_fix(officer=o, application=a, note="x"),
        {S.RECEIPT_ERROR},
    ),
    "examine": (lambda o, a: officer.examination_open(officer=o, application=a), {S.SUBMITTED}),
    "request_documents": (
        lambda o, a: officer.documents_request(officer=o, application=a, text="資料"),
        {S.SUBMITTED, S.EXAMINING},
    ),
    "approve": (
        lambda o, a: officer.application_approve(
            officer=o,
            application=a,
            period_granted="P1Y",
            stay_until_granted=clock.today() + dt.timedelta(days=365),
        ),
        {S.EXAMINING},
    ),
    "deny": (
        lambda o, a: officer.application_deny(officer=o, application=a, reason="理由"),
        {S.EXAMINING},
    ),
    "papers": (lambda o, a: officer.papers_received(officer=o, application=a), {S.AWAITING_ISSUE}),
    "withdraw": (
        lambda o, a: officer.withdrawal_record(officer=o, application=a, note="電話"),
        {S.SUBMITTED, S.EXAMINING, S.RECEIPT_ERROR},
    ),
    "receipt_method": (
        lambda o, a: officer.receipt_method_change_by_officer(
            officer=o, application=a, method="counter"
        ),
        {S.SUBMITTED, S.EXAMINING},
    ),
}
STATES = [
    S.SUBMITTED,
    S.RECEIPT_ERROR,
    S.EXAMINING,
    S.AWAITING_ISSUE,
    S.COMPLETED,
    S.DENIED,
    S.WITHDRAWN,
]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_bo5_each_action_only_in_its_states(action, state):
    run, allowed = ACTIONS[action]
    application = _in_state(state)
    before = Application.objects.get(pk=application.pk).state
    if state in allowed:
        run(officer_of("tokyo"), application)
        return
    with pytest.raises(ValidationError) as refused:
        run(officer_of("tokyo"), application)
    assert "wrong_state" in codes(refused.value)["__all__"]
    assert Application.objects.get(pk=application.pk).state == before
    assert Mail.objects.filter(template__startswith="officer_").count() == 0


def test_bo5_issuance_by_post_needs_the_papers_first(tokyo):
    application = _in_state(S.AWAITING_ISSUE)
    with pytest.raises(ValidationError) as refused:
        officer.issuance_record(officer=tokyo, application=application, card_number="ZZ00000003YY")
    assert codes(refused.value) == {"__all__": {"papers_missing"}}
    officer.papers_received(officer=tokyo, application=application)
    with pytest.raises(ValidationError) as twice:
        officer.papers_received(officer=tokyo, application=application)
    assert codes(twice.value) == {"__all__": {"already_received"}}


def test_bo5_issuance_checks_the_new_card_number(tokyo):
    application = _in_state(S.AWAITING_ISSUE)
    officer.papers_received(officer=tokyo, application=application)
    with pytest.raises(ValidationError) as bad:
        officer.issuance_record(officer=tokyo, application=application, card_number="AB12")
    assert "card_number" in codes(bad.value)
    taken = application.applicant_card.number
    with pytest.raises(ValidationError) as reused:
        officer.issuance_record(officer=tokyo, application=application, card_number=taken)
    assert "card_number" in codes(reused.value)
    application.refresh_from_db()
    assert application.state == S.AWAITING_ISSUE and application.issued_at is None


def test_bo5_approval_checks_the_period(tokyo):
    application = _in_state(S.EXAMINING)
    with pytest.raises(ValidationError) as empty:
        officer.application_approve(officer=tokyo, application=application)
    assert codes(empty.value) == {"period_granted": {"required"}}
    with pytest.raises(ValidationError) as bad:
        officer.application_approve(
            officer=tokyo, application=application, period_granted="one year"
        )
    assert codes(bad.value) == {"period_granted": {"period_of_stay_format"}}
    with pytest.raises(ValidationError) as past:
        officer.application_approve(
            officer=tokyo,
            application=application,
            period_granted="P1Y",
            stay_until_granted=clock.today() - dt.timedelta(days=1),
        )
    assert codes(past.value) == {"stay_until_granted": {"past"}}
    assert Application.objects.get(pk=application.pk).state == S.EXAMINING


# --- requests by the filer ---------------------------------------------------------------------


def test_a12_bo5_withdrawal_requested_is_decided_before_approval(tokyo):
    application = _in_state(S.EXAMINING)
    Application.objects.filter(pk=application.pk).update(
        withdrawal_requested_at=clock.now(), withdrawal_reason="帰国するため"
    )
    application.refresh_from_db()
    assert "approve" not in officer.actions_offered(application)
    with pytest.raises(ValidationError) as refused:
        officer.application_approve(
            officer=tokyo,
            application=application,
            period_granted="P1Y",
            stay_until_granted=clock.today() + dt.timedelta(days=30),
        )
    assert codes(refused.value) == {"__all__": {"withdrawal_requested"}}
    with pytest.raises(ValidationError) as no_note:
        officer.withdrawal_record(officer=tokyo, application=application, note="")
    assert codes(no_note.value) == {"note": {"required"}}
    officer.withdrawal_record(officer=tokyo, application=application, note="オンラインの申出")
    application.refresh_from_db()
    assert application.state == S.WITHDRAWN and application.withdrawn_at
    assert len(mails(application, "officer_withdrawn")) == 2


def test_a8_bo5_receipt_method_changed_on_request(tokyo):
    application = make_submitted(procedure="extension", receipt_method="post")
    with pytest.raises(ValidationError) as same:
        officer.receipt_method_change_by_officer(
            officer=tokyo, application=application, method="post"
        )
    assert codes(same.value) == {"method": {"same"}}
    with pytest.raises(ValidationError) as email:
        officer.receipt_method_change_by_officer(
            officer=tokyo, application=application, method="email"
        )
    assert codes(email.value) == {"method": {"receipt_method_not_offered"}}
    officer.receipt_method_change_by_officer(
        officer=tokyo, application=application, method="counter"
    )
    application.refresh_from_db()
    assert application.receipt_method == "counter"
    (mail, _applicant) = mails(application, "officer_receipt_method_changed")
    assert "By post" in mail.body and "At the immigration office counter" in mail.body
    event = AuditEvent.objects.get(action="applications.application.receipt_method_changed")
    assert event.before == {"receipt_method": "post"}


def test_a8_post_refused_when_a_kanji_name_is_requested(tokyo):
    application = make_submitted(
        procedure="extension", receipt_method="counter", kanji_name_requested=True
    )
    with pytest.raises(ValidationError) as refused:
        officer.receipt_method_change_by_officer(
            officer=tokyo, application=application, method="post"
        )
    assert codes(refused.value) == {"method": {"post_kanji_name"}}


def test_a8_coe_receipt_method_changed_only_through_the_office(tokyo):
    """002 Q8-4, Q8-5: the filer asks the office, which changes it."""
    staff, organization = make_organization_staff()
    application = make_submitted(
        filer=staff,
        procedure="coe",
        receipt_method="post",
        bureau="tokyo",
        organization=organization,
    )
    officer.receipt_method_change_by_officer(officer=tokyo, application=application, method="email")
    assert Application.objects.get(pk=application.pk).receipt_method == "email"


# --- delivery address (A-13, 002 Q6-2) ---------------------------------------------------------


def test_a13_card_goes_only_to_the_address_the_category_fixes():
    staff, organization = make_organization_staff()
    user, card = make_foreign_national()
    ServiceARegistration.objects.create(
        user=user, address="神奈川県横浜市中区本町１－１", registered_at=clock.now()
    )
    for_staff = make_draft(filer=staff, card=card, organization=organization)
    own = make_draft(filer=user, card=make_foreign_national()[1])
    by_staff = officer.delivery_address(for_staff)
    assert by_staff.kind == "organization" and organization.name in by_staff.address
    assert organization.street in by_staff.address
    by_self = officer.delivery_address(own)
    assert by_self.kind == "user" and by_self.address == "神奈川県横浜市中区本町１－１"


# --- fees (REF-6, A-13) ------------------------------------------------------------------------


def test_a13_fee_is_that_of_the_acceptance_date(tokyo):
    early = make_submitted(procedure="change_of_status", filed_on=dt.date(2025, 3, 31))
    transition(early, to=S.EXAMINING, actor=tokyo)
    officer.application_approve(
        officer=tokyo,
        application=early,
        period_granted="P1Y",
        stay_until_granted=clock.today() + dt.timedelta(days=365),
    )
    assert Application.objects.get(pk=early.pk).fee_amount == 4000


def test_a13_reentry_adds_its_fee(tokyo):
    application = make_submitted(procedure="extension", reentry="multiple")
    transition(application, to=S.EXAMINING, actor=tokyo)
    officer.application_approve(
        officer=tokyo,
        application=application,
        period_granted="P1Y",
        stay_until_granted=clock.today() + dt.timedelta(days=365),
    )
    assert Application.objects.get(pk=application.pk).fee_amount == 5500 + 6500


# --- jurisdiction (BO-1) -----------------------------------------------------------------------


def test_bo1_only_the_office_with_jurisdiction_reaches_an_application():
    osaka_card = card_in("27", "27102")
    user, _own = make_foreign_national(card=osaka_card)
    application = make_submitted(filer=user, card=osaka_card)
    assert application.bureau_id == "osaka"
    tokyo, osaka, headquarters = officer_of("tokyo"), officer_of("osaka"), officer_of(None)
    assert access_application_by_id(osaka, application.pk) == application
    assert access_application_by_id(headquarters, application.pk) == application
    with pytest.raises(Http404):
        access_application_by_id(tokyo, application.pk)
    with pytest.raises(Http404):
        access_application_by_id(osaka, application.pk + 1000)
    assert list(applications_in_jurisdiction(tokyo)) == []
    draft = make_draft(filer=user, card=osaka_card, procedure="change_of_status", bureau_id="osaka")
    with pytest.raises(Http404):
        access_application_by_id(osaka, draft.pk)
    with pytest.raises(Http404):
        access_application_by_id(user, application.pk)  # the filer is no officer


# --- mails in the filer's language (ML-1) -----------------------------------------------------


def test_ml1_decision_mail_in_japanese_for_a_japanese_user(tokyo):
    application = make_submitted(procedure="extension", receipt_method="post")
    application.filer.language = "ja"
    application.filer.save(update_fields=["language"])
    officer.examination_open(officer=tokyo, application=application)
    officer.application_approve(
        officer=tokyo,
        application=application,
        period_granted="P1Y",
        stay_until_granted=clock.today() + dt.timedelta(days=365),
    )
    mail = mails(application, "officer_approved_post")[0]
    assert "審査完了に関するお知らせ" in mail.subject
    assert "収入印紙" in mail.body and "簡易書留" in mail.body and "5,500円" in mail.body
    assert "マイナンバーカード及び旅券" in mail.body


# --- through the filer's own services (issue #7) ---------------------------------------------


@pytest.fixture
def filed(django_capture_on_commit_callbacks):
    """Return a function that files a complete draft with the real services and lets the
    receipt-number task run (A-10), as a user does."""
    from . import drafting

    def file(user, card=None, **options):
        draft = drafting.complete_draft(user, card, **options)
        with django_capture_on_commit_callbacks(execute=True):
            submitted = drafting.submit(user, draft)
        return Application.objects.get(pk=submitted.pk)

    return file


def test_bo5_a6_a13_filed_extension_reattached_approved_and_issued(filed, tokyo):
    from zairyu.applications import services

    from . import drafting
    from . import uploads_fixtures as f

    user, card = drafting.resident()
    ServiceARegistration.objects.create(
        user=user, address="東京都千代田区霞が関１－１－１", registered_at=clock.now()
    )
    application = filed(user, card, receipt_method="post")
    assert application.state == S.SUBMITTED and application.receipt_number.startswith("東オン更")
    officer.examination_open(officer=tokyo, application=application)
    with pytest.raises(ValidationError):  # no amendment once examined
        services.application_amend(user=user, application=application, content={})
    officer.documents_request(officer=tokyo, application=application, text="在職証明書")
    document = services.document_add(
        user=user,
        application=application,
        kind="additional",
        upload=f.upload(f.good_pdf(), "在職証明書.pdf"),
    )
    assert document.requested_by_office
    officer.application_approve(
        officer=tokyo,
        application=application,
        period_granted="P1Y",
        stay_until_granted=card.stay_until + dt.timedelta(days=365),
    )
    officer.papers_received(officer=tokyo, application=application)
    officer.issuance_record(officer=tokyo, application=application, card_number="ZX11112222QQ")
    application.refresh_from_db()
    assert application.state == S.COMPLETED
    assert ResidenceCard.objects.get(number="ZX11112222QQ").person_id == card.person_id
    sent = set(Mail.objects.filter(to_address=user.email).values_list("template", flat=True))
    assert {
        "application_submitted",
        "application_receipt_number",
        "officer_examination_opened",
        "officer_documents_requested",
        "officer_approved_post",
        "officer_papers_received",
        "officer_issued",
    } <= sent


def test_bo5_filed_change_of_status_at_the_counter_to_completed(filed, tokyo):
    from . import drafting

    user, card = drafting.resident()
    application = filed(
        user,
        card,
        procedure="change_of_status",
        status="business_manager",
        receipt_method="counter",
    )
    officer.examination_open(officer=tokyo, application=application)
    officer.application_approve(
        officer=tokyo,
        application=application,
        period_granted="P1Y",
        stay_until_granted=clock.today() + dt.timedelta(days=365),
    )
    officer.issuance_record(officer=tokyo, application=application, card_number="ZX33334444QQ")
    new_card = ResidenceCard.objects.get(number="ZX33334444QQ")
    assert new_card.status_id == "business_manager"
    assert Application.objects.get(pk=application.pk).state == S.COMPLETED


def test_bo5_filed_extension_denied(filed, tokyo):
    from . import drafting

    user, card = drafting.resident()
    application = filed(user, card)
    officer.examination_open(officer=tokyo, application=application)
    officer.application_deny(officer=tokyo, application=application, reason="要件を満たさない")
    assert Application.objects.get(pk=application.pk).state == S.DENIED


def test_a14_filed_coe_by_email_to_completed(filed):
    from . import drafting

    staff, organization = make_organization_staff()
    application = filed(
        staff,
        procedure="coe",
        status="engineer_humanities_international",
        personal1=drafting.coe_personal1(),
        organization=organization,
        receipt_method="email",
    )
    office = officer_of(application.bureau_id)
    officer.examination_open(officer=office, application=application)
    officer.application_approve(officer=office, application=application, period_granted="P3Y")
    application.refresh_from_db()
    assert application.state == S.COMPLETED and application.coe_verification_code
    from zairyu.applications.coe import coe_facts

    facts = coe_facts(application)
    assert facts.nationality == "VNM" and facts.sex == "M" and "NGUYEN" in facts.name
