"""Service A row kinds (BK-1, BK-5; 002 Q4-23..Q4-26): one procedure and one input screen
(status) per file; complete rows land as 入力完了 drafts through application_start and
draft_save, rows with errors as エラー(一括登録) applications that the filer can view and
delete."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.applications.factories import make_lawyer
from tests.cards.factories import make_card
from zairyu.applications.models import Application, ApplicationState
from zairyu.audit.models import AuditEvent
from zairyu.bulk.kinds import get_kind, kinds_for
from zairyu.bulk.models import RowState
from zairyu.bulk.services import bulk_error_delete
from zairyu.core import clock

from .helpers import csv_file, upload, upload_and_process

EXTENSION = "a_extension"


@pytest.fixture(autouse=True)
def _open(settings):
    settings.ZAIRYU_SERVICE_A_ALLOWED_NETWORKS = []


def holder(n: int):
    end = clock.today() + dt.timedelta(days=60)
    return make_card(
        number=f"BA{n:08d}EX",
        roman_name=f"NGUYEN VAN {'ABCDEFGH'[n % 8]}",
        status_id="engineer_humanities_international",
        stay_until=end,
        card_valid_until=end,
    )


def row_for(card, **overrides) -> dict:
    row = {
        "nationality": card.nationality_id,
        "roman_name": card.roman_name.replace(" ", ","),
        "sex": card.sex,
        "birth_date": card.birth_date.isoformat(),
        "prefecture": card.prefecture_id,
        "municipality": card.municipality_id or "",
        "address": "霞が関1-1-1",
        "card_number": card.number,
        "card_valid_until": card.card_valid_until.isoformat(),
        # STEP2-3 applies to this status (002 Q5-11): the organization's columns are filled.
        "organization_name": "株式会社法務商事",
        "organization_prefecture": "13",
        "organization_address": "千代田区丸の内1-1",
        "receipt_method": "post",
        "applicant_email": "applicant@example.jp",
    }
    row.update(overrides)
    return row


OPTIONS = {"status": "engineer_humanities_international"}


def test_bk5_kinds_offered_to_those_who_file_for_others():
    lawyer = make_lawyer()
    keys = {k.key for k in kinds_for(lawyer)}
    assert EXTENSION in keys
    from tests.applications.factories import make_foreign_national

    own, _card = make_foreign_national()
    assert not [k for k in kinds_for(own) if k.service == "A"]


def test_bk1_columns_come_from_the_input_screens():
    lawyer = make_lawyer()
    names = [c.name for c in get_kind(EXTENSION).columns(lawyer)]
    for name in ("nationality", "roman_name", "card_number", "receipt_method", "applicant_email"):
        assert name in names
    assert "passport_number" not in names  # a COE screen's field, not an extension's
    assert "passport_number" in [c.name for c in get_kind("a_coe").columns(lawyer)]
    assert "card_number" not in [c.name for c in get_kind("a_coe").columns(lawyer)]


def test_bk1_one_status_per_file_asked_once():
    lawyer = make_lawyer()
    content = csv_file(EXTENSION, lawyer, [row_for(holder(1))])
    with pytest.raises(ValidationError) as refused:
        upload(lawyer, EXTENSION, content)
    assert "status" in refused.value.error_dict
    assert not Application.objects.exists()


def test_bk5_rows_land_as_drafts_or_bulk_errors():
    lawyer = make_lawyer()
    good, other, mismatch = holder(1), holder(2), holder(3)
    rows = [
        row_for(good),
        row_for(mismatch, card_valid_until="2031-01-01"),  # not what the card says
        row_for(other, applicant_email="not-an-address"),
    ]
    job = upload_and_process(lawyer, EXTENSION, csv_file(EXTENSION, lawyer, rows), **OPTIONS)
    assert (job.accepted_rows, job.error_rows) == (1, 2)
    draft = Application.objects.get(state=ApplicationState.DRAFT)
    assert draft.filer == lawyer
    assert draft.applicant_card == good
    assert {"step1", "personal1", "personal2", "organization", "step3"} <= set(draft.steps_done)
    errors = Application.objects.filter(state=ApplicationState.BULK_ERROR)
    assert errors.count() == 2
    mismatched = job.rows.get(row_number=3)
    assert mismatched.state == RowState.ERROR
    assert mismatched.object_type == "applications.application"
    error_app = Application.objects.get(pk=mismatched.object_id)
    assert error_app.state == ApplicationState.BULK_ERROR
    # The input is kept as typed, with the errors, for the filer to view (002 Q4-25).
    assert error_app.content["personal2"]["card_valid_until"] == "2031-01-01"
    assert error_app.content["bulk"]["errors"] == mismatched.errors
    assert any(e["code"] == "card_mismatch" for e in mismatched.errors)
    bad_mail = job.rows.get(row_number=4)
    assert bad_mail.errors_for("applicant_email")
    # The failed rows left no draft behind (one application per row).
    assert Application.objects.count() == 3


def test_bk5_error_rows_are_deleted_by_their_filer_only_and_audited():
    lawyer = make_lawyer()
    rows = [row_for(holder(4)), row_for(holder(5), receipt_method="")]
    job = upload_and_process(lawyer, EXTENSION, csv_file(EXTENSION, lawyer, rows), **OPTIONS)
    ok_row, bad_row = job.rows.get(row_number=2), job.rows.get(row_number=3)
    assert (ok_row.state, bad_row.state) == (RowState.ACCEPTED, RowState.ERROR)
    stranger = make_lawyer()
    with pytest.raises(ValidationError):
        bulk_error_delete(user=stranger, row_id=bad_row.pk)
    with pytest.raises(ValidationError):  # a 入力完了 draft is not deleted here
        bulk_error_delete(user=lawyer, row_id=ok_row.pk)
    application_id = int(bad_row.object_id)
    bulk_error_delete(user=lawyer, row_id=bad_row.pk)
    assert not Application.objects.filter(pk=application_id).exists()
    assert Application.objects.filter(state=ApplicationState.DRAFT).count() == 1
    event = AuditEvent.objects.get(action="bulk.application.deleted")
    assert event.object_id == str(application_id)
    bad_row.refresh_from_db()
    assert bad_row.object_id == "" and bad_row.errors  # the errors stay on the job page
    with pytest.raises(ValidationError):
        bulk_error_delete(user=lawyer, row_id=bad_row.pk)


def test_bk5_job_page_lists_error_applications_with_delete(client):
    from django.urls import reverse

    lawyer = make_lawyer()
    rows = [row_for(holder(6)), row_for(holder(7), receipt_method="")]
    job = upload_and_process(lawyer, EXTENSION, csv_file(EXTENSION, lawyer, rows), **OPTIONS)
    bad_row = job.rows.get(row_number=3)
    client.force_login(lawyer)
    page = client.get(reverse("bulk:job", args=[job.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Error (bulk registration)" in text
    delete_url = reverse("bulk:delete_row", args=[job.pk, bad_row.pk])
    assert delete_url in text
    assert reverse("applications:detail", args=[bad_row.object_id]) in text
    # Another user gets the same 404 as for a missing job; GET is not allowed.
    other = make_lawyer()
    client.force_login(other)
    assert client.post(delete_url).status_code == 404
    client.force_login(lawyer)
    assert client.get(delete_url).status_code == 405
    response = client.post(delete_url)
    assert response.status_code == 302
    assert not Application.objects.filter(state=ApplicationState.BULK_ERROR).exists()
    assert client.post(delete_url).status_code == 404  # already deleted
