"""ID-13 (002 Q12-4, Q12-5): a service A user who forgot the password gets a one-time link by
mail; the page answers the same whether or not the auth ID and e-mail matched."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from zairyu.accounts import service_a, services
from zairyu.accounts.models import AccountState, Category, ServiceARegistration
from zairyu.audit.models import AuditEvent
from zairyu.core import clock
from zairyu.mail.models import Mail

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

FORGOT = reverse("accounts:service_a_forgot_password")
SENT = reverse("accounts:service_a_forgot_password_sent")
NEW = "Hinoki#2027rs"
LINK = re.compile(r"https?://[^/\s]+(/accounts/service-a/password/reset/\S+/)")


@pytest.fixture(autouse=True)
def english_pages(client, settings):
    """Pages in English, so that assertions on wording survive the Japanese catalogue."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def applicant(**kwargs):
    values = {"category": Category.FOREIGN_NATIONAL, "username": "tanaka-a1"}
    values.update(kwargs)
    return UserFactory(**values)


def ask(client, user_or_id, email=None, **extra):
    auth_id = getattr(user_or_id, "username", user_or_id)
    email = email if email is not None else user_or_id.email
    return client.post(FORGOT, {"auth_id": auth_id, "email": email}, **extra)


def reset_link(user) -> str:
    mail = Mail.objects.filter(template="service_a_password_reset", to_address=user.email).latest(
        "id"
    )
    return LINK.search(mail.body).group(1)


def use_link(client, link, password=NEW):
    step = client.get(link)
    if step.status_code != 302:
        return step
    return client.post(step["Location"], {"password": password, "password_again": password})


def test_id13_sign_in_page_links_the_service_a_pages(client):
    page = client.get(reverse("accounts:login")).content.decode()
    assert FORGOT in page
    assert reverse("accounts:service_a_register") in page


def test_id13_forgot_page_explains_the_forgotten_auth_id(client):
    page = client.get(FORGOT)
    assert page.status_code == 200
    # Q12-5: a forgotten auth ID is a paper request to the bureau.
    assert "認証ID確認申出書" in page.content.decode()


def test_id13_reset_journey(client, django_capture_on_commit_callbacks):
    user = applicant()
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, user, email=user.email.upper())
    assert response["Location"] == SENT
    assert (
        "1 hour" in client.get(SENT).content.decode() or "60" in client.get(SENT).content.decode()
    )
    mail = Mail.objects.get(template="service_a_password_reset")
    assert mail.to_address == user.email
    assert user.username in mail.body
    step = client.get(reset_link(user))
    assert step.status_code == 302 and "set-password" in step["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(step["Location"], {"password": NEW, "password_again": NEW})
    assert done["Location"] == reverse("accounts:login")
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert Mail.objects.filter(template="password_changed", to_address=user.email).exists()
    assert AuditEvent.objects.filter(action="account.password_reset_requested").exists()
    assert AuditEvent.objects.filter(action="account.password_reset", object_id=str(user.pk))
    assert (
        client.post(
            reverse("accounts:login"), {"auth_id": user.username, "password": NEW}
        ).status_code
        == 302
    )


def test_id13_wrong_email_gets_the_same_answer_and_no_mail(client):
    user = applicant()
    right = ask(client, user)
    wrong = ask(client, user, email="someone@example.jp")
    unknown = ask(client, "nobody-99", email=user.email)
    assert right["Location"] == wrong["Location"] == unknown["Location"] == SENT
    assert Mail.objects.filter(template="service_a_password_reset").count() == 1
    unmatched = AuditEvent.objects.filter(action="account.password_reset_unmatched")
    assert unmatched.count() == 2
    assert user.email not in str(list(unmatched.values("after")))


@pytest.mark.parametrize(
    "kind",
    ["resident", "organization", "officer", "suspended", "expired", "unfinished"],
)
def test_id13_only_active_service_a_users_get_a_link(client, kind):
    if kind in {"resident", "organization", "officer"}:
        user = applicant(category=kind)
    elif kind == "suspended":
        user = applicant(state=AccountState.SUSPENDED)
    elif kind == "expired":
        user = applicant(valid_until=clock.today() - dt.timedelta(days=1))
    else:
        user = applicant()
        user.set_unusable_password()
        user.save()
        ServiceARegistration.objects.create(user=user, registered_at=clock.now())
    assert ask(client, user)["Location"] == SENT
    assert not Mail.objects.filter(template="service_a_password_reset").exists()


def test_id13_every_service_a_category_can_reset(client):
    for number, category in enumerate(
        [Category.LAWYER, Category.ORGANIZATION_STAFF, Category.COE_RECIPIENT]
    ):
        ask(client, applicant(category=category, username=f"user-{number}x"))
    assert Mail.objects.filter(template="service_a_password_reset").count() == 3


def test_id13_reset_link_works_once(client):
    user = applicant()
    ask(client, user)
    link = reset_link(user)
    assert use_link(client, link)["Location"] == reverse("accounts:login")
    again = use_link(client, link, "Another#2028xy")
    assert again.status_code == 400
    assert "1 hour" in again.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_id13_reset_link_expires_after_an_hour(client):
    user = applicant()
    ask(client, user)
    link = reset_link(user)
    with clock.travel(service_a.RESET_LINK_LIFETIME + dt.timedelta(minutes=1)):
        assert client.get(link).status_code == 400
    with clock.travel(service_a.RESET_LINK_LIFETIME - dt.timedelta(minutes=1)):
        assert use_link(client, link).status_code == 302


def test_id13_another_users_reset_token_does_not_work(client):
    first, second = applicant(), applicant(username="suzuki-b2")
    ask(client, first)
    ask(client, second)
    first_uid = reset_link(first).rstrip("/").split("/")[-2]
    second_token = reset_link(second).rstrip("/").split("/")[-1]
    mixed = reverse("accounts:service_a_reset_password", args=[first_uid, second_token])
    assert client.get(mixed).status_code == 400
    # Nor is a reset token a registration token.
    as_registration = reverse("accounts:service_a_set_password", args=[first_uid, "x"])
    assert client.get(as_registration).status_code == 400


def test_id13_link_dies_when_the_email_changes(client):
    user = applicant()
    ask(client, user)
    link = reset_link(user)
    services.change_email(user=user, new_email="new@example.jp")
    assert client.get(link).status_code == 400


def test_id13_new_password_follows_fmt2_and_not_the_last_five(client):
    user = applicant()
    ask(client, user)
    step = client.get(reset_link(user))
    reused = client.post(step["Location"], {"password": PASSWORD, "password_again": PASSWORD})
    assert reused.status_code == 400
    codes = {e.code for e in reused.context["form"].errors.as_data()["password"]}
    assert codes == {"password_reused"}
    weak = client.post(step["Location"], {"password": "short", "password_again": "short"})
    assert "password_too_short" in {
        e.code for e in weak.context["form"].errors.as_data()["password"]
    }
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_id13_requests_are_rate_limited_per_address(client, settings):
    settings.ZAIRYU_PASSWORD_RESETS_PER_IP = 2
    user = applicant()
    ask(client, "nobody-1", email="x@example.jp")
    ask(client, "nobody-2", email="x@example.jp")
    assert ask(client, user).status_code == 429
    assert not Mail.objects.filter(template="service_a_password_reset").exists()
    assert ask(client, user, REMOTE_ADDR="10.1.2.3")["Location"] == SENT


def test_id13_one_auth_id_gets_at_most_three_mails_an_hour(client):
    user = applicant()
    for number in range(5):
        ask(client, user, REMOTE_ADDR=f"10.0.0.{number}")
    assert Mail.objects.filter(template="service_a_password_reset").count() == 3
    with clock.travel(dt.timedelta(hours=1, minutes=1)):
        ask(client, user)
    assert Mail.objects.filter(template="service_a_password_reset").count() == 4


def test_id13_reset_lifts_a_lock(client):
    # The mailed link proves the mailbox; setting a password ends a lock as it does for ID-12.
    user = applicant(locked_until=clock.now() + dt.timedelta(hours=20))
    ask(client, user)
    use_link(client, reset_link(user))
    user.refresh_from_db()
    assert user.locked_until is None
