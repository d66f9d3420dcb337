"""BO-1, SEC-1, ID-17 for the account pages: every URL × every role, the second factor every
back-office page requires, and bureau jurisdiction (same 404 as a missing account)."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.cards.factories import make_card
from zairyu.accounts import organizations
from zairyu.accounts.models import Category, StaffIdDocument
from zairyu.backoffice.access import officer_group
from zairyu.cards.models import Organization
from zairyu.cards.services import organization_create

pytestmark = pytest.mark.django_db

User = get_user_model()
LOGIN = reverse("backoffice:login")
SETUP = reverse("accounts:otp_setup")
VERIFY = reverse("accounts:otp_verify")


def make_officer(username, bureau=None):
    user = User.objects.create_user(
        username, password="Officer-pass-2026!", is_staff=True, bureau_id=bureau
    )
    user.groups.add(officer_group())
    return user


def org_account(officer, *, prefecture="13", auth_id="tokyo-org1", name="株式会社東京"):
    organization = organization_create(
        actor=None,
        name=name,
        kind=Organization.Kind.COMPANY,
        prefecture_id=prefecture,
        street="本町１－１",
    )
    user = organizations.organization_account_register(
        actor=officer,
        organization=organization,
        registration=organizations.Registration(
            auth_id=auth_id,
            email=f"{auth_id}@example.jp",
            password="Kaisha#2026pw",
            uses_service_n=True,
            uses_service_o=False,
            submitter_name="山田",
            submitted_via="counter",
            staff_id_checked=True,
            staff_id_document=StaffIdDocument.STAFF_CARD,
        ),
    )
    return user, organization


@pytest.fixture
def tokyo_account(officer):
    return org_account(officer)


def page_urls(account, organization):
    urls = [
        reverse("backoffice:account_search"),
        reverse("backoffice:organization_search"),
        reverse("backoffice:account_register"),
        reverse("backoffice:account_register_for", args=[organization.pk]),
        reverse("backoffice:account_detail", args=[account.pk]),
    ]
    for name in (
        "account_password_reissue",
        "account_auth_id_notify",
        "account_auth_id_reissue",
        "account_unlock",
        "account_second_factor_reset",
    ):
        urls.append(reverse(f"backoffice:{name}", args=[account.pk]))
    for action in ("suspend", "resume", "delete"):
        urls.append(reverse("backoffice:account_state", args=[account.pk, action]))
    return urls


# --- The matrix -------------------------------------------------------------------------------


def test_bo3_anonymous_is_sent_to_the_officer_sign_in(client, tokyo_account):
    account, organization = tokyo_account
    for url in page_urls(account, organization):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(LOGIN + "?next="), url
        assert client.post(url, {}).status_code == 302, url


@pytest.mark.parametrize("category", [Category.RESIDENT, Category.ORGANIZATION])
def test_bo3_residents_and_organizations_are_forbidden(client, tokyo_account, category):
    account, organization = tokyo_account
    user = UserFactory(category=category)
    client.force_login(user)
    for url in page_urls(account, organization):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"reason": "x"}).status_code == 403, url
    account.refresh_from_db()
    assert account.state == "active"


def test_bo3_the_organization_itself_cannot_act_on_its_account(client, tokyo_account):
    account, organization = tokyo_account
    client.force_login(account)
    for url in page_urls(account, organization):
        assert client.get(url).status_code == 403, url


def test_id17_officer_without_an_authenticator_is_sent_to_set_one_up(client, tokyo_account):
    account, organization = tokyo_account
    officer = make_officer("officer-new")
    client.force_login(officer)  # password step only
    for url in page_urls(account, organization) + [reverse("backoffice:card_search")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(SETUP + "?next="), url
    # A state change is not carried out either.
    client.post(reverse("backoffice:account_state", args=[account.pk, "suspend"]), {"reason": "x"})
    account.refresh_from_db()
    assert account.state == "active"


def test_id17_officer_with_an_authenticator_must_enter_a_code(client, tokyo_account):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    account, organization = tokyo_account
    officer = make_officer("officer-dev")
    TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    client.force_login(officer)
    for url in page_urls(account, organization):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(VERIFY + "?next="), url


def test_id17_officer_sign_in_then_setup_then_back_to_the_page(client):
    """The officers' own sign-in page, then the set-up the back office insists on."""

    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    make_officer("officer-flow")
    client.post(LOGIN, {"username": "officer-flow", "password": "Officer-pass-2026!"})
    target = reverse("backoffice:account_search")
    response = client.get(target)
    assert response["Location"] == f"{SETUP}?next=%2Fbackoffice%2Faccounts%2F"
    assert client.get(response["Location"]).status_code == 200
    device = TOTPDevice.objects.get(user__username="officer-flow")
    token = TOTP(device.bin_key).token()
    done = client.post(response["Location"], {"token": f"{token:06d}", "next": target})
    assert done.status_code == 302 and done["Location"] == target
    assert client.get(target).status_code == 200


def test_bo3_verified_officer_reaches_every_page(client, tokyo_account, sign_in_officer, officer):
    account, organization = tokyo_account
    sign_in_officer(client, officer)
    for url in page_urls(account, organization):
        assert client.get(url).status_code == 200, url


def test_bo3_missing_account_is_404(officer_client):
    for name in ("account_detail", "account_password_reissue", "account_unlock"):
        assert officer_client.get(reverse(f"backoffice:{name}", args=[999999])).status_code == 404
    missing_state = reverse("backoffice:account_state", args=[999999, "suspend"])
    assert officer_client.get(missing_state).status_code == 404
    assert (
        officer_client.get(reverse("backoffice:account_register_for", args=[999999])).status_code
        == 404
    )


def test_bo3_unknown_state_action_is_404(officer_client, tokyo_account):
    account, _organization = tokyo_account
    url = reverse("backoffice:account_state", args=[account.pk, "promote"])
    assert officer_client.get(url).status_code == 404


def test_bo3_back_office_accounts_are_not_managed_here(officer_client, officer):
    other = make_officer("officer-other")
    assert (
        officer_client.get(reverse("backoffice:account_detail", args=[other.pk])).status_code == 404
    )
    supervisor = UserFactory(category=Category.SUPERVISOR)
    assert (
        officer_client.get(reverse("backoffice:account_detail", args=[supervisor.pk])).status_code
        == 404
    )


def test_bo3_xlsx_form_is_public(client):
    response = client.get(reverse("accounts:organization_registration_form"))
    assert response.status_code == 200


# --- Jurisdiction (BO-1) ----------------------------------------------------------------------


def test_bo1_officer_of_another_bureau_gets_the_same_404(client, tokyo_account, sign_in_officer):
    account, organization = tokyo_account
    osaka = make_officer("officer-osaka", bureau="osaka")
    sign_in_officer(client, osaka)
    for url in page_urls(account, organization)[3:]:  # all pages naming the account or org
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("backoffice:account_state", args=[account.pk, "suspend"]), {"reason": "x"}
    )
    assert response.status_code == 404
    account.refresh_from_db()
    assert account.state == "active"
    # Nor does the account show up in a search.
    client.post(reverse("backoffice:account_search"), {"auth_id": "tokyo-org1"})
    page = client.get(reverse("backoffice:account_search"))
    assert page.context["page"].paginator.count == 0
    found = client.get(reverse("backoffice:organization_search"), {"name": "東京"})
    assert found.context["results"] == []


def test_bo1_regional_bureau_covers_its_district_offices(client, officer, sign_in_officer):
    kanagawa, _ = org_account(officer, prefecture="14", auth_id="yokohama-1", name="横浜商事")
    tokyo, _ = org_account(officer, prefecture="13", auth_id="tokyo-org2", name="東京商事")
    detail = "backoffice:account_detail"
    sign_in_officer(client, make_officer("officer-tokyo", bureau="tokyo"))
    assert client.get(reverse(detail, args=[kanagawa.pk])).status_code == 200
    assert client.get(reverse(detail, args=[tokyo.pk])).status_code == 200
    client.logout()
    sign_in_officer(client, make_officer("officer-yokohama", bureau="yokohama"))
    assert client.get(reverse(detail, args=[kanagawa.pk])).status_code == 200
    assert client.get(reverse(detail, args=[tokyo.pk])).status_code == 404


def test_bo1_resident_accounts_follow_the_address_on_the_card(client, sign_in_officer):
    card = make_card(number="RS12345678AB")  # Chiyoda, Tokyo
    resident = UserFactory(category=Category.RESIDENT, person=card.person)
    url = reverse("backoffice:account_detail", args=[resident.pk])
    sign_in_officer(client, make_officer("officer-osaka2", bureau="osaka"))
    assert client.get(url).status_code == 404
    client.logout()
    sign_in_officer(client, make_officer("officer-tokyo2", bureau="tokyo"))
    assert client.get(url).status_code == 200


def test_bo1_cards_outside_the_jurisdiction_are_404(client, sign_in_officer):
    card = make_card(number="JU12345678AB")
    url = reverse("backoffice:card_detail", args=[card.pk])
    sign_in_officer(client, make_officer("officer-osaka3", bureau="osaka"))
    assert client.get(url).status_code == 404
    client.logout()
    sign_in_officer(client, make_officer("officer-tokyo3", bureau="tokyo"))
    assert client.get(url).status_code == 200


def test_bo1_registering_an_organization_elsewhere_is_refused(client, sign_in_officer):
    sign_in_officer(client, make_officer("officer-osaka4", bureau="osaka"))
    response = client.post(
        reverse("backoffice:account_register"),
        {
            "name": "株式会社東京",
            "kind": "company",
            "prefecture": "13",
            "street": "霞が関１－１－１",
            "auth_id": "tokyo-org9",
            "email": "jinji@example.jp",
            "services": ["n"],
            "password": "Kaisha#2026pw",
            "password_again": "Kaisha#2026pw",
            "language": "ja",
            "submitter_name": "山田",
            "submitted_via": "counter",
            "staff_id_document": "staff_card",
            "staff_id_checked": "on",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["prefecture"]
    assert not User.objects.filter(username="tokyo-org9").exists()
