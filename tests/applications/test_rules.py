"""Eligibility rules of service A (A-1, A-2, A-4, A-5, A-8), at the boundary days."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from tests.cards.factories import make_card, next_number
from tests.filings.factories import make_organization
from zairyu.accounts.models import Category, StaffClient
from zairyu.applications import rules
from zairyu.applications.models import ApplicationState, MainProcedure, ReceiptMethod
from zairyu.core import clock
from zairyu.reference.models import Status

from .factories import (
    make_coe_recipient,
    make_commissioned_staff,
    make_draft,
    make_foreign_national,
    make_lawyer,
    make_legal_representative,
    make_organization_staff,
    make_relative,
)

TODAY = dt.date(2026, 6, 15)
PROCEDURES = list(MainProcedure.values)


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(clock.tokyo_datetime(2026, 6, 15, 10, 0)):
        yield


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def card(**fields):
    return make_card(number=next_number("AP"), **fields)


def codes(refusals) -> list[str]:
    return [r.code for r in refusals]


# --- A-1 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("procedure", PROCEDURES)
def test_a1_main_procedures_accepted(procedure):
    assert rules.refuse_procedure(procedure) is None


@pytest.mark.parametrize("procedure", ["reentry_single", "other_activity", "notification", "pr"])
def test_a1_other_procedures_refused_as_main(procedure):
    refusal = rules.refuse_procedure(procedure)
    assert refusal.code == "procedure_not_online"
    assert "counter" in refusal.message


@pytest.mark.parametrize(
    ("procedure", "allowed"),
    [
        ("change_of_status", True),
        ("extension", True),
        ("acquisition", True),
        ("coe", False),
        ("work_certificate", False),
    ],
)
@pytest.mark.parametrize("add_on", [{"reentry": "single"}, {"other_activity": True}])
def test_a1_add_ons_only_with_change_extension_acquisition(procedure, allowed, add_on):
    refusal = rules.refuse_procedure(procedure, **add_on)
    if allowed:
        assert refusal is None
    else:
        assert refusal.code == "add_on_not_allowed"
        assert refusal.field == ("reentry" if "reentry" in add_on else "other_activity")


# --- the category × procedure matrix (REFERENCE.md §9) ----------------------------------

# category → procedures it may file at all
MATRIX = {
    Category.FOREIGN_NATIONAL: {"change_of_status", "extension", "acquisition", "work_certificate"},
    Category.LEGAL_REPRESENTATIVE: set(PROCEDURES),
    Category.RELATIVE: set(PROCEDURES),
    Category.LAWYER: set(PROCEDURES),
    Category.ORGANIZATION_STAFF: set(PROCEDURES),
    Category.PUBLIC_INTEREST_STAFF: set(PROCEDURES),
    Category.RSO_STAFF: set(PROCEDURES),
    Category.COE_RECIPIENT: set(),
}


def user_of(category):
    if category == Category.FOREIGN_NATIONAL:
        return make_foreign_national()[0]
    if category == Category.ORGANIZATION_STAFF:
        return make_organization_staff()[0]
    if category in (Category.PUBLIC_INTEREST_STAFF, Category.RSO_STAFF):
        return make_commissioned_staff(category)
    return {
        Category.LEGAL_REPRESENTATIVE: make_legal_representative,
        Category.RELATIVE: make_relative,
        Category.LAWYER: make_lawyer,
        Category.COE_RECIPIENT: make_coe_recipient,
    }[category]()


@pytest.mark.parametrize("procedure", PROCEDURES)
@pytest.mark.parametrize("category", list(MATRIX))
def test_a2_matrix_category_by_procedure(category, procedure):
    refusal = rules.refuse_category(user_of(category), procedure)
    if procedure in MATRIX[category]:
        assert refusal is None
    else:
        expected = (
            "coe_recipient" if category == Category.COE_RECIPIENT else "category_not_permitted"
        )
        assert refusal.code == expected
        assert refusal.field == "procedure"


@pytest.mark.parametrize("category", [Category.RESIDENT, Category.ORGANIZATION, Category.OFFICER])
def test_a2_users_outside_service_a_file_nothing(category):
    from tests.accounts.factories import UserFactory

    user = UserFactory(category=category)
    assert rules.refuse_category(user, "extension").code == "category_not_permitted"


# --- for whom (relation) ----------------------------------------------------------------


def _relation_case(case):
    """Build (user, kwargs for refuse_relation) for one named case."""
    engineer = card(roman_name="TANIN JIROU", birth_date=dt.date(1988, 2, 3))
    if case == "self_person":
        user, own = make_foreign_national()
        return user, {"card": own}
    if case == "self_certificate":
        user, own = make_foreign_national(with_person=False)
        return user, {"card": own}
    if case == "someone_else":
        user, _own = make_foreign_national()
        return user, {"card": engineer}
    if case == "someone_else_certificate":
        user, _own = make_foreign_national(with_person=False)
        return user, {"card": engineer}
    if case.startswith("ward_"):
        minor = card(birth_date=TODAY.replace(year=TODAY.year - 10), status_id="dependent")
        adult = engineer
        relationship, who = {
            "ward_minor_parent": ("parental_authority", minor),
            "ward_minor_guardian": ("minor_guardian", minor),
            "ward_adult_parent": ("parental_authority", adult),
            "ward_adult_guardian": ("adult_guardian", adult),
            "ward_no_relationship": ("", minor),
            "ward_relative_relationship": ("spouse", minor),
        }[case]
        return make_legal_representative(), {"card": who, "relationship": relationship}
    if case.startswith("relative_"):
        relationship = {
            "relative_spouse": "spouse",
            "relative_child": "child",
            "relative_parent": "parent",
            "relative_none": "",
            "relative_guardian": "adult_guardian",
        }[case]
        return make_relative(), {"card": engineer, "relationship": relationship}
    if case == "lawyer_any":
        return make_lawyer(), {"card": engineer}
    if case.startswith("staff_"):
        user, own = make_organization_staff()
        organization = {
            "staff_own": own,
            "staff_other": make_organization(name="別会社"),
            "staff_none": None,
        }[case]
        return user, {"card": engineer, "organization": organization}
    if case.startswith(("pi_", "rso_")):
        category = Category.RSO_STAFF if case.startswith("rso_") else Category.PUBLIC_INTEREST_STAFF
        client = make_organization(name="株式会社依頼元", corporate_number="4234567890128")
        other = make_organization(name="株式会社無関係")
        user = make_commissioned_staff(category, client)
        if case.endswith("_removed"):
            StaffClient.objects.filter(account__user=user).update(removed_at=clock.now())
        status = "ssw_1" if "_ssw" in case else "engineer_humanities_international"
        organization = other if "_other" in case else client
        return user, {"card": engineer, "organization": organization, "status": status}
    raise AssertionError(case)


RELATIONS = [
    # (category, case, procedure, expected refusal code or None)
    (Category.FOREIGN_NATIONAL, "self_person", "extension", None),
    (Category.FOREIGN_NATIONAL, "self_certificate", "change_of_status", None),
    (Category.FOREIGN_NATIONAL, "someone_else", "extension", "not_self"),
    (Category.FOREIGN_NATIONAL, "someone_else_certificate", "work_certificate", "not_self"),
    (Category.LEGAL_REPRESENTATIVE, "ward_minor_parent", "extension", None),
    (Category.LEGAL_REPRESENTATIVE, "ward_minor_guardian", "coe", None),
    (Category.LEGAL_REPRESENTATIVE, "ward_adult_parent", "extension", "not_a_minor"),
    (Category.LEGAL_REPRESENTATIVE, "ward_adult_guardian", "extension", None),
    (Category.LEGAL_REPRESENTATIVE, "ward_no_relationship", "extension", "relationship_required"),
    (
        Category.LEGAL_REPRESENTATIVE,
        "ward_relative_relationship",
        "extension",
        "relationship_required",
    ),
    (Category.RELATIVE, "relative_spouse", "extension", None),
    (Category.RELATIVE, "relative_child", "coe", None),
    (Category.RELATIVE, "relative_parent", "work_certificate", None),
    (Category.RELATIVE, "relative_none", "extension", "relationship_required"),
    (Category.RELATIVE, "relative_guardian", "extension", "relationship_required"),
    (Category.LAWYER, "lawyer_any", "extension", None),
    (Category.LAWYER, "lawyer_any", "coe", None),
    (Category.ORGANIZATION_STAFF, "staff_own", "extension", None),
    (Category.ORGANIZATION_STAFF, "staff_own", "coe", None),
    (Category.ORGANIZATION_STAFF, "staff_other", "extension", "not_own_organization"),
    (Category.ORGANIZATION_STAFF, "staff_none", "change_of_status", "not_own_organization"),
    (Category.PUBLIC_INTEREST_STAFF, "pi_client", "extension", None),
    (Category.PUBLIC_INTEREST_STAFF, "pi_other", "extension", "not_commissioned"),
    (Category.PUBLIC_INTEREST_STAFF, "pi_client_removed", "coe", "not_commissioned"),
    (Category.RSO_STAFF, "rso_client_ssw", "extension", None),
    (Category.RSO_STAFF, "rso_client_ssw", "coe", None),
    (Category.RSO_STAFF, "rso_client", "extension", "not_ssw"),
    (Category.RSO_STAFF, "rso_other_ssw", "change_of_status", "not_commissioned"),
    (Category.RSO_STAFF, "rso_client_ssw_removed", "extension", "not_commissioned"),
]


@pytest.mark.parametrize(("category", "case", "procedure", "expected"), RELATIONS)
def test_a2_who_files_for_whom(category, case, procedure, expected):
    user, kwargs = _relation_case(case)
    assert user.category == category
    assert rules.refuse_category(user, procedure) is None
    refusal = rules.refuse_relation(user, procedure, **kwargs)
    assert (refusal.code if refusal else None) == expected
    if refusal:
        assert refusal.message


def test_a2_foreign_national_acquisition_for_self_without_card():
    user, own = make_foreign_national(with_person=False)
    assert (
        rules.refuse_relation(
            user,
            "acquisition",
            applicant_name=own.roman_name.replace(" ", ","),
            applicant_birth_date=own.birth_date,
        )
        is None
    )
    refusal = rules.refuse_relation(
        user, "acquisition", applicant_name="OTHER PERSON", applicant_birth_date=own.birth_date
    )
    assert refusal.code == "not_self"


def test_a2_commissioning_matches_by_name_without_corporate_number():
    client = make_organization(name="個人事業主 農園")
    user = make_commissioned_staff(Category.PUBLIC_INTEREST_STAFF, client)
    assert rules.is_commissioning(user, client)
    assert not rules.is_commissioning(user, make_organization(name="個人事業主 漁園"))
    assert not rules.is_commissioning(user, None)


def test_a2_check_eligibility_stops_at_category():
    recipient = make_coe_recipient()
    found = rules.check_eligibility(user=recipient, procedure="coe")
    assert codes(found) == ["coe_recipient"]


# --- REFERENCE.md §1: statuses ---------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["diplomat", "temporary_visitor", "designated_activities_departure"]
)
def test_a1_status_not_online_requested(code):
    status = Status.objects.get(pk=code)
    refusal = rules.refuse_status("change_of_status", status=status)
    assert refusal.code == "status_not_online"
    assert refusal.params == {"which": "requested"}


def test_a1_status_not_online_held():
    holder = card(status_id="designated_activities_departure")
    status = Status.objects.get(pk="engineer_humanities_international")
    refusal = rules.refuse_status("change_of_status", status=status, card=holder)
    assert refusal.code == "status_not_online"
    assert refusal.params == {"which": "held"}


def test_a1_status_not_yet_current():
    status = Status.objects.get(pk="employment_skill_development")  # from 2027-04-01
    assert rules.refuse_status("coe", status=status).code == "status_not_current"
    assert rules.refuse_status("coe", status=status, today=dt.date(2027, 4, 1)) is None


def test_a1_extension_keeps_the_status():
    holder = card()
    other = Status.objects.get(pk="business_manager")
    assert rules.refuse_status("extension", status=holder.status, card=holder) is None
    assert rules.refuse_status("extension", status=other, card=holder).code == (
        "extension_other_status"
    )
    assert rules.refuse_status("change_of_status", status=other, card=holder) is None


# --- days ---------------------------------------------------------------------------------


def test_a4_refused_on_last_day_of_stay():
    holder = card(stay_until=TODAY, period_of_stay="P1Y")
    refusal = rules.refuse_last_day(holder)
    assert refusal.code == "last_day_of_stay"
    assert "counter" in refusal.message


def test_a4_accepted_the_day_before_the_last_day():
    holder = card(stay_until=TODAY + days(1), period_of_stay="P1Y")
    assert rules.refuse_last_day(holder) is None
    assert rules.refuse_stay_ended("extension", card=holder) is None


def test_a4_refused_after_stay_ended():
    holder = card(stay_until=TODAY - days(1), period_of_stay="P1Y")
    assert rules.refuse_stay_ended("extension", card=holder).code == "stay_ended"
    assert rules.refuse_last_day(holder) is None


def test_a4_last_day_in_check_eligibility():
    user, own = make_foreign_national(stay_until=TODAY, period_of_stay="P1Y")
    assert "last_day_of_stay" in codes(
        rules.check_eligibility(user=user, procedure="extension", status=own.status, card=own)
    )


def test_a4_acquisition_accepted_on_day_30_after_birth():
    born = TODAY - days(30)
    assert rules.refuse_stay_ended("acquisition", event_date=born) is None


def test_a4_acquisition_refused_more_than_30_days_after_birth():
    born = TODAY - days(31)
    refusal = rules.refuse_stay_ended("acquisition", event_date=born)
    assert refusal.code == "acquisition_period_ended"
    assert refusal.field == "event_date"


def test_a4_acquisition_event_date_defaults_to_birth_date_in_check():
    lawyer = make_lawyer()
    status = Status.objects.get(pk="dependent")
    found = rules.check_eligibility(
        user=lawyer,
        procedure="acquisition",
        status=status,
        applicant_birth_date=TODAY - days(31),
    )
    assert codes(found) == ["acquisition_period_ended"]
    found = rules.check_eligibility(
        user=lawyer,
        procedure="acquisition",
        status=status,
        applicant_birth_date=TODAY - days(30),
    )
    assert found == []


def test_a4_refused_on_day_of_moving_in_notification():
    holder = card(last_moving_in_on=TODAY)
    assert rules.refuse_moving_in_today(holder).code == "moving_in_today"


def test_a4_accepted_day_after_moving_in_notification():
    with clock.frozen(clock.tokyo_datetime(2026, 6, 14, 9)):
        holder = card(last_moving_in_on=dt.date(2026, 6, 14))
        assert rules.refuse_moving_in_today(holder) is not None
    assert rules.refuse_moving_in_today(holder) is None


def test_a4_refused_while_applicant_abroad():
    holder = card(abroad_on_reentry=True)
    assert rules.refuse_abroad(holder).code == "applicant_abroad"
    assert rules.refuse_abroad(card()) is None


def test_a4_coe_skips_the_stay_rules():
    lawyer = make_lawyer()
    status = Status.objects.get(pk="engineer_humanities_international")
    assert rules.check_eligibility(user=lawyer, procedure="coe", status=status) == []


# --- address ranges (002 Q4-36) ---------------------------------------------------------


def test_a4_address_check_off_when_no_ranges(settings):
    settings.ZAIRYU_SERVICE_A_ALLOWED_NETWORKS = []
    assert rules.refuse_client_address("198.51.100.7") is None
    assert rules.refuse_client_address(None) is None


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("203.0.113.1", True),
        ("203.0.113.255", True),
        ("203.0.114.0", False),
        ("2001:db8::1", True),
        ("2001:db9::1", False),
        ("::ffff:203.0.113.9", True),
        ("198.51.100.7", False),
        ("", False),
        (None, False),
        ("not an address", False),
    ],
)
def test_a4_address_outside_allowed_ranges_refused(settings, address, allowed):
    settings.ZAIRYU_SERVICE_A_ALLOWED_NETWORKS = ["203.0.113.0/24", "2001:db8::/32"]
    refusal = rules.refuse_client_address(address)
    if allowed:
        assert refusal is None
    else:
        assert refusal.code == "address_not_allowed"
        assert "Japan" in refusal.message


def test_a4_address_refusal_comes_first_in_check(settings):
    settings.ZAIRYU_SERVICE_A_ALLOWED_NETWORKS = ["203.0.113.0/24"]
    found = rules.check_eligibility(user=make_lawyer(), procedure="coe", client_ip="198.51.100.7")
    assert codes(found) == ["address_not_allowed"]


def test_a4_production_turns_address_check_on_and_validates_ranges():
    from tests.test_settings import GOOD_ENV, manage

    show = "from django.conf import settings; print(settings.ZAIRYU_SERVICE_A_ALLOWED_NETWORKS)"
    result = manage("shell", "-c", show, env=GOOD_ENV)
    assert result.returncode == 0, result.stderr
    assert "127.0.0.0/8" in result.stdout and "10.0.0.0/8" in result.stdout
    env = {**GOOD_ENV, "SERVICE_A_ALLOWED_NETWORKS": "203.0.113.0/24,2001:db8::/32"}
    result = manage("shell", "-c", show, env=env)
    assert "['203.0.113.0/24', '2001:db8::/32']" in result.stdout
    result = manage("check", env={**GOOD_ENV, "SERVICE_A_ALLOWED_NETWORKS": "203.0.113.0/33"})
    assert result.returncode != 0
    assert "SERVICE_A_ALLOWED_NETWORKS" in result.stderr


# --- extension window -------------------------------------------------------------------


def test_a4_extension_window_long_stay_opens_three_months_before():
    holder = card(stay_until=dt.date(2026, 9, 15), period_of_stay="P1Y")
    assert rules.extension_opens_on(holder) == dt.date(2026, 6, 15)
    assert rules.refuse_extension_window("extension", card=holder) is None
    refusal = rules.refuse_extension_window("extension", card=holder, today=dt.date(2026, 6, 14))
    assert refusal.code == "extension_too_early"
    assert refusal.params == {"opens_on": "2026-06-15"}
    assert "2026-06-15" in refusal.message


def test_a4_extension_window_six_months_counts_as_long():
    holder = card(stay_until=dt.date(2026, 9, 30), period_of_stay="P6M")
    assert rules.extension_opens_on(holder) == dt.date(2026, 6, 30)


def test_a4_extension_window_short_stay_opens_at_half():
    # P3M ending 2026-08-31: 1 June – 31 August, 92 days; half way is 16 July.
    holder = card(stay_until=dt.date(2026, 8, 31), period_of_stay="P3M")
    assert rules.period_start(holder.stay_until, "P3M") == dt.date(2026, 6, 1)
    opens = rules.extension_opens_on(holder)
    assert opens == dt.date(2026, 7, 17)
    assert rules.refuse_extension_window("extension", card=holder, today=opens) is None
    assert rules.refuse_extension_window("extension", card=holder, today=opens - days(1)).code == (
        "extension_too_early"
    )


def test_a4_extension_window_days_period():
    holder = card(stay_until=dt.date(2026, 9, 12), period_of_stay="P90D")
    assert rules.period_start(holder.stay_until, "P90D") == dt.date(2026, 6, 15)
    assert rules.extension_opens_on(holder) == dt.date(2026, 7, 30)


def test_a4_extension_window_only_for_extension():
    holder = card(stay_until=dt.date(2027, 6, 1), period_of_stay="P3Y")
    assert rules.refuse_extension_window("extension", card=holder).code == "extension_too_early"
    assert rules.refuse_extension_window("change_of_status", card=holder) is None


def test_a4_no_extension_of_unlimited_stay():
    resident = card(status_id="permanent_resident", stay_until=None, period_of_stay="")
    assert rules.refuse_extension_window("extension", card=resident).code == "unlimited_stay"


# --- one draft per applicant and procedure ----------------------------------------------


def test_a5_second_draft_refused_with_link_to_first():
    user, own = make_foreign_national(stay_until=TODAY + days(30), period_of_stay="P1Y")
    first = make_draft(filer=user, procedure="extension", card=own)
    found = rules.check_eligibility(user=user, procedure="extension", status=own.status, card=own)
    assert codes(found) == ["open_draft_exists"]
    assert found[0].params == {"application_id": first.pk, "own": True}
    # Editing the draft itself is not a second application.
    assert (
        rules.check_eligibility(
            user=user, procedure="extension", status=own.status, card=own, exclude_id=first.pk
        )
        == []
    )


def test_a5_other_procedure_or_other_filer():
    user, own = make_foreign_national(stay_until=TODAY + days(30), period_of_stay="P1Y")
    make_draft(filer=user, procedure="extension", card=own)
    assert (
        rules.refuse_open_draft(
            applicant_key=rules.applicant_key(card=own), procedure="work_certificate"
        )
        is None
    )
    lawyer = make_lawyer()
    refusal = rules.refuse_open_draft(
        applicant_key=rules.applicant_key(card=own), procedure="extension", user=lawyer
    )
    assert refusal.code == "open_draft_exists"
    assert refusal.params["own"] is False


def test_a5_submitted_application_does_not_block():
    from zairyu.applications.services import transition

    user, own = make_foreign_national(stay_until=TODAY + days(30), period_of_stay="P1Y")
    first = make_draft(filer=user, procedure="extension", card=own)
    transition(first, to=ApplicationState.SUBMITTED, actor=user)
    key = rules.applicant_key(card=own)
    assert rules.refuse_open_draft(applicant_key=key, procedure="extension") is None


def test_a5_applicant_key_survives_card_renewal():
    holder = card()
    assert rules.applicant_key(card=holder) == f"person:{holder.person_id}"
    assert rules.applicant_key(person=holder.person) == f"person:{holder.person_id}"
    coe = rules.applicant_key(
        nationality="vnm", birth_date=dt.date(2000, 1, 2), name="NGUYEN VAN A"
    )
    assert coe == "coe:VNM:2000-01-02:nguyenvana"
    assert coe == rules.applicant_key(
        nationality="VNM", birth_date=dt.date(2000, 1, 2), name="nguyen,van,a"
    )
    assert coe != rules.applicant_key(
        nationality="VNM", birth_date=dt.date(2000, 1, 3), name="NGUYEN VAN A"
    )
    assert rules.applicant_key() == ""


def test_a5_database_backstop_for_two_drafts():
    user, own = make_foreign_national()
    make_draft(filer=user, procedure="work_certificate", card=own)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_draft(filer=make_lawyer(), procedure="work_certificate", card=own)


# --- receipt methods ----------------------------------------------------------------------


def test_a8_coe_email_or_post():
    status = Status.objects.get(pk="engineer_humanities_international")
    assert rules.receipt_methods_offered("coe", status=status) == ["email", "post"]


def test_a8_work_certificate_post_or_counter():
    assert rules.receipt_methods_offered("work_certificate", card=card()) == ["post", "counter"]


def test_a8_card_post_or_counter():
    holder = card(period_of_stay="P1Y")
    offered = rules.receipt_methods_offered("extension", status=holder.status, card=holder)
    assert offered == ["post", "counter"]
    assert rules.refuse_receipt_method("email", "extension", status=holder.status, card=holder)


def test_a8_no_post_for_official_passport_stamp():
    status = Status.objects.get(pk="official")
    offered = rules.receipt_methods_offered("change_of_status", status=status)
    assert offered == ["counter"]
    refusal = rules.refuse_receipt_method("post", "change_of_status", status=status)
    assert refusal.code == "post_passport_stamp"
    assert refusal.field == "receipt_method"


@pytest.mark.parametrize(
    ("period", "post"),
    [("P3M", False), ("P90D", False), ("P1M", False), ("P4M", True), ("P1Y", True)],
)
def test_a8_no_post_for_stay_of_three_months_or_less(period, post):
    holder = card(period_of_stay="P1Y")
    offered = rules.receipt_methods_offered(
        "extension", status=holder.status, card=holder, period_requested=period
    )
    assert ("post" in offered) is post
    assert "counter" in offered


def test_a8_kanji_name_request_refuses_post_unless_card_has_one():
    plain = card()
    refusal = rules.refuse_receipt_method(
        "post", "extension", status=plain.status, card=plain, kanji_name_requested=True
    )
    assert refusal.code == "post_kanji_name"
    with_kanji = card(kanji_name="王　小明")
    assert (
        rules.refuse_receipt_method(
            "post",
            "extension",
            status=with_kanji.status,
            card=with_kanji,
            kanji_name_requested=True,
        )
        is None
    )


def test_a8_card_validity_update_at_16_refuses_post():
    # 16th birthday exactly six months from today: validity update, no post.
    due = card(birth_date=dt.date(2010, 12, 15), status_id="dependent")
    assert rules.refuse_post("extension", status=due.status, card=due).code == "post_card_update"
    # One day later than six months: post is offered.
    later = card(birth_date=dt.date(2010, 12, 16), status_id="dependent")
    assert rules.refuse_post("extension", status=later.status, card=later) is None
    # Already 16: nothing to update.
    older = card(birth_date=dt.date(2010, 6, 15), status_id="dependent")
    assert rules.refuse_post("extension", status=older.status, card=older) is None
    # Acquisition of a newborn: birth date given without a card.
    assert rules.card_validity_update_due(dt.date(2026, 6, 1), today=TODAY) is False


def test_a8_post_rules_do_not_touch_coe_or_work_certificate():
    status = Status.objects.get(pk="official")
    assert rules.refuse_post("coe", status=status) is None
    assert rules.refuse_receipt_method("counter", "coe", status=status).code == (
        "receipt_method_not_offered"
    )


def test_a8_facts_from_application():
    user, own = make_foreign_national()
    draft = make_draft(
        filer=user,
        procedure="extension",
        card=own,
        kanji_name_requested=True,
        receipt_method=ReceiptMethod.COUNTER,
    )
    facts = rules.application_receipt_facts(draft)
    assert rules.receipt_methods_offered("extension", **facts) == ["counter"]
