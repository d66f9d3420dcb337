"""The fictional demo population for ``make run`` (setup_demo): residents and organizations.

Every person, card number, corporate number and address here is made up. Dates are relative
to ``clock.today()``, so the edge cases the rules need stay true whenever the demo is loaded:
a card issued today (ID-1 refuses registration, 001 Q36), a stay ending today and one already
over (A-4), a holder abroad on re-entry (A-4, 002 Q4-17), a moving-in notification today
(A-4, 002 Q4-12), a minor with a legal representative, statuses with and without Art. 19-16
notifications.

Idempotent: a second run on the same day changes nothing. On a later day the demo cards are
moved back to their defined state (dates re-anchored on the new today); cards an officer has
invalidated or replaced in the meantime are left alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from zairyu.audit.services import audit_record
from zairyu.core import clock
from zairyu.core.days import add_years

from .models import Organization, Person, ResidenceCard
from .rules import CardData, DatabaseReferences, clean_card_data
from .services import card_create, card_renew, organization_create


@dataclass(frozen=True)
class DemoCard:
    number: str
    person_ref: str
    note: str  # what the card demonstrates (printed by setup_demo)
    build: Callable[[dt.date], dict]


def _years_ago(today: dt.date, years: int, days: int = 0) -> dt.date:
    return add_years(today, -years) - dt.timedelta(days=days)


def _card(
    today: dt.date,
    *,
    issued_days_ago: int,
    stay_days_left: int | None,
    period: str,
    **fields,
) -> dict:
    issued = today - dt.timedelta(days=issued_days_ago)
    stay_until = None if stay_days_left is None else today + dt.timedelta(days=stay_days_left)
    valid_until = stay_until if stay_until is not None else issued + dt.timedelta(days=7 * 365)
    return {
        "issued_on": issued,
        "stay_until": stay_until,
        "card_valid_until": valid_until,
        "period_of_stay": period,
        **fields,
    }


# Days left in the stay of the first demo card (WANG XIAOMING): fewer than three months.
WANG_STAY_DAYS_LEFT = 80

DEMO_CARDS: list[DemoCard] = [
    DemoCard(
        "ZR10000001AA",
        "DEMO-P001",
        (
            "engineer in Tokyo: a card that registers for the e-Notification System; the stay "
            "ends in 80 days, so an extension can be applied for (A-4)"
        ),
        lambda t: _card(
            t,
            # Inside the extension window (from three months before the end, A-4) on any day,
            # as setup_demo suggests an extension for him.
            issued_days_ago=5 * 365 - WANG_STAY_DAYS_LEFT,
            stay_days_left=WANG_STAY_DAYS_LEFT,
            period="P5Y",
            roman_name="WANG XIAOMING",
            kanji_name="王 小明",
            nationality_id="CHN",
            birth_date=dt.date(1991, 6, 12),
            sex="M",
            prefecture_id="13",
            municipality_id="13104",
            street="西新宿２−８−１",
            status_id="engineer_humanities_international",
        ),
    ),
    DemoCard(
        "ZR10000002AA",
        "DEMO-P002",
        "student whose card was issued today (registration refused until tomorrow, 001 Q36)",
        lambda t: _card(
            t,
            issued_days_ago=0,
            stay_days_left=455,
            period="P1Y3M",
            roman_name="NGUYEN VAN AN",
            nationality_id="VNM",
            birth_date=dt.date(2004, 3, 3),
            sex="M",
            prefecture_id="27",
            municipality_id="27127",
            street="梅田１−１−３",
            status_id="student",
        ),
    ),
    DemoCard(
        "ZR10000003AA",
        "DEMO-P003",
        "engineer whose period of stay ends today (no online application, 002 Q4-10)",
        lambda t: _card(
            t,
            issued_days_ago=3 * 365,
            stay_days_left=0,
            period="P3Y",
            roman_name="SANTOS MARIA CRUZ",
            nationality_id="PHL",
            birth_date=dt.date(1988, 11, 30),
            sex="F",
            prefecture_id="23",
            municipality_id="23101",
            street="今池５−１−５",
            status_id="engineer_humanities_international",
        ),
    ),
    DemoCard(
        "ZR10000004AA",
        "DEMO-P004",
        "specified skilled worker whose stay ended yesterday (expired card)",
        lambda t: _card(
            t,
            issued_days_ago=366,
            stay_days_left=-1,
            period="P1Y",
            roman_name="GURUNG BIKASH",
            nationality_id="NPL",
            birth_date=dt.date(1996, 1, 20),
            sex="M",
            prefecture_id="40",
            municipality_id="40131",
            street="箱崎３−２−１",
            status_id="ssw_1",
        ),
    ),
    DemoCard(
        "ZR10000005AA",
        "DEMO-P005",
        "engineer abroad on a re-entry permit (002 Q4-17)",
        lambda t: _card(
            t,
            issued_days_ago=500,
            stay_days_left=1300,
            period="P5Y",
            roman_name="SMITH JOHN",
            nationality_id="USA",
            birth_date=dt.date(1985, 7, 4),
            sex="M",
            prefecture_id="14",
            municipality_id="14101",
            street="鶴見中央１−１−１",
            status_id="engineer_humanities_international",
            abroad_on_reentry=True,
            abroad_since=t - dt.timedelta(days=10),
        ),
    ),
    DemoCard(
        "ZR10000006AA",
        "DEMO-P006",
        "spouse of a Japanese national who filed a moving-in notification today (002 Q4-12)",
        lambda t: _card(
            t,
            issued_days_ago=400,
            stay_days_left=700,
            period="P3Y",
            roman_name="SILVA ANA PAULA",
            nationality_id="BRA",
            birth_date=dt.date(1990, 9, 9),
            sex="F",
            prefecture_id="22",
            municipality_id="22138",
            street="中央２−３−４",
            status_id="spouse_of_japanese",
            last_moving_in_on=t,
        ),
    ),
    DemoCard(
        "ZR10000007AA",
        "DEMO-P007",
        "10-year-old dependent with a legal representative",
        lambda t: _card(
            t,
            issued_days_ago=100,
            stay_days_left=630,
            period="P2Y",
            roman_name="KIM SEOYUN",
            nationality_id="KOR",
            birth_date=_years_ago(t, 10, 40),
            sex="F",
            prefecture_id="13",
            municipality_id="13113",
            street="神宮前１−２−３",
            status_id="dependent",
            representative_name="KIM MINJUN",
            representative_relationship="父",
        ),
    ),
    DemoCard(
        "ZR10000008AA",
        "DEMO-P008",
        "spouse of a Japanese national (spouse notifications: divorce, death)",
        lambda t: _card(
            t,
            issued_days_ago=300,
            stay_days_left=800,
            period="P3Y",
            roman_name="REYES ANGELICA",
            nationality_id="PHL",
            birth_date=dt.date(1993, 5, 15),
            sex="F",
            prefecture_id="40",
            municipality_id="40131",
            street="香椎駅前１−１",
            status_id="spouse_of_japanese",
        ),
    ),
    DemoCard(
        "ZR10000009AA",
        "DEMO-P009",
        "student of a Japanese-language school",
        lambda t: _card(
            t,
            issued_days_ago=150,
            stay_days_left=300,
            period="P1Y3M",
            roman_name="TRAN THI HOA",
            nationality_id="VNM",
            birth_date=dt.date(2003, 8, 8),
            sex="F",
            prefecture_id="13",
            municipality_id="13104",
            street="高田馬場１−２−３",
            status_id="student",
        ),
    ),
    DemoCard(
        "ZR10000010AA",
        "DEMO-P010",
        "specified skilled worker (i) in nursing care",
        lambda t: _card(
            t,
            issued_days_ago=90,
            stay_days_left=275,
            period="P1Y",
            roman_name="PUTRI SARI",
            nationality_id="IDN",
            birth_date=dt.date(1999, 2, 14),
            sex="F",
            prefecture_id="27",
            municipality_id="27127",
            street="天神橋６−１−１",
            status_id="ssw_1",
        ),
    ),
    DemoCard(
        "ZR10000011AA",
        "DEMO-P011",
        "engineer with a kanji name on the card",
        lambda t: _card(
            t,
            issued_days_ago=60,
            stay_days_left=1000,
            period="P3Y",
            roman_name="CHEN YILIN",
            kanji_name="陳 怡霖",
            nationality_id="TWN",
            birth_date=dt.date(1994, 12, 1),
            sex="F",
            prefecture_id="13",
            municipality_id="13101",
            street="丸の内１−９−１",
            status_id="engineer_humanities_international",
        ),
    ),
    DemoCard(
        "ZR10000012AA",
        "DEMO-P012",
        "permanent resident (no Art. 19-16 notifications: registration refused, 001 Q35)",
        lambda t: _card(
            t,
            issued_days_ago=800,
            stay_days_left=None,
            period="",
            roman_name="LI WEI",
            nationality_id="CHN",
            birth_date=dt.date(1975, 4, 25),
            sex="M",
            prefecture_id="01",
            municipality_id="01101",
            street="北一条西２−１",
            status_id="permanent_resident",
        ),
    ),
    DemoCard(
        "ZR10000014AA",
        "DEMO-P013",
        "engineer whose earlier student card ZR10000013AA was renewed (one person, 001 Q37)",
        lambda t: _card(
            t,
            issued_days_ago=30,
            stay_days_left=1800,
            period="P5Y",
            roman_name="PHAM DUC MINH",
            nationality_id="VNM",
            birth_date=dt.date(1998, 10, 10),
            sex="M",
            prefecture_id="26",
            municipality_id="26104",
            street="烏丸通御池上る２",
            status_id="engineer_humanities_international",
        ),
    ),
]

# The earlier card of DEMO-P013, renewed into ZR10000014AA when the demo is first loaded.
RENEWED_CARD = DemoCard(
    "ZR10000013AA",
    "DEMO-P013",
    "student card, renewed",
    lambda t: _card(
        t,
        issued_days_ago=800,
        stay_days_left=0,
        period="P2Y3M",
        roman_name="PHAM DUC MINH",
        nationality_id="VNM",
        birth_date=dt.date(1998, 10, 10),
        sex="M",
        prefecture_id="26",
        municipality_id="26104",
        street="烏丸通御池上る２",
        status_id="student",
    ),
)


def _data(spec: DemoCard, today: dt.date) -> tuple[CardData, dt.date | None]:
    fields = spec.build(today)
    abroad_since = fields.pop("abroad_since", None)
    return CardData(number=spec.number, **fields), abroad_since


def _refresh(card: ResidenceCard, data: CardData, abroad_since) -> bool:
    """Move a valid demo card back to its defined state; return whether anything changed."""
    wanted = {
        **{f: getattr(data, f) for f in ResidenceCard.DATA_FIELDS},
        "abroad_since": abroad_since,
    }
    changed = {f: v for f, v in wanted.items() if getattr(card, f) != v}
    if not changed:
        return False
    before = {f: getattr(card, f) for f in changed}
    for field, value in changed.items():
        setattr(card, field, value)
    card.updated_at = clock.now()
    card.save(update_fields=[*changed, "updated_at"])
    audit_record(action="cards.card.demo_refreshed", obj=card, before=before, after=changed)
    return True


def _load_card(spec: DemoCard, today: dt.date) -> str:
    """Create or refresh one demo card; return "created", "refreshed" or ""."""
    data, abroad_since = _data(spec, today)
    data = clean_card_data(data, refs=DatabaseReferences(), today=today)
    card = ResidenceCard.objects.with_number(spec.number).first()
    if card is not None:
        if card.state != ResidenceCard.State.VALID:
            return ""  # invalidated by an officer during the demo: leave it
        return "refreshed" if _refresh(card, data, abroad_since) else ""
    person, _ = Person.objects.get_or_create(reference=spec.person_ref)
    held = person.cards.filter(state=ResidenceCard.State.VALID).first()
    if held is not None:
        if spec.person_ref == RENEWED_CARD.person_ref and held.number == RENEWED_CARD.number:
            card_renew(actor=None, card=held, data=data)
            return "created"
        return ""  # the person got another card during the demo: leave them
    card = card_create(actor=None, data=data, person=person)
    if abroad_since is not None:
        ResidenceCard.objects.filter(pk=card.pk).update(abroad_since=abroad_since)
    return "created"


DEMO_ORGANIZATIONS = [
    {
        "name": "株式会社ざいりゅうテック",
        "name_en": "Zairyu Tech Co., Ltd. (fictional)",
        "kind": Organization.Kind.COMPANY,
        "corporate_number": "8999900000001",
        "prefecture_id": "13",
        "municipality_id": "13104",
        "street": "西新宿２−８−１",
    },
    {
        "name": "学校法人東都国際学園　東都国際大学",
        "name_en": "Toto International University (fictional)",
        "kind": Organization.Kind.UNIVERSITY,
        "corporate_number": "7999900000002",
        "prefecture_id": "13",
        "municipality_id": "13113",
        "street": "神宮前４−１",
    },
    {
        "name": "霞日本語学院",
        "name_en": "Kasumi Japanese Language Institute (fictional)",
        "kind": Organization.Kind.LANGUAGE_SCHOOL,
        "corporate_number": "6999900000003",
        "prefecture_id": "13",
        "municipality_id": "13104",
        "street": "高田馬場２−１",
    },
    {
        "name": "株式会社みらい介護",
        "name_en": "Mirai Care Co., Ltd. (fictional)",
        "kind": Organization.Kind.SSW_EMPLOYER,
        "corporate_number": "5999900000004",
        "prefecture_id": "27",
        "municipality_id": "27127",
        "street": "天神橋６−２",
    },
    {
        "name": "一般社団法人共生サポート協会",
        "name_en": "Kyosei Support Association (fictional)",
        "kind": Organization.Kind.SUPPORT_ORGANIZATION,
        "corporate_number": "4999900000005",
        "rso_registration_number": "99登-000001",
        "prefecture_id": "27",
        "municipality_id": "27127",
        "street": "梅田２−２",
    },
    {
        "name": "霞が関行政書士事務所",
        "name_en": "Kasumigaseki Gyoseishoshi Office (fictional)",
        "kind": Organization.Kind.LAW_OFFICE,
        "corporate_number": "",
        "prefecture_id": "13",
        "municipality_id": "13101",
        "street": "霞が関１−１−１",
    },
]


@dataclass
class DemoReport:
    cards_created: int = 0
    cards_refreshed: int = 0
    organizations_created: int = 0

    def changed(self) -> bool:
        return bool(self.cards_created or self.cards_refreshed or self.organizations_created)


def load_demo_population() -> DemoReport:
    """Create or refresh the demo residents and organizations (idempotent, see the docstring)."""
    today = clock.today()
    report = DemoReport()
    with transaction.atomic():
        for spec in [RENEWED_CARD, *DEMO_CARDS]:
            outcome = _load_card(spec, today)
            report.cards_created += outcome == "created"
            report.cards_refreshed += outcome == "refreshed"
        for values in DEMO_ORGANIZATIONS:
            key = (
                {"corporate_number": values["corporate_number"]}
                if values["corporate_number"]
                else {"name": values["name"]}
            )
            if Organization.objects.filter(**key).exists():
                continue
            organization_create(actor=None, **values)
            report.organizations_created += 1
    return report
