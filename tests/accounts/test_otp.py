"""ID-17 second factor over HTTP: set-up on My page, the sign-in step, lock-out, replay, removal."""

import time

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from zairyu.accounts import otp
from zairyu.accounts.models import Category
from zairyu.audit.models import AuditEvent
from zairyu.mail.models import Mail

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(settings):
    """These tests read English messages; pages default to Japanese (decision 0003)."""
    settings.LANGUAGE_CODE = "en"


LOGIN = reverse("accounts:login")
HOME = reverse("accounts:home")
VERIFY = reverse("accounts:otp_verify")
SETUP = reverse("accounts:otp_setup")
MANAGE = reverse("accounts:otp_manage")
DISABLE = reverse("accounts:otp_disable")


@pytest.fixture
def client(client):
    client.cookies["django_language"] = "en"
    return client


def code_for(device, steps=0) -> str:
    """The code the user's app shows now (or ``steps`` time steps away)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():06d}"


def wrong_code(device) -> str:
    """A code that no step within the tolerance accepts."""
    near = {code_for(device, steps) for steps in (-2, -1, 0, 1, 2)}
    candidate = 0
    while f"{candidate:06d}" in near:
        candidate += 1
    return f"{candidate:06d}"


def with_device(**kwargs):
    user = UserFactory(**kwargs)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user, device


def sign_in(client, user, password=PASSWORD):
    return client.post(LOGIN, {"auth_id": user.username, "password": password})


def audit(action, user):
    return AuditEvent.objects.filter(action=action, object_id=str(user.pk))


# --- Set-up on My page --------------------------------------------------------------------------


def test_id17_my_page_links_to_the_second_factor(client):
    user = UserFactory()
    client.force_login(user)
    assert MANAGE in client.get(HOME).content.decode()
    assert "No second factor is set up" in client.get(MANAGE).content.decode()


def test_id17_setup_shows_qr_as_data_uri_and_confirms_with_a_code(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory()
    client.force_login(user)
    page = client.get(SETUP)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert otp.secret_for_display(device) in html
    # The same pending key on every visit, so the QR code does not change while scanning.
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=user).count() == 1

    bad = client.post(SETUP, {"token": wrong_code(device)})
    assert bad.status_code == 400
    assert "does not match" in bad.content.decode()
    assert audit("account.second_factor.enable_failed", user).exists()
    assert not otp.has_second_factor(user)

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(SETUP, {"token": code_for(device)})
    assert done.status_code == 302 and done["Location"] == MANAGE
    device.refresh_from_db()
    assert device.confirmed
    assert audit("account.second_factor.enabled", user).exists()
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert Mail.objects.filter(template="second_factor_enabled", to_address=user.email).exists()
    assert "An authenticator app is set up" in client.get(MANAGE).content.decode()


def test_id17_setup_code_format_is_explained_by_field(client):
    user = UserFactory()
    client.force_login(user)
    client.get(SETUP)
    for token in ("", "12345", "abcdef", "1234567"):
        response = client.post(SETUP, {"token": token})
        assert response.status_code == 400
        assert response.context["form"].errors["token"], token


def test_id17_new_qr_code_replaces_the_pending_key(client):
    user = UserFactory()
    client.force_login(user)
    client.get(SETUP)
    first = TOTPDevice.objects.get(user=user).key
    assert client.post(SETUP, {"restart": "1"}).status_code == 302
    assert TOTPDevice.objects.get(user=user).key != first


def test_id17_setup_refused_when_one_is_already_confirmed(client):
    user, _device = with_device()
    client.force_login(user)
    otp_session(client, user)
    response = client.get(SETUP)
    assert response.status_code == 302 and response["Location"] == MANAGE


def otp_session(client, user):
    from django_otp import DEVICE_ID_SESSION_KEY

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = otp.confirmed_device(user).persistent_id
    session.save()


# --- The sign-in step ---------------------------------------------------------------------------


def test_id17_sign_in_asks_for_the_code_and_then_lets_in(client):
    user, device = with_device()
    response = sign_in(client, user)
    assert response.status_code == 302
    held = client.get(HOME)
    assert held.status_code == 302
    assert held["Location"] == f"{VERIFY}?next=%2Faccounts%2F"
    # Nothing else is reachable before the code: not My page, not the registration data.
    assert client.get(reverse("accounts:me")).status_code == 302
    page = client.get(held["Location"])
    assert page.status_code == 200 and page.context["next"] == HOME
    done = client.post(VERIFY, {"token": code_for(device), "next": HOME})
    assert done.status_code == 302 and done["Location"] == HOME
    assert client.get(HOME).status_code == 200
    assert audit("account.second_factor.verified", user).exists()


def test_id17_users_without_a_device_are_not_asked(client):
    user = UserFactory()
    sign_in(client, user)
    assert client.get(HOME).status_code == 200
    assert client.get(VERIFY).status_code == 302  # nothing to verify


def test_id17_full_width_and_spaced_codes_are_accepted(client):
    user, device = with_device()
    sign_in(client, user)
    code = code_for(device)
    typed = " ".join([code[:3], code[3:]]).translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    response = client.post(VERIFY, {"token": typed})
    assert response.status_code == 302
    assert client.get(HOME).status_code == 200


def test_id17_wrong_code_is_refused_and_counted(client):
    user, device = with_device()
    sign_in(client, user)
    response = client.post(VERIFY, {"token": wrong_code(device)})
    assert response.status_code == 400
    assert "not correct" in response.content.decode()
    user.refresh_from_db()
    assert user.failed_logins == 1
    event = audit("account.second_factor.failed", user).get()
    assert event.after["step"] == "sign_in"
    assert client.get(HOME).status_code == 302  # still held


def test_id17_malformed_code_is_a_field_error_and_not_counted(client):
    user, _device = with_device()
    sign_in(client, user)
    response = client.post(VERIFY, {"token": "12ab"})
    assert response.status_code == 400
    assert response.context["form"].errors["token"]
    user.refresh_from_db()
    assert user.failed_logins == 0


def test_id17_replayed_code_is_refused(client):
    user, device = with_device()
    sign_in(client, user)
    code = code_for(device)
    assert client.post(VERIFY, {"token": code}).status_code == 302
    client.post(reverse("accounts:logout"))
    # Someone who saw the code (shoulder, phishing proxy) tries it again with the password.
    sign_in(client, user)
    replay = client.post(VERIFY, {"token": code})
    assert replay.status_code == 400
    assert "used already" in replay.content.decode()
    assert client.get(HOME).status_code == 302


def test_id17_five_wrong_codes_lock_the_auth_id(client, django_capture_on_commit_callbacks):
    user, device = with_device(category=Category.ORGANIZATION)
    sign_in(client, user)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):
            assert client.post(VERIFY, {"token": wrong_code(device)}).status_code == 400
        locked = client.post(VERIFY, {"token": wrong_code(device)})
    assert locked.status_code == 302 and locked["Location"] == LOGIN
    assert "_auth_user_id" not in client.session  # signed out
    user.refresh_from_db()
    assert user.locked_until is not None
    assert audit("account.locked", user).get().after["cause"] == "second_factor"
    assert Mail.objects.filter(template="second_factor_locked", to_address=user.email).exists()
    # The right password is refused while locked (ID-14).
    assert sign_in(client, user).status_code == 400


def test_id17_password_step_does_not_reset_the_code_failures(client):
    """Alternating the (known) password with four guesses must not give unlimited guesses."""
    user, device = with_device()
    sign_in(client, user)
    for _ in range(4):
        client.post(VERIFY, {"token": wrong_code(device)})
    client.post(reverse("accounts:logout"))
    sign_in(client, user)  # resets failed_logins, not the device's count
    user.refresh_from_db()
    assert user.failed_logins == 0
    response = client.post(VERIFY, {"token": wrong_code(device)})
    assert response.status_code == 302 and response["Location"] == LOGIN
    user.refresh_from_db()
    assert user.locked_until is not None


def test_id17_right_code_resets_the_count(client):
    user, device = with_device()
    sign_in(client, user)
    for _ in range(3):
        client.post(VERIFY, {"token": wrong_code(device)})
    assert client.post(VERIFY, {"token": code_for(device)}).status_code == 302
    device.refresh_from_db()
    user.refresh_from_db()
    assert device.throttling_failure_count == 0 and user.failed_logins == 0


def test_id17_next_must_stay_on_this_site(client):
    user, device = with_device()
    sign_in(client, user)
    response = client.post(VERIFY, {"token": code_for(device), "next": "https://evil.example/"})
    assert response["Location"] == HOME


def test_id17_back_office_user_without_device_is_sent_to_setup(client):
    officer = UserFactory(category=Category.OFFICER)
    sign_in(client, officer)
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(SETUP)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Back-office accounts must use a second factor" in page.content.decode()


# --- Removing the authenticator -----------------------------------------------------------------


def test_id17_disable_needs_the_password_and_a_code(client, django_capture_on_commit_callbacks):
    user, device = with_device()
    sign_in(client, user)
    client.post(VERIFY, {"token": code_for(device)})
    wrong_password = client.post(DISABLE, {"password": "Wrong#pass1", "token": code_for(device, 1)})
    assert wrong_password.status_code == 400
    assert wrong_password.context["form"].errors["password"]
    bad_code = client.post(DISABLE, {"password": PASSWORD, "token": wrong_code(device)})
    assert bad_code.status_code == 400 and bad_code.context["form"].errors["token"]
    assert otp.has_second_factor(user)
    assert audit("account.second_factor.failed", user).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(DISABLE, {"password": PASSWORD, "token": code_for(device, 1)})
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert audit("account.second_factor.disabled", user).exists()
    assert Mail.objects.filter(template="second_factor_disabled", to_address=user.email).exists()
    # Next sign-in needs the password only.
    client.post(reverse("accounts:logout"))
    sign_in(client, user)
    assert client.get(HOME).status_code == 200


def test_id17_back_office_user_who_removes_the_device_must_set_up_a_new_one(client):
    officer, device = with_device(category=Category.OFFICER)
    sign_in(client, officer)
    client.post(VERIFY, {"token": code_for(device)})
    assert client.get(HOME).status_code == 200
    client.post(DISABLE, {"password": PASSWORD, "token": code_for(device, 1)})
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(SETUP)


def test_id17_disable_page_needs_sign_in(client):
    response = client.post(DISABLE, {"password": PASSWORD, "token": "123456"})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
