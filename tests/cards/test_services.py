"""REF-5: the registry's services — each change in one transaction with its audit event."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from zairyu.audit.models import AuditEvent
from zairyu.cards import services
from zairyu.cards.models import Person, ResidenceCard
from zairyu.core import clock

from .factories import card_data, make_card

Reason = ResidenceCard.InvalidationReason


def events(card, action=None):
    query = AuditEvent.objects.filter(object_type="cards.residencecard", object_id=str(card.pk))
    if action:
        query = query.filter(action=action)
    return list(query)


def test_ref5_create_normalises_and_audits():
    card = make_card(number="ab 1234 5678 cd", roman_name="houmu,taro", street="1-2-3 ﾊｲﾂ101")
    assert card.number == "AB12345678CD"
    assert card.roman_name == "HOUMU TARO"
    assert card.street == "１−２−３　ハイツ１０１"
    assert card.person_id is not None
    [event] = events(card, "cards.card.created")
    assert event.after["number"] == "AB12345678CD"


def test_ref5_create_collects_every_error():
    today = clock.today()
    with pytest.raises(ValidationError) as exc:
        make_card(
            number="A1",
            roman_name="山田",
            nationality_id="ZZZ",
            sex="X",
            status_id="temporary_visitor",
            municipality_id="27102",  # Osaka, not Tokyo
            street="髙田馬場",
            issued_on=today + dt.timedelta(days=1),
        )
    fields = exc.value.message_dict
    for field in (
        "number",
        "roman_name",
        "nationality",
        "sex",
        "status",
        "municipality",
        "street",
        "issued_on",
    ):
        assert field in fields, field
    assert "高" in " ".join(fields["street"])  # the suggestion for 髙
    codes = {e.code for errors in exc.value.error_dict.values() for e in errors}
    assert "status_without_card" in codes
    assert "municipality_prefecture" in codes
    assert not ResidenceCard.objects.exists()


def test_ref5_period_and_end_go_together():
    with pytest.raises(ValidationError) as exc:
        make_card(period_of_stay="", stay_until=clock.today())
    assert "stay_until" in exc.value.message_dict
    card = make_card(status_id="permanent_resident", period_of_stay="", stay_until=None)
    assert card.stay_until is None


def test_ref5_card_number_is_unique():
    make_card(number="AB12345678CD")
    with pytest.raises(ValidationError) as exc:
        make_card(number="AB12345678CD")
    assert exc.value.error_dict["number"][0].code == "number_taken"


def test_ref5_one_valid_card_per_person_in_the_database():
    card = make_card()
    with pytest.raises(IntegrityError), transaction.atomic():
        ResidenceCard.objects.create(
            person=card.person,
            number="ZZ00000001ZZ",
            **{k: v for k, v in card_data().model_fields().items() if k != "number"},
        )


def test_ref5_renew_keeps_the_person_and_invalidates_the_old_card():
    old = make_card()
    new = services.card_renew(
        actor=None,
        card=old,
        data=card_data(
            number="RN00000001AA",
            status_id="permanent_resident",
            period_of_stay="",
            stay_until=None,
        ),
    )
    old.refresh_from_db()
    assert new.person_id == old.person_id
    assert old.state == ResidenceCard.State.INVALIDATED
    assert old.invalidation_reason == Reason.RENEWED
    assert old.invalidated_at is not None
    assert new.state == ResidenceCard.State.VALID
    assert events(new, "cards.card.renewed")[0].before["number"] == old.number
    assert events(old, "cards.card.invalidated")[0].after["reason"] == "renewed"


def test_ref5_renew_refused_for_invalidated_card_and_rolls_back():
    old = make_card()
    services.card_invalidate(actor=None, card=old, reason=Reason.DIED)
    with pytest.raises(ValidationError):
        services.card_renew(actor=None, card=old, data=card_data())
    assert ResidenceCard.objects.count() == 1


def test_ref5_renew_with_bad_data_changes_nothing():
    old = make_card()
    with pytest.raises(ValidationError):
        services.card_renew(actor=None, card=old, data=card_data(number="bad"))
    old.refresh_from_db()
    assert old.state == ResidenceCard.State.VALID


def test_ref5_renew_with_a_taken_number_rolls_back_the_invalidation():
    other = make_card(roman_name="OTHER PERSON")
    old = make_card()
    with pytest.raises(ValidationError):
        services.card_renew(actor=None, card=old, data=card_data(number=other.number))
    old.refresh_from_db()
    assert old.state == ResidenceCard.State.VALID
    assert not events(old, "cards.card.invalidated")


def test_ref5_transitions_table_refuses_reinvalidation():
    card = make_card()
    services.card_invalidate(actor=None, card=card, reason=Reason.DEPARTED, note="left")
    card.refresh_from_db()
    assert card.invalidation_note == "left"
    with pytest.raises(ValidationError) as exc:
        services.card_invalidate(actor=None, card=card, reason=Reason.OTHER)
    assert exc.value.code == "transition"
    with pytest.raises(ValidationError):
        services.card_transition(card=card, to=ResidenceCard.State.VALID, actor=None)


def test_ref5_invalidate_needs_a_known_reason():
    card = make_card()
    with pytest.raises(ValidationError):
        services.card_invalidate(actor=None, card=card, reason="bored")
    card.refresh_from_db()
    assert card.state == ResidenceCard.State.VALID


def test_ref5_expiry_is_computed_from_the_clock():
    today = clock.today()
    card = make_card(stay_until=today, card_valid_until=today + dt.timedelta(days=10))
    assert card.standing() == ResidenceCard.Standing.VALID
    assert ResidenceCard.objects.current().filter(pk=card.pk).exists()
    with clock.travel(dt.timedelta(days=1)):
        assert card.standing() == ResidenceCard.Standing.EXPIRED
        assert not ResidenceCard.objects.current().filter(pk=card.pk).exists()
    card.state = ResidenceCard.State.INVALIDATED
    assert card.standing() == ResidenceCard.Standing.INVALIDATED


def test_ref5_create_for_person_with_current_card_is_refused():
    card = make_card()
    with pytest.raises(ValidationError) as exc:
        make_card(person=card.person)
    assert exc.value.code == "person_has_valid_card"


def test_ref5_create_for_person_with_expired_card_supersedes_it():
    today = clock.today()
    old = make_card(
        issued_on=today - dt.timedelta(days=800),
        stay_until=today - dt.timedelta(days=5),
        card_valid_until=today - dt.timedelta(days=5),
    )
    new = make_card(person=old.person)
    old.refresh_from_db()
    assert old.state == ResidenceCard.State.INVALIDATED
    assert old.invalidation_reason == Reason.SUPERSEDED
    assert new.person_id == old.person_id
    assert Person.objects.count() == 1


def test_ref5_departure_and_return():
    card = make_card()
    today = clock.today()
    services.card_record_departure(actor=None, card=card, departed_on=today)
    card.refresh_from_db()
    assert card.abroad_on_reentry and card.abroad_since == today
    with pytest.raises(ValidationError) as exc:
        services.card_record_departure(actor=None, card=card, departed_on=today)
    assert exc.value.code == "already_abroad"
    services.card_record_return(actor=None, card=card, returned_on=today)
    card.refresh_from_db()
    assert not card.abroad_on_reentry and card.abroad_since is None
    assert len(events(card, "cards.card.departed")) == 1
    [returned] = events(card, "cards.card.returned")
    assert returned.before == {"abroad_on_reentry": True, "abroad_since": today.isoformat()}


def test_ref5_return_without_departure_is_refused():
    card = make_card()
    with pytest.raises(ValidationError) as exc:
        services.card_record_return(actor=None, card=card, returned_on=clock.today())
    assert exc.value.code == "not_abroad"


def test_fmt7_event_dates_not_in_future():
    card = make_card()
    tomorrow = clock.today() + dt.timedelta(days=1)
    for call, kwargs in (
        (services.card_record_departure, {"departed_on": tomorrow}),
        (services.card_record_return, {"returned_on": tomorrow}),
        (
            services.card_record_moving_in,
            {
                "notified_on": tomorrow,
                "prefecture_id": "13",
                "municipality_id": None,
                "street": "１",
            },
        ),
    ):
        with pytest.raises(ValidationError) as exc:
            call(actor=None, card=card, **kwargs)
        assert exc.value.error_dict, call


def test_ref5_moving_in_records_date_and_address():
    card = make_card()
    today = clock.today()
    services.card_record_moving_in(
        actor=None,
        card=card,
        notified_on=today,
        prefecture_id="27",
        municipality_id="27127",
        street="梅田1-1",
    )
    card.refresh_from_db()
    assert card.last_moving_in_on == today
    assert (card.prefecture_id, card.municipality_id, card.street) == ("27", "27127", "梅田１−１")
    [event] = events(card, "cards.card.moving_in_recorded")
    assert event.before["prefecture_id"] == "13"
    assert event.after["municipality_id"] == "27127"


def test_ref5_moving_in_refuses_municipality_of_another_prefecture():
    card = make_card()
    with pytest.raises(ValidationError) as exc:
        services.card_record_moving_in(
            actor=None,
            card=card,
            notified_on=clock.today(),
            prefecture_id="13",
            municipality_id="27127",
            street="１",
        )
    assert "municipality" in exc.value.message_dict


def test_ref5_changes_refused_on_invalidated_card():
    card = make_card()
    services.card_invalidate(actor=None, card=card, reason=Reason.DIED)
    with pytest.raises(ValidationError) as exc:
        services.card_update_address(
            actor=None, card=card, prefecture_id="13", municipality_id=None, street="１"
        )
    assert exc.value.code == "card_invalidated"


def test_ref5_address_update_audited():
    card = make_card()
    services.card_update_address(
        actor=None, card=card, prefecture_id="13", municipality_id="13104", street="西新宿2"
    )
    card.refresh_from_db()
    assert card.street == "西新宿２"
    assert events(card, "cards.card.address_changed")


def test_fmt6_organization_corporate_number_checked():
    org = services.organization_create(
        actor=None,
        name="株式会社デモ",
        kind="company",
        prefecture_id="13",
        municipality_id="13101",
        street="丸の内1",
        corporate_number="7000012050002",
    )
    assert org.bureau_id == "tokyo"
    with pytest.raises(ValidationError) as exc:
        services.organization_create(
            actor=None,
            name="株式会社デモ２",
            kind="company",
            prefecture_id="13",
            street="丸の内1",
            corporate_number="1234567890123",
        )
    assert "corporate_number" in exc.value.message_dict
