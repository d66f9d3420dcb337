import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from tests.cards.factories import make_card
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


def verify_second_factor(client, user):
    """Mark the client's session as verified with a confirmed TOTP device of ``user``.

    Back-office pages need a session verified with a second factor (ID-17, BO-1); this is what
    a right code at the sign-in step leaves in the session (django-otp's device id). The rule
    itself is tested over HTTP in test_accounts_otp.py.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


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
