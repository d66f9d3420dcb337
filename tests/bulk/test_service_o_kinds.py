"""Service O row kinds (BK-1, BK-3, BK-4; 004 Q14): one row per worker or student, one file
is one filing of up to 300 people, the filing's items asked once; checks are the service O
checker's (``kinds.clean_values``) and the filing is made by ``ofiling_submit``."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.filings.service_o.conftest import make_o_account, worker
from zairyu.bulk.kinds import get_kind, kinds_for
from zairyu.bulk.models import JobState, RowState
from zairyu.bulk.services import error_file, template_file
from zairyu.cards.models import Organization
from zairyu.core import clock
from zairyu.filings.service_o.models import OFiling
from zairyu.mail.models import Mail

from .helpers import csv_file, days_ago, university, upload, upload_and_process, xlsx_file

CHANGE = "o_ssw_contract_change"
PERIODIC = "o_ssw_periodic"
ATTENDANCE = "o_jli_39_attendance"


def change_items():
    return {"event_date": days_ago(3), "change_content": "月給を改定"}


def last_month() -> str:
    return (clock.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


@pytest.fixture
def ssw():
    user, _org = make_o_account()
    user.email = "ssw@zairyu.example"
    user.save()
    return user


@pytest.fixture
def jli():
    user, _org = make_o_account(kind=Organization.Kind.LANGUAGE_SCHOOL, name="法務日本語学校")
    return user


def test_bk1_kinds_with_several_people_are_offered_to_their_filers(ssw, jli):
    ssw_keys = {k.key for k in kinds_for(ssw)}
    assert {CHANGE, "o_ssw_contract_end", "o_ssw_contract_new", PERIODIC} <= ssw_keys
    # One worker per filing (form 3-2, 3-4 …) or no sheet: no bulk kind.
    assert "o_ssw_support_plan_change" not in ssw_keys
    assert "o_ssw_entrustment_conclusion" not in ssw_keys
    assert not {k for k in ssw_keys if k.startswith("o_jli")}
    jli_keys = {k.key for k in kinds_for(jli)}
    assert {"o_jli_38_withdrawals", ATTENDANCE} <= jli_keys
    assert "o_jli_44_attainment" not in jli_keys
    school, _ = university()
    assert not [k for k in kinds_for(school) if k.service == "O"]


def test_bk2_columns_are_the_sheet_items_and_options_the_filing_items(ssw):
    kind = get_kind(CHANGE)
    names = [c.name for c in kind.columns(ssw)]
    assert names == ["card_number", "roman_name", "nationality", "birth_date", "sex"]
    nationality = next(c for c in kind.columns(ssw) if c.name == "nationality")
    assert ("VNM", "Viet Nam") in nationality.choices or any(
        code == "VNM" for code, _label in nationality.choices
    )
    assert set(kind.option_fields(ssw)) == {"event_date", "change_content"}
    content, name, _type = template_file(kind, ssw, "xlsx")
    assert name == f"{CHANGE}.xlsx" and content[:2] == b"PK"


def test_bk1_one_file_is_one_filing_of_all_its_workers(ssw):
    rows = [worker(n) for n in range(1, 4)]
    job = upload_and_process(ssw, CHANGE, csv_file(CHANGE, ssw, rows), **change_items())
    assert job.state == JobState.DONE
    assert (job.accepted_rows, job.error_rows) == (3, 0)
    filing = OFiling.objects.get()
    assert filing.kind_id == "ssw_contract_change"
    assert filing.filer == ssw
    assert [w["card_number"] for w in filing.content["workers"]] == [r["card_number"] for r in rows]
    assert filing.content["items"]["change_content"] == "月給を改定"
    assert set(job.rows.values_list("object_number", flat=True)) == {filing.number}
    # The service's reception mail (one filing) and the job's summary; no mail per worker.
    assert Mail.objects.filter(template="service_o_received").count() == 1
    assert Mail.objects.filter(template="bulk_done").count() == 1


def test_bk1_300_workers_make_one_filing_004_q14(ssw):
    rows = [worker(n) for n in range(1, 301)]
    job = upload_and_process(ssw, CHANGE, csv_file(CHANGE, ssw, rows), **change_items())
    assert (job.accepted_rows, job.error_rows) == (300, 0)
    assert len(OFiling.objects.get().content["workers"]) == 300


def test_bk3_rows_with_errors_are_left_out_and_reported_by_cell(ssw):
    rows = [
        worker(1),
        worker(2, card_number="AB12"),
        worker(3, sex=""),
        worker(4),
    ]
    job = upload_and_process(ssw, CHANGE, csv_file(CHANGE, ssw, rows), **change_items())
    assert (job.accepted_rows, job.error_rows) == (2, 2)
    filing = OFiling.objects.get()
    assert [w["card_number"] for w in filing.content["workers"]] == [
        "SW00000001KK",
        "SW00000004KK",
    ]
    bad_number = job.rows.get(row_number=3)
    assert bad_number.state == RowState.ERROR
    assert bad_number.errors_for("card_number")
    assert "Residence card number" in bad_number.errors_for("card_number")[0]
    missing_sex = job.rows.get(row_number=4)
    assert missing_sex.errors_for("sex") == ["Worker 3: Sex is empty. Fill it in."]
    # BK-4: the error file holds those two rows, ready to correct and upload again.
    content, _name, _type = error_file(job, "csv")
    text = content.decode("utf-8-sig")
    assert "AB12" in text and "SW00000001KK" not in text


def test_bk4_a_workers_choice_error_lists_the_allowed_values(ssw):
    rows = [worker(1), worker(2, sex="X")]
    job = upload_and_process(ssw, CHANGE, csv_file(CHANGE, ssw, rows), **change_items())
    assert (job.accepted_rows, job.error_rows) == (1, 1)
    (message,) = job.rows.get(row_number=3).errors_for("sex")
    assert message.startswith("Worker 2: Sex: choose one from the list.")
    assert message.endswith(" Allowed values: M or F.")


def test_bk3_the_same_worker_twice_marks_both_rows(ssw):
    rows = [worker(1), worker(2), worker(1, roman_name="NGUYEN VAN BINH")]
    job = upload_and_process(ssw, CHANGE, csv_file(CHANGE, ssw, rows), **change_items())
    assert (job.accepted_rows, job.error_rows) == (1, 2)
    for number in (2, 4):
        errors = job.rows.get(row_number=number).errors_for("card_number")
        assert errors == ["The same residence card number is entered twice. List each person once."]
    assert len(OFiling.objects.get().content["workers"]) == 1


def test_bk1_filing_items_are_checked_at_upload_nothing_recorded(ssw):
    content = csv_file(CHANGE, ssw, [worker(1)])
    with pytest.raises(ValidationError) as refused:
        upload(ssw, CHANGE, content, event_date="", change_content="月給を改定")
    assert "event_date" in refused.value.error_dict
    future = (clock.today() + dt.timedelta(days=2)).isoformat()
    with pytest.raises(ValidationError) as refused:
        upload(ssw, CHANGE, content, event_date=future, change_content="月給を改定")
    assert "event_date" in refused.value.error_dict
    assert not OFiling.objects.exists()


def test_bk3_a_refusal_of_the_filing_is_shown_on_every_row(ssw):
    """The periodic notification outside its window (form 3-6: 1 April - 31 May)."""
    rows = [
        {**worker(n), "working_days": "21.5", "working_hours": "168.0", "monthly_pay": "230000"}
        for n in (1, 2)
    ]
    with clock.frozen(clock.tokyo_datetime(2026, 7, 1, 10)):
        job = upload_and_process(
            ssw, PERIODIC, csv_file(PERIODIC, ssw, rows), support_status="計画どおり実施"
        )
    assert (job.accepted_rows, job.error_rows) == (0, 2)
    assert not OFiling.objects.exists()
    for row in job.rows.all():
        assert len(row.row_errors) == 1
        assert "is filed only from April 1, 2026 to May 31, 2026" in row.row_errors[0]
    with clock.frozen(clock.tokyo_datetime(2026, 4, 20, 10)):
        job = upload_and_process(
            ssw, PERIODIC, csv_file(PERIODIC, ssw, rows), support_status="計画どおり実施"
        )
    assert (job.accepted_rows, job.error_rows) == (2, 0)
    assert OFiling.objects.get().content["workers"][0]["monthly_pay"] == 230000


def test_bk2_jli_students_from_xlsx_with_list_entries(jli):
    rows = [
        {**worker(1), "nationality": "VNM: Viet Nam", "attendance_rate": "42.5"},
        {**worker(2), "attendance_rate": "75"},
    ]
    job = upload_and_process(
        jli, ATTENDANCE, xlsx_file(ATTENDANCE, jli, rows), "rows.xlsx", month=last_month()
    )
    assert (job.accepted_rows, job.error_rows) == (1, 1)
    assert job.rows.get(row_number=3).errors_for("attendance_rate")
    filing = OFiling.objects.get()
    assert filing.content["workers"][0]["nationality"] == "VNM"
    assert filing.content["items"]["month"] == last_month()


def test_bk1_rerun_of_a_job_files_once(ssw):
    from zairyu.bulk.services import bulk_process

    rows = [worker(1), worker(2)]
    job = upload_and_process(ssw, CHANGE, csv_file(CHANGE, ssw, rows), **change_items())
    job.rows.update(state=RowState.PENDING)
    type(job).objects.filter(pk=job.pk).update(state=JobState.PROCESSING, leased_until=None)
    bulk_process(job_id=job.pk)
    assert OFiling.objects.count() == 1
