"""ID-1 / REF-5: the one card-face match — normalised, one indexed query, no enumeration."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zairyu.cards import services
from zairyu.cards.models import Person, ResidenceCard
from zairyu.cards.selectors import card_match
from zairyu.core import clock

from .factories import make_card

BIRTH = dt.date(1990, 4, 1)


@pytest.fixture
def card():
    return make_card(number="AB12345678CD", roman_name="HOUMU MIDDLE TAROU", sex="M")


def typed(**overrides):
    values = {
        "number": "AB12345678CD",
        "roman_name": "HOUMU MIDDLE TAROU",
        "nationality": "CHN",
        "birth_date": BIRTH,
        "sex": "M",
    }
    values.update(overrides)
    return values


def test_id1_match_returns_the_card(card):
    assert card_match(**typed()) == card


@pytest.mark.parametrize(
    "number, name",
    [
        ("ab12345678cd", "houmu middle tarou"),  # FMT-5 upper-cased, FMT-3 upper-cased
        ("ＡＢ１２３４５６７８ＣＤ", "ＨＯＵＭＵ　ＭＩＤＤＬＥ　ＴＡＲＯＵ"),  # full-width typed
        ("AB 1234 5678 CD", "HOUMU,MIDDLE,TAROU"),  # service A's commas (002 Q4-21)
        ("AB-12345678-CD", "  HOUMU  MIDDLE   TAROU "),  # extra spaces (001 Q66)
    ],
)
def test_fmt3_fmt5_match_normalises_what_is_typed(card, number, name):
    assert card_match(**typed(number=number, roman_name=name)) == card


@pytest.mark.parametrize(
    "overrides",
    [
        {"number": "AB12345678CE"},
        {"roman_name": "HOUMU TAROU"},  # a part left out (002 Q4-21: no abbreviations)
        {"roman_name": "TAROU MIDDLE HOUMU"},  # order as on the card (001 Q65)
        {"nationality": "VNM"},
        {"birth_date": BIRTH + dt.timedelta(days=1)},
        {"sex": "F"},
        {"prefecture": "27"},
        {"card_valid_until": dt.date(2000, 1, 1)},
        {"number": "not a number"},
        {"roman_name": "山田"},
        {"sex": "X"},
        {"birth_date": "1990-04-01"},
    ],
)
def test_id1_any_difference_gives_none_without_saying_which(card, overrides):
    assert card_match(**typed(**overrides)) is None


def test_id1_optional_fields_checked_when_given(card):
    assert (
        card_match(
            **typed(prefecture="13", municipality="13101", card_valid_until=card.card_valid_until)
        )
        == card
    )
    assert card_match(**typed(municipality="13104")) is None


def test_id1_card_without_municipality_matches_any_in_its_prefecture():
    card = make_card(number="MU00000001AA", municipality_id=None)
    assert (
        card_match(
            **typed(
                number=card.number,
                roman_name=card.roman_name,
                prefecture="13",
                municipality="13104",
            )
        )
        == card
    )


def test_id1_nationality_row_or_code(card):
    from zairyu.reference.models import Nationality

    assert card_match(**typed(nationality=Nationality.objects.get(pk="CHN"))) == card


def test_id1_invalidated_card_never_matches(card):
    services.card_invalidate(actor=None, card=card, reason="died")
    assert card_match(**typed()) is None
    assert card_match(**typed(), allow_expired=True) is None


def test_id1_expired_card_matches_only_when_asked(card):
    with clock.travel(dt.timedelta(days=701)):
        assert card_match(**typed()) is None
        assert card_match(**typed(), allow_expired=True) == card
    assert card.standing() == ResidenceCard.Standing.VALID


def test_id1_match_is_one_query(card, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = card_match(**typed(prefecture="13", municipality="13101"))
        # select_related: reading what callers need costs no further query
        assert found.status.code and found.nationality.code and found.person.reference
    with django_assert_num_queries(1):
        assert card_match(**typed(sex="F")) is None


def _scans(node) -> list[tuple[str, str, str]]:
    """(node type, relation, index) of every scan in a JSON plan."""
    found = []
    if "Relation Name" in node or "Index Name" in node:
        found.append((node["Node Type"], node.get("Relation Name", ""), node.get("Index Name", "")))
    for child in node.get("Plans", []):
        found += _scans(child)
    return found


def _fill_registry(count: int) -> None:
    """Add ``count`` other cards (bulk) so the planner sees a table worth an index."""
    template = ResidenceCard.objects.get(number="AB12345678CD")
    persons = Person.objects.bulk_create([Person(reference=f"FILL{i:08d}") for i in range(count)])
    cards = []
    for i, person in enumerate(persons):
        clone = ResidenceCard(
            **{f: getattr(template, f) for f in ResidenceCard.DATA_FIELDS},
            number=f"FL{i:08d}ZZ",
            person=person,
        )
        clone.birth_date = BIRTH + dt.timedelta(days=i % 9000)
        clone.roman_name = "FILL " + "".join(chr(65 + (i // 26**k) % 26) for k in range(4))
        cards.append(clone)
    ResidenceCard.objects.bulk_create(cards, batch_size=1000)


def test_id1_match_uses_the_number_index(card):
    """EXPLAIN the exact SQL card_match sends: the unique index on number answers it."""
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN plan checked on PostgreSQL")
    _fill_registry(5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cards_residencecard")
    with CaptureQueriesContext(connection) as captured:
        assert card_match(**typed(prefecture="13", municipality="13101")) == card
    [sql] = [q["sql"] for q in captured.captured_queries]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        [[plan]] = cursor.fetchall()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    card_scans = [s for s in _scans(plan[0]["Plan"]) if s[1] == "cards_residencecard"]
    assert card_scans == [("Index Scan", "cards_residencecard", "cards_card_number_unique")]
