"""Seed 002 conformance (docs/seed-002-conformance.md): the rules of the agency's Q&A that the
audit found missing or contradicted, each tested through the services a page or an officer
calls — Q4-33 (withdrawing only an add-on), Q5-7 (replacing a wrong photo), Q5-1 (1)/(3) and
Q6-3/Q7-3 re-checked at the decision and at issuance, Q5-10/Q6-4/Q6-5/Q6-9 (one office for the
papers sent by post), Q7-1 (a COE at the counter through the office), Q4-38 (the 受付完了 mail
is the proof of a pending application), Q5-11 (which procedures ask for 別記第19号様式) and the
COE verification rate-limit setting."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError

from zairyu.accounts.models import Category
from zairyu.applications import officer, services
from zairyu.applications.models import ApplicationState
from zairyu.audit.models import AuditEvent
from zairyu.cards.models import ResidenceCard
from zairyu.cards.services import card_record_departure
from zairyu.core import clock
from zairyu.mail.models import Mail

from . import uploads_fixtures as f
from .drafting import complete_draft, resident, submit
from .factories import make_draft, make_foreign_national
from .officer_fixtures import card_in, make_submitted, officer_of

S = ApplicationState
ROOT = Path(__file__).resolve().parents[2]


def codes(exc: ValidationError) -> dict[str, set[str]]:
    return {field: {e.code for e in errors} for field, errors in exc.error_dict.items()}


def mails(application, template):
    return list(
        Mail.objects.filter(
            template=template,
            related_type="applications.application",
            related_id=str(application.pk),
        ).order_by("id")
    )


def photo_upload():
    return f.upload(f.jpeg(), "face.jpg", "image/jpeg")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def tokyo():
    return officer_of("tokyo")


def _approve(tokyo, application, **fields):
    fields.setdefault("period_granted", "P1Y")
    fields.setdefault("stay_until_granted", clock.today() + dt.timedelta(days=365))
    return officer.application_approve(officer=tokyo, application=application, **fields)


# --- Q4-33: withdrawing only the re-entry permit / other-activity permission ------------------


def test_a12_q4_33_withdraw_reentry_add_on_only(tokyo):
    application = make_submitted(procedure="extension", receipt_method="post", reentry="single")
    filer = application.filer
    assert services.fee_for_application(application).total == 5500 + 3500

    services.withdrawal_request(
        user=filer, application=application, reason="出国の予定がなくなったため", add_on="reentry"
    )
    application.refresh_from_db()
    assert application.withdrawal_add_on == "reentry" and application.withdrawal_requested_at
    (requested,) = mails(application, "application_withdrawal_requested")
    assert "only the re-entry permit" in requested.body
    assert "the application itself continues" in requested.body
    assert "withdraw_add_on" in officer.actions_offered(application)

    officer.examination_open(officer=tokyo, application=application)
    officer.add_on_withdrawal_record(
        officer=tokyo, application=application, add_on="reentry", note="オンラインの申出"
    )
    application.refresh_from_db()
    # The main application goes on; only the add-on is gone, and the request is settled.
    assert application.state == S.EXAMINING
    assert application.reentry == "" and application.content["step1"]["reentry"] == ""
    assert application.withdrawal_requested_at is None and application.withdrawal_add_on == ""
    assert "withdraw_add_on" not in officer.actions_offered(application)
    withdrawn = mails(application, "officer_add_on_withdrawn")
    assert {m.to_address for m in withdrawn} == {filer.email, "applicant@example.jp"}
    assert "re-entry permit" in withdrawn[0].body and "The application itself continues" in (
        withdrawn[0].body
    )
    # A new version holds the content without the add-on; version 1 keeps it.
    first, second = application.versions.order_by("number")
    assert first.number == 1
    assert second.number == 2 and second.content["step1"]["reentry"] == ""
    assert "re-entry" in second.note.lower() and second.actor == tokyo
    assert application.version == 2
    event = AuditEvent.objects.filter(action="applications.application.add_on_withdrawn").get()
    assert event.before["reentry"] == "single" and event.after["withdrawn"] == "reentry_single"

    # The approval no longer blocks on the request, and the fee has no re-entry line.
    _approve(tokyo, application)
    application.refresh_from_db()
    assert application.state == S.AWAITING_ISSUE and application.fee_amount == 5500


def test_a12_q4_33_withdraw_other_activity_add_on_only(tokyo):
    from .drafting import attach

    application = make_submitted(procedure="change_of_status", other_activity=True)
    # A document the filer added for their next amendment stays pending after the office's
    # version: it is not published by it.
    pending = attach(application.filer, application, name="next.pdf")
    assert pending.version_added == 2
    officer.add_on_withdrawal_record(
        officer=tokyo, application=application, add_on="other_activity", note="電話で申出"
    )
    application.refresh_from_db()
    assert application.state == S.SUBMITTED and application.other_activity is False
    assert application.content["step1"]["other_activity"] is False
    assert not application.has_add_ons
    pending.refresh_from_db()
    assert application.version == 2 and pending.version_added == 3
    assert all(d["id"] != pending.pk for d in application.versions.get(number=2).documents)


def test_a12_q4_33_add_on_withdrawal_refusals(tokyo):
    application = make_submitted(procedure="extension")
    filer = application.filer
    with pytest.raises(ValidationError) as exc:
        services.withdrawal_request(
            user=filer, application=application, reason="理由", add_on="reentry"
        )
    assert codes(exc.value) == {"add_on": {"add_on_not_applied"}}
    with pytest.raises(ValidationError) as exc:
        services.withdrawal_request(
            user=filer, application=application, reason="理由", add_on="passport"
        )
    assert codes(exc.value) == {"add_on": {"invalid_choice"}}
    application.refresh_from_db()
    assert application.withdrawal_requested_at is None  # nothing stored

    with pytest.raises(ValidationError) as exc:
        officer.add_on_withdrawal_record(
            officer=tokyo, application=application, add_on="reentry", note="電話"
        )
    assert codes(exc.value) == {"add_on": {"add_on_not_applied"}}
    with pytest.raises(ValidationError) as exc:
        officer.add_on_withdrawal_record(
            officer=tokyo, application=application, add_on="", note="電話"
        )
    assert codes(exc.value) == {"add_on": {"invalid_choice"}}

    decided = make_submitted(procedure="extension", reentry="multiple")
    officer.examination_open(officer=tokyo, application=decided)
    _approve(tokyo, decided)
    with pytest.raises(ValidationError) as exc:
        officer.add_on_withdrawal_record(
            officer=tokyo, application=decided, add_on="reentry", note="電話"
        )
    assert codes(exc.value) == {"__all__": {"wrong_state"}}
    decided.refresh_from_db()
    assert decided.reentry == "multiple"
    with pytest.raises(ValidationError) as exc:
        officer.add_on_withdrawal_record(
            officer=tokyo, application=decided, add_on="reentry", note=""
        )
    assert codes(exc.value) == {"note": {"required"}}


def test_a12_q4_33_whole_withdrawal_still_possible_after_an_add_on_request(tokyo):
    application = make_submitted(procedure="extension", reentry="single")
    services.withdrawal_request(
        user=application.filer, application=application, reason="取下げ", add_on="reentry"
    )
    officer.withdrawal_record(officer=tokyo, application=application, note="全体を取り下げ")
    application.refresh_from_db()
    assert application.state == S.WITHDRAWN


# --- Q5-7: a wrong person's photo is replaced through the office ------------------------------


def test_a7_q5_7_replace_wrong_photo_after_the_office_opens_it(tokyo):
    application = make_submitted(procedure="extension")
    filer = application.filer
    officer.examination_open(officer=tokyo, application=application)
    # Under examination the filer cannot replace it alone (the office must be contacted).
    with pytest.raises(ValidationError) as exc:
        services.photo_set(user=filer, application=application, upload=photo_upload())
    assert "photo" in codes(exc.value) or "file" in codes(exc.value)
    assert "photo_replacement" in officer.actions_offered(application)

    officer.photo_replacement_allow(officer=tokyo, application=application, note="別人の写真のため")
    application.refresh_from_db()
    assert application.photo_replacement_open
    (opened,) = mails(application, "officer_photo_replacement")
    assert opened.to_address == filer.email and "Check photo" in opened.body
    with pytest.raises(ValidationError) as exc:  # once is enough
        officer.photo_replacement_allow(officer=tokyo, application=application)
    assert codes(exc.value) == {"__all__": {"already_open"}}

    # Another user cannot use the opening.
    stranger, _card = make_foreign_national()
    with pytest.raises(ValidationError):
        services.photo_set(user=stranger, application=application, upload=photo_upload())

    services.photo_set(user=filer, application=application, upload=photo_upload())
    application.refresh_from_db()
    assert application.photo_sha256 and not application.photo_replacement_open
    assert application.state == S.EXAMINING
    event = AuditEvent.objects.filter(action="applications.application.photo_set").latest("id")
    assert event.after["mode"] == "replace"
    # Closed again after one replacement.
    with pytest.raises(ValidationError):
        services.photo_set(user=filer, application=application, upload=photo_upload())
    officer.photo_replacement_allow(officer=tokyo, application=application)
    with pytest.raises(ValidationError) as exc:  # a bad file is still refused while open
        services.photo_set(
            user=filer, application=application, upload=f.upload(f.png(), "p.jpg", "image/jpeg")
        )
    assert "photo" in codes(exc.value)
    application.refresh_from_db()
    assert application.photo_replacement_open  # the bad file did not use it up


def test_a7_q5_7_photo_replacement_only_where_a_photo_is_needed_and_pending(tokyo):
    certificate = make_submitted(procedure="work_certificate", status=None)
    with pytest.raises(ValidationError) as exc:
        officer.photo_replacement_allow(officer=tokyo, application=certificate)
    assert codes(exc.value) == {"__all__": {"photo_not_needed"}}
    assert "photo_replacement" not in officer.actions_offered(certificate)

    denied = make_submitted(procedure="extension")
    officer.examination_open(officer=tokyo, application=denied)
    officer.application_deny(officer=tokyo, application=denied, reason="要件不適合")
    with pytest.raises(ValidationError) as exc:
        officer.photo_replacement_allow(officer=tokyo, application=denied)
    assert codes(exc.value) == {"__all__": {"wrong_state"}}


# --- Q5-1 (1), (3): re-checked at the decision and at issuance --------------------------------


def _teen(months_to_16: int):
    """A foreign national who turns 16 in about ``months_to_16`` months (own card)."""
    today = clock.today()
    birth = today.replace(year=today.year - 16) + dt.timedelta(days=months_to_16 * 31)
    return make_foreign_national(
        birth_date=birth, card_valid_until=birth.replace(year=birth.year + 16)
    )


def test_a8_q5_1_sixteenth_birthday_rechecked_at_the_decision(tokyo):
    filer, card = _teen(months_to_16=8)
    application = make_submitted(filer=filer, card=card, receipt_method="post")
    officer.examination_open(officer=tokyo, application=application)
    with clock.travel(dt.timedelta(days=75)):  # now within six months of the 16th birthday
        _approve(tokyo, application)
    application.refresh_from_db()
    assert application.receipt_method == "counter" and application.state == S.COMPLETED
    assert application.content["step3"]["receipt_method"] == "counter"
    assert application.papers_due is None
    (mail,) = [
        m for m in mails(application, "officer_approved_counter") if m.to_address == filer.email
    ]
    assert "turns 16 within six months" in mail.body and "counter" in mail.body
    assert not mails(application, "officer_approved_post")


def test_a8_q5_1_sixteenth_birthday_far_enough_keeps_post(tokyo):
    filer, card = _teen(months_to_16=9)
    application = make_submitted(filer=filer, card=card, receipt_method="post")
    officer.examination_open(officer=tokyo, application=application)
    _approve(tokyo, application)
    application.refresh_from_db()
    assert application.receipt_method == "post" and application.state == S.AWAITING_ISSUE


def test_a8_q5_1_sixteenth_birthday_rechecked_at_issuance(tokyo):
    filer, card = _teen(months_to_16=7)
    application = make_submitted(filer=filer, card=card, receipt_method="post")
    officer.examination_open(officer=tokyo, application=application)
    _approve(tokyo, application)
    application.refresh_from_db()
    assert application.state == S.AWAITING_ISSUE and application.receipt_method == "post"
    assert "receipt_method" not in officer.actions_offered(application)
    with clock.travel(dt.timedelta(days=40)):  # the papers arrived late
        officer.papers_received(officer=tokyo, application=application)
        application.refresh_from_db()
        with pytest.raises(ValidationError) as exc:
            officer.issuance_record(
                officer=tokyo, application=application, card_number="AB12345678CD"
            )
        assert codes(exc.value) == {"__all__": {"post_card_update"}}
        assert not ResidenceCard.objects.filter(number="AB12345678CD").exists()
        assert "receipt_method" in officer.actions_offered(application)

        officer.receipt_method_change_by_officer(
            officer=tokyo, application=application, method="counter", note="16歳到達のため"
        )
        application.refresh_from_db()
        assert application.state == S.COMPLETED and application.receipt_method == "counter"
        counter = mails(application, "officer_approved_counter")
        assert counter and "turns 16 within six months" in counter[0].body
        assert mails(application, "officer_receipt_method_changed")

        officer.issuance_record(officer=tokyo, application=application, card_number="AB12345678CD")
    application.refresh_from_db()
    assert application.issued_at and ResidenceCard.objects.filter(number="AB12345678CD").exists()


def test_a8_q5_1_post_to_counter_while_awaiting_issue_only_when_post_is_impossible(tokyo):
    application = make_submitted(receipt_method="post")
    officer.examination_open(officer=tokyo, application=application)
    _approve(tokyo, application)
    with pytest.raises(ValidationError) as exc:
        officer.receipt_method_change_by_officer(
            officer=tokyo, application=application, method="counter"
        )
    assert codes(exc.value) == {"__all__": {"wrong_state"}}
    application.refresh_from_db()
    assert application.state == S.AWAITING_ISSUE and application.receipt_method == "post"


def test_a8_q5_1_period_granted_of_three_months_means_counter(tokyo):
    application = make_submitted(procedure="extension", receipt_method="post")
    officer.examination_open(officer=tokyo, application=application)
    _approve(
        tokyo,
        application,
        period_granted="P3M",
        stay_until_granted=clock.today() + dt.timedelta(days=90),
    )
    application.refresh_from_db()
    assert application.state == S.COMPLETED and application.receipt_method == "counter"
    (mail,) = [
        m
        for m in mails(application, "officer_approved_counter")
        if m.to_address == application.filer.email
    ]
    assert "stamp in the passport" in mail.body


# --- Q4-18, Q6-3, Q7-3: nothing is received while the applicant is abroad --------------------


@pytest.mark.parametrize("method", ["post", "counter"])
def test_a13_q6_3_q7_3_no_issuance_while_the_applicant_is_abroad(tokyo, method):
    application = make_submitted(procedure="extension", receipt_method=method)
    officer.examination_open(officer=tokyo, application=application)
    _approve(tokyo, application)
    if method == "post":
        officer.papers_received(officer=tokyo, application=application)
    card_record_departure(actor=tokyo, card=application.applicant_card, departed_on=clock.today())
    application.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        officer.issuance_record(officer=tokyo, application=application, card_number="QQ12345678QQ")
    assert codes(exc.value) == {"__all__": {"applicant_abroad"}}
    application.refresh_from_db()
    assert application.issued_at is None
    assert not ResidenceCard.objects.filter(number="QQ12345678QQ").exists()


# --- Q5-10, Q6-4, Q6-5, Q6-9: one office for the papers sent by post -------------------------


def test_a13_q6_5_papers_go_to_the_odaiba_office_whatever_the_bureau(tokyo):
    osaka = officer_of("osaka")
    filer, card = make_foreign_national(
        card=card_in("27", "27128"),
    )
    application = make_submitted(filer=filer, card=card, receipt_method="post")
    assert application.bureau_id == "osaka"
    officer.examination_open(officer=osaka, application=application)
    _approve(osaka, application)
    (mail,) = [
        m for m in mails(application, "officer_approved_post") if m.to_address == filer.email
    ]
    assert "135-0064" in mail.body and "2-7-11 Aomi" in mail.body
    assert "Odaiba" in mail.body and "not to another office" in mail.body
    assert "03-3599-1068" in mail.body  # whom to call when 14 days are not enough (Q6-9)
    assert "two months after the end of the period of stay" in mail.body

    officer.papers_received(officer=osaka, application=application)
    officer.issuance_record(officer=osaka, application=application, card_number="OS12345678KA")
    (issued,) = [m for m in mails(application, "officer_issued") if m.to_address == filer.email]
    assert "03-3599-1068" in issued.body  # a wrong entry on a card sent by post (Q6-4)


def test_a13_q6_5_japanese_mail_names_the_papers_office(tokyo, settings):
    settings.ZAIRYU_PAPERS_OFFICE = {"phone": "03-0000-1111"}
    application = make_submitted(receipt_method="post")
    application.filer.language = "ja"
    application.filer.save(update_fields=["language"])
    officer.examination_open(officer=tokyo, application=application)
    _approve(tokyo, application)
    (mail,) = [
        m
        for m in mails(application, "officer_approved_post")
        if m.to_address == application.filer.email
    ]
    assert "〒135-0064 東京都江東区青海2-7-11 東京港湾合同庁舎9階" in mail.body
    assert "おだいば分室" in mail.body and "14日以内" in mail.body
    assert "03-0000-1111" in mail.body  # configurable (ZAIRYU_PAPERS_OFFICE)


# --- Q7-1, Q8-4, Q8-5: a COE's receipt method changes only through the office ----------------


def test_a8_q7_1_office_arranges_counter_receipt_of_a_coe(tokyo):
    application = make_submitted(procedure="coe", receipt_method="email", bureau="tokyo")
    with pytest.raises(ValidationError) as exc:
        services.receipt_method_change_by_filer(
            user=application.filer, application=application, method="counter"
        )
    assert codes(exc.value) == {"receipt_method": {"coe_method_fixed"}}

    officer.receipt_method_change_by_officer(
        officer=tokyo, application=application, method="counter"
    )
    application.refresh_from_db()
    assert application.receipt_method == "counter"
    officer.examination_open(officer=tokyo, application=application)
    _approve(tokyo, application, stay_until_granted=None)
    application.refresh_from_db()
    assert application.state == S.COMPLETED and not application.coe_verification_code
    (mail,) = [
        m
        for m in mails(application, "officer_approved_counter")
        if m.to_address == application.filer.email
    ]
    assert "Certificate of Eligibility is handed over at the counter" in mail.body


def test_a8_q7_1_counter_not_offered_to_the_office_for_a_work_certificate_by_rule():
    from zairyu.applications import rules

    assert rules.office_receipt_methods("coe") == ["email", "post", "counter"]
    assert rules.office_receipt_methods("work_certificate") == ["post", "counter"]
    assert rules.refuse_office_receipt_method("email", "extension").code == (
        "receipt_method_not_offered"
    )


# --- Q4-38: the 受付完了 mail proves the pending application ------------------------------------


def test_a16_q4_38_submission_mail_is_proof_of_a_pending_application():
    user, card = resident()
    application = submit(user, complete_draft(user, card))
    (mail,) = [m for m in mails(application, "application_submitted") if m.to_address == user.email]
    assert "special period" in mail.body and "together with the residence card" in mail.body


def test_a16_q4_38_japanese_submission_mail_says_carry_it():
    user, card = resident()
    user.language = "ja"
    user.save(update_fields=["language"])
    application = submit(user, complete_draft(user, card))
    (mail,) = [m for m in mails(application, "application_submitted") if m.to_address == user.email]
    assert "特例期間中" in mail.body and "受付完了メール" in mail.body


# --- Q5-11: the organization's part of the form (別記第19号様式) ---------------------------------


def test_a3_q5_11_organization_form_for_change_and_extension_not_acquisition():
    user, card = make_foreign_national()
    assert user.category == Category.FOREIGN_NATIONAL
    for procedure, expected in (
        ("extension", True),
        ("change_of_status", True),
        ("acquisition", False),
    ):
        draft = make_draft(filer=user, procedure=procedure, card=card)
        assert services.organization_form_required(draft) is expected, procedure
        draft.delete()
    assert (
        services.organization_form_required(
            make_draft(filer=user, procedure="extension", card=card, status="permanent_resident")
        )
        is False
    )


# --- SEC-5 / A-14: the COE verification limit is a documented setting -------------------------


def test_sec5_a14_coe_verifications_per_ip_is_a_documented_setting():
    from zairyu.settings import base

    assert base.ZAIRYU_COE_VERIFICATIONS_PER_IP == 30
    assert django_settings.ZAIRYU_COE_VERIFICATIONS_PER_IP == 30
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert "`COE_VERIFICATIONS_PER_IP`" in text and "ZAIRYU_COE_VERIFICATIONS_PER_IP" in text
