"""After submission (A-6 re-attachment, A-8, A-12): amendments as versions, withdrawal
requests, the receipt-method change."""

import pytest
from django.core.exceptions import ValidationError

from zairyu.applications import services
from zairyu.applications.models import (
    Application,
    ApplicationDocument,
    ApplicationState,
    ApplicationVersion,
)
from zairyu.audit.models import AuditEvent
from zairyu.core import clock
from zairyu.mail.models import Mail

from . import uploads_fixtures as f
from .drafting import (  # noqa: F401 (media_root: autouse fixture)
    attach,
    attach_photo,
    coe_personal1,
    complete_draft,
    media_root,
    personal1_for,
    personal2_for,
    resident,
    submit,
)
from .factories import make_lawyer, make_organization_staff

S = ApplicationState


def codes(exc: ValidationError, field: str | None = None) -> set[str]:
    errors = exc.error_dict
    fields = [field] if field else list(errors)
    return {e.code for name in fields for e in errors.get(name, [])}


def refused(call, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call(**kwargs)
    return info.value


def filed(**options):
    user, card = resident()
    application = submit(user, complete_draft(user, card, **options))
    return user, card, application


def amend(user, application, content=None, note=""):
    return services.application_amend(
        user=user, application=application, content=content or {}, note=note
    )


# --- A-12 amendment ---


def test_a12_amendment_makes_a_new_version_and_keeps_the_earlier():
    user, card, application = filed()
    amended = amend(
        user, application, {"step3": {"applicant_email": "new@example.jp"}}, note="メール訂正"
    )
    assert amended.version == 2 and amended.applicant_email == "new@example.jp"
    assert amended.state == S.SUBMITTED
    first, second = ApplicationVersion.objects.filter(application=application).order_by("number")
    assert first.content["step3"]["applicant_email"] == "applicant@example.jp"
    assert second.content["step3"]["applicant_email"] == "new@example.jp"
    assert second.note == "メール訂正" and second.actor_id == user.pk
    event = AuditEvent.objects.get(action="applications.application.amended")
    assert (event.before, event.after) == ({"version": 1}, {"version": 2})
    mail = Mail.objects.get(template="application_amended")
    assert mail.to_address == user.email and "version 2" in mail.body


def test_a12_documents_changed_by_an_amendment_kept_in_earlier_versions():
    user, card, application = filed(documents=2)
    wrong = application.documents.order_by("id").first()
    services.document_remove(user=user, application=application, document_id=wrong.pk)
    wrong.refresh_from_db()
    assert wrong.version_removed == 2  # kept, marked
    added = attach(user, application, name="right.pdf")
    assert added.version_added == 2
    amended = amend(user, application)
    v1, v2 = ApplicationVersion.objects.filter(application=application).order_by("number")
    assert {d["name"] for d in v1.documents} == {"documents0.pdf", "documents1.pdf"}
    assert {d["name"] for d in v2.documents} == {"documents1.pdf", "right.pdf"}
    assert amended.version == 2
    assert ApplicationDocument.objects.filter(pk=wrong.pk).exists()


def test_a12_a_pending_addition_removed_again_is_deleted():
    user, card, application = filed()
    added = attach(user, application, name="oops.pdf")
    services.document_remove(user=user, application=application, document_id=added.pk)
    assert not ApplicationDocument.objects.filter(pk=added.pk).exists()


def test_a12_not_amendable_once_the_examination_opened():
    user, card, application = filed()
    services.transition(application, to=S.EXAMINING)
    exc = refused(amend, user=user, application=application)
    assert codes(exc) == {"not_amendable"}
    exc = refused(
        services.document_add,
        user=user,
        application=application,
        kind="activity",
        upload=f.upload(f.good_pdf(), "late.pdf"),
    )
    assert codes(exc, "file") == {"not_amendable"}
    document = application.documents.first()
    exc = refused(
        services.document_remove, user=user, application=application, document_id=document.pk
    )
    assert codes(exc, "document") == {"not_amendable"}
    assert ApplicationVersion.objects.filter(application=application).count() == 1


def test_a12_only_the_filer_amends():
    _user, _card, application = filed()
    exc = refused(amend, user=make_lawyer(), application=application)
    assert codes(exc) == {"not_amendable"}


def test_a12_the_applicant_cannot_change():
    lawyer = make_lawyer()
    _user, card = resident()
    application = submit(lawyer, complete_draft(lawyer, card))
    _other_user, other_card = resident()
    exc = refused(
        amend,
        user=lawyer,
        application=application,
        content={"personal1": personal1_for(other_card), "personal2": personal2_for(other_card)},
    )
    assert codes(exc) == {"applicant_changed"}
    stored = Application.objects.get(pk=application.pk)
    assert stored.version == 1 and stored.applicant_card_id == card.pk
    assert stored.content["personal2"]["card_number"] == card.number


def test_a12_the_procedure_cannot_change():
    user, card, application = filed()
    exc = refused(
        amend,
        user=user,
        application=application,
        content={"step1": {"procedure": "change_of_status"}},
    )
    assert codes(exc) == {"procedure_changed"}


def test_a12_amendment_validated_like_a_step():
    user, card, application = filed()
    exc = refused(
        amend, user=user, application=application, content={"step3": {"applicant_email": ""}}
    )
    assert codes(exc, "applicant_email") == {"applicant_email_required"}


def test_a7_photo_replaced_by_an_amendment():
    user, card, application = filed()
    old = application.photo_sha256
    replaced = services.photo_set(
        user=user,
        application=application,
        upload=f.upload(f.jpeg(width=210, height=280), "new.jpg", "image/jpeg"),
    )
    assert replaced.photo_sha256 != old
    amend(user, application)
    v1, v2 = ApplicationVersion.objects.filter(application=application).order_by("number")
    assert (v1.photo_sha256, v2.photo_sha256) == (old, replaced.photo_sha256)


# --- A-6 re-attachment on the office's request (Q4-3, Q4-5) ---


def test_a6_reattachment_when_the_office_opens_it():
    user, card, application = filed()
    services.transition(application, to=S.EXAMINING)
    Application.objects.filter(pk=application.pk).update(
        reattachment_open=True, reattachment_opened_at=clock.now()
    )
    application.refresh_from_db()
    document = attach(user, application, kind="additional", name="more.pdf")
    assert document.requested_by_office and document.version_added == 1


# --- A-12 withdrawal request ---


def test_a12_withdrawal_requested_once_for_the_officer():
    user, card, application = filed()
    requested = services.withdrawal_request(
        user=user, application=application, reason="帰国することになったため"
    )
    assert requested.state == S.SUBMITTED  # the officer decides
    assert requested.withdrawal_requested_at and requested.withdrawal_reason
    assert AuditEvent.objects.filter(
        action="applications.application.withdrawal_requested"
    ).exists()
    mail = Mail.objects.get(template="application_withdrawal_requested")
    assert mail.to_address == user.email
    exc = refused(services.withdrawal_request, user=user, application=application, reason="again")
    assert codes(exc) == {"withdrawal_already_requested"}


def test_a12_withdrawal_needs_a_reason_and_a_pending_application():
    user, card, application = filed()
    exc = refused(services.withdrawal_request, user=user, application=application, reason="  ")
    assert codes(exc, "reason") == {"required"}
    draft = services.application_start(user=user, procedure="work_certificate")
    exc = refused(services.withdrawal_request, user=user, application=draft, reason="理由")
    assert codes(exc) == {"not_withdrawable"}
    exc = refused(
        services.withdrawal_request, user=make_lawyer(), application=application, reason="理由"
    )
    assert codes(exc) == {"not_withdrawable"}


# --- A-8 receipt method change ---


def test_a8_receipt_method_changed_while_submitted_or_examining():
    user, card, application = filed()
    changed = services.receipt_method_change_by_filer(
        user=user, application=application, method="counter"
    )
    assert changed.receipt_method == "counter"
    assert changed.content["step3"]["receipt_method"] == "counter"
    event = AuditEvent.objects.get(action="applications.application.receipt_method_changed")
    assert (event.before, event.after) == (
        {"receipt_method": "post"},
        {"receipt_method": "counter"},
    )
    sent = Mail.objects.filter(template="application_receipt_method_changed")
    assert sorted(sent.values_list("to_address", flat=True)) == sorted(
        [user.email, "applicant@example.jp"]
    )
    assert "By post → At the immigration office counter" in sent.first().body
    services.transition(application, to=S.EXAMINING)
    again = services.receipt_method_change_by_filer(
        user=user, application=application, method="post"
    )
    assert again.receipt_method == "post"


def test_a8_receipt_method_fixed_after_the_decision():
    user, card, application = filed()
    services.transition(application, to=S.EXAMINING)
    services.transition(application, to=S.AWAITING_ISSUE)
    exc = refused(
        services.receipt_method_change_by_filer,
        user=user,
        application=application,
        method="counter",
    )
    assert codes(exc) == {"not_changeable"}


def test_a8_method_must_be_offered():
    user, card, application = filed()
    exc = refused(
        services.receipt_method_change_by_filer, user=user, application=application, method="email"
    )
    assert codes(exc) == {"receipt_method_not_offered"}
    Application.objects.filter(pk=application.pk).update(kanji_name_requested=True)
    services.receipt_method_change_by_filer(user=user, application=application, method="counter")
    exc = refused(
        services.receipt_method_change_by_filer, user=user, application=application, method="post"
    )
    assert codes(exc) == {"post_kanji_name"}


def test_a8_coe_receipt_method_fixed_once_filed():
    staff, organization = make_organization_staff()
    application = submit(
        staff,
        complete_draft(
            staff,
            procedure="coe",
            personal1=coe_personal1(),
            organization=organization,
            receipt_method="email",
        ),
    )
    exc = refused(
        services.receipt_method_change_by_filer, user=staff, application=application, method="post"
    )
    assert codes(exc) == {"coe_method_fixed"}


def test_a8_only_the_filer_changes_the_method():
    _user, _card, application = filed()
    exc = refused(
        services.receipt_method_change_by_filer,
        user=make_lawyer(),
        application=application,
        method="counter",
    )
    assert codes(exc) == {"not_changeable"}
