"""BO-2 over HTTP: officer log-in, permissions, search, view, and every card action."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests.cards.factories import make_card
from zairyu.audit.models import AuditEvent
from zairyu.cards.models import ResidenceCard
from zairyu.core import clock

pytestmark = pytest.mark.django_db


def url(name, card=None):
    return reverse(f"backoffice:{name}", kwargs={"card_id": card.pk} if card else None)


CARD_PAGES = [
    "card_detail",
    "card_renew",
    "card_invalidate",
    "card_departure",
    "card_return",
    "card_moving_in",
]
PLAIN_PAGES = ["home", "card_search", "card_create"]


def all_urls(card):
    return [url(name) for name in PLAIN_PAGES] + [url(name, card) for name in CARD_PAGES]


def audit(action, card=None):
    query = AuditEvent.objects.filter(action=action)
    if card is not None:
        query = query.filter(object_id=str(card.pk))
    return list(query)


# --- Permissions ---------------------------------------------------------------------------


def test_bo2_anonymous_redirected_to_login(client, card):
    for address in all_urls(card):
        response = client.get(address)
        assert response.status_code == 302, address
        assert response["Location"].startswith(reverse("backoffice:login") + "?next="), address
    response = client.post(url("card_invalidate", card), {"reason": "died"})
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.state == "valid"


def test_bo2_non_officer_forbidden(client, card):
    user = get_user_model().objects.create_user("resident", password="x-Resident-2026!")
    client.force_login(user)
    for address in all_urls(card):
        assert client.get(address).status_code == 403, address
    assert client.post(url("card_invalidate", card), {"reason": "died"}).status_code == 403
    card.refresh_from_db()
    assert card.state == "valid"


def test_bo2_staff_without_officer_group_forbidden(client, card, sign_in_officer):
    user = get_user_model().objects.create_user("clerk", password="x-Clerk-2026!", is_staff=True)
    # Staff set up a second factor first (SEC-2); verified, the clerk still has no officer right.
    sign_in_officer(client, user)
    for address in all_urls(card):
        assert client.get(address).status_code == 403, address


def test_bo2_view_only_officer_cannot_change(client, card, sign_in_officer):
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("viewer", password="x-Viewer-2026!", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_residencecard"))
    sign_in_officer(client, user)
    assert client.get(url("card_detail", card)).status_code == 200
    assert client.get(url("card_invalidate", card)).status_code == 403
    assert client.get(url("card_create")).status_code == 403


def test_bo2_missing_card_is_404(officer_client):
    for name in CARD_PAGES:
        assert officer_client.get(reverse(f"backoffice:{name}", args=[999999])).status_code == 404


def test_bo2_login_page_and_audit(client, officer):
    response = client.get(reverse("backoffice:login"))
    assert response.status_code == 200
    response = client.post(
        reverse("backoffice:login"), {"username": "officer1", "password": "wrong"}
    )
    assert response.status_code == 200
    assert audit("backoffice.login.failed")[0].after == {"username": "officer1"}
    response = client.post(
        reverse("backoffice:login"),
        {"username": "officer1", "password": "Officer-pass-2026!"},
    )
    assert response.status_code == 302 and response["Location"] == url("card_search")
    assert audit("backoffice.login.succeeded")


def test_bo2_login_refuses_non_staff_like_a_wrong_password(client):
    get_user_model().objects.create_user("resident", password="x-Resident-2026!")
    response = client.post(
        reverse("backoffice:login"), {"username": "resident", "password": "x-Resident-2026!"}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_bo2_forms_need_csrf(officer, card, sign_in_officer):
    client = Client(enforce_csrf_checks=True)
    sign_in_officer(client, officer)
    response = client.post(url("card_invalidate", card), {"reason": "died"})
    assert response.status_code == 403
    card.refresh_from_db()
    assert card.state == "valid"


# --- Search and view ------------------------------------------------------------------------


def test_bo2_search_by_number_name_birth_date(officer_client, card):
    make_card(roman_name="OTHER PERSON", birth_date=dt.date(1980, 1, 1))
    for criteria in (
        {"number": "bo12345678aa"},
        {"name": "houmu"},
        {"name": "ＴＡＲＯＵ"},
        {"birth_date": "1990-04-01"},
    ):
        response = officer_client.post(url("card_search"), criteria)
        assert response.status_code == 302  # POST-redirect-GET
        page = officer_client.get(url("card_search"))
        content = page.content.decode()
        assert "BO12345678AA" in content, criteria
        assert "OTHER PERSON" not in content, criteria
    listed = audit("cards.card.listed")
    assert listed and listed[0].after["cards"] == [card.pk]


def test_sec3_search_by_part_of_a_card_number_is_a_field_error(officer_client, card):
    response = officer_client.post(url("card_search"), {"number": "345678"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Enter the whole card number" in content
    assert "BO12345678AA" not in content


def test_bo2_search_keeps_personal_data_out_of_the_url(officer_client, card):
    response = officer_client.post(url("card_search"), {"name": "HOUMU"})
    assert "HOUMU" not in response["Location"]


def test_bo2_search_needs_a_criterion(officer_client):
    response = officer_client.post(url("card_search"), {})
    assert response.status_code == 200
    assert "Enter a card number, a name or a date of birth" in response.content.decode()


def test_bo2_search_bad_date_shows_field_error(officer_client):
    response = officer_client.post(url("card_search"), {"birth_date": "1990-13-45"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "bo-error-summary" in content and 'href="#id_birth_date"' in content
    assert "is not a date" in content


def test_bo2_search_clear(officer_client, card):
    officer_client.post(url("card_search"), {"name": "HOUMU"})
    officer_client.post(url("card_search"), {"clear": "1"})
    assert "BO12345678AA" not in officer_client.get(url("card_search")).content.decode()


def test_bo2_view_card_is_audited(officer_client, officer, card):
    response = officer_client.get(url("card_detail", card))
    assert response.status_code == 200
    content = response.content.decode()
    assert "HOUMU TAROU" in content and "霞が関" in content
    [event] = audit("cards.card.viewed", card)
    assert event.actor_id == str(officer.pk)


# --- Actions --------------------------------------------------------------------------------


def card_post(**overrides):
    today = clock.today()
    data = {
        "number": "NW00000001BB",
        "roman_name": "houmu, hanako",
        "kanji_name": "",
        "nationality": "PHL",
        "birth_date": "1992-02-02",
        "sex": "F",
        "prefecture": "27",
        "municipality": "27127",
        "street": "梅田1-1",
        "status": "spouse_of_japanese",
        "period_of_stay": "P3Y",
        "stay_until": (today + dt.timedelta(days=1000)).isoformat(),
        "card_valid_until": (today + dt.timedelta(days=1000)).isoformat(),
        "issued_on": today.isoformat(),
    }
    data.update(overrides)
    return data


def test_bo2_create_card(officer_client):
    response = officer_client.get(url("card_create"))
    assert response.status_code == 200
    response = officer_client.post(url("card_create"), card_post())
    card = ResidenceCard.objects.get(number="NW00000001BB")
    assert response.status_code == 302 and response["Location"] == url("card_detail", card)
    assert card.roman_name == "HOUMU HANAKO" and card.street == "梅田１−１"
    assert audit("cards.card.created", card)


def test_bo2_create_shows_field_errors_and_summary(officer_client):
    response = officer_client.post(
        url("card_create"),
        card_post(number="12", roman_name="ホウム", street="髙田1", birth_date=""),
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert not ResidenceCard.objects.exists()
    assert "bo-error-summary" in content
    # Format errors and missing fields are reported together, by field and at the top.
    for field in ("number", "roman_name", "street", "birth_date"):
        assert f'href="#id_{field}"' in content, field
        assert f'id="id_{field}_error"' in content, field
    assert 'aria-invalid="true"' in content
    assert "高" in content  # the suggestion for 髙 (FMT-4)


def test_bo2_create_shows_rule_errors_by_field(officer_client):
    response = officer_client.post(url("card_create"), card_post(municipality="13101"))
    content = response.content.decode()
    assert not ResidenceCard.objects.exists()
    assert 'href="#id_municipality"' in content and 'id="id_municipality_error"' in content


def test_bo2_radio_errors_link_to_their_group(officer_client):
    response = officer_client.post(url("card_create"), card_post(sex=""))
    content = response.content.decode()
    assert 'href="#id_sex"' in content and '<fieldset class="bo-fieldset" id="id_sex"' in content


def test_bo2_create_missing_fields_named(officer_client):
    response = officer_client.post(url("card_create"), {})
    content = response.content.decode()
    assert "Residence card number is empty" in content
    assert not ResidenceCard.objects.exists()


def test_bo2_renew(officer_client, card):
    assert officer_client.get(url("card_renew", card)).status_code == 200
    response = officer_client.post(
        url("card_renew", card),
        card_post(
            reason="renewed",
            roman_name="HOUMU TAROU",
            nationality="CHN",
            sex="M",
            birth_date="1990-04-01",
        ),
    )
    new = ResidenceCard.objects.get(number="NW00000001BB")
    assert response["Location"] == url("card_detail", new)
    card.refresh_from_db()
    assert card.state == "invalidated" and card.invalidation_reason == "renewed"
    assert new.person_id == card.person_id
    assert audit("cards.card.renewed", new) and audit("cards.card.invalidated", card)


def test_bo2_renew_bad_input(officer_client, card):
    response = officer_client.post(
        url("card_renew", card), card_post(number=card.number, reason="renewed")
    )
    assert response.status_code == 200
    assert 'id="id_number_error"' in response.content.decode()
    card.refresh_from_db()
    assert card.state == "valid"


def test_bo2_invalidate(officer_client, card):
    response = officer_client.post(
        url("card_invalidate", card), {"reason": "departed", "note": "出国確認"}
    )
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.state == "invalidated" and card.invalidation_note == "出国確認"
    assert audit("cards.card.invalidated", card)[0].after["reason"] == "departed"
    # The page of an invalidated card offers no actions; a second POST is refused politely.
    response = officer_client.post(url("card_invalidate", card), {"reason": "died"})
    assert response.status_code == 200 and "bo-error-summary" in response.content.decode()


def test_bo2_invalidate_needs_a_reason(officer_client, card):
    response = officer_client.post(url("card_invalidate", card), {})
    assert 'id="id_reason_error"' in response.content.decode()


def test_bo2_departure_and_return(officer_client, card):
    today = clock.today().isoformat()
    assert officer_client.get(url("card_departure", card)).status_code == 200
    response = officer_client.post(url("card_departure", card), {"departed_on": today})
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.abroad_on_reentry
    assert audit("cards.card.departed", card)
    response = officer_client.post(url("card_return", card), {"returned_on": today})
    assert response.status_code == 302
    card.refresh_from_db()
    assert not card.abroad_on_reentry
    assert audit("cards.card.returned", card)


def test_bo2_departure_in_future_refused(officer_client, card):
    tomorrow = (clock.today() + dt.timedelta(days=1)).isoformat()
    response = officer_client.post(url("card_departure", card), {"departed_on": tomorrow})
    assert response.status_code == 200
    assert 'id="id_departed_on_error"' in response.content.decode()
    card.refresh_from_db()
    assert not card.abroad_on_reentry


def test_bo2_moving_in(officer_client, card):
    response = officer_client.get(url("card_moving_in", card))
    assert 'value="霞が関' in response.content.decode()  # prefilled with the current address
    response = officer_client.post(
        url("card_moving_in", card),
        {
            "notified_on": clock.today().isoformat(),
            "prefecture": "14",
            "municipality": "14101",
            "street": "鶴見中央1-2",
        },
    )
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.last_moving_in_on == clock.today()
    assert (card.prefecture_id, card.municipality_id) == ("14", "14101")
    assert audit("cards.card.moving_in_recorded", card)


def test_bo2_moving_in_wrong_municipality(officer_client, card):
    response = officer_client.post(
        url("card_moving_in", card),
        {
            "notified_on": clock.today().isoformat(),
            "prefecture": "13",
            "municipality": "14101",
            "street": "x",
        },
    )
    assert 'id="id_municipality_error"' in response.content.decode()


def test_bo1_action_pages_showing_personal_data_are_audited(officer_client, card):
    for name in ("card_renew", "card_invalidate", "card_departure", "card_moving_in"):
        assert officer_client.get(url(name, card)).status_code == 200
    pages = [e.after["page"] for e in audit("cards.card.viewed", card)]
    assert sorted(pages) == ["departure", "invalidate", "moving_in", "renew"]


def test_bo1_officer_sees_only_cards_in_the_bureau_jurisdiction(
    client, officer, sign_in_officer, card
):
    """An Osaka officer: the Tokyo card is neither listed nor reachable (same 404 as missing)."""
    osaka_card = make_card(
        number="OS00000001AA", roman_name="HOUMU JIRO", prefecture_id="27", municipality_id="27127"
    )
    officer.bureau_id = "osaka"
    officer.save(update_fields=["bureau"])
    sign_in_officer(client, officer)
    client.post(url("card_search"), {"name": "HOUMU"})
    content = client.get(url("card_search")).content.decode()
    assert "OS00000001AA" in content and "BO12345678AA" not in content
    assert client.get(url("card_detail", card)).status_code == 404
    assert client.get(url("card_detail", osaka_card)).status_code == 200
    assert client.post(url("card_invalidate", card), {"reason": "died"}).status_code == 404
