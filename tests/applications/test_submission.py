"""A-10 submission (002 Q4-14, Q4-15, Q4-30): the final checks, the provisional number mailed
to the user and the applicant, and the idempotent re-submission of A-9."""

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError

from zairyu.applications import services
from zairyu.applications.models import (
    Application,
    ApplicationState,
    ApplicationStateChange,
    ApplicationVersion,
    DocumentKind,
)
from zairyu.audit.models import AuditEvent
from zairyu.core import clock
from zairyu.mail.models import Mail

from .drafting import (  # noqa: F401 (media_root is a fixture)
    attach,
    coe_personal1,
    complete_draft,
    media_root,
    resident,
    save,
    submit,
)
from .factories import make_lawyer

S = ApplicationState


def codes(exc: ValidationError, field: str | None = None) -> set[str]:
    errors = exc.error_dict
    fields = [field] if field else list(errors)
    return {e.code for name in fields for e in errors.get(name, [])}


def refused(call, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call(**kwargs)
    return info.value


def mails(application, template=None):
    query = Mail.objects.filter(related_id=str(application.pk))
    if template:
        query = query.filter(template=template)
    return query


def test_a10_submission_mails_provisional_number_to_user_and_applicant():
    user, card = resident()
    draft = complete_draft(user, card, applicant_email="applicant@EXAMPLE.JP")
    day = clock.today() + dt.timedelta(days=3)
    with clock.frozen(clock.tokyo_datetime(day.year, day.month, day.day, 23, 59)):
        submitted = submit(user, draft)
    assert submitted.pk == draft.pk
    assert submitted.state == S.SUBMITTED
    assert submitted.filed_on == day  # Q4-14: the day it was filed (Japan time)
    assert submitted.provisional_number.startswith("仮")
    assert submitted.version == 1
    assert submitted.receipt_number is None  # the task runs after commit
    sent = mails(submitted, "application_submitted")
    assert sorted(sent.values_list("to_address", flat=True)) == sorted(
        [user.email, "applicant@example.jp"]
    )
    for mail in sent:
        assert submitted.provisional_number in mail.subject
        assert submitted.provisional_number in mail.body
        assert "Provisional receipt number" in mail.body
    version = ApplicationVersion.objects.get(application=submitted)
    assert version.number == 1
    assert version.content == submitted.content
    assert [d["name"] for d in version.documents] == ["documents0.pdf"]
    assert version.photo_sha256 == submitted.photo_sha256 != ""
    assert set(submitted.documents.values_list("version_added", flat=True)) == {1}
    assert AuditEvent.objects.filter(
        action="applications.application.submitted", object_id=str(submitted.pk)
    ).exists()


def test_a10_japanese_mail_uses_the_agencys_terms():
    user, card = resident()
    user.language = "ja"
    user.save(update_fields=["language"])
    submitted = submit(user, complete_draft(user, card))
    mail = mails(submitted, "application_submitted").first()
    assert "申請受付完了のお知らせ" in mail.subject
    assert "申請受付仮番号" in mail.body
    assert "申請受付番号" in mail.body
    assert "申請完了" in mail.body


def test_a10_receipt_number_task_enqueued_on_commit(django_capture_on_commit_callbacks):
    user, card = resident()
    draft = complete_draft(user, card)
    with django_capture_on_commit_callbacks(execute=True):
        submit(user, draft)
    draft.refresh_from_db()
    assert draft.receipt_number.startswith("東オン更")
    assert mails(draft, "application_receipt_number").count() == 2


def test_a9_resubmitting_the_same_token_creates_nothing_twice():
    user, card = resident()
    draft = complete_draft(user, card)
    token = uuid.uuid4()
    first = submit(user, draft, token)
    counts = (
        Application.objects.count(),
        ApplicationVersion.objects.count(),
        ApplicationStateChange.objects.count(),
        Mail.objects.count(),
    )
    again = submit(user, draft, token)  # back button + "submit" again
    stale = Application.objects.get(pk=draft.pk)
    twice = services.application_submit(user=user, application=stale, token=token)
    assert again.pk == twice.pk == first.pk
    assert again.provisional_number == twice.provisional_number == first.provisional_number
    assert (
        Application.objects.count(),
        ApplicationVersion.objects.count(),
        ApplicationStateChange.objects.count(),
        Mail.objects.count(),
    ) == counts


def test_a9_another_token_on_a_submitted_application_files_nothing_more():
    user, card = resident()
    draft = complete_draft(user, card)
    first = submit(user, draft)
    before = (ApplicationVersion.objects.count(), Mail.objects.count())
    again = submit(user, Application.objects.get(pk=draft.pk), uuid.uuid4())
    assert again.pk == first.pk and again.provisional_number == first.provisional_number
    assert (ApplicationVersion.objects.count(), Mail.objects.count()) == before


def test_a10_provisional_numbers_differ_per_application():
    one_user, one_card = resident()
    two_user, two_card = resident()
    one = submit(one_user, complete_draft(one_user, one_card))
    two = submit(two_user, complete_draft(two_user, two_card))
    assert one.provisional_number != two.provisional_number


def test_a3_applicant_email_mandatory_at_submission():
    user, card = resident()
    draft = complete_draft(user, card)
    # A draft saved without it (e.g. by an older page): submission still refuses.
    content = dict(draft.content)
    content["step3"] = {**content["step3"], "applicant_email": ""}
    Application.objects.filter(pk=draft.pk).update(content=content)
    exc = refused(submit, user=user, draft=Application.objects.get(pk=draft.pk))
    assert "applicant_email_required" in codes(exc, "applicant_email")
    assert Application.objects.get(pk=draft.pk).state == S.DRAFT


def test_a3_step3_refuses_a_missing_applicant_email():
    user, card = resident()
    draft = services.application_start(user=user, procedure="extension", status=card.status_id)
    exc = refused(save, user=user, application=draft, step="step3", data={"receipt_method": "post"})
    assert "applicant_email_required" in codes(exc, "applicant_email")
    exc = refused(
        save,
        user=user,
        application=draft,
        step="step3",
        data={"receipt_method": "post", "applicant_email": "not an address"},
    )
    assert "email_invalid" in codes(exc, "applicant_email")


def test_a10_every_step_must_be_done():
    user, card = resident()
    draft = services.application_start(user=user, procedure="extension", status=card.status_id)
    exc = refused(submit, user=user, draft=draft)
    assert "steps_incomplete" in codes(exc)
    error = exc.error_dict["__all__"][0]
    assert error.params == {"step": "personal1"}


def test_a6_submission_needs_a_document():
    user, card = resident()
    draft = complete_draft(user, card, documents=0)
    exc = refused(submit, user=user, draft=draft)
    assert codes(exc) == {"documents_required"}


def test_a7_submission_needs_the_photo_where_one_is_needed():
    user, card = resident()
    draft = complete_draft(user, card, photo=False)
    exc = refused(submit, user=user, draft=draft)
    assert codes(exc) == {"photo_required"}


def test_a7_work_certificate_submitted_without_photo():
    user, card = resident()
    draft = complete_draft(user, card, procedure="work_certificate", photo=False)
    assert not services.photo_needed(draft)
    submitted = submit(user, draft)
    assert submitted.state == S.SUBMITTED and not submitted.photo_sha256


def test_a6_over_limit_needs_the_declaration():
    user, card = resident()
    draft = complete_draft(user, card, documents=0)
    attach(user, draft, over_limit_declaration=True)
    exc = refused(submit, user=user, draft=draft)
    assert codes(exc) == {"declaration_required"}
    attach(user, draft, kind=DocumentKind.DECLARATION, name="declaration.pdf")
    assert submit(user, draft).state == S.SUBMITTED


def test_a4_eligibility_checked_again_on_the_day_of_submission():
    user, card = resident()
    draft = complete_draft(user, card)
    last, before = card.stay_until, card.stay_until - dt.timedelta(days=1)
    with clock.frozen(clock.tokyo_datetime(last.year, last.month, last.day, 10, 0)):
        exc = refused(submit, user=user, draft=draft)
    assert "last_day_of_stay" in codes(exc)
    with clock.frozen(clock.tokyo_datetime(before.year, before.month, before.day, 10, 0)):
        assert submit(user, draft).state == S.SUBMITTED


def test_a4_moving_in_notified_after_the_draft_refuses_submission():
    user, card = resident()
    draft = complete_draft(user, card)
    card.last_moving_in_on = clock.today()
    card.save(update_fields=["last_moving_in_on"])
    exc = refused(submit, user=user, draft=draft)
    assert "moving_in_today" in codes(exc)


def test_a10_card_invalidated_before_submission_refused_as_mismatch():
    user, card = resident()
    draft = complete_draft(user, card)
    card.state = card.State.INVALIDATED
    card.invalidated_at = clock.now()
    card.invalidation_reason = card.InvalidationReason.values[0]
    card.save(update_fields=["state", "invalidated_at", "invalidation_reason"])
    exc = refused(submit, user=user, draft=draft)
    assert "card_mismatch" in codes(exc)


def test_a10_only_the_filer_submits():
    user, card = resident()
    draft = complete_draft(user, card)
    exc = refused(submit, user=make_lawyer(), draft=draft)
    assert codes(exc) == {"not_draft"}
    assert Application.objects.get(pk=draft.pk).state == S.DRAFT


def test_a8_receipt_method_must_be_offered_at_step3():
    user, card = resident()
    draft = services.application_start(user=user, procedure="extension", status=card.status_id)
    from .drafting import personal1_for, personal2_for

    save(user, draft, "personal1", personal1_for(card, kanji_name_requested=True))
    save(user, draft, "personal2", personal2_for(card))
    exc = refused(
        save,
        user=user,
        application=draft,
        step="step3",
        data={"receipt_method": "post", "applicant_email": "a@example.jp"},
    )
    assert "post_kanji_name" in codes(exc, "receipt_method")
    exc = refused(
        save,
        user=user,
        application=draft,
        step="step3",
        data={"receipt_method": "email", "applicant_email": "a@example.jp"},
    )
    assert "receipt_method_not_offered" in codes(exc, "receipt_method")
    save(user, draft, "step3", {"receipt_method": "counter", "applicant_email": "a@example.jp"})
    assert Application.objects.get(pk=draft.pk).receipt_method == "counter"


def test_a10_coe_by_staff_filed_at_the_organizations_office():
    from tests.filings.factories import make_organization

    from .factories import make_organization_staff

    organization = make_organization(name="株式会社浪速", prefecture_id="27", municipality_id=None)
    staff, organization = make_organization_staff(organization)
    draft = complete_draft(
        staff,
        procedure="coe",
        status="engineer_humanities_international",
        personal1=coe_personal1(),
        organization=organization,
        receipt_method="email",
    )
    assert services.steps_for(draft) == ("step1", "personal1", "organization", "step3")
    submitted = submit(staff, draft)
    assert submitted.bureau_id == "osaka"
    assert submitted.organization_id == organization.pk
    assert submitted.applicant_key.startswith("coe:VNM:1998-05-06:")
