"""Fixtures for service O: organization accounts of the three kinds, officers, typical items."""

import datetime as dt
import itertools
import uuid

import pytest
from django.conf import settings

from tests.accounts.factories import UserFactory
from tests.filings.factories import make_officer, make_organization
from zairyu.accounts.models import Category, OrganizationAccount
from zairyu.cards.models import Organization
from zairyu.core import clock
from zairyu.filings.service_o import services
from zairyu.reference.models import ServiceOKind

_serial = itertools.count(1)


def make_o_account(
    *,
    kind=Organization.Kind.SSW_EMPLOYER,
    name="株式会社特定技能商事",
    uses_service_n=False,
    language="en",
    **extra,
):
    """An organization account registered for service O (ID-2)."""
    organization = make_organization(kind=kind, name=name, **extra)
    n = next(_serial)
    user = UserFactory(
        username=f"oacct{n:04d}x",
        category=Category.ORGANIZATION,
        uses_service_o=True,
        uses_service_n=uses_service_n,
        language=language,
        display_name=organization.name,
        last_used_at=clock.now(),
        date_joined=clock.now(),
        password_changed_at=clock.now(),
    )
    OrganizationAccount.objects.create(
        user=user,
        organization=organization,
        registered_at=clock.now(),
        submitted_via="counter",
        submitter_name="担当者",
        staff_id_document="staff_card",
    )
    return user, organization


def kind(code: str) -> ServiceOKind:
    return ServiceOKind.objects.get(pk=code)


def days_ago(n: int) -> str:
    return (clock.today() - dt.timedelta(days=n)).isoformat()


def worker(n: int = 1, **extra) -> dict:
    row = {
        "card_number": f"SW{n:08d}KK",
        "roman_name": "NGUYEN VAN AN",
        "nationality": "VNM",
        "birth_date": "1998-04-01",
        "sex": "M",
    }
    row.update(extra)
    return row


def items_for(code: str) -> tuple[dict, list]:
    """Valid items and sheet rows for every kind (REFERENCE.md §4)."""
    month = (clock.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    last_month_day = (clock.today().replace(day=1) - dt.timedelta(days=3)).isoformat()
    table = {
        "ssw_contract_change": (
            {"event_date": days_ago(3), "change_content": "月給を改定"},
            [worker(1), worker(2)],
        ),
        "ssw_contract_end": ({"event_date": days_ago(3), "end_reason": "expiry"}, [worker(1)]),
        "ssw_contract_new": (
            {
                "event_date": days_ago(2),
                "ssw_field": "food_service",
                "job": "調理及び接客",
                "contract_start": days_ago(1),
                "contract_end": (clock.today() + dt.timedelta(days=365)).isoformat(),
                "monthly_pay": "230,000",
            },
            [worker(1), worker(2), worker(3)],
        ),
        "ssw_support_plan_change": (
            {"event_date": days_ago(5), "change_content": "生活オリエンテーションの実施者を変更"},
            [worker(1)],
        ),
        "ssw_entrustment_conclusion": (
            {
                "event_date": days_ago(5),
                "rso_name": "登録支援機構",
                "rso_number": "19登-000001",
                "scope": "支援計画の全部",
            },
            [],
        ),
        "ssw_entrustment_change": (
            {
                "event_date": days_ago(5),
                "rso_name": "登録支援機構",
                "rso_number": "19登-000001",
                "change_content": "委託範囲を変更",
            },
            [],
        ),
        "ssw_entrustment_end": (
            {
                "event_date": days_ago(5),
                "rso_name": "登録支援機構",
                "rso_number": "19登-000001",
                "end_reason_text": "契約期間満了",
            },
            [],
        ),
        "ssw_acceptance_difficulty": (
            {
                "reason": "worker_missing",
                "event_date": days_ago(2),
                "summary": "無断欠勤が続き連絡が取れない",
                "worker_reachable": "no",
                "measures": "警察に相談し、引き続き連絡を試みる",
            },
            [worker(1)],
        ),
        "ssw_non_conformity": (
            {
                "event_date": days_ago(2),
                "standard": "報酬の額",
                "details": "報酬の支払が遅延した",
                "measures": "速やかに支払った",
            },
            [],
        ),
        "ssw_support_difficulty": (
            {
                "event_date": days_ago(2),
                "details": "通訳者が退職した",
                "measures": "新たな通訳者を確保する",
            },
            [worker(1)],
        ),
        "ssw_periodic": (
            {"support_status": "支援計画どおり実施した"},
            [
                worker(1, working_days="21.5", working_hours="168", monthly_pay="230000"),
                worker(2, working_days="20", working_hours="160.5", monthly_pay="225000"),
            ],
        ),
        "rso_registered_matters_change": (
            {
                "event_date": days_ago(3),
                "matter": "代表者の氏名",
                "old_value": "法務太郎",
                "new_value": "法務花子",
            },
            [],
        ),
        "rso_suspension": ({"event_date": days_ago(3), "reason_text": "担当者が不在のため"}, []),
        "rso_abolition": ({"event_date": days_ago(3), "reason_text": "事業を廃止するため"}, []),
        "rso_resumption": (
            {"resume_date": (clock.today() + dt.timedelta(days=40)).isoformat()},
            [],
        ),
        "rso_special_incident": (
            {
                "event_date": days_ago(4),
                "known_date": days_ago(2),
                "details": "支援対象者が行方不明となった",
            },
            [],
        ),
        "jli_38_withdrawals": (
            {"month": month},
            [worker(1, withdrawal_date=last_month_day, withdrawal_reason="帰国のため")],
        ),
        "jli_39_attendance": (
            {"month": month},
            [worker(1, attendance_rate="42.5", part_time_employer="株式会社法務食堂")],
        ),
        "jli_44_attainment": (
            {
                "school_year": "2025",
                "completers": "100",
                "further_study": "50",
                "work_status_changes": "10",
                "cefr_a2": "15",
            },
            [],
        ),
        "jli_45_changes": (
            {"event_date": days_ago(3), "matter": "校長", "details": "校長が交代した"},
            [],
        ),
        "jli_46_self_inspection": (
            {"school_year": "2025", "results": "全ての項目を満たしている"},
            [],
        ),
    }
    return table[code]


def file(user, code: str, *, items=None, rows=None, token=None):
    default_items, default_rows = items_for(code)
    return services.ofiling_submit(
        user=user,
        kind=kind(code),
        items=default_items if items is None else items,
        rows=default_rows if rows is None else rows,
        token=token or uuid.uuid4(),
    )


@pytest.fixture(autouse=True)
def _db(db):
    """Every test here reads reference data from the database."""


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def ssw():
    return make_o_account()


@pytest.fixture
def rso():
    return make_o_account(
        kind=Organization.Kind.SUPPORT_ORGANIZATION,
        name="一般社団法人登録支援機構",
        rso_registration_number="19登-000001",
    )


@pytest.fixture
def jli():
    return make_o_account(kind=Organization.Kind.LANGUAGE_SCHOOL, name="法務日本語学校")


@pytest.fixture
def officer():
    return make_officer()


@pytest.fixture
def in_window():
    """A day inside the periodic window (form 3-6: 1 April - 31 May)."""
    with clock.frozen(clock.tokyo_datetime(2026, 4, 20, 10)):
        yield
