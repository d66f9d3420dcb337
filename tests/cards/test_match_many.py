"""ID-1 / BK-3: the batch card match (bulk filing) answers exactly as the one card match.

``card_match`` sends the face's condition as SQL; ``card_match_many`` reads the cards with the
faces' numbers in one query and checks the same condition on each card read. Both come from
one definition (``_face``); a table of faces shows that both readings agree.
"""

import datetime as dt

import pytest

from zairyu.cards import services
from zairyu.cards.models import ResidenceCard
from zairyu.cards.selectors import _face, _matchable, card_match, card_match_many
from zairyu.core import clock
from zairyu.reference.models import Nationality

from .factories import make_card

BIRTH = dt.date(1990, 4, 1)


@pytest.fixture
def cards():
    return {
        "plain": make_card(number="MM00000001AA", roman_name="HOUMU MIDDLE TAROU", sex="M"),
        "no_municipality": make_card(
            number="MM00000002AA", roman_name="NOMUNI HANAKO", sex="F", municipality_id=None
        ),
        "osaka": make_card(
            number="MM00000003AA",
            roman_name="OSAKA JIROU",
            prefecture_id="27",
            municipality_id=None,
        ),
        "invalidated": make_card(number="MM00000004AA", roman_name="GONE SABUROU"),
    }


def _face_of(card: ResidenceCard, **overrides) -> dict:
    values = {
        "number": card.number,
        "roman_name": card.roman_name,
        "nationality": card.nationality_id,
        "birth_date": card.birth_date,
        "sex": card.sex,
    }
    values.update(overrides)
    return values


FACES = [
    ("plain", {}),
    ("plain", {"number": "mm00000001aa", "roman_name": "houmu,middle,tarou"}),
    ("plain", {"number": "ＭＭ０００００００１ＡＡ", "roman_name": " HOUMU  MIDDLE TAROU "}),
    ("plain", {"prefecture": "13", "municipality": "13101"}),
    ("plain", {"prefecture": "13", "municipality": "13104"}),
    ("plain", {"prefecture": "27"}),
    ("plain", {"roman_name": "HOUMU TAROU"}),
    ("plain", {"roman_name": "TAROU MIDDLE HOUMU"}),
    ("plain", {"nationality": "VNM"}),
    ("plain", {"nationality": "nationality-row"}),
    ("plain", {"birth_date": BIRTH + dt.timedelta(days=1)}),
    ("plain", {"birth_date": "1990-04-01"}),
    ("plain", {"birth_date": dt.datetime(1990, 4, 1, 9, 30)}),
    ("plain", {"sex": "F"}),
    ("plain", {"sex": "X"}),
    ("plain", {"number": "not a number"}),
    ("plain", {"roman_name": "山田"}),
    ("plain", {"card_valid_until": "valid-until"}),
    ("plain", {"card_valid_until": dt.date(2000, 1, 1)}),
    ("plain", {"number": "MM00000099AA"}),
    ("no_municipality", {"prefecture": "13", "municipality": "13104"}),
    ("no_municipality", {"prefecture": "13", "municipality": "13101"}),
    ("no_municipality", {"prefecture": "27", "municipality": "27100"}),
    ("osaka", {"prefecture": "27"}),
    ("osaka", {"prefecture": "13"}),
    ("osaka", {"municipality": "27100"}),
    ("invalidated", {}),
]


def _table(cards) -> list[dict]:
    services.card_invalidate(actor=None, card=cards["invalidated"], reason="died")
    table = []
    for key, overrides in FACES:
        card = cards[key]
        overrides = dict(overrides)
        if overrides.get("nationality") == "nationality-row":
            overrides["nationality"] = Nationality.objects.get(pk=card.nationality_id)
        if overrides.get("card_valid_until") == "valid-until":
            overrides["card_valid_until"] = card.card_valid_until
        table.append(_face_of(card, **overrides))
    return table


@pytest.mark.parametrize("allow_expired", [False, True])
def test_bk3_match_many_agrees_with_match_on_a_table_of_faces(cards, allow_expired):
    table = _table(cards)
    one_by_one = [card_match(allow_expired=allow_expired, **face) for face in table]
    assert card_match_many(table, allow_expired=allow_expired) == one_by_one
    # The table is worth something: it has matches and refusals of each kind.
    matched = [i for i, found in enumerate(one_by_one) if found is not None]
    assert matched == [0, 1, 2, 3, 9, 12, 17, 20, 21, 23, 25]
    assert one_by_one[20] == cards["no_municipality"] and one_by_one[23] == cards["osaka"]


def test_bk3_face_condition_read_as_sql_and_on_a_card_agree(cards):
    """The definition's two readings, on every (face, card) pair — not only the face's own."""
    table = _table(cards)
    everyone = list(ResidenceCard.objects.all())
    for face_values in table:
        face = _face(**face_values)
        if face is None:
            continue
        # SQL narrows by the plain columns and the number's blind index (the encrypted birth
        # date cannot be compared in SQL); card_match then checks every column on the card.
        narrowed = list(ResidenceCard.objects.filter(face.q()))
        on_card = {card.pk for card in everyone if face.holds(card)}
        assert on_card <= {card.pk for card in narrowed}, face_values
        assert {card.pk for card in narrowed if face.holds(card)} == on_card, face_values
        assert len(narrowed) <= 1  # the number is unique


def test_bk3_match_many_keeps_order_and_repeats(cards):
    plain = _face_of(cards["plain"])
    wrong = _face_of(cards["plain"], sex="F")
    osaka = _face_of(cards["osaka"])
    answer = card_match_many([plain, wrong, osaka, plain, {**plain, "number": "bad"}])
    assert answer == [cards["plain"], None, cards["osaka"], cards["plain"], None]
    assert card_match_many([]) == []


def test_bk3_match_many_is_one_query(cards, django_assert_num_queries):
    faces = [_face_of(card) for card in cards.values()] * 3
    with django_assert_num_queries(1):
        found = card_match_many(faces)
        assert all(c.status.code and c.nationality.code for c in found if c is not None)


def test_bk3_match_many_expired_card_only_when_asked(cards):
    face = _face_of(cards["plain"])
    with clock.travel(dt.timedelta(days=701)):
        assert card_match_many([face]) == [None]
        assert card_match_many([face], allow_expired=True) == [cards["plain"]]
        assert not _matchable(False).filter(pk=cards["plain"].pk).exists()
