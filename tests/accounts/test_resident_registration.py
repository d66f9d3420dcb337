"""ID-1 resident self-registration over HTTP; ID-7 validity following the card registry; SEC-5."""

import datetime as dt

import pytest
from django.core import mail as outbox
from django.db import IntegrityError, transaction
from django.urls import reverse

from zairyu.accounts.models import AccountState, Category, User
from zairyu.audit.models import AuditEvent
from zairyu.cards.models import ResidenceCard
from zairyu.cards.services import card_invalidate, card_renew
from zairyu.core import clock
from zairyu.mail.models import Mail

from ..cards.factories import card_data, make_card
from .factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(settings):
    """These tests read English messages; pages default to Japanese (decision 0003)."""
    settings.LANGUAGE_CODE = "en"


REGISTER = reverse("accounts:resident_register")
DONE = reverse("accounts:resident_registered")
LOGIN = reverse("accounts:login")
AUTH_ID = "Houmu-Taro1"
PASSWORD = "Kasumi#2026seki"
MY_NUMBER = "123456789018"  # passes the My Number check digit
CARD_FIELDS = ("number", "roman_name", "nationality", "birth_date", "sex")


@pytest.fixture
def card():
    return make_card(number="AB12345678CD", roman_name="HOUMU TAROU")


def typed(card, **overrides):
    values = {
        "number": card.number,
        "roman_name": card.roman_name,
        "nationality": card.nationality_id,
        "birth_date": card.birth_date.isoformat(),
        "sex": card.sex,
        "email": "taro@example.jp",
        "email_again": "taro@example.jp",
        "auth_id": AUTH_ID,
        "password": PASSWORD,
        "password_again": PASSWORD,
        "language": "en",
    }
    values.update(overrides)
    return values


def register(client, card, **overrides):
    return client.post(REGISTER, typed(card, **overrides))


def codes(response, field=None):
    form = response.context["form"]
    errors = form.errors.as_data()
    if field is not None:
        return [e.code for e in errors.get(field, [])]
    return {name: [e.code for e in found] for name, found in errors.items()}


# --- the happy path ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "language, subject_word", [("en", "registration is complete"), ("ja", "利用者情報登録")]
)
def test_id1_resident_registers_and_is_mailed_in_the_chosen_language(
    client, card, django_capture_on_commit_callbacks, language, subject_word
):
    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, card, language=language)
    assert response.status_code == 302
    assert response["Location"] == DONE
    user = User.objects.get(username=AUTH_ID)
    assert user.category == Category.RESIDENT
    assert user.state == AccountState.ACTIVE
    assert user.person_id == card.person_id
    assert user.valid_until == card.stay_until  # ID-7: until the period of stay ends
    assert user.password_changed_at is not None
    assert user.display_name == "HOUMU TAROU"
    assert user.email == "taro@example.jp"
    assert user.language == language
    assert user.check_password(PASSWORD)
    event = AuditEvent.objects.get(action="account.registered")
    assert event.object_id == str(user.pk)
    assert PASSWORD not in str(event.after)
    queued = Mail.objects.get(template="resident_registered")
    assert queued.to_address == "taro@example.jp"
    assert queued.language == language
    assert subject_word in queued.subject
    assert AUTH_ID in queued.body
    assert PASSWORD not in queued.body
    assert len(outbox.outbox) == 1  # sent once the registration committed (001 Q38)
    assert outbox.outbox[0].to == ["taro@example.jp"]


def test_id1_confirmation_page_shows_the_auth_id_never_the_password(client, card):
    register(client, card)
    page = client.get(DONE)
    assert page.status_code == 200
    html = page.content.decode()
    assert AUTH_ID in html
    assert PASSWORD not in html
    assert card.stay_until.isoformat() in html
    assert "no-store" in page["Cache-Control"]


def test_id1_confirmation_page_without_a_registration_goes_back_to_the_form(client):
    assert client.get(DONE)["Location"] == REGISTER


def test_id1_registered_resident_signs_in(client, card):
    register(client, card)
    response = client.post(LOGIN, {"auth_id": AUTH_ID, "password": PASSWORD})
    assert response.status_code == 302


def test_id1_login_page_links_to_registration_and_re_notification(client):
    html = client.get(LOGIN).content.decode()
    assert REGISTER in html
    assert reverse("accounts:resident_renotify") in html


def test_ref2_nationality_pull_down_is_ordered_by_english_name(client):
    form = client.get(REGISTER).context["form"]
    codes_in_order = [code for code, _label in form.fields["nationality"].choices][1:]
    assert codes_in_order.index("AFG") < codes_in_order.index("BRA") < codes_in_order.index("VNM")
    assert form.fields["nationality"].choices[0][0] == ""


@pytest.mark.parametrize(
    "number, name",
    [
        ("ab12345678cd", "houmu, tarou"),  # lower case, service A's comma
        ("ＡＢ１２３４５６７８ＣＤ", "ＨＯＵＭＵ　ＴＡＲＯＵ"),  # full width
    ],
)
def test_fmt3_fmt5_typed_forms_are_converted_and_the_conversion_shown(client, card, number, name):
    response = client.post(REGISTER, typed(card, number=number, roman_name=name), follow=True)
    assert response.redirect_chain[-1][0] == DONE
    html = response.content.decode()
    assert "HOUMU TAROU" in html
    assert "converted" in html
    assert User.objects.get(username=AUTH_ID).display_name == "HOUMU TAROU"


def test_fmt3_conversion_is_shown_on_the_form_when_something_else_is_wrong(client, card):
    response = register(client, card, roman_name="houmu,tarou", password_again="Other#2026xx")
    assert response.status_code == 400
    html = response.content.decode()
    assert "converted" in html
    assert 'value="HOUMU TAROU"' in html


# --- refusals -----------------------------------------------------------------------------------


WRONG = {
    "number": "AB12345678CE",
    "roman_name": "HOUMU JIROU",
    "nationality": "VNM",
    "birth_date": "1990-04-02",
    "sex": "F",
}


def test_id1_wrong_card_data_answer_the_same_whichever_field_differs(client, card):
    answers = []
    for field, value in WRONG.items():
        response = register(client, card, **{field: value})
        assert response.status_code == 400
        form = response.context["form"]
        # Every card field is marked alike; the message never names the one that differed.
        assert set(codes(response)) == {*CARD_FIELDS, "__all__"}
        answers.append(
            (
                [str(e) for e in form.non_field_errors()],
                {name: list(form.errors[name]) for name in CARD_FIELDS},
            )
        )
    assert all(answer == answers[0] for answer in answers)
    assert "exactly as printed on your residence card" in answers[0][0][0]
    assert not User.objects.exists()
    refused = AuditEvent.objects.filter(action="account.registration_refused")
    assert [e.after["reason"] for e in refused] == ["card_mismatch"] * len(WRONG)


def test_id1_invalidated_card_does_not_match(client, card):
    card_invalidate(actor=None, card=card, reason=ResidenceCard.InvalidationReason.DEPARTED)
    response = register(client, card)
    assert "card_mismatch" in codes(response, "__all__")


def test_id1_status_not_subject_to_art_19_16_is_refused_with_the_eligible_list(client):
    card = make_card(status_id="permanent_resident", period_of_stay="", stay_until=None)
    response = register(client, card)
    assert response.status_code == 400
    assert codes(response, "__all__") == ["status_not_eligible"]
    html = response.content.decode()
    assert '<details class="resident-statuses" open>' in html
    assert "Engineer/Specialist in Humanities/International Services" in html  # eligible, listed
    assert "<li>Permanent Resident</li>" not in html
    assert not User.objects.exists()


def test_id1_card_issued_today_can_register_tomorrow(client):
    card = make_card(issued_on=clock.today())
    response = register(client, card)
    assert codes(response, "__all__") == ["card_issued_today"]
    assert "tomorrow" in response.content.decode()
    with clock.travel(dt.timedelta(days=1)):
        assert register(client, card).status_code == 302


def test_id1_person_with_an_auth_id_cannot_register_again(client, card):
    assert register(client, card).status_code == 302
    response = register(
        client, card, auth_id="Another-ID1", email="x@example.jp", email_again="x@example.jp"
    )
    assert codes(response, "__all__") == ["already_registered"]
    assert User.objects.filter(person=card.person).count() == 1


def test_id1_renewed_card_keeps_the_one_auth_id(client, card):
    assert register(client, card).status_code == 302
    new = card_renew(actor=None, card=card, data=card_data(number="AB99999999CD"))
    response = register(
        client,
        new,
        auth_id="Another-ID1",
        birth_date=new.birth_date.isoformat(),
    )
    assert codes(response, "__all__") == ["already_registered"]


def test_id1_deleted_account_does_not_block_a_new_registration(client, card):
    UserFactory(person=card.person, category=Category.RESIDENT, state=AccountState.DELETED)
    assert register(client, card).status_code == 302


def test_id1_auth_id_taken_is_refused_by_the_field(client, card):
    UserFactory(username=AUTH_ID)
    response = register(client, card)
    assert codes(response, "auth_id") == ["auth_id_taken"]
    assert not User.objects.filter(person=card.person).exists()


def test_fmt1_auth_id_differing_only_in_case_is_another_id(client, card):
    UserFactory(username=AUTH_ID.lower())
    assert register(client, card).status_code == 302


@pytest.mark.parametrize(
    "auth_id, code",
    [
        ("abc12", "auth_id_too_short"),
        ("ほうむたろう1", "auth_id_character"),
        ("a" * 21, "auth_id_too_long"),
    ],
)
def test_fmt1_bad_auth_id_is_refused(client, card, auth_id, code):
    response = register(client, card, auth_id=auth_id)
    assert code in codes(response, "auth_id")


@pytest.mark.parametrize(
    "password, code",
    [
        (f"x!{AUTH_ID}9", "password_contains_auth_id"),
        (f"x!{AUTH_ID.upper()}9", "password_contains_auth_id"),
        ("P@ssw0rd", "password_too_common"),
        ("short#1", "password_too_short"),
        ("NoDigitsHere!", "password_no_digit"),
        ("nosymbol2026", "password_no_symbol"),
    ],
)
def test_fmt2_password_rules_apply_at_registration(client, card, password, code):
    response = register(client, card, password=password, password_again=password)
    assert response.status_code == 400
    assert code in codes(response, "password")
    assert password not in response.content.decode()
    assert not User.objects.exists()


def test_fmt2_password_and_card_errors_are_shown_together(client, card):
    response = register(
        client, card, number="AB12345678CE", password="short#1", password_again="short#1"
    )
    assert "password_too_short" in codes(response, "password")
    assert "card_mismatch" in codes(response, "__all__")


@pytest.mark.parametrize(
    "field, value",
    [("email_again", "jiro@example.jp"), ("password_again", "Kasumi#2026seko")],
)
def test_id1_confirmations_must_match(client, card, field, value):
    response = register(client, card, **{field: value})
    assert codes(response, field) == ["mismatch"]
    assert not User.objects.exists()


def test_id1_email_confirmation_ignores_case(client, card):
    assert register(client, card, email_again="TARO@example.jp").status_code == 302


@pytest.mark.parametrize("field", ["number", "roman_name", "auth_id", "email", "birth_date"])
@pytest.mark.parametrize("my_number", [MY_NUMBER, "１２３４－５６７８－９０１８"])
def test_id1_my_number_is_refused_and_never_echoed_or_stored(client, card, field, my_number):
    value = f"{my_number}@example.jp" if field == "email" else my_number
    response = register(client, card, **{field: value})
    assert response.status_code == 400
    assert codes(response, field) == ["my_number_refused"]
    html = response.content.decode()
    assert my_number not in html
    assert MY_NUMBER not in html
    assert "My Number" in html
    assert not User.objects.exists()
    for event in AuditEvent.objects.all():
        assert MY_NUMBER not in str(event.after) + str(event.before)


# --- rate limit (SEC-5) -------------------------------------------------------------------------


def test_sec5_registration_attempts_are_limited_per_address(client, card, settings):
    settings.ZAIRYU_REGISTRATIONS_PER_IP = 3
    for _ in range(3):
        assert register(client, card, number="AB12345678CE").status_code == 400
    response = register(client, card)
    assert response.status_code == 429
    assert "Too many attempts" in response.context["error"]
    assert not User.objects.exists()
    other = client.post(REGISTER, typed(card), REMOTE_ADDR="192.0.2.9")
    assert other.status_code == 302
    with clock.travel(dt.timedelta(hours=1, minutes=1)):
        assert register(client, card, auth_id="Another-ID1").status_code == 400  # counted again


# --- one valid auth ID per person (001 Q43) -----------------------------------------------------


def test_id1_database_allows_one_live_resident_account_per_person(card):
    UserFactory(person=card.person, category=Category.RESIDENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(person=card.person, category=Category.RESIDENT)
    UserFactory(person=card.person, category=Category.RESIDENT, state=AccountState.DELETED)


# --- ID-7: validity follows the registry --------------------------------------------------------


def sign_in(client, password=PASSWORD):
    return client.post(LOGIN, {"auth_id": AUTH_ID, "password": password})


def test_id7_renewal_extends_the_auth_id_at_sign_in(client, card):
    register(client, card)
    later = card.stay_until + dt.timedelta(days=365 * 3)
    card_renew(
        actor=None,
        card=card,
        data=card_data(number="AB55555555CD", stay_until=later, card_valid_until=later),
    )
    assert sign_in(client).status_code == 302
    user = User.objects.get(username=AUTH_ID)
    assert user.valid_until == later
    event = AuditEvent.objects.get(action="account.validity_followed")
    assert event.after["valid_until"] == later.isoformat()


def test_id7_without_a_new_permission_the_auth_id_expires_with_the_stay(client, card):
    register(client, card)
    with clock.travel(card.stay_until - clock.today() + dt.timedelta(days=1)):
        response = sign_in(client)
    assert response.status_code == 400
    assert "expired" in response.context["error"]


def test_id7_invalidated_card_voids_the_auth_id(client, card, django_capture_on_commit_callbacks):
    register(client, card)
    client.cookies.clear()
    card_invalidate(actor=None, card=card, reason=ResidenceCard.InvalidationReason.DEPARTED)
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_in(client)
    assert response.status_code == 400
    assert "can no longer be used" in response.context["error"]
    user = User.objects.get(username=AUTH_ID)
    assert user.state == AccountState.DELETED
    assert not user.is_active
    event = AuditEvent.objects.get(action="account.voided")
    assert event.after["reason"] == "card_invalidated"
    assert Mail.objects.filter(template="resident_voided", to_address=user.email).exists()
    # Further sign-ins stay refused without a second void.
    assert sign_in(client).status_code == 400
    assert AuditEvent.objects.filter(action="account.voided").count() == 1


def test_id7_wrong_password_on_a_voided_card_says_nothing_more(client, card):
    register(client, card)
    card_invalidate(actor=None, card=card, reason=ResidenceCard.InvalidationReason.DEPARTED)
    response = sign_in(client, "Wrong#pass2026")
    assert "not correct" in response.context["error"]
    assert User.objects.get(username=AUTH_ID).state == AccountState.ACTIVE


def test_id7_after_a_void_the_person_can_register_the_new_card(client, card):
    register(client, card)
    card_invalidate(actor=None, card=card, reason=ResidenceCard.InvalidationReason.DEPARTED)
    sign_in(client)
    new = make_card(person=card.person, number="AB77777777CD", roman_name="HOUMU TAROU")
    response = register(client, new, auth_id="Houmu-Taro2")
    assert response.status_code == 302


def test_id7_other_categories_are_left_alone(client):
    user = UserFactory(category=Category.ORGANIZATION)
    from zairyu.accounts.registration import resident_refresh_validity

    assert resident_refresh_validity(user) is user
    assert not AuditEvent.objects.filter(action__startswith="account.valid").exists()
