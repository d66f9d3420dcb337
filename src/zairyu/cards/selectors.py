"""Reads from the card registry: the card-face match, officer search, a card's history."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from zairyu.audit.models import AuditEvent
from zairyu.core import clock, crypto
from zairyu.core.text import to_fullwidth

from . import normalise
from .models import Person, ResidenceCard


class TypedCardFace:
    """Mixin for what a user typed from a card face (``number``, ``roman_name``, ``nationality``,
    ``birth_date``, ``sex``, and ``prefecture`` where the form asks for it): the one way such a
    face is matched against the register (``card_match``)."""

    def match(self) -> ResidenceCard | None:
        extra = {"prefecture": self.prefecture} if hasattr(self, "prefecture") else {}
        return card_match(
            number=self.number,
            roman_name=self.roman_name,
            nationality=self.nationality,
            birth_date=self.birth_date,
            sex=self.sex,
            **extra,
        )


def _code(value) -> str | None:
    """Accept a reference row or its code."""
    if value is None:
        return None
    return str(getattr(value, "pk", value))


def card_match(
    *,
    number: str,
    roman_name: str,
    nationality,
    birth_date: dt.date,
    sex: str,
    prefecture=None,
    municipality=None,
    card_valid_until: dt.date | None = None,
    allow_expired: bool = False,
) -> ResidenceCard | None:
    """Return the valid card whose face matches what the user typed, or None.

    The one card-face check of the system (ID-1 registration, ID-12 re-notification, filings,
    applications). It never says which field differed (001 Q63, 002 Q4-21: no enumeration),
    so callers can only say "enter the data as printed on the card".

    Required: the fields every service asks (001 Q33, 002 Q4-21) — card number, roman name,
    nationality or region (row or ISO code), date of birth, sex ("M"/"F"). Checked when given:
    ``prefecture`` and ``municipality`` of the address (service A asks them; a card recorded
    without a municipality matches any municipality of its prefecture) and the card's
    ``card_valid_until`` (service A). Each caller passes every field its form asks.

    The name is normalised as the Q&A describes: half-width upper case, spaces or service A's
    commas between the parts, full-width typing converted (001 Q66, 002 Q4-21); the number is
    upper-cased (FMT-5). Invalidated cards never match; expired ones (validity date or end of
    stay before today) match only with ``allow_expired=True``, for callers that refuse them
    with their own reason (A-4: "your period of stay has ended, go to the office").

    One query, through the unique blind index of the number (SEC-3: the number and the birth
    date are stored encrypted); every other condition is checked on that single row.
    """
    face = _face(
        number=number,
        roman_name=roman_name,
        nationality=nationality,
        birth_date=birth_date,
        sex=sex,
        prefecture=prefecture,
        municipality=municipality,
        card_valid_until=card_valid_until,
    )
    if face is None:
        return None
    found = list(_matchable(allow_expired).filter(face.q())[:1])
    return found[0] if found and face.holds(found[0]) else None


@dataclasses.dataclass(frozen=True)
class _Face:
    """What a matching card meets: its normalised number and, per column (attribute name),
    the values accepted (``None`` among them: the column may be empty). The one statement of
    "matches", read two ways: as a query condition (``q``, ``card_match``: the number's blind
    index and the plain columns; the encrypted ones cannot be compared in SQL) and on a card
    already read (``holds``: every column, ``card_match`` and ``card_match_many``);
    tests/cards/test_match.py checks that both agree."""

    number: str
    accepted: tuple[tuple[str, tuple], ...]

    def q(self) -> Q:
        condition = Q(number_index__in=crypto.blind_indexes("card-number", self.number))
        for name, values in self.accepted:
            if name in _ENCRYPTED:
                continue
            one = Q()
            for value in values:
                one |= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
            condition &= one
        return condition

    def holds(self, card: ResidenceCard) -> bool:
        return all(getattr(card, name) in values for name, values in self.accepted)


# Columns stored encrypted: compared on the card read, never in SQL.
_ENCRYPTED = frozenset({"number", "birth_date"})


def _face(
    *,
    number: str,
    roman_name: str,
    nationality,
    birth_date: dt.date,
    sex: str,
    prefecture=None,
    municipality=None,
    card_valid_until: dt.date | None = None,
) -> _Face | None:
    """The condition a card matching this face meets (``_Face``), or None when the face cannot
    match any card."""
    try:
        number = normalise.card_number(number)
        name = normalise.roman_name(roman_name)
    except ValidationError:
        return None
    if not isinstance(birth_date, dt.date) or sex not in ("M", "F"):
        return None
    accepted: list[tuple[str, tuple]] = [
        ("number", (number,)),
        ("roman_name", (name,)),
        ("nationality_id", (_code(nationality),)),
        ("birth_date", (birth_date,)),
        ("sex", (sex,)),
    ]
    if prefecture is not None:
        accepted.append(("prefecture_id", (_code(prefecture),)))
    if municipality is not None:
        # A card recorded without a municipality matches any municipality of its prefecture.
        accepted.append(("municipality_id", (_code(municipality), None)))
    if card_valid_until is not None:
        accepted.append(("card_valid_until", (card_valid_until,)))
    # Each value as the card holds it (e.g. a datetime given for a date: its date).
    fields = ResidenceCard._meta
    return _Face(
        number=number,
        accepted=tuple(
            (
                name,
                tuple(
                    None if value is None else fields.get_field(name).to_python(value)
                    for value in values
                ),
            )
            for name, values in accepted
        ),
    )


def _matchable(allow_expired: bool) -> QuerySet[ResidenceCard]:
    query = ResidenceCard.objects.filter(state=ResidenceCard.State.VALID)
    if not allow_expired:
        query = query.current(clock.today())
    return query.select_related("person", "status", "nationality", "prefecture", "municipality")


def card_match_many(
    faces: list[dict], *, allow_expired: bool = False
) -> list[ResidenceCard | None]:
    """``card_match`` for many faces at once (bulk filing): one query for the whole list.

    Each face is a dict of ``card_match``'s keyword arguments; the answer lists, in the same
    order, the card each face matches or None, exactly as ``card_match`` would answer. The
    matchable cards with the faces' numbers are read in one query (through the unique index on
    ``number``) and each face's condition is checked on the card with its number (``_Face``:
    the same condition ``card_match`` checks).
    """
    found = [_face(**face) for face in faces]
    numbers = sorted({f.number for f in found if f is not None})
    cards: dict[str, ResidenceCard] = {}
    if numbers:
        cards = {c.number: c for c in _matchable(allow_expired).with_numbers(numbers)}
    answer: list[ResidenceCard | None] = []
    for face in found:
        card = cards.get(face.number) if face is not None else None
        answer.append(card if card is not None and face.holds(card) else None)
    return answer


def card_search_number(text: str) -> str | None:
    """The whole card number in what an officer typed (any width, case, spaces or hyphens),
    or None when it is not a whole number."""
    loose = "".join(normalise.roman_name_loose(text or "").split()).replace("-", "")
    try:
        return normalise.card_number(loose)
    except ValidationError:
        return None


def card_search(
    *,
    number: str = "",
    name: str = "",
    birth_date: dt.date | None = None,
) -> QuerySet[ResidenceCard]:
    """Cards matching every criterion given (officer search, BO-2), newest issue first.

    ``number``: the whole card number (SEC-3: stored encrypted, found through its blind
    index; a part of a number cannot be searched and finds nothing). ``name``: part of the
    roman name, normalised like the card (case, full-width, commas), or part of the kanji name;
    on PostgreSQL the roman-name part uses the trigram index from migration 0002.
    ``birth_date`` uses its blind index. With no criterion the result is empty.
    """
    query = ResidenceCard.objects.select_related("nationality", "status", "prefecture")
    given = False
    if (number or "").strip():
        given = True
        whole = card_search_number(number)
        query = query.with_number(whole) if whole is not None else query.none()
    name_text = (name or "").strip()
    if name_text:
        given = True
        roman = normalise.roman_name_loose(name_text)
        if roman.isascii():
            query = query.filter(roman_name__contains=roman)
        else:
            # Kanji names are stored full-width with one ideographic space between parts.
            kanji = "\u3000".join(to_fullwidth(name_text).value.split())
            query = query.filter(kanji_name__contains=kanji)
    if birth_date is not None:
        given = True
        query = query.born_on(birth_date)
    if not given:
        return query.none()
    return query.order_by("roman_name", "-issued_on", "id")


def card_get(card_id: int) -> ResidenceCard | None:
    """Return one card with what its page shows, or None."""
    return (
        ResidenceCard.objects.select_related(
            "person", "nationality", "status", "prefecture", "municipality", "prefecture__bureau"
        )
        .filter(pk=card_id)
        .first()
    )


def person_cards(person: Person) -> QuerySet[ResidenceCard]:
    """Every card of a person, newest first (the identity across renewals, 001 Q37)."""
    return ResidenceCard.objects.filter(person=person).order_by("-issued_on", "-id")


def person_current_card(person: Person, *related: str) -> ResidenceCard | None:
    """The person's card that is valid and not expired today, or None; ``related``: relations
    to read with it (``select_related``)."""
    cards = ResidenceCard.objects.filter(person=person).current()
    return (cards.select_related(*related) if related else cards).first()


def card_history(card: ResidenceCard) -> QuerySet[AuditEvent]:
    """The changes recorded for a card, newest first, without the views (audit_object_idx)."""
    return (
        AuditEvent.objects.filter(object_type="cards.residencecard", object_id=str(card.pk))
        .exclude(action__in=["cards.card.viewed"])
        .order_by("-id")
    )
