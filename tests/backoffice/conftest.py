import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from tests.cards.factories import make_card
from tests.otp_support import verify_second_factor  # other test modules import it from here
from zairyu.backoffice.access import officer_group


@pytest.fixture
def officer(db):
    user = get_user_model().objects.create_user(
        "officer1", password="Officer-pass-2026!", is_staff=True
    )
    user.groups.add(officer_group())
    return user


@pytest.fixture
def client(client):
    """Pages in English, so assertions read the msgids (translations are the lead's)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def sign_in_officer():
    """Return a function that signs ``user`` in on ``client`` with a verified second factor."""

    def sign_in(client, user):
        client.force_login(user)
        verify_second_factor(client, user)
        return client

    return sign_in


@pytest.fixture
def officer_client(client, officer, sign_in_officer):
    return sign_in_officer(client, officer)


@pytest.fixture
def card(db):
    return make_card(number="BO12345678AA", roman_name="HOUMU TAROU")
