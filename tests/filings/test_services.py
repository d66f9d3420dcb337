"""Services of service N: submission rules (NF-1..NF-4), registration (NF-5, NF-6), the state
table, the officer actions (BO-4) and the background-work contract."""

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError

from zairyu.audit.models import AuditEvent
from zairyu.cards.models import Organization
from zairyu.cards.services import card_invalidate
from zairyu.core import clock
from zairyu.filings import errors, services
from zairyu.filings.models import TRANSITIONS, Filing, FilingState, FilingStateChange
from zairyu.filings.services import CardFace, RosterLine
from zairyu.mail.models import Mail
from zairyu.reference.models import NotificationEvent

from .factories import days_ago, make_officer, make_organization_account, make_resident


def event(code: str) -> NotificationEvent:
    return NotificationEvent.objects.get(pk=code)


def codes(exc: ValidationError) -> set[str]:
    return {e.code for errs in exc.error_dict.values() for e in errs}


def face_of(card, **overrides) -> CardFace:
    values = {
        "number": card.number,
        "roman_name": card.roman_name,
        "nationality": card.nationality_id,
        "birth_date": card.birth_date,
        "sex": card.sex,
        "prefecture": card.prefecture_id,
        "address": "千代田区霞が関１−１−１",
    }
    values.update(overrides)
    return CardFace(**values)


CONTRACT_END = {"event_date": None, "org_name": "株式会社法務商事", "org_address": "東京都千代田区"}


def submit_contract_end(user, *, when=None, token=None, **items):
    return services.filing_submit_resident(
        user=user,
        event=event("con_contract_end"),
        items={**CONTRACT_END, "event_date": when or days_ago(3), **items},
        token=token or uuid.uuid4(),
    )


def test_nf1_resident_filing_takes_common_items_from_registry(engineer):
    user, card = engineer
    filing = submit_contract_end(user)
    assert filing.state == FilingState.REGISTERING
    assert filing.content["resident"]["card_number"] == card.number
    assert filing.content["resident"]["roman_name"] == "HOUMU TAROU"
    assert filing.content["resident"]["status"] == "engineer_humanities_international"
    assert filing.content["items"]["org_name"] == "株式会社法務商事"
    assert filing.resident_account == user and filing.filer == user
    assert filing.bureau_id == "tokyo"  # Chiyoda, Tokyo
    assert FilingStateChange.objects.filter(filing=filing, from_state="", to_state="registering")
    assert AuditEvent.objects.filter(action="filings.filing.submitted", object_id=str(filing.pk))
    mail = Mail.objects.get(template="filing_received")
    assert mail.to_address == user.email and filing.number in mail.body


def test_nf5_registration_moves_to_registered_with_completion_mail(
    engineer, django_capture_on_commit_callbacks
):
    user, _ = engineer
    with django_capture_on_commit_callbacks(execute=True):
        filing = submit_contract_end(user)
    filing.refresh_from_db()
    assert filing.state == FilingState.REGISTERED
    assert filing.registered_at is not None
    assert Mail.objects.filter(template="filing_registered", to_address=user.email).count() == 1
    assert [c.to_state for c in filing.changes.all()] == ["registering", "registered"]
    assert AuditEvent.objects.filter(action="filings.filing.registered", object_id=str(filing.pk))


def test_fmt7_future_event_date_refused(engineer):
    user, _ = engineer
    with pytest.raises(ValidationError) as refused:
        submit_contract_end(user, when=clock.today() + dt.timedelta(days=1))
    assert codes(refused.value) == {"date_in_future"}
    assert "event_date" in refused.value.error_dict
    assert not Filing.objects.exists()


def test_nf1_status_not_eligible_refused(engineer):
    user, _ = engineer
    with pytest.raises(ValidationError) as refused:
        services.filing_submit_resident(
            user=user,
            event=event("act_leaving"),  # activity organization: not a 技人国 holder's event
            items={"event_date": days_ago(1), "org_name": "学校", "org_address": "東京都"},
            token=uuid.uuid4(),
        )
    assert codes(refused.value) == {"status_not_eligible"}


def test_nf2_deadline_and_late_flag(engineer):
    user, _ = engineer
    with clock.frozen(clock.tokyo_datetime(2026, 6, 30, 10)):
        on_time = submit_contract_end(user, when=dt.date(2026, 6, 16))
        late = submit_contract_end(user, when=dt.date(2026, 6, 15), org_name="別会社")
    assert on_time.deadline == dt.date(2026, 6, 30) and not on_time.late
    assert late.deadline == dt.date(2026, 6, 29) and late.late  # accepted, marked late


def test_nf2_deadline_moves_past_a_holiday(engineer):
    user, _ = engineer
    with clock.frozen(clock.tokyo_datetime(2026, 5, 10, 10)):
        filing = submit_contract_end(user, when=dt.date(2026, 4, 22))
    # 22 April + 14 days = 6 May 2026 (a substitute holiday) → Thursday 7 May.
    assert filing.deadline == dt.date(2026, 5, 7)


def test_nf1_same_token_never_creates_a_second_filing(engineer):
    user, _ = engineer
    token = uuid.uuid4()
    first = submit_contract_end(user, token=token)
    again = submit_contract_end(user, token=token, org_name="違う会社")
    assert again.pk == first.pk
    assert Filing.objects.count() == 1


def test_nf6_identical_filings_same_day_last_one_counts(
    engineer, django_capture_on_commit_callbacks
):
    user, _ = engineer
    with django_capture_on_commit_callbacks(execute=True):
        first = submit_contract_end(user, when=days_ago(2))
    with django_capture_on_commit_callbacks(execute=True):
        second = submit_contract_end(user, when=days_ago(2))
    with django_capture_on_commit_callbacks(execute=True):
        different = submit_contract_end(user, when=days_ago(1))
    first.refresh_from_db()
    second.refresh_from_db()
    different.refresh_from_db()
    assert first.state == FilingState.SUPERSEDED
    assert second.state == FilingState.REGISTERED
    assert different.state == FilingState.REGISTERED
    assert second.number in first.changes.last().reason
    assert Mail.objects.filter(template="filing_superseded").count() == 1


def test_nf6_earlier_twin_registering_after_later_one_is_superseded(engineer):
    user, _ = engineer
    first = submit_contract_end(user, when=days_ago(2))  # its task does not run yet
    second = submit_contract_end(user, when=days_ago(2))
    assert services.filing_register(filing_id=second.pk)
    assert services.filing_register(filing_id=first.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (FilingState.SUPERSEDED, FilingState.REGISTERED)


def test_nf6_identical_filings_on_different_days_both_count(engineer):
    user, _ = engineer
    with clock.frozen(clock.tokyo_datetime(2026, 6, 10, 10)):
        first = submit_contract_end(user, when=dt.date(2026, 6, 5))
        services.filing_register(filing_id=first.pk)
    with clock.frozen(clock.tokyo_datetime(2026, 6, 11, 10)):
        second = submit_contract_end(user, when=dt.date(2026, 6, 5))
        services.filing_register(filing_id=second.pk)
    first.refresh_from_db()
    assert first.state == FilingState.REGISTERED


def test_nf5_registration_error_when_card_invalidated_meanwhile(engineer):
    user, card = engineer
    filing = submit_contract_end(user)
    card_invalidate(actor=None, card=card, reason="reissued")
    assert services.filing_register(filing_id=filing.pk)
    filing.refresh_from_db()
    assert filing.state == FilingState.ERROR
    assert filing.error_code == errors.CARD_NOT_MATCHED
    message = errors.error_message(filing.error_code, filing.error_params)
    assert "do not match a valid card" in message
    mail = Mail.objects.get(template="filing_error")
    assert message in mail.body
    assert card.number not in mail.body  # no card number in mails


def test_nf5_task_is_idempotent(engineer):
    user, _ = engineer
    filing = submit_contract_end(user)
    assert services.filing_register(filing_id=filing.pk) is True
    assert services.filing_register(filing_id=filing.pk) is False
    assert Mail.objects.filter(template="filing_registered").count() == 1


def test_nf5_claimed_filing_not_taken_twice_until_lease_runs_out(engineer):
    user, _ = engineer
    filing = submit_contract_end(user)
    Filing.objects.filter(pk=filing.pk).update(leased_until=clock.now() + dt.timedelta(minutes=5))
    assert services.filing_register(filing_id=filing.pk) is False  # another worker holds it
    assert services.filing_sweep() == 0
    with clock.travel(dt.timedelta(minutes=6)):
        assert services.filing_sweep() == 1  # the worker died: handed out again
    filing.refresh_from_db()
    assert filing.state == FilingState.REGISTERED  # eager task in tests


def test_nf5_sweeper_picks_up_a_filing_whose_task_never_ran(engineer):
    user, _ = engineer
    filing = submit_contract_end(user)
    assert services.filing_sweep() == 0  # too early: the task may still come
    with clock.travel(dt.timedelta(minutes=10)):
        assert services.filing_sweep() == 1
    filing.refresh_from_db()
    assert filing.state == FilingState.REGISTERED


def test_nf5_state_table_refuses_moves_it_does_not_list(engineer):
    user, _ = engineer
    filing = submit_contract_end(user)
    services.filing_register(filing_id=filing.pk)
    with pytest.raises(services.FilingStateError):
        services.transition(filing, to=FilingState.ERROR)
    with pytest.raises(services.FilingStateError):
        services.transition(filing, to=FilingState.REGISTERING)
    assert TRANSITIONS[FilingState.WITHDRAWN] == frozenset()
    assert TRANSITIONS[FilingState.SUPERSEDED] == frozenset()


def test_nf6_bo4_officer_withdraws_with_reason_audited(engineer, officer):
    user, _ = engineer
    filing = submit_contract_end(user)
    services.filing_register(filing_id=filing.pk)
    with pytest.raises(ValidationError):
        services.filing_withdraw(actor=officer, filing=filing, reason=" ")
    filing = services.filing_withdraw(actor=officer, filing=filing, reason="本人の申出")
    assert filing.state == FilingState.WITHDRAWN
    event_row = AuditEvent.objects.get(action="filings.filing.withdrawn")
    assert event_row.actor_id == str(officer.pk)
    assert event_row.after["reason"] == "本人の申出"
    assert Mail.objects.filter(template="filing_withdrawn", to_address=user.email).exists()
    with pytest.raises(ValidationError):
        services.filing_withdraw(actor=officer, filing=filing, reason="again")


def test_bo4_officer_of_another_bureau_cannot_act(engineer):
    user, _ = engineer
    filing = submit_contract_end(user)
    osaka = make_officer(bureau_id="osaka")
    with pytest.raises(PermissionError):
        services.filing_withdraw(actor=osaka, filing=filing, reason="x")
    with pytest.raises(PermissionError):
        services.filing_withdraw(actor=user, filing=filing, reason="x")


def test_bo4_retry_after_registry_correction_and_review(engineer, officer):
    user, card = engineer
    filing = submit_contract_end(user)
    card_invalidate(actor=None, card=card, reason="reissued")
    services.filing_register(filing_id=filing.pk)
    filing.refresh_from_db()
    reviewed = services.filing_review(actor=officer, filing=filing, note="本人に連絡済み")
    assert reviewed.reviewed_by == officer
    assert AuditEvent.objects.filter(action="filings.filing.reviewed").exists()
    retried = services.filing_retry(actor=officer, filing=filing)
    assert retried.state == FilingState.REGISTERING and retried.error_code == ""
    with pytest.raises(ValidationError):
        services.filing_retry(actor=officer, filing=retried)


# --- every Art. 19-16 event (REFERENCE.md §2) --------------------------------------------------

ORG = {"org_name": "株式会社法務商事", "org_address": "東京都千代田区丸の内１−１−１"}
OLD_NEW = {
    "old_org_name": "旧商事株式会社",
    "old_org_address": "東京都港区港南５−５−３０",
    "new_org_name": "新商事株式会社",
    "new_org_address": "東京都千代田区霞が関１−１−１",
}

EVENTS_19_16 = [
    (
        "act_name_change",
        "student",
        {k: OLD_NEW[k] for k in ("old_org_name", "old_org_address", "new_org_name")},
    ),
    (
        "act_address_change",
        "student",
        {
            "org_name": "法務大学",
            "old_org_address": "東京都港区",
            "new_org_address": "東京都千代田区",
        },
    ),
    ("act_dissolution", "professor", ORG),
    ("act_leaving", "student", ORG),
    ("act_transfer", "student", dict(OLD_NEW)),
    ("act_transfer", "business_manager", {**OLD_NEW, "new_activity": "経営"}),
    (
        "con_name_change",
        "engineer_humanities_international",
        {k: OLD_NEW[k] for k in ("old_org_name", "old_org_address", "new_org_name")},
    ),
    (
        "con_address_change",
        "researcher",
        {
            "org_name": "研究所",
            "old_org_address": "東京都港区",
            "new_org_address": "東京都千代田区",
        },
    ),
    ("con_dissolution", "nursing_care", ORG),
    ("con_contract_end", "engineer_humanities_international", ORG),
    (
        "con_new_contract",
        "skilled_labor",
        {"new_org_name": "料理店", "new_org_address": "東京都新宿区", "new_activity": "調理"},
    ),
    ("sp_divorce", "spouse_of_japanese", {}),
    ("sp_death", "spouse_of_permanent_resident", {}),
    ("sp_divorce", "dependent", {}),
]


@pytest.mark.parametrize(("code", "status", "items"), EVENTS_19_16)
def test_nf1_every_art_19_16_event_is_filed_and_registered(code, status, items):
    user, card = make_resident(status=status)
    filing = services.filing_submit_resident(
        user=user,
        event=event(code),
        items={"event_date": days_ago(1), "activity_place": "大阪営業所", **items},
        token=uuid.uuid4(),
    )
    assert services.filing_register(filing_id=filing.pk)
    filing.refresh_from_db()
    assert filing.state == FilingState.REGISTERED, filing.error_code
    assert filing.content["items"]["event_date"] == days_ago(1).isoformat()


def test_nf1_every_19_16_event_in_reference_data_is_covered():
    covered = {code for code, _, _ in EVENTS_19_16}
    assert covered == set(
        NotificationEvent.objects.filter(article="19-16").values_list("code", flat=True)
    )


def test_nf1_transfer_asks_new_activity_except_of_students():
    user, _ = make_resident(status="business_manager")
    with pytest.raises(ValidationError) as refused:
        services.filing_submit_resident(
            user=user,
            event=event("act_transfer"),
            items={"event_date": days_ago(1), **OLD_NEW},
            token=uuid.uuid4(),
        )
    assert "new_activity" in refused.value.error_dict


def test_nf1_permanent_resident_has_no_event():
    user, _ = make_resident(status="permanent_resident")
    with pytest.raises(ValidationError) as refused:
        services.filing_submit_resident(
            user=user,
            event=event("sp_divorce"),
            items={"event_date": days_ago(1)},
            token=uuid.uuid4(),
        )
    assert codes(refused.value) == {"status_not_eligible"}


def test_nf1_resident_without_valid_card_refused(engineer):
    user, card = engineer
    card_invalidate(actor=None, card=card, reason="departed")
    with pytest.raises(ValidationError) as refused:
        submit_contract_end(user)
    assert codes(refused.value) == {"no_valid_card"}


# --- NF-4 proxy filing -------------------------------------------------------------------------


def proxy(user_org, card, *, code="con_name_change", requested=True, **face):
    items = {
        "event_date": days_ago(2),
        "old_org_name": "旧商事株式会社",
        "old_org_address": "東京都千代田区丸の内１−１−１",
        "new_org_name": "新商事株式会社",
    }
    if "address_change" in code:
        items = {
            "event_date": days_ago(2),
            "org_name": "株式会社法務商事",
            "old_org_address": "東京都港区",
            "new_org_address": "東京都千代田区",
        }
    return services.filing_submit_proxy(
        user=user_org,
        face=face_of(card, **face),
        event=event(code),
        items=items,
        requested_by_resident=requested,
        token=uuid.uuid4(),
    )


@pytest.mark.parametrize("code", ["con_name_change", "con_address_change"])
def test_nf4_organization_files_for_registered_resident(engineer, company, code):
    resident, card = engineer
    org_user, organization = company
    filing = proxy(org_user, card, code=code)
    assert filing.filed_as == "proxy"
    assert filing.resident_account == resident and filing.organization == organization
    services.filing_register(filing_id=filing.pk)
    filing.refresh_from_db()
    assert filing.state == FilingState.REGISTERED
    # Both the organization and the resident are told, each in their language.
    assert set(
        Mail.objects.filter(template="filing_registered").values_list("to_address", flat=True)
    ) == {org_user.email, resident.email}


@pytest.mark.parametrize("code", ["act_name_change", "act_address_change"])
def test_nf4_activity_organization_proxy_events(student, school, code):
    _, card = student
    org_user, _ = school
    filing = proxy(org_user, card, code=code)
    assert services.filing_register(filing_id=filing.pk)


def test_nf4_resident_not_registered_refused(company):
    org_user, _ = company
    from tests.cards.factories import make_card

    card = make_card(status_id="engineer_humanities_international")  # no auth ID
    with pytest.raises(ValidationError) as refused:
        proxy(org_user, card)
    assert codes(refused.value) == {"resident_not_registered"}


def test_nf4_only_name_or_address_change(engineer, company):
    _, card = engineer
    org_user, _ = company
    with pytest.raises(ValidationError) as refused:
        proxy(org_user, card, code="con_contract_end")
    assert codes(refused.value) == {"not_proxy_event"}


def test_nf4_needs_the_residents_request(engineer, company):
    _, card = engineer
    org_user, _ = company
    with pytest.raises(ValidationError) as refused:
        proxy(org_user, card, requested=False)
    assert "requested_by_resident" in refused.value.error_dict


def test_nf4_card_mismatch_marks_every_card_field(engineer, company):
    _, card = engineer
    org_user, _ = company
    with pytest.raises(ValidationError) as refused:
        proxy(org_user, card, roman_name="HOUMU JIROU")
    assert {"number", "roman_name", "birth_date", "sex", "nationality"} <= set(
        refused.value.error_dict
    )
    assert "card_mismatch" in codes(refused.value)


def test_nf4_resident_deleted_before_registration_gives_error(engineer, company):
    resident, card = engineer
    org_user, _ = company
    filing = proxy(org_user, card)
    resident.state = "deleted"
    resident.save()
    services.filing_register(filing_id=filing.pk)
    filing.refresh_from_db()
    assert filing.error_code == errors.RESIDENT_NOT_REGISTERED


def test_nf4_residents_own_status_group_decides(engineer, company):
    _, card = engineer  # contract organization
    org_user, _ = company
    with pytest.raises(ValidationError) as refused:
        proxy(org_user, card, code="act_name_change")
    assert codes(refused.value) == {"status_not_eligible"}


# --- NF-3 Art. 19-17 ---------------------------------------------------------------------------


def org_filing(org_user, card, code, items, **kwargs):
    return services.filing_submit_organization(
        user=org_user,
        event=event(code),
        items=items,
        face=face_of(card),
        token=uuid.uuid4(),
        **kwargs,
    )


def test_nf3_accepting_organization_start_and_end(engineer, company):
    _, card = engineer
    org_user, organization = company
    start = org_filing(
        org_user,
        card,
        "org_acceptance_start",
        {"start_date": days_ago(5), "activity": "システム開発"},
        not_bound_to_report=True,
    )
    end = org_filing(
        org_user, card, "org_acceptance_end", {"end_date": days_ago(1)}, not_bound_to_report=True
    )
    for filing in (start, end):
        services.filing_register(filing_id=filing.pk)
        filing.refresh_from_db()
        assert filing.state == FilingState.REGISTERED
        assert filing.bureau_id == organization.bureau_id
        assert filing.resident_account is None  # the organization's own notification


def test_nf3_school_start_end_and_roster(student, school):
    _, card = student
    org_user, _ = school
    start = org_filing(org_user, card, "school_acceptance_start", {"start_date": days_ago(30)})
    end = org_filing(
        org_user,
        card,
        "school_acceptance_end",
        {"end_date": days_ago(1), "end_reason": "graduation"},
    )
    with clock.frozen(clock.tokyo_datetime(2026, 5, 8, 10)):
        roster = services.filing_submit_organization(
            user=org_user,
            event=event("school_roster"),
            items={},
            roster=[
                RosterLine(
                    1, card.number, card.roman_name, card.nationality_id, card.birth_date, card.sex
                )
            ],
            as_of=dt.date(2026, 5, 1),
            token=uuid.uuid4(),
        )
    assert roster.deadline == dt.date(2026, 5, 15)
    for filing in (start, end, roster):
        services.filing_register(filing_id=filing.pk)
        filing.refresh_from_db()
        assert filing.state == FilingState.REGISTERED, filing.error_code


def test_nf3_roster_lines_checked_at_registration(student, school):
    _, card = student
    org_user, _ = school
    line = RosterLine(
        1, card.number, card.roman_name, card.nationality_id, card.birth_date, card.sex
    )
    as_of = services.rules.as_of_dates(event("school_roster"), today=clock.today())[0]
    roster = services.filing_submit_organization(
        user=org_user,
        event=event("school_roster"),
        items={},
        roster=[line],
        as_of=as_of,
        token=uuid.uuid4(),
    )
    card_invalidate(actor=None, card=card, reason="departed")
    services.filing_register(filing_id=roster.pk)
    roster.refresh_from_db()
    assert roster.error_code == errors.ROSTER_NOT_MATCHED
    assert roster.error_params == {"lines": [1]}


def test_nf3_roster_refuses_unmatched_lines_and_other_dates(student, school):
    _, card = student
    org_user, _ = school
    good = RosterLine(
        1, card.number, card.roman_name, card.nationality_id, card.birth_date, card.sex
    )
    bad = RosterLine(2, card.number, "SOMEONE ELSE", card.nationality_id, card.birth_date, card.sex)
    as_of = services.rules.as_of_dates(event("school_roster"), today=clock.today())[0]
    with pytest.raises(ValidationError) as refused:
        services.filing_submit_organization(
            user=org_user,
            event=event("school_roster"),
            items={},
            roster=[good, bad],
            as_of=as_of,
            token=uuid.uuid4(),
        )
    assert codes(refused.value) == {"roster_not_matched"}
    with pytest.raises(ValidationError) as refused:
        services.filing_submit_organization(
            user=org_user,
            event=event("school_roster"),
            items={},
            roster=[good],
            as_of=clock.today() + dt.timedelta(days=30),
            token=uuid.uuid4(),
        )
    assert codes(refused.value) == {"as_of"}


def test_nf3_organization_type_not_eligible(student, engineer):
    ssw_user, _ = make_organization_account(
        kind=Organization.Kind.SSW_EMPLOYER, name="特定技能商事"
    )
    _, card = engineer
    with pytest.raises(ValidationError) as refused:
        org_filing(
            ssw_user,
            card,
            "org_acceptance_start",
            {"start_date": days_ago(1), "activity": "開発"},
            not_bound_to_report=True,
        )
    assert codes(refused.value) == {"organization_not_eligible"}
    company_user, _ = make_organization_account(name="普通商事")
    _, student_card = student
    with pytest.raises(ValidationError) as refused:
        org_filing(
            company_user, student_card, "school_acceptance_start", {"start_date": days_ago(1)}
        )
    assert codes(refused.value) == {"organization_not_eligible"}


def test_nf3_residents_status_not_eligible(spouse, company, student, school):
    _, spouse_card = spouse
    org_user, _ = company
    with pytest.raises(ValidationError) as refused:
        org_filing(
            org_user,
            spouse_card,
            "org_acceptance_start",
            {"start_date": days_ago(1), "activity": "開発"},
            not_bound_to_report=True,
        )
    assert codes(refused.value) == {"status_not_eligible"}
    _, engineer_card = make_resident()
    school_user, _ = school
    with pytest.raises(ValidationError) as refused:
        org_filing(
            school_user, engineer_card, "school_acceptance_start", {"start_date": days_ago(1)}
        )
    assert codes(refused.value) == {"status_not_eligible"}


def test_nf3_only_organizations_not_bound_to_report_to_hello_work(engineer, company):
    _, card = engineer
    org_user, _ = company
    with pytest.raises(ValidationError) as refused:
        org_filing(org_user, card, "org_acceptance_end", {"end_date": days_ago(1)})
    assert codes(refused.value) == {"bound_to_report"}


def test_nf3_future_start_date_refused(engineer, company):
    _, card = engineer
    org_user, _ = company
    with pytest.raises(ValidationError) as refused:
        org_filing(
            org_user,
            card,
            "org_acceptance_start",
            {"start_date": clock.today() + dt.timedelta(days=3), "activity": "開発"},
            not_bound_to_report=True,
        )
    assert codes(refused.value) == {"date_in_future"}


# --- formats checked by the services too (the API and bulk filing call them directly) ----------


def test_fmt4_service_converts_halfwidth_and_refuses_characters_outside_jis(engineer):
    user, _ = engineer
    filing = submit_contract_end(user, org_address="東京都千代田区丸の内1-1-1")
    assert filing.content["items"]["org_address"] == "東京都千代田区丸の内１−１−１"
    with pytest.raises(ValidationError) as refused:
        submit_contract_end(user, org_name="髙島屋")
    assert codes(refused.value) == {"jis_character"}


def test_fmt6_service_checks_corporate_number(engineer):
    user, _ = engineer
    with pytest.raises(ValidationError) as refused:
        submit_contract_end(user, org_corporate_number="1234567890123")
    assert codes(refused.value) == {"corporate_number_checksum"}
    filing = submit_contract_end(user, org_corporate_number="7000012050002")
    assert filing.content["items"]["org_corporate_number"] == "7000012050002"


def test_service_refuses_my_number_in_text(engineer):
    user, _ = engineer
    with pytest.raises(ValidationError) as refused:
        submit_contract_end(user, activity_place="1234 5678 9018")
    assert codes(refused.value) == {"my_number_refused"}


def test_nf3_end_reason_other_needs_the_reason(student, school):
    _, card = student
    org_user, _ = school
    with pytest.raises(ValidationError) as refused:
        org_filing(
            org_user,
            card,
            "school_acceptance_end",
            {"end_date": days_ago(1), "end_reason": "other"},
        )
    assert "end_reason_detail" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        org_filing(
            org_user, card, "school_acceptance_end", {"end_date": days_ago(1), "end_reason": "x"}
        )
    assert codes(refused.value) == {"invalid_choice"}
    filing = org_filing(
        org_user,
        card,
        "school_acceptance_end",
        {"end_date": days_ago(1), "end_reason": "other", "end_reason_detail": "帰国"},
    )
    assert filing.content["items"]["end_reason_detail"] == "帰国"


def test_nf5_sweeper_is_registered():
    from zairyu.core.work import run_sweepers

    assert "filings" in run_sweepers()
