"""BO-2: officer search over the registry (number, partial name, date of birth)."""

import datetime as dt

from zairyu.cards import services
from zairyu.cards.selectors import card_history, card_search, person_cards, person_current_card

from .factories import card_data, make_card


def numbers(query):
    return sorted(card.number for card in query)


def test_bo2_search_by_whole_number_in_any_width_or_case():
    make_card(number="AB12345678CD")
    make_card(number="XY87654321ZZ", roman_name="OTHER ONE")
    assert numbers(card_search(number="ab12345678cd")) == ["AB12345678CD"]
    assert numbers(card_search(number="ＡＢ 1234 5678-CD")) == ["AB12345678CD"]


def test_sec3_part_of_a_card_number_finds_nothing():
    """Numbers are stored encrypted, found by a keyed index of the whole number."""
    make_card(number="AB12345678CD")
    assert numbers(card_search(number="4321")) == []
    assert numbers(card_search(number="AB1234")) == []


def test_bo2_search_by_partial_name_normalised():
    make_card(number="AB12345678CD", roman_name="HOUMU MIDDLE TAROU", kanji_name="法務 太郎")
    make_card(number="XY87654321ZZ", roman_name="OTHER ONE")
    for text in ("middle", "ＭＩＤＤＬＥ", "houmu,middle", "MIDDLE  TAROU", "太郎", "法務　太郎"):
        assert numbers(card_search(name=text)) == ["AB12345678CD"], text


def test_bo2_search_by_birth_date_and_combined():
    make_card(number="AB12345678CD", birth_date=dt.date(1990, 1, 1))
    make_card(number="XY87654321ZZ", birth_date=dt.date(1990, 1, 1), roman_name="OTHER ONE")
    assert len(card_search(birth_date=dt.date(1990, 1, 1))) == 2
    assert numbers(card_search(birth_date=dt.date(1990, 1, 1), name="other")) == ["XY87654321ZZ"]


def test_bo2_search_without_criteria_is_empty():
    make_card()
    assert not card_search().exists()
    assert not card_search(number="   ", name="").exists()


def test_ref5_person_keeps_identity_across_renewals():
    old = make_card(number="OL00000001AA")
    new = services.card_renew(actor=None, card=old, data=card_data(number="NW00000001AA"))
    assert numbers(person_cards(old.person)) == ["NW00000001AA", "OL00000001AA"]
    assert person_current_card(old.person) == new
    assert [e.action for e in card_history(old)] == ["cards.card.invalidated", "cards.card.created"]


def test_bo2_name_search_uses_trigram_index_on_postgresql():
    import json

    import pytest
    from django.db import connection

    from .test_match import _fill_registry, _scans

    if connection.vendor != "postgresql":
        pytest.skip("trigram index exists on PostgreSQL only")
    make_card(number="AB12345678CD", roman_name="HOUMU MIDDLE TAROU")
    _fill_registry(5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cards_residencecard")
        # 5,000 rows fit in a few pages, where a scan is cheapest; what this test proves is
        # that the query's form (roman_name::text LIKE '%…%') can use the index at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
    query = card_search(name="middle tar")
    plan = json.loads(query.explain(format="json"))
    indexes = {index for _node, _relation, index in _scans(plan[0]["Plan"])}
    assert "cards_roman_name_trgm" in indexes, plan
