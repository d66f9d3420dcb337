"""Service O actions (OF-1, OF-2, OF-5): every kind filed, bad input by field, the state table,
versions, mails in the outbox, the periodic window and retention."""

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError

from zairyu.audit.models import AuditEvent
from zairyu.cards.models import Organization
from zairyu.core import clock
from zairyu.core.work import run_housekeeping
from zairyu.filings.service_o import kinds, rules, services
from zairyu.filings.service_o.models import OFiling, OFilingState, OFilingVersion
from zairyu.mail.models import Mail
from zairyu.reference.models import ServiceOKind

from .conftest import file, items_for, make_o_account, worker

SSW_KINDS = [c for c in kinds.SPECS if c.startswith("ssw_") and c != "ssw_periodic"]
RSO_KINDS = [c for c in kinds.SPECS if c.startswith("rso_")]
JLI_KINDS = [c for c in kinds.SPECS if c.startswith("jli_")]


def codes(exc: ValidationError, key: str) -> list[str]:
    return [e.code for e in exc.error_dict[key]]


def test_of1_every_kind_in_the_reference_data_has_items():
    assert set(ServiceOKind.objects.values_list("code", flat=True)) == set(kinds.SPECS)


@pytest.mark.parametrize("code", SSW_KINDS)
def test_of1_ssw_organization_files_each_kind(ssw, code):
    user, organization = ssw
    filing = file(user, code)
    assert filing.state == OFilingState.PENDING
    assert filing.organization == organization and filing.bureau_id == organization.bureau_id
    _, rows = items_for(code)
    assert len(filing.content["workers"]) == len(rows)
    assert filing.deadline is not None and not filing.late
    assert Mail.objects.filter(template="service_o_received", to_address=user.email).count() == 1
    assert AuditEvent.objects.filter(
        action="service_o.filing.submitted", object_id=str(filing.pk)
    ).exists()


def test_of1_periodic_notification_with_per_worker_sheet(ssw, in_window):
    user, _ = ssw
    filing = file(user, "ssw_periodic")
    assert filing.fiscal_year == 2025
    assert filing.content["period"] == {
        "fiscal_year": 2025,
        "start": "2025-04-01",
        "end": "2026-03-31",
    }
    first = filing.content["workers"][0]
    assert first["working_days"] == "21.5" and first["working_hours"] == "168.0"
    assert first["monthly_pay"] == 230000
    assert filing.deadline == dt.date(2026, 5, 31)  # the window closes, whatever the weekday


@pytest.mark.parametrize("code", RSO_KINDS)
def test_of1_registered_support_organization_files_each_kind(rso, code):
    user, _ = rso
    assert file(user, code).state == OFilingState.PENDING


@pytest.mark.parametrize("code", JLI_KINDS)
def test_of1_japanese_language_institution_files_each_report(jli, code):
    user, _ = jli
    assert file(user, code).state == OFilingState.PENDING


def test_of1_kind_of_another_organization_type_is_refused(ssw, jli):
    with pytest.raises(ValidationError) as exc:
        file(ssw[0], "jli_38_withdrawals")
    assert codes(exc.value, "__all__") == ["kind_not_for_organization"]
    with pytest.raises(ValidationError):
        file(jli[0], "ssw_acceptance_difficulty")


def test_of1_company_or_service_n_only_account_is_refused():
    user, _ = make_o_account(kind=Organization.Kind.COMPANY)
    with pytest.raises(ValidationError) as exc:
        file(user, "ssw_contract_end")
    assert codes(exc.value, "__all__") == ["not_service_o"]
    user, _ = make_o_account()
    user.uses_service_o = False
    user.save()
    with pytest.raises(ValidationError):
        file(user, "ssw_contract_end")


def test_of1_difficulty_summary_is_at_most_20_full_width_characters(ssw):
    user, _ = ssw
    items, rows = items_for("ssw_acceptance_difficulty")
    ok = file(user, "ssw_acceptance_difficulty", items={**items, "summary": "あ" * 20})
    assert ok.content["items"]["summary"] == "あ" * 20
    with pytest.raises(ValidationError) as exc:
        file(user, "ssw_acceptance_difficulty", items={**items, "summary": "あ" * 21})
    assert codes(exc.value, "summary") == ["jis_too_long"]
    # Half-width is converted to full width and counted as such.
    converted = file(user, "ssw_acceptance_difficulty", items={**items, "summary": "ABC123"})
    assert converted.content["items"]["summary"] == "ＡＢＣ１２３"
    with pytest.raises(ValidationError) as exc:
        file(user, "ssw_acceptance_difficulty", items={**items, "summary": "髙橋が失踪"})
    assert codes(exc.value, "summary") == ["jis_character"]


def test_of1_difficulty_reason_codes_come_from_the_reference_data(ssw):
    user, _ = ssw
    items, _ = items_for("ssw_acceptance_difficulty")
    for code in ("org_business", "worker_dismissal"):
        assert file(user, "ssw_acceptance_difficulty", items={**items, "reason": code})
    with pytest.raises(ValidationError) as exc:
        file(user, "ssw_acceptance_difficulty", items={**items, "reason": "bankrupt"})
    assert codes(exc.value, "reason") == ["invalid_choice"]
    with pytest.raises(ValidationError) as exc:
        file(user, "ssw_acceptance_difficulty", items={**items, "worker_reachable": "maybe"})
    assert codes(exc.value, "worker_reachable") == ["invalid_choice"]


def test_of4_bad_input_is_reported_by_field(ssw):
    user, _ = ssw
    future = (clock.today() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError) as exc:
        file(
            user,
            "ssw_acceptance_difficulty",
            items={
                "reason": "",
                "event_date": future,
                "summary": "",
                "worker_reachable": "yes",
                "measures": "123456789018",  # a My Number is refused
            },
            rows=[worker(1, card_number="AB123", roman_name="nguyen 2", birth_date="1998-02-30")],
        )
    errors = exc.value.error_dict
    assert codes(exc.value, "reason") == ["required"]
    assert codes(exc.value, "event_date") == ["date_in_future"]
    assert codes(exc.value, "summary") == ["required"]
    assert codes(exc.value, "measures") == ["my_number_refused"]
    assert codes(exc.value, "workers-0-card_number") == ["residence_card_number_length"]
    assert codes(exc.value, "workers-0-roman_name") == ["roman_name_character"]
    assert codes(exc.value, "workers-0-birth_date") == ["invalid_date"]
    assert "Worker 1" in errors["workers-0-card_number"][0].message % (
        errors["workers-0-card_number"][0].params or {}
    )
    assert not OFiling.objects.exists()


def test_of4_sheet_rules(ssw):
    user, _ = ssw
    with pytest.raises(ValidationError) as exc:
        file(user, "ssw_contract_end", rows=[])
    assert codes(exc.value, "workers") == ["no_rows"]
    with pytest.raises(ValidationError) as exc:
        file(user, "ssw_acceptance_difficulty", rows=[worker(1), worker(2)])
    assert codes(exc.value, "workers") == ["too_many_rows"]  # one worker per form 3-4
    with pytest.raises(ValidationError) as exc:
        file(user, "ssw_contract_end", rows=[worker(1), worker(1)])
    assert codes(exc.value, "workers") == ["duplicate_person"]
    with pytest.raises(ValidationError) as exc:
        file(user, "ssw_contract_end", rows=[worker(n) for n in range(301)])
    assert codes(exc.value, "workers") == ["too_many_rows"]
    filing = file(
        user,
        "ssw_contract_end",
        rows=[worker(1, roman_name="nguyen,van an", card_number="sw00000001kk")],
    )
    assert filing.content["workers"][0]["roman_name"] == "NGUYEN VAN AN"
    assert filing.content["workers"][0]["card_number"] == "SW00000001KK"


def test_of4_numbers_and_other_formats(ssw, rso, jli, in_window):
    with pytest.raises(ValidationError) as exc:
        file(
            ssw[0],
            "ssw_periodic",
            rows=[worker(1, working_days="32", working_hours="abc", monthly_pay="1.5")],
        )
    assert codes(exc.value, "workers-0-working_days") == ["out_of_range"]
    assert codes(exc.value, "workers-0-working_hours") == ["invalid_number"]
    assert codes(exc.value, "workers-0-monthly_pay") == ["not_whole"]
    items, _ = items_for("ssw_entrustment_end")
    with pytest.raises(ValidationError) as exc:
        file(ssw[0], "ssw_entrustment_end", items={**items, "rso_number": "19-1"})
    assert codes(exc.value, "rso_number") == ["rso_number"]
    items, _ = items_for("ssw_contract_end")
    with pytest.raises(ValidationError) as exc:
        file(ssw[0], "ssw_contract_end", items={**items, "end_reason": "other"})
    assert codes(exc.value, "end_reason_detail") == ["required"]
    items, _ = items_for("jli_44_attainment")
    with pytest.raises(ValidationError) as exc:
        file(jli[0], "jli_44_attainment", items={**items, "further_study": "101"})
    assert codes(exc.value, "further_study") == ["more_than_completers"]
    with pytest.raises(ValidationError) as exc:
        file(jli[0], "jli_44_attainment", items={**items, "further_study": "80", "cefr_a2": "30"})
    assert codes(exc.value, "cefr_a2") == ["sum_more_than_completers"]
    with pytest.raises(ValidationError) as exc:
        file(jli[0], "jli_39_attendance", rows=[worker(1, attendance_rate="50")])
    assert codes(exc.value, "workers-0-attendance_rate") == ["out_of_range"]
    with pytest.raises(ValidationError) as exc:
        file(jli[0], "jli_38_withdrawals", items={"month": "2099-01"})
    assert codes(exc.value, "month") == ["month_in_future"]


def test_of1_deadlines_and_late_filings(ssw, rso, jli):
    user, _ = ssw
    items, _ = items_for("ssw_contract_end")
    with clock.frozen(clock.tokyo_datetime(2026, 6, 30, 10)):
        late = file(user, "ssw_contract_end", items={**items, "event_date": "2026-06-01"})
        assert late.deadline == dt.date(2026, 6, 15) and late.late  # accepted, marked late
        report = file(
            jli[0],
            "jli_38_withdrawals",
            items={"month": "2026-05"},
            rows=[worker(1, withdrawal_date="2026-05-20", withdrawal_reason="帰国")],
        )
        assert report.deadline == dt.date(2026, 6, 30) and not report.late
        resumption = file(rso[0], "rso_resumption", items={"resume_date": "2026-07-15"})
        assert resumption.deadline == dt.date(2026, 6, 15) and resumption.late


def test_of1_periodic_window_boundaries(ssw):
    user, _ = ssw
    for day, accepted in (
        (dt.datetime(2026, 3, 31, 23, 59), False),
        (dt.datetime(2026, 4, 1, 0, 0), True),
        (dt.datetime(2026, 5, 31, 23, 59), True),
        (dt.datetime(2026, 6, 1, 0, 0), False),
    ):
        moment = clock.tokyo_datetime(day.year, day.month, day.day, day.hour, day.minute)
        with clock.frozen(moment):
            if accepted:
                assert file(user, "ssw_periodic").fiscal_year == 2025
            else:
                with pytest.raises(ValidationError) as exc:
                    file(user, "ssw_periodic")
                assert codes(exc.value, "__all__") == ["outside_window"]
                message = exc.value.error_dict["__all__"][0].message
                assert "cannot be filed today" in message and "2026" in message
    assert OFiling.objects.count() == 2


def test_of2_double_submission_creates_one_filing(ssw):
    user, _ = ssw
    token = uuid.uuid4()
    first = file(user, "ssw_contract_end", token=token)
    again = file(user, "ssw_contract_end", token=token)
    assert first.pk == again.pk and OFiling.objects.count() == 1
    assert Mail.objects.filter(template="service_o_received").count() == 1
    other, _ = make_o_account()
    with pytest.raises(ValidationError):
        file(other, "ssw_contract_end", token=token)


def test_of2_filer_changes_pending_filing_keeping_the_earlier_version(ssw):
    user, _ = ssw
    filing = file(user, "ssw_contract_change")
    items, rows = items_for("ssw_contract_change")
    token = uuid.uuid4()
    changed = services.ofiling_change(
        user=user,
        filing=filing,
        items={**items, "change_content": "勤務時間を変更"},
        rows=rows,
        token=token,
    )
    assert changed.state == OFilingState.PENDING and changed.version == 2
    assert changed.content["items"]["change_content"] == "勤務時間を変更"
    old = OFilingVersion.objects.get(filing=filing)
    assert old.number == 1 and old.content["items"]["change_content"] == "月給を改定"
    # The same change sent again (back button) is applied once.
    again = services.ofiling_change(user=user, filing=filing, items=items, rows=rows, token=token)
    assert again.version == 2 and OFilingVersion.objects.count() == 1
    assert Mail.objects.filter(template="service_o_changed", to_address=user.email).count() == 1
    assert AuditEvent.objects.filter(action="service_o.filing.changed").count() == 1
    with pytest.raises(ValidationError) as exc:
        services.ofiling_change(
            user=user,
            filing=filing,
            items={**items, "change_content": ""},
            rows=rows,
            token=uuid.uuid4(),
        )
    assert codes(exc.value, "change_content") == ["required"]


def test_of2_filer_withdraws_pending_filing(ssw):
    user, _ = ssw
    filing = services.ofiling_withdraw(user=user, filing=file(user, "ssw_non_conformity"))
    assert filing.state == OFilingState.WITHDRAWN
    mail = Mail.objects.get(template="service_o_withdrawn")
    assert mail.to_address == user.email and filing.number in mail.subject


def test_of2_completed_cannot_be_changed_or_withdrawn(ssw, officer):
    user, _ = ssw
    filing = file(user, "ssw_contract_end")
    filing = services.ofiling_complete(actor=officer, filing=filing)
    assert filing.state == OFilingState.COMPLETED
    items, rows = items_for("ssw_contract_end")
    with pytest.raises(ValidationError) as exc:
        services.ofiling_change(
            user=user, filing=filing, items=items, rows=rows, token=uuid.uuid4()
        )
    assert codes(exc.value, "__all__") == ["not_changeable"]
    with pytest.raises(ValidationError) as exc:
        services.ofiling_withdraw(user=user, filing=filing)
    assert codes(exc.value, "__all__") == ["not_changeable"]
    with pytest.raises(ValidationError):
        services.ofiling_withdraw_by_officer(actor=officer, filing=filing, reason="依頼")
    filing.refresh_from_db()
    assert filing.state == OFilingState.COMPLETED and filing.version == 1
    assert Mail.objects.filter(template="service_o_completed", to_address=user.email).count() == 1


def test_of2_withdrawn_cannot_be_changed(ssw):
    user, _ = ssw
    filing = services.ofiling_withdraw(user=user, filing=file(user, "ssw_contract_end"))
    items, rows = items_for("ssw_contract_end")
    with pytest.raises(ValidationError):
        services.ofiling_change(
            user=user, filing=filing, items=items, rows=rows, token=uuid.uuid4()
        )


def test_of2_returned_jli_report_is_corrected_and_resubmitted(jli, officer):
    user, _ = jli
    filing = file(user, "jli_39_attendance")
    returned = services.ofiling_return(
        actor=officer, filing=filing, text="出席率の算定期間を確認してください。"
    )
    assert returned.state == OFilingState.RETURNED
    assert returned.correction_request == "出席率の算定期間を確認してください。"
    mail = Mail.objects.get(template="service_o_returned")
    assert mail.to_address == user.email and "出席率の算定期間" in mail.body
    items, _ = items_for("jli_39_attendance")
    resubmitted = services.ofiling_change(
        user=user,
        filing=returned,
        items=items,
        rows=[worker(1, attendance_rate="38.0", part_time_employer="")],
        token=uuid.uuid4(),
    )
    assert resubmitted.state == OFilingState.PENDING and resubmitted.version == 2
    assert resubmitted.content["workers"][0]["attendance_rate"] == "38.0"
    assert Mail.objects.filter(template="service_o_changed").count() == 1
    assert list(resubmitted.changes.values_list("action", flat=True)) == [
        "submitted",
        "returned",
        "resubmitted",
    ]
    assert services.ofiling_complete(actor=officer, filing=resubmitted).state == "completed"


def test_of2_returned_report_may_be_withdrawn(jli, officer):
    user, _ = jli
    filing = services.ofiling_return(
        actor=officer, filing=file(user, "jli_44_attainment"), text="修正"
    )
    assert services.ofiling_withdraw(user=user, filing=filing).state == OFilingState.WITHDRAWN


def test_of2_only_jli_reports_can_be_returned(ssw, officer):
    filing = file(ssw[0], "ssw_contract_end")
    with pytest.raises(ValidationError) as exc:
        services.ofiling_return(actor=officer, filing=filing, text="修正してください")
    assert codes(exc.value, "__all__") == ["not_returnable"]
    assert not rules.may_transition(filing.kind, "pending", "returned")
    filing.refresh_from_db()
    assert filing.state == OFilingState.PENDING


def test_bo4_return_needs_a_text_and_a_pending_report(jli, officer):
    filing = file(jli[0], "jli_38_withdrawals")
    with pytest.raises(ValidationError) as exc:
        services.ofiling_return(actor=officer, filing=filing, text="  ")
    assert codes(exc.value, "text") == ["correction_required"]
    services.ofiling_complete(actor=officer, filing=filing)
    with pytest.raises(ValidationError) as exc:
        services.ofiling_return(actor=officer, filing=filing, text="修正")
    assert codes(exc.value, "__all__") == ["not_returnable_state"]


def test_bo4_officer_records_a_withdrawal_with_a_reason(ssw, officer):
    filing = file(ssw[0], "ssw_contract_end")
    with pytest.raises(ValidationError) as exc:
        services.ofiling_withdraw_by_officer(actor=officer, filing=filing, reason="")
    assert codes(exc.value, "reason") == ["reason_required"]
    done = services.ofiling_withdraw_by_officer(
        actor=officer, filing=filing, reason="窓口で取下げの申出"
    )
    assert done.state == OFilingState.WITHDRAWN
    assert "窓口で取下げの申出" in Mail.objects.get(template="service_o_withdrawn").body


def test_sec1_officer_of_another_bureau_cannot_act(ssw):
    from tests.filings.factories import make_officer

    filing = file(ssw[0], "ssw_contract_end")  # Tokyo
    osaka = make_officer(bureau_id="osaka")
    with pytest.raises(PermissionError):
        services.ofiling_complete(actor=osaka, filing=filing)
    other, _ = make_o_account()
    with pytest.raises(PermissionError):
        services.ofiling_withdraw(user=other, filing=filing)


def test_of5_mails_in_japanese_and_english(officer):
    ja_user, _ = make_o_account(
        kind=Organization.Kind.LANGUAGE_SCHOOL, name="霞日本語学校", language="ja"
    )
    filing = file(ja_user, "jli_38_withdrawals")
    services.ofiling_return(actor=officer, filing=filing, text="退学日を確認してください")
    received = Mail.objects.get(template="service_o_received")
    returned = Mail.objects.get(template="service_o_returned")
    assert "受け付けました" in received.subject and "処理待ち" in received.body
    assert "告示基準第38号" in received.body
    assert "修正依頼" in returned.subject and "返却中" in returned.body
    en_user, _ = make_o_account(language="en")
    en = file(en_user, "ssw_contract_end")
    services.ofiling_complete(actor=officer, filing=en)
    completed = Mail.objects.get(template="service_o_completed", to_address=en_user.email)
    assert "completed" in completed.subject.lower() and en.number in completed.body


def test_of3_retention_purges_final_filings_only(ssw, officer, settings):
    settings.ZAIRYU_SERVICE_O_RETENTION_DAYS = 30
    user, _ = ssw
    start = clock.tokyo_datetime(2026, 1, 5, 10)
    with clock.frozen(start):
        completed = services.ofiling_complete(actor=officer, filing=file(user, "ssw_contract_end"))
        withdrawn = services.ofiling_withdraw(user=user, filing=file(user, "ssw_contract_end"))
        pending = file(user, "ssw_contract_end")
        changed = file(user, "ssw_contract_change")
        items, rows = items_for("ssw_contract_change")
        services.ofiling_change(
            user=user, filing=changed, items=items, rows=rows, token=uuid.uuid4()
        )
        services.ofiling_complete(actor=officer, filing=changed)
    with clock.frozen(start + dt.timedelta(days=29)):
        assert services.ofiling_purge() == 0
    with clock.frozen(start + dt.timedelta(days=31)):
        counts = run_housekeeping()
    assert counts["service_o_retention"] == 3
    assert list(OFiling.objects.values_list("pk", flat=True)) == [pending.pk]
    assert not OFilingVersion.objects.exists()
    purged = AuditEvent.objects.get(action="service_o.filing.purged")
    assert sorted(purged.after["filings"]) == sorted([completed.pk, withdrawn.pk, changed.pk])
    assert purged.after["retention_days"] == 30
