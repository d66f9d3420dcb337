"""ID-15 password and e-mail changes with their mails; ID-19 officer actions; FMT-2 history."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from zairyu.accounts import services
from zairyu.accounts.models import AccountState, Category
from zairyu.audit.models import AuditEvent
from zairyu.mail.models import Mail

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(settings):
    """These tests read English messages; pages default to Japanese (decision 0003)."""
    settings.LANGUAGE_CODE = "en"


def test_id15_password_change_mails_the_user_and_keeps_the_session(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory()
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:password_change"),
            {
                "current_password": PASSWORD,
                "new_password": "Another#2027pw",
                "new_password_again": "Another#2027pw",
            },
        )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Another#2027pw")
    assert client.get(reverse("accounts:me")).status_code == 200  # still signed in
    assert Mail.objects.filter(template="password_changed", to_address=user.email).count() == 1
    assert AuditEvent.objects.filter(action="account.password_changed").exists()


def test_id15_wrong_current_password_is_shown_by_the_field(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "current_password": "Wrong#pass1",
            "new_password": "Another#2027pw",
            "new_password_again": "Another#2027pw",
        },
    )
    assert response.status_code == 200
    assert "current_password" in response.context["form"].errors
    assert not Mail.objects.exists()


def test_id15_mismatched_new_passwords_are_refused(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "current_password": PASSWORD,
            "new_password": "Another#2027pw",
            "new_password_again": "Another#2028pw",
        },
    )
    assert "new_password_again" in response.context["form"].errors


def test_fmt2_none_of_the_last_five_passwords_may_be_reused():
    user = UserFactory()
    passwords = [f"Rotate#{n}x2026" for n in range(5)]
    for password in passwords:
        services.set_password(user=user, password=password, actor=user)
    for old in passwords:  # the current one and the four before it
        with pytest.raises(ValidationError) as excinfo:
            services.set_password(user=user, password=old, actor=user)
        assert excinfo.value.error_list[0].code == "password_reused"
    services.set_password(user=user, password=PASSWORD, actor=user)  # the sixth-last is fine


def test_id15_email_change_tells_old_and_new_address(client, django_capture_on_commit_callbacks):
    user = UserFactory(email="old@example.jp")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:email_change"),
            {"email": "new@example.jp", "email_again": "new@example.jp"},
        )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "new@example.jp"
    recipients = set(
        Mail.objects.filter(template="email_changed").values_list("to_address", flat=True)
    )
    assert recipients == {"old@example.jp", "new@example.jp"}
    event = AuditEvent.objects.get(action="account.email_changed")
    assert event.before == {"email": "old@example.jp"}


@pytest.mark.parametrize(
    ("email", "again", "field"),
    [
        ("not-an-address", "not-an-address", "email"),
        ("a@example.jp", "b@example.jp", "email_again"),
    ],
)
def test_id15_bad_email_input_is_refused_by_field(client, email, again, field):
    client.force_login(UserFactory())
    response = client.post(reverse("accounts:email_change"), {"email": email, "email_again": again})
    assert field in response.context["form"].errors


def test_id19_officer_suspends_resumes_and_deletes_with_mails(django_capture_on_commit_callbacks):
    officer = UserFactory(category=Category.OFFICER, is_staff=True)
    user = UserFactory(category=Category.ORGANIZATION)
    with django_capture_on_commit_callbacks(execute=True):
        services.account_transition(
            user=user, to=AccountState.SUSPENDED, actor=officer, reason="credentials leaked"
        )
        services.account_transition(user=user, to=AccountState.ACTIVE, actor=officer)
        services.account_transition(user=user, to=AccountState.DELETED, actor=officer)
    user.refresh_from_db()
    assert user.state == AccountState.DELETED and not user.is_active
    templates = list(Mail.objects.order_by("id").values_list("template", flat=True))
    assert templates == ["account_suspended", "account_active", "account_deleted"]
    assert AuditEvent.objects.filter(action="account.suspended", actor_id=str(officer.pk)).exists()
    with pytest.raises(ValidationError):
        services.account_transition(user=user, to=AccountState.ACTIVE, actor=officer)


def test_bo3_officer_unlock_lifts_the_lock():
    officer = UserFactory(category=Category.OFFICER)
    user = UserFactory(category=Category.ORGANIZATION)
    for _ in range(5):
        with pytest.raises(services.LoginRefused):
            services.login_attempt(auth_id=user.username, password="Wrong#pass1")
    services.unlock(user=user, actor=officer)
    assert services.login_attempt(auth_id=user.username, password=PASSWORD) == user
