"""ID-11: self-registered service A users (ID-3, ID-4) update their own address online."""

import pytest
from django.urls import reverse

from zairyu.accounts.models import Category, ServiceARegistration
from zairyu.audit.models import AuditEvent
from zairyu.core import clock

from .factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(settings):
    """These tests read English messages; pages default to Japanese (decision 0003)."""
    settings.LANGUAGE_CODE = "en"


def registered_lawyer():
    user = UserFactory(category=Category.LAWYER)
    ServiceARegistration.objects.create(
        user=user, address="東京都千代田区霞が関１－１－１", registered_at=clock.now()
    )
    return user


def test_id11_lawyer_changes_the_office_address_converted_to_full_width(client):
    user = registered_lawyer()
    client.force_login(user)
    response = client.post(reverse("accounts:address_change"), {"address": "東京都港区芝公園4-2-8"})
    assert response.status_code == 302
    user.service_a_registration.refresh_from_db()
    assert (
        user.service_a_registration.address == "東京都港区芝公園４−２−８"
    )  # − U+2212, the JIS X 0208 minus (REFERENCE §6)
    event = AuditEvent.objects.get(action="account.address_changed")
    assert event.before == {"address": "東京都千代田区霞が関１－１－１"}


def test_id11_character_outside_jis_x_0208_is_named_by_the_field(client):
    user = registered_lawyer()
    client.force_login(user)
    response = client.post(reverse("accounts:address_change"), {"address": "東京都髙島平1"})
    assert response.status_code == 200
    errors = response.context["form"].errors["address"]
    assert any("髙" in error for error in errors)
    user.service_a_registration.refresh_from_db()
    assert user.service_a_registration.address == "東京都千代田区霞が関１－１－１"


def test_id11_my_number_in_the_address_is_refused_and_not_stored(client):
    user = registered_lawyer()
    client.force_login(user)
    response = client.post(reverse("accounts:address_change"), {"address": "1234 5678 9018"})
    assert response.status_code == 200
    assert "1234 5678 9018" not in str(response.context["form"].errors)
    assert not AuditEvent.objects.filter(action="account.address_changed").exists()


def test_id11_residents_have_no_address_page(client):
    client.force_login(UserFactory(category=Category.RESIDENT))
    assert client.get(reverse("accounts:address_change")).status_code == 404
