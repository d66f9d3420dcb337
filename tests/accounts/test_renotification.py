"""ID-12 auth ID / password re-notification over HTTP (001 Q46, Q48, Q50, Q52); SEC-5."""

import datetime as dt
import re

import pytest
from django.core import mail as outbox
from django.urls import reverse

from zairyu.accounts.models import Category
from zairyu.audit.models import AuditEvent
from zairyu.cards.services import card_renew
from zairyu.core import clock
from zairyu.mail.models import Mail

from ..cards.factories import card_data, make_card
from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(settings):
    """These tests read English messages; pages default to Japanese (decision 0003)."""
    settings.LANGUAGE_CODE = "en"


RENOTIFY = reverse("accounts:resident_renotify")
SENT = reverse("accounts:resident_renotified")
LOGIN = reverse("accounts:login")
AUTH_ID = "Houmu-Taro1"
NEW_PASSWORD = "Kasumi#2027seki"


@pytest.fixture
def card():
    return make_card(number="AB12345678CD", roman_name="HOUMU TAROU")


@pytest.fixture
def resident(card):
    return UserFactory(
        username=AUTH_ID,
        email="taro@example.jp",
        category=Category.RESIDENT,
        person=card.person,
        valid_until=card.stay_until,
        language="en",
        display_name="HOUMU TAROU",
    )


def typed(card, **overrides):
    values = {
        "number": card.number,
        "roman_name": card.roman_name,
        "nationality": card.nationality_id,
        "birth_date": card.birth_date.isoformat(),
        "sex": card.sex,
        "new_password": "",
        "new_password_again": "",
    }
    values.update(overrides)
    return values


def renotify(client, card, **overrides):
    return client.post(RENOTIFY, typed(card, **overrides))


def sign_in(client, password):
    return client.post(LOGIN, {"auth_id": AUTH_ID, "password": password})


def page(response) -> str:
    """The page without its per-response CSRF token."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def errors(response, field):
    return [e.code for e in response.context["form"].errors.as_data().get(field, [])]


def test_id12_auth_id_is_mailed_never_shown(
    client, card, resident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RENOTIFY, typed(card), follow=True)
    assert response.redirect_chain == [(SENT, 302)]
    assert AUTH_ID not in response.content.decode()
    queued = Mail.objects.get(template="auth_id_renotified")
    assert queued.to_address == "taro@example.jp"
    assert queued.language == "en"
    assert AUTH_ID in queued.body
    assert "new password was set" not in queued.body
    assert len(outbox.outbox) == 1
    assert AuditEvent.objects.filter(
        action="account.auth_id_renotified", object_id=str(resident.pk)
    ).exists()
    resident.refresh_from_db()
    assert resident.check_password(PASSWORD)  # unchanged without a new password


def test_id12_unknown_data_get_the_same_answer(client, card, resident):
    matched = client.post(RENOTIFY, typed(card), follow=True)
    unknown = client.post(RENOTIFY, typed(card, number="AB12345678CE"), follow=True)
    no_account = make_card(number="ZZ00000001AA", roman_name="SATOU HANAKO", sex="F")
    unregistered = client.post(RENOTIFY, typed(no_account), follow=True)
    assert matched.redirect_chain == unknown.redirect_chain == unregistered.redirect_chain
    assert page(matched) == page(unknown) == page(unregistered)
    assert Mail.objects.filter(template="auth_id_renotified").count() == 1
    assert AuditEvent.objects.filter(action="account.renotification_unmatched").count() == 2


def test_id12_new_password_is_set_and_never_mailed(
    client, card, resident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = renotify(
            client, card, new_password=NEW_PASSWORD, new_password_again=NEW_PASSWORD
        )
    assert response["Location"] == SENT
    resident.refresh_from_db()
    assert resident.check_password(NEW_PASSWORD)
    templates = set(Mail.objects.values_list("template", flat=True))
    assert templates == {"auth_id_renotified", "password_changed"}
    for mail in Mail.objects.all():
        assert NEW_PASSWORD not in mail.body
    assert "new password was set" in Mail.objects.get(template="auth_id_renotified").body
    assert AuditEvent.objects.filter(action="account.password_renotified").exists()
    assert sign_in(client, PASSWORD).status_code == 400
    assert sign_in(client, NEW_PASSWORD).status_code == 302


def test_id12_new_password_lifts_a_lock_at_once(client, card, resident):
    for _ in range(5):
        sign_in(client, "Wrong#pass2026")
    resident.refresh_from_db()
    assert resident.locked_until is not None
    assert "locked" in sign_in(client, PASSWORD).context["error"]
    renotify(client, card, new_password=NEW_PASSWORD, new_password_again=NEW_PASSWORD)
    resident.refresh_from_db()
    assert resident.locked_until is None
    assert sign_in(client, NEW_PASSWORD).status_code == 302
    event = AuditEvent.objects.get(action="account.auth_id_renotified")
    assert event.after["lock_lifted"] is True


def test_id12_without_a_new_password_the_lock_stays(client, card, resident):
    for _ in range(5):
        sign_in(client, "Wrong#pass2026")
    renotify(client, card)
    assert "locked" in sign_in(client, PASSWORD).context["error"]


def test_id12_new_password_renews_an_expired_password(client, card, resident):
    with clock.travel(dt.timedelta(days=367)):
        assert "expired" in sign_in(client, PASSWORD).context["error"]
        renotify(client, card, new_password=NEW_PASSWORD, new_password_again=NEW_PASSWORD)
        assert sign_in(client, NEW_PASSWORD).status_code == 302


def test_id12_renewed_card_data_find_the_account(client, card, resident):
    new = card_renew(actor=None, card=card, data=card_data(number="AB99999999CD"))
    renotify(client, new)
    assert Mail.objects.filter(template="auth_id_renotified", to_address=resident.email).exists()
    renotify(client, card)  # the old card no longer matches
    assert Mail.objects.filter(template="auth_id_renotified").count() == 1


def test_id12_normalised_card_data_match(client, card, resident):
    renotify(client, card, number="ab12345678cd", roman_name="houmu, tarou")
    assert Mail.objects.filter(template="auth_id_renotified").count() == 1


@pytest.mark.parametrize(
    "password, code",
    [
        ("short#1", "password_too_short"),
        ("P@ssw0rd", "password_too_common"),
        ("nosymbol2026", "password_no_symbol"),
    ],
)
def test_fmt2_new_password_format_is_checked_before_the_card(
    client, card, resident, password, code
):
    matched = renotify(client, card, new_password=password, new_password_again=password)
    unknown = renotify(
        client, card, number="AB12345678CE", new_password=password, new_password_again=password
    )
    assert errors(matched, "new_password") == errors(unknown, "new_password")
    assert code in errors(matched, "new_password")
    assert not Mail.objects.exists()


def test_fmt2_new_password_must_not_reuse_or_contain_the_auth_id(client, card, resident):
    reused = renotify(client, card, new_password=PASSWORD, new_password_again=PASSWORD)
    assert errors(reused, "new_password") == ["password_reused"]
    contains = f"x!{AUTH_ID}7"
    response = renotify(client, card, new_password=contains, new_password_again=contains)
    assert errors(response, "new_password") == ["password_contains_auth_id"]
    assert not Mail.objects.exists()
    resident.refresh_from_db()
    assert resident.check_password(PASSWORD)


def test_id12_new_passwords_must_match(client, card, resident):
    response = renotify(
        client, card, new_password=NEW_PASSWORD, new_password_again="Kasumi#2027seko"
    )
    assert errors(response, "new_password_again") == ["mismatch"]
    only_again = renotify(client, card, new_password_again=NEW_PASSWORD)
    assert errors(only_again, "new_password") == ["mismatch"]
    assert not Mail.objects.exists()


def test_id12_organizations_are_sent_to_the_bureau(client):
    organization = UserFactory(category=Category.ORGANIZATION, username="OrgAccount1")
    page = client.get(RENOTIFY).content.decode()
    assert "regional immigration bureau" in page or "地方出入国在留管理" in page
    # An organization has no residence card: nothing it can type matches, nothing is mailed.
    card = make_card()
    renotify(client, card)
    assert not Mail.objects.filter(to_address=organization.email).exists()


def test_id12_organization_never_matches_even_if_linked_by_mistake(client, card):
    organization = UserFactory(category=Category.ORGANIZATION, person=card.person)
    renotify(client, card)
    assert not Mail.objects.filter(to_address=organization.email).exists()


def test_id12_my_number_is_refused_and_not_echoed(client, card, resident):
    response = renotify(client, card, roman_name="123456789018")
    assert errors(response, "roman_name") == ["my_number_refused"]
    assert "123456789018" not in response.content.decode()
    assert not Mail.objects.exists()


def test_sec5_re_notification_is_limited_per_address(client, card, resident, settings):
    settings.ZAIRYU_RENOTIFICATIONS_PER_IP = 2
    renotify(client, card, number="AB12345678CE")
    renotify(client, card, number="AB12345678CE")
    response = renotify(client, card)
    assert response.status_code == 429
    assert not Mail.objects.exists()
    with clock.travel(dt.timedelta(hours=1, minutes=1)):
        assert renotify(client, card)["Location"] == SENT
