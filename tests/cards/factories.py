"""Test data for the card registry: valid card data and cards made through the services."""

import datetime as dt
import itertools

from zairyu.cards.models import ResidenceCard
from zairyu.cards.rules import CardData
from zairyu.cards.services import card_create
from zairyu.core import clock

_numbers = itertools.count(1)


def next_number(prefix: str = "TC", suffix: str = "ZZ") -> str:
    return f"{prefix}{next(_numbers):08d}{suffix}"


def card_data(**overrides) -> CardData:
    """Return valid data for a current card of an engineer living in Chiyoda, Tokyo."""
    today = clock.today()
    values = {
        "number": next_number(),
        "roman_name": "HOUMU TAROU",
        "nationality_id": "CHN",
        "birth_date": dt.date(1990, 4, 1),
        "sex": "M",
        "prefecture_id": "13",
        "municipality_id": "13101",
        "street": "霞が関１−１−１",
        "status_id": "engineer_humanities_international",
        "period_of_stay": "P3Y",
        "stay_until": today + dt.timedelta(days=700),
        "card_valid_until": today + dt.timedelta(days=700),
        "issued_on": today - dt.timedelta(days=395),
    }
    values.update(overrides)
    return CardData(**values)


def make_card(*, actor=None, person=None, **overrides) -> ResidenceCard:
    return card_create(actor=actor, data=card_data(**overrides), person=person)
