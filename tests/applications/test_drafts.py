"""Drafts (A-3, A-5, A-6, A-7, A-9, A-17): STEP1, saving steps, the card check, documents,
the photo, handing a draft over, purging abandoned drafts, and what a user can see."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from zairyu.accounts.models import User
from zairyu.applications import selectors, services
from zairyu.applications.models import (
    Application,
    ApplicationDocument,
    ApplicationHandover,
    ApplicationState,
)
from zairyu.audit.models import AuditEvent
from zairyu.core import clock
from zairyu.core.work import _housekeepers, _sweepers
from zairyu.mail.models import Mail

from . import uploads_fixtures as f
from .drafting import (  # noqa: F401 (media_root: autouse fixture)
    attach,
    attach_photo,
    coe_personal1,
    complete_draft,
    media_root,
    organization_data,
    personal1_for,
    personal2_for,
    resident,
    save,
    submit,
)
from .factories import (
    make_coe_recipient,
    make_foreign_national,
    make_lawyer,
    make_legal_representative,
    make_organization_staff,
)

S = ApplicationState


def codes(exc: ValidationError, field: str | None = None) -> set[str]:
    errors = exc.error_dict
    fields = [field] if field else list(errors)
    return {e.code for name in fields for e in errors.get(name, [])}


def refused(call, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call(**kwargs)
    return info.value


def start(user, procedure="extension", status="engineer_humanities_international", **kw):
    return services.application_start(user=user, procedure=procedure, status=status, **kw)


# --- STEP1 (A-1, A-2, A-3) ---


def test_a3_start_creates_a_draft_with_step1():
    user, _card = resident()
    draft = start(user, reentry="single", other_activity=True, period_requested="p3y")
    assert draft.state == S.DRAFT and draft.filer == user
    assert draft.steps_done == ["step1"]
    assert draft.content["step1"] == {
        "procedure": "extension",
        "status": "engineer_humanities_international",
        "period_requested": "P3Y",
        "reentry": "single",
        "other_activity": True,
    }
    assert (draft.reentry, draft.other_activity, draft.period_requested) == ("single", True, "P3Y")
    assert AuditEvent.objects.filter(
        action="applications.application.draft", object_id=str(draft.pk)
    ).exists()
    assert not Mail.objects.filter(related_id=str(draft.pk)).exists()


def test_a3_staff_draft_belongs_to_their_organization():
    staff, organization = make_organization_staff()
    draft = start(staff)
    assert draft.organization_id == organization.pk


@pytest.mark.parametrize(
    ("procedure", "status", "extra", "code"),
    [
        ("permanent_residence", "engineer_humanities_international", {}, "procedure_not_online"),
        ("coe", "engineer_humanities_international", {"reentry": "single"}, "add_on_not_allowed"),
        ("work_certificate", None, {"other_activity": True}, "add_on_not_allowed"),
        ("extension", "temporary_visitor", {}, "status_not_online"),
        ("extension", "diplomat", {}, "status_not_online"),
        ("coe", "engineer_humanities_international", {}, "category_not_permitted"),
    ],
)
def test_a1_a2_start_refusals(procedure, status, extra, code):
    user, _card = resident()
    exc = refused(start, user=user, procedure=procedure, status=status, **extra)
    assert code in codes(exc)
    assert not Application.objects.filter(filer=user).exists()


def test_a2_coe_recipient_cannot_start():
    exc = refused(start, user=make_coe_recipient())
    assert codes(exc) == {"coe_recipient"}


def test_a3_status_required_except_for_work_certificate():
    user, _card = resident()
    exc = refused(start, user=user, status=None)
    assert codes(exc, "status") == {"required"}
    exc = refused(start, user=user, status="no_such_status")
    assert codes(exc, "status") == {"invalid_choice"}
    assert start(user, procedure="work_certificate", status=None).status is None


def test_a4_start_refused_from_outside_the_allowed_networks(settings):
    settings.ZAIRYU_SERVICE_A_ALLOWED_NETWORKS = ["203.0.113.0/24"]
    user, _card = resident()
    exc = refused(start, user=user, client_ip="198.51.100.7")
    assert codes(exc) == {"address_not_allowed"}
    assert start(user, client_ip="203.0.113.9").state == S.DRAFT


def test_a5_foreign_national_led_to_the_open_draft_at_step1():
    user, _card = resident()
    first = start(user)
    exc = refused(start, user=user)
    error = exc.error_dict["__all__"][0]
    assert error.code == "open_draft_exists"
    assert error.params == {"application_id": first.pk, "own": True}
    # Another procedure is another application.
    assert start(user, procedure="work_certificate", status=None).pk != first.pk


# --- saving steps (A-3, A-9) ---


def test_a9_partial_save_keeps_what_was_typed_even_when_wrong():
    user, card = resident()
    draft = start(user)
    saved = save(
        user,
        draft,
        "personal1",
        {"roman_name": "houmu taro", "birth_date": "1990-13-45", "nationality": "CHN"},
        partial=True,
    )
    assert saved.content["personal1"]["roman_name"] == "HOUMU,TARO"  # normalised (FMT-3)
    assert saved.content["personal1"]["birth_date"] == "1990-13-45"  # kept as typed
    assert codes(saved.save_errors) == {"invalid_date"}  # no "required" while typing
    # A second partial save of another field keeps the first.
    saved = save(user, draft, "personal1", {"sex": "M"}, partial=True)
    assert saved.content["personal1"]["roman_name"] == "HOUMU,TARO"
    assert saved.save_errors is None
    assert Application.objects.get(pk=draft.pk).content["personal1"]["sex"] == "M"
    assert "personal1" not in saved.steps_done


def test_a9_partial_save_never_stores_a_my_number():
    user, _card = resident()
    draft = start(user)
    saved = save(user, draft, "personal1", {"address": "621498320257", "sex": "M"}, partial=True)
    assert "address" not in saved.content["personal1"]
    assert saved.content["personal1"]["sex"] == "M"
    assert codes(saved.save_errors, "address") == {"my_number_refused"}
    assert "621498320257" not in str(Application.objects.get(pk=draft.pk).content)


def test_a9_full_save_failing_keeps_the_input_and_says_what_is_missing():
    user, _card = resident()
    draft = start(user)
    exc = refused(
        save, user=user, application=draft, step="personal1", data={"roman_name": "HOUMU,TAROU"}
    )
    assert codes(exc, "nationality") == {"required"}
    assert codes(exc, "prefecture") == {"required"}
    assert "relationship" not in exc.error_dict  # not asked of a foreign national
    assert Application.objects.get(pk=draft.pk).content["personal1"]["roman_name"] == "HOUMU,TAROU"


def test_a3_relationship_required_for_a_legal_representative():
    representative = make_legal_representative()
    draft = start(representative)
    exc = refused(
        save, user=representative, application=draft, step="personal1", data=coe_personal1()
    )
    assert "required" in codes(exc, "relationship")


def test_a3_coe_asks_no_address_and_no_card():
    staff, organization = make_organization_staff()
    draft = start(staff, procedure="coe")
    assert services.steps_for(draft) == ("step1", "personal1", "organization", "step3")
    saved = save(staff, draft, "personal1", coe_personal1())
    assert "personal1" in saved.steps_done
    exc = refused(save, user=staff, application=draft, step="personal2", data={})
    assert codes(exc) == {"step_not_applicable"}


def test_a3_foreign_national_has_no_organization_step():
    user, card = resident()
    draft = start(user)
    assert services.steps_for(draft) == ("step1", "personal1", "personal2", "step3")
    assert services.organization_form_required(draft)  # 002 Q5-11: attach 別記第19号様式


def test_a3_card_data_matched_sets_the_applicant_and_office():
    user, card = make_foreign_national(
        with_person=False,
        prefecture_id="14",
        municipality_id="14101",
        stay_until=clock.today() + dt.timedelta(days=60),
        card_valid_until=clock.today() + dt.timedelta(days=60),
    )
    draft = start(user)
    save(user, draft, "personal1", personal1_for(card))
    saved = save(user, draft, "personal2", personal2_for(card, card_number=card.number.lower()))
    assert saved.applicant_card_id == card.pk
    assert saved.applicant_person_id == card.person_id
    assert saved.applicant_key == f"person:{card.person_id}"
    assert saved.applicant_name == card.roman_name
    assert saved.bureau_id == "yokohama"
    assert saved.steps_done == ["step1", "personal1", "personal2"]
    # The foreign national's account now knows their registry person.
    assert User.objects.get(pk=user.pk).person_id == card.person_id


@pytest.mark.parametrize(
    ("step", "change"),
    [
        ("personal2", {"card_number": "ZZ99999999ZZ"}),
        ("personal2", {"card_valid_until": "2040-01-01"}),
        ("personal1", {"roman_name": "HOUMU,JIROU"}),
        ("personal1", {"sex": "F"}),
        ("personal1", {"municipality": "13102"}),
    ],
)
def test_a3_card_mismatch_never_says_which_field(step, change):
    user, card = resident()
    draft = start(user)
    personal1 = personal1_for(card, **(change if step == "personal1" else {}))
    personal2 = personal2_for(card, **(change if step == "personal2" else {}))
    save(user, draft, "personal1", personal1)
    exc = refused(save, user=user, application=draft, step="personal2", data=personal2)
    assert codes(exc) == {"card_mismatch", "card_check"}
    assert set(exc.error_dict) == {"__all__", "card_number", "card_valid_until"}
    saved = Application.objects.get(pk=draft.pk)
    assert saved.applicant_card_id is None and "personal2" not in saved.steps_done
    assert saved.content["personal2"] == personal2  # kept for correction


def test_a4_stay_ended_refused_with_its_reason_at_step2():
    user, card = make_foreign_national(
        stay_until=clock.today() - dt.timedelta(days=1),
        card_valid_until=clock.today() + dt.timedelta(days=100),
    )
    draft = start(user)
    save(user, draft, "personal1", personal1_for(card))
    exc = refused(save, user=user, application=draft, step="personal2", data=personal2_for(card))
    assert "stay_ended" in codes(exc)


def test_a2_foreign_national_cannot_apply_for_someone_else():
    user, _own = resident()
    _other_user, other_card = resident()
    draft = start(user)
    save(user, draft, "personal1", personal1_for(other_card))
    exc = refused(
        save, user=user, application=draft, step="personal2", data=personal2_for(other_card)
    )
    assert "not_self" in codes(exc)


def test_a5_second_draft_for_the_same_applicant_refused_with_a_link():
    user, card = resident()
    first = start(user)
    save(user, first, "personal1", personal1_for(card))
    save(user, first, "personal2", personal2_for(card))
    lawyer = make_lawyer()
    second = start(lawyer)
    save(lawyer, second, "personal1", personal1_for(card))
    exc = refused(save, user=lawyer, application=second, step="personal2", data=personal2_for(card))
    error = next(e for e in exc.error_dict["__all__"] if e.code == "open_draft_exists")
    assert error.params == {"application_id": first.pk, "own": False}


def test_a9_only_the_filer_saves_a_draft():
    user, card = resident()
    draft = start(user)
    exc = refused(save, user=make_lawyer(), application=draft, step="personal1", data={"sex": "M"})
    assert codes(exc) == {"not_draft"}


def test_a9_changing_personal1_reopens_the_card_step():
    user, card = resident()
    draft = start(user)
    save(user, draft, "personal1", personal1_for(card))
    save(user, draft, "personal2", personal2_for(card))
    saved = save(user, draft, "personal1", {"sex": "F"}, partial=True)
    assert saved.steps_done == ["step1"]


def test_a3_staff_organization_step_checks_the_organization():
    staff, own = make_organization_staff()
    _user, card = resident()
    draft = start(staff)
    assert "organization" in services.steps_for(draft)
    save(staff, draft, "personal1", personal1_for(card))
    save(staff, draft, "personal2", personal2_for(card))
    exc = refused(
        save, user=staff, application=draft, step="organization", data=organization_data()
    )
    assert codes(exc) == {"not_own_organization"}
    saved = save(staff, draft, "organization", organization_data(own))
    assert saved.organization_id == own.pk and "organization" in saved.steps_done


def test_fmt_organization_data_formats_checked():
    staff, own = make_organization_staff()
    draft = start(staff, procedure="coe")
    exc = refused(
        save,
        user=staff,
        application=draft,
        step="organization",
        data=organization_data(corporate_number="1234567890123", organization_name="髙橋商事"),
    )
    assert {"corporate_number", "organization_name"} <= set(exc.error_dict)


# --- documents and photo (A-6, A-7) ---


def test_a6_document_added_and_removed_on_a_draft():
    user, _card = resident()
    draft = start(user)
    document = attach(user, draft, name="../../passport.pdf")
    assert document.original_name == "passport.pdf"
    assert document.version_added == 0 and document.size > 0 and len(document.sha256) == 64
    assert document.file.name.endswith(".pdf") and "passport" not in document.file.name
    assert AuditEvent.objects.filter(action="applications.application.document_added").exists()
    services.document_remove(user=user, application=draft, document_id=document.pk)
    assert not ApplicationDocument.objects.filter(pk=document.pk).exists()
    exc = refused(services.document_remove, user=user, application=draft, document_id=document.pk)
    assert codes(exc) == {"not_found"}


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (f.encrypted_pdf(), "locked.pdf", "pdf_encrypted"),
        (f.javascript_open_action_pdf(), "script.pdf", "pdf_javascript"),
        (f.jpeg(), "photo.pdf", "pdf_not_pdf"),
    ],
)
def test_a6_bad_pdf_refused_at_once_with_the_reason(data, name, code):
    user, _card = resident()
    draft = start(user)
    exc = refused(
        services.document_add,
        user=user,
        application=draft,
        kind="activity",
        upload=f.upload(data, name),
    )
    assert codes(exc, "file") == {code}
    assert not draft.documents.exists()


def test_a6_total_limit_over_the_current_documents(settings):
    user, _card = resident()
    draft = start(user)
    one = attach(user, draft)
    settings.ZAIRYU_UPLOAD_TOTAL_MAX_BYTES = one.size * 2 + 10
    attach(user, draft)
    exc = refused(
        services.document_add,
        user=user,
        application=draft,
        kind="activity",
        upload=f.upload(f.good_pdf(), "third.pdf"),
    )
    assert codes(exc, "file") == {"pdf_total_too_large"}
    # What fits goes with the declaration (Q4-3).
    services.document_remove(user=user, application=draft, document_id=one.pk)
    declared = attach(user, draft, kind="declaration", over_limit_declaration=True)
    assert declared.over_limit_declaration


def test_a6_document_kind_must_be_known():
    user, _card = resident()
    draft = start(user)
    exc = refused(
        services.document_add,
        user=user,
        application=draft,
        kind="selfie",
        upload=f.upload(f.good_pdf(), "a.pdf"),
    )
    assert codes(exc, "kind") == {"invalid_choice"}


def test_a7_photo_set_and_replaced():
    user, _card = resident()
    draft = start(user)
    first = attach_photo(user, draft)
    old_name = first.photo.name
    storage = first.photo.storage
    second = services.photo_set(
        user=user,
        application=draft,
        upload=f.upload(f.jpeg(width=200, height=260), "other.jpg", "image/jpeg"),
    )
    assert second.photo_sha256 != "" and second.photo.name != old_name
    assert second.photo_size == second.photo.size
    assert storage.exists(old_name)  # deleted only after commit
    assert AuditEvent.objects.filter(action="applications.application.photo_set").count() == 2


@pytest.mark.parametrize(
    ("data", "code"),
    [(f.jpeg_of_size(52_000), "photo_too_large"), (f.png(), "photo_not_jpeg")],
)
def test_a7_bad_photo_refused(data, code):
    user, _card = resident()
    draft = start(user)
    exc = refused(
        services.photo_set,
        user=user,
        application=draft,
        upload=f.upload(data, "face.jpg", "image/jpeg"),
    )
    assert codes(exc, "photo") == {code}


def test_a7_no_photo_asked_for_a_work_certificate():
    user, _card = resident()
    draft = start(user, procedure="work_certificate", status=None)
    exc = refused(
        services.photo_set,
        user=user,
        application=draft,
        upload=f.upload(f.jpeg(), "face.jpg", "image/jpeg"),
    )
    assert codes(exc, "photo") == {"photo_not_needed"}


def test_a7_no_photo_for_an_applicant_under_16():
    user, card = resident()
    draft = start(user)
    draft.applicant_birth_date = clock.today() - dt.timedelta(days=365 * 10)
    assert not services.photo_needed(draft)
    draft.applicant_birth_date = clock.today() - dt.timedelta(days=365 * 30)
    assert services.photo_needed(draft)


# --- handover (A-17) ---


def test_a17_draft_handed_to_a_colleague():
    staff, organization = make_organization_staff()
    colleague, _ = make_organization_staff(organization)
    draft = start(staff)
    handed = services.draft_handover(
        user=staff, application=draft, to_user=colleague, note="続きを"
    )
    assert handed.filer_id == colleague.pk
    handover = ApplicationHandover.objects.get(application=draft)
    assert (handover.from_user_id, handover.to_user_id, handover.note) == (
        staff.pk,
        colleague.pk,
        "続きを",
    )
    assert AuditEvent.objects.filter(action="applications.application.handed_over").exists()
    mail = Mail.objects.get(template="application_handed_over")
    assert mail.to_address == colleague.email
    assert "handed an unsubmitted application" in mail.body
    # The colleague continues it; the first staff member no longer can.
    save(colleague, draft, "personal1", {"sex": "M"}, partial=True)
    exc = refused(save, user=staff, application=draft, step="personal1", data={"sex": "F"})
    assert codes(exc) == {"not_draft"}


def test_a17_staff_hands_a_draft_to_a_lawyer():
    staff, _organization = make_organization_staff()
    lawyer = make_lawyer()
    draft = start(staff)
    assert services.draft_handover(user=staff, application=draft, to_user=lawyer).filer == lawyer


def test_a17_handover_refusals():
    staff, _organization = make_organization_staff()
    stranger, _other = make_organization_staff()
    draft = start(staff)
    exc = refused(services.draft_handover, user=staff, application=draft, to_user=stranger)
    assert codes(exc, "to_user") == {"handover_not_allowed"}
    user, _card = resident()
    own = start(user)
    exc = refused(services.draft_handover, user=user, application=own, to_user=make_lawyer())
    assert codes(exc, "to_user") == {"handover_not_allowed"}
    assert not ApplicationHandover.objects.exists()


def test_a17_only_drafts_are_handed_over():
    staff, organization = make_organization_staff()
    colleague, _ = make_organization_staff(organization)
    _user, card = resident()
    draft = complete_draft(staff, card, organization=organization)
    submit(staff, draft)
    exc = refused(services.draft_handover, user=staff, application=draft, to_user=colleague)
    assert codes(exc) == {"not_draft"}


# --- purge (A-9) ---


def test_a9_abandoned_drafts_purged_with_their_files(settings, django_capture_on_commit_callbacks):
    settings.ZAIRYU_DRAFT_PURGE_DAYS = 30
    user, card = resident()
    old = start(user, procedure="work_certificate", status=None)
    document = attach(user, old)
    storage, name = document.file.storage, document.file.name
    fresh = start(user)
    submitted = complete_draft(*resident())
    submit(submitted.filer, submitted)
    Application.objects.filter(pk__in=[old.pk, submitted.pk]).update(
        last_saved_at=clock.now() - dt.timedelta(days=31)
    )
    Application.objects.filter(pk=fresh.pk).update(
        last_saved_at=clock.now() - dt.timedelta(days=29)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.draft_purge() == 1
    assert not Application.objects.filter(pk=old.pk).exists()
    assert Application.objects.filter(pk__in=[fresh.pk, submitted.pk]).count() == 2
    assert not storage.exists(name)
    assert AuditEvent.objects.filter(
        action="applications.application.purged", object_id=str(old.pk)
    ).exists()


def test_a9_purge_and_sweep_registered():
    assert _housekeepers["applications_drafts"] is services.draft_purge
    assert _sweepers["applications_receipt"] is services.receipt_sweep


# --- what a user sees (A-11) ---


def test_a11_colleagues_see_organization_drafts_only():
    staff, organization = make_organization_staff()
    colleague, _ = make_organization_staff(organization)
    stranger, _other = make_organization_staff()
    draft = start(staff)
    _user, card = resident()
    filed = submit(staff, complete_draft(staff, card, organization=organization))
    assert set(selectors.applications_visible_to(staff)) == {draft, filed}
    assert set(selectors.applications_visible_to(colleague)) == {draft}
    assert selectors.filer_application_by_id(colleague, draft.pk) == draft
    with pytest.raises(Http404):
        selectors.filer_application_by_id(colleague, filed.pk)
    with pytest.raises(Http404):
        selectors.filer_application_by_id(stranger, draft.pk)
    with pytest.raises(Http404):
        selectors.filer_application_by_id(staff, 999_999)


def test_a11_list_searches_by_state():
    user, card = resident()
    draft = start(user, procedure="work_certificate", status=None)
    filed = submit(user, complete_draft(user, card))
    assert list(selectors.application_list(user, state="draft")) == [draft]
    assert list(selectors.application_list(user, state="submitted")) == [filed]
    assert set(selectors.application_list(user)) == {draft, filed}
    assert list(selectors.application_list(user, state="bogus")) == []
    assert list(selectors.application_list(user, text=filed.provisional_number)) == [filed]
    assert selectors.state_counts(user)["submitted"] == 1


def test_a11_timeline_lists_every_change():
    user, card = resident()
    filed = submit(user, complete_draft(user, card))
    services.receipt_number_assign(application_id=filed.pk)
    filed.refresh_from_db()
    entries = selectors.timeline(filed)
    assert [(e.kind, e.to_state) for e in entries] == [
        ("state", "draft"),
        ("state", "submitted"),
        ("receipt_number", ""),
    ]
    assert entries[-1].note == filed.receipt_number


def test_a3_step1_changed_on_a_draft_reopens_the_later_steps():
    user, card = resident()
    draft = start(user)
    save(user, draft, "personal1", personal1_for(card))
    saved = save(user, draft, "step1", {"period_requested": "P1Y"})
    assert saved.period_requested == "P1Y"
    assert saved.steps_done == ["step1"]
    exc = refused(save, user=user, application=draft, step="step1", data={"procedure": "coe"})
    assert codes(exc) == {"category_not_permitted"}
    assert Application.objects.get(pk=draft.pk).procedure_id == "extension"
