"""REF-1, REF-4, REF-6 and REFERENCE.md §2-§4, §9: the data `migrate` loads."""

import datetime as dt

import pytest

from zairyu.reference import selectors
from zairyu.reference.models import (
    Bureau,
    FilingPermission,
    Municipality,
    Nationality,
    NotificationEvent,
    Prefecture,
    Procedure,
    ServiceOKind,
    SswField,
    Status,
    UserCategory,
)

pytestmark = pytest.mark.django_db

A, C, S, N = "activity", "contract", "spouse", ""

# REFERENCE.md §1, one row per status: code, 在留資格, table, Art. 19-16 group, alternative
# group, and four flags (y/-): organizations file Art. 19-17, online-eligible, card issued,
# mid-to-long-term resident.
STATUSES = [
    ("diplomat", "外交", "I-1", N, N, "- - - -"),
    ("official", "公用", "I-1", N, N, "- y - -"),
    ("professor", "教授", "I-1", A, N, "y y y y"),
    ("artist", "芸術", "I-1", N, N, "- y y y"),
    ("religious_activities", "宗教", "I-1", N, N, "- y y y"),
    ("journalist", "報道", "I-1", N, N, "- y y y"),
    ("hsp_1a", "高度専門職1号イ", "I-2", C, N, "y y y y"),
    ("hsp_1b", "高度専門職1号ロ", "I-2", C, N, "y y y y"),
    ("hsp_1c", "高度専門職1号ハ", "I-2", A, N, "y y y y"),
    ("hsp_2", "高度専門職2号", "I-2", C, A, "y y y y"),
    ("business_manager", "経営・管理", "I-2", A, N, "y y y y"),
    ("legal_accounting_services", "法律・会計業務", "I-2", A, N, "y y y y"),
    ("medical_services", "医療", "I-2", A, N, "y y y y"),
    ("researcher", "研究", "I-2", C, N, "y y y y"),
    ("instructor", "教育", "I-2", A, N, "y y y y"),
    ("engineer_humanities_international", "技術・人文知識・国際業務", "I-2", C, N, "y y y y"),
    ("intra_company_transferee", "企業内転勤", "I-2", A, N, "y y y y"),
    ("nursing_care", "介護", "I-2", C, N, "y y y y"),
    ("entertainer", "興行", "I-2", C, N, "y y y y"),
    ("skilled_labor", "技能", "I-2", C, N, "y y y y"),
    ("ssw_1", "特定技能1号", "I-2", C, N, "- y y y"),
    ("ssw_2", "特定技能2号", "I-2", C, N, "- y y y"),
    ("technical_intern_1a", "技能実習1号イ", "I-2", A, N, "- y y y"),
    ("technical_intern_3b", "技能実習3号ロ", "I-2", A, N, "- y y y"),
    ("employment_skill_development", "育成就労", "I-2", A, N, "- y y y"),
    ("cultural_activities", "文化活動", "I-3", N, N, "- y y y"),
    ("temporary_visitor", "短期滞在", "I-3", N, N, "- - - -"),
    ("student", "留学", "I-4", A, N, "y y y y"),
    ("trainee", "研修", "I-4", A, N, "y y y y"),
    ("dependent", "家族滞在", "I-4", S, N, "- y y y"),
    ("designated_activities", "特定活動", "I-5", N, N, "- y y y"),
    ("designated_activities_departure", "特定活動（出国準備）", "I-5", N, N, "- - y y"),
    ("permanent_resident", "永住者", "II", N, N, "- y y y"),
    ("spouse_of_japanese", "日本人の配偶者等", "II", S, N, "- y y y"),
    ("spouse_of_permanent_resident", "永住者の配偶者等", "II", S, N, "- y y y"),
    ("long_term_resident", "定住者", "II", N, N, "- y y y"),
]  # fmt: skip

ENGLISH = {
    "diplomat": "Diplomat",
    "official": "Official",
    "professor": "Professor",
    "artist": "Artist",
    "religious_activities": "Religious Activities",
    "journalist": "Journalist",
    "hsp_1a": "Highly Skilled Professional (i)(a)",
    "hsp_1b": "Highly Skilled Professional (i)(b)",
    "hsp_1c": "Highly Skilled Professional (i)(c)",
    "hsp_2": "Highly Skilled Professional (ii)",
    "business_manager": "Business Manager",
    "legal_accounting_services": "Legal/Accounting Services",
    "medical_services": "Medical Services",
    "researcher": "Researcher",
    "instructor": "Instructor",
    "engineer_humanities_international": "Engineer/Specialist in Humanities/International Services",
    "intra_company_transferee": "Intra-company Transferee",
    "nursing_care": "Nursing Care",
    "entertainer": "Entertainer",
    "skilled_labor": "Skilled Labor",
    "ssw_1": "Specified Skilled Worker (i)",
    "ssw_2": "Specified Skilled Worker (ii)",
    "technical_intern_1a": "Technical Intern Training (i)(a)",
    "technical_intern_3b": "Technical Intern Training (iii)(b)",
    "employment_skill_development": "Employment for Skill Development",
    "cultural_activities": "Cultural Activities",
    "temporary_visitor": "Temporary Visitor",
    "student": "Student",
    "trainee": "Trainee",
    "dependent": "Dependent",
    "designated_activities": "Designated Activities",
    "designated_activities_departure": "Designated Activities (preparation for departure)",
    "permanent_resident": "Permanent Resident",
    "spouse_of_japanese": "Spouse or Child of Japanese National",
    "spouse_of_permanent_resident": "Spouse or Child of Permanent Resident",
    "long_term_resident": "Long-Term Resident",
}


@pytest.mark.parametrize(("code", "ja", "table", "group", "alt", "flags"), STATUSES)
def test_ref1_status_row(code, ja, table, group, alt, flags):
    status = selectors.status_by_code(code)
    assert (status.name_ja, status.name_en, status.table) == (ja, ENGLISH[code], table)
    assert (status.notification_group, status.notification_group_alt) == (group, alt)
    art17, online, card, mtl = (flag == "y" for flag in flags.split())
    assert status.org_files_19_17 is art17
    assert status.online_eligible is online
    assert status.card_issued is card
    assert status.mid_to_long_term is mtl


def test_ref1_every_status_is_listed_once():
    expected = (
        {row[0] for row in STATUSES}
        | {f"technical_intern_{n}{s}" for n in (1, 2, 3) for s in "ab"}
        | {"intra_company_transferee_2"}
    )
    assert set(Status.objects.values_list("code", flat=True)) == expected


def test_ref1_online_eligibility_excludes_exactly_the_three():
    refused = set(Status.objects.filter(online_eligible=False).values_list("code", flat=True))
    assert refused == {"diplomat", "temporary_visitor", "designated_activities_departure"}


def test_ref1_hsp_ii_notifies_as_contract_or_activity_organization():
    status = selectors.status_by_code("hsp_2")
    assert status.notification_groups == ("contract", "activity")
    assert "(i)(c)" in status.notification_note
    assert selectors.status_by_code("student").notification_groups == ("activity",)
    assert selectors.status_by_code("permanent_resident").notification_groups == ()


def test_ref1_2027_statuses_start_and_technical_intern_ends():
    before, after = dt.date(2027, 3, 31), dt.date(2027, 4, 1)
    current_before = {s.code for s in selectors.statuses_current(before)}
    current_after = {s.code for s in selectors.statuses_current(after)}
    assert "technical_intern_1a" in current_before
    assert "technical_intern_1a" not in current_after
    assert "employment_skill_development" not in current_before
    assert {"employment_skill_development", "intra_company_transferee_2"} <= current_after


def test_ref1_unknown_status_code_raises():
    with pytest.raises(Status.DoesNotExist):
        selectors.status_by_code("astronaut")


def test_ref1_status_lookup_is_cached_outside_transactions(django_assert_num_queries, monkeypatch):
    from django.db import connection

    monkeypatch.setattr(type(connection), "in_atomic_block", False, raising=False)
    selectors.status_by_code("student")
    with django_assert_num_queries(0):
        assert selectors.status_by_code("ssw_1").code == "ssw_1"


def test_ref1_changing_a_status_clears_the_cache(monkeypatch):
    from django.db import connection

    monkeypatch.setattr(type(connection), "in_atomic_block", False, raising=False)
    assert selectors.status_by_code("artist").online_eligible is True
    Status.objects.filter(code="artist").update(online_eligible=False)  # no signal: still cached
    assert selectors.status_by_code("artist").online_eligible is True
    status = Status.objects.get(code="artist")
    status.save()  # a save (admin, shell, service) clears the cache
    assert selectors.status_by_code("artist").online_eligible is False


# --- REF-4 -----------------------------------------------------------------------------------

BUREAUS = {
    "sapporo": ("札オン", None, {"01"}),
    "sendai": ("仙オン", None, {"02", "03", "04", "05", "06", "07"}),
    "tokyo": ("東オン", None, {"08", "09", "10", "11", "12", "13", "15", "19", "20"}),
    "yokohama": ("横オン", "tokyo", {"14"}),
    "nagoya": ("名オン", None, {"16", "17", "18", "21", "22", "23", "24"}),
    "osaka": ("阪オン", None, {"25", "26", "27", "29", "30"}),
    "kobe": ("神オン", "osaka", {"28"}),
    "hiroshima": ("広オン", None, {"31", "32", "33", "34", "35"}),
    "takamatsu": ("高オン", None, {"36", "37", "38", "39"}),
    "fukuoka": ("福オン", None, {"40", "41", "42", "43", "44", "45", "46"}),
    "naha": ("那オン", "fukuoka", {"47"}),
}


@pytest.mark.parametrize(("code", "expected"), BUREAUS.items())
def test_ref4_bureau_prefix_parent_and_prefectures(code, expected):
    prefix, parent, prefectures = expected
    bureau = Bureau.objects.get(code=code)
    assert bureau.receipt_prefix == prefix
    assert bureau.parent_id == parent
    assert set(bureau.prefectures.values_list("code", flat=True)) == prefectures


def test_ref4_all_47_prefectures_mapped_exactly_once():
    codes = list(Prefecture.objects.values_list("code", flat=True))
    assert codes == [f"{n:02d}" for n in range(1, 48)]
    mapped = [c for _prefix, _parent, cs in BUREAUS.values() for c in cs]
    assert sorted(mapped) == codes  # no prefecture twice, none missing
    assert Prefecture.objects.get(code="13").name_ja == "東京都"
    assert Prefecture.objects.get(code="01").name_ja == "北海道"
    assert Prefecture.objects.get(code="26").name_ja == "京都府"


def test_ref4_bureau_for_prefecture():
    assert selectors.bureau_for_prefecture("14").receipt_prefix == "横オン"
    assert selectors.bureau_for_prefecture("13").code == "tokyo"
    assert selectors.bureau_for_prefecture("47").code == "naha"
    with pytest.raises(Prefecture.DoesNotExist):
        selectors.bureau_for_prefecture("48")


# --- REF-6 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("procedure", "online", "before", "after"),
    [
        ("change_of_status", True, 4000, 5500),
        ("change_of_status", False, 4000, 6000),
        ("extension", True, 4000, 5500),
        ("extension", False, 4000, 6000),
        ("reentry_single", True, 3000, 3500),
        ("reentry_single", False, 3000, 4000),
        ("reentry_multiple", True, 6000, 6500),
        ("reentry_multiple", False, 6000, 7000),
        ("work_certificate", True, 1200, 1600),
        ("work_certificate", False, 1200, 2000),
        ("coe", True, 0, 0),
        ("other_activity", False, 0, 0),
        ("acquisition", True, 0, 0),
        ("notification", True, 0, 0),
    ],
)
def test_ref6_fee_by_acceptance_date(procedure, online, before, after):
    assert selectors.fee_for(procedure, on=dt.date(2025, 3, 31), online=online) == before
    assert selectors.fee_for(procedure, on=dt.date(2025, 4, 1), online=online) == after


def test_ref6_unknown_procedure_has_no_fee():
    with pytest.raises(selectors.FeeNotFound):
        selectors.fee_for("naturalisation", on=dt.date(2025, 4, 1))


def test_ref6_every_procedure_has_a_fee_and_a_receipt_letter_where_filed_online():
    for procedure in Procedure.objects.all():
        assert selectors.fee_for(procedure.code, on=dt.date(2026, 1, 1)) >= 0
    letters = dict(Procedure.objects.values_list("code", "receipt_kanji"))
    assert letters["coe"] == "認"
    assert letters["change_of_status"] == "変"
    assert letters["extension"] == "更"
    assert letters["acquisition"] == "取"
    assert letters["work_certificate"] == "就"
    assert letters["reentry_single"] == letters["reentry_multiple"] == "再"
    assert letters["other_activity"] == "資"


# --- REFERENCE.md §2-§4 ----------------------------------------------------------------------


def test_ref1_art_19_16_events_follow_the_status_group():
    codes = {
        e.code
        for e in selectors.notification_events_for_status("engineer_humanities_international")
    }
    assert {"con_contract_end", "con_new_contract", "con_name_change"} <= codes
    assert not any(code.startswith(("act_", "sp_")) for code in codes)
    spouse = {e.code for e in selectors.notification_events_for_status("spouse_of_japanese")}
    assert spouse == {"sp_divorce", "sp_death"}
    assert selectors.notification_events_for_status("permanent_resident") == []
    both = {e.code for e in selectors.notification_events_for_status("hsp_2")}
    assert {"act_transfer", "con_new_contract"} <= both


def test_ref1_transfer_asks_new_activity_except_for_students():
    event = NotificationEvent.objects.get(code="act_transfer")
    lines = {line.item_id: line for line in event.lines.all()}
    assert list(lines) == [
        "event_date",
        "old_org_name",
        "old_org_address",
        "new_org_name",
        "new_org_address",
        "new_activity",
        "activity_place",
    ]
    assert list(lines["new_activity"].not_for_statuses.values_list("code", flat=True)) == [
        "student"
    ]
    assert lines["activity_place"].required is False


def test_ref1_art_19_17_events_name_their_organizations_and_statuses():
    start = NotificationEvent.objects.get(code="org_acceptance_start")
    statuses = set(start.statuses.values_list("code", flat=True))
    assert "engineer_humanities_international" in statuses
    assert "ssw_1" not in statuses  # SSW organizations use service O
    assert statuses <= set(
        Status.objects.filter(org_files_19_17=True).values_list("code", flat=True)
    )
    roster = NotificationEvent.objects.get(code="school_roster")
    assert roster.organization_kind == "school"
    assert roster.periodic_dates == "05-01,11-01"


def test_service_o_kinds_and_ssw_fields():
    assert SswField.objects.count() == 16
    assert SswField.objects.filter(name_ja="木材産業").exists()
    periodic = ServiceOKind.objects.get(code="ssw_periodic")
    assert (periodic.form_number, periodic.window_start, periodic.window_end) == (
        "3-6",
        "04-01",
        "05-31",
    )
    returnable = set(ServiceOKind.objects.filter(returnable=True).values_list("filer", flat=True))
    assert returnable == {"jli"}


# --- REFERENCE.md §9 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "procedure", "allowed", "scope"),
    [
        ("foreign_national", "coe", False, ""),
        ("foreign_national", "extension", True, "self"),
        ("foreign_national", "work_certificate", True, "self"),
        ("legal_representative", "coe", True, "ward"),
        ("lawyer_gyoseishoshi", "change_of_status", True, "client"),
        ("organization_staff", "reentry_multiple", True, "accepted"),
        ("rso_staff", "extension", True, "commissioning_ssw"),
        ("coe_e_delivery_recipient", "coe", False, ""),
        ("coe_e_delivery_recipient", "extension", False, ""),
    ],
)
def test_filing_matrix(category, procedure, allowed, scope):
    assert selectors.may_file(category, procedure) is allowed
    cell = selectors.filing_permission(category, procedure)
    assert cell.scope == scope


def test_filing_matrix_is_complete_and_unknown_cells_refuse():
    assert FilingPermission.objects.count() == UserCategory.objects.count() * 8
    assert selectors.may_file("foreign_national", "notification") is False
    assert selectors.filing_permission("tourist", "coe") is None


# --- counts the other apps rely on -----------------------------------------------------------


def test_ref3_ref2_loaded_sets_are_complete():
    assert Municipality.objects.count() > 1800
    assert Nationality.objects.count() == 251
