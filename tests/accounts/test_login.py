"""ID-14 lock-out, ID-7..ID-9 validity, ID-16 my registration, ID-18 idle sessions, SEC-5."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zairyu.accounts import services
from zairyu.accounts.models import AccountState, Category
from zairyu.audit.models import AuditEvent
from zairyu.core import clock
from zairyu.mail.models import Mail

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(settings):
    """These tests read English messages; pages default to Japanese (decision 0003)."""
    settings.LANGUAGE_CODE = "en"


LOGIN = reverse("accounts:login")


def sign_in(client, user, password=PASSWORD):
    return client.post(LOGIN, {"auth_id": user.username, "password": password})


def test_id14_right_password_signs_in_and_is_audited(client):
    user = UserFactory()
    response = sign_in(client, user)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")
    assert client.get(reverse("accounts:home")).status_code == 200
    assert AuditEvent.objects.filter(action="account.login", object_id=str(user.pk)).exists()


def test_fmt1_auth_id_is_case_sensitive(client):
    user = UserFactory(username="Tanaka01")
    response = client.post(LOGIN, {"auth_id": "tanaka01", "password": PASSWORD})
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.failed_logins == 0  # an unknown ID touches nobody's counter


def test_id14_unknown_id_and_wrong_password_answer_the_same(client):
    user = UserFactory()
    unknown = client.post(LOGIN, {"auth_id": "nobody99", "password": PASSWORD})
    wrong = sign_in(client, user, "Wrong#pass1")
    assert unknown.status_code == wrong.status_code == 400
    assert unknown.context["error"] == wrong.context["error"]


def test_id14_five_failures_lock_for_24_hours(client, django_capture_on_commit_callbacks):
    user = UserFactory(category=Category.ORGANIZATION, language="ja")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            assert sign_in(client, user, "Wrong#pass1").status_code == 400
    user.refresh_from_db()
    assert user.locked_until is not None
    lock = user.locked_until - clock.now()
    assert dt.timedelta(hours=23, minutes=59) < lock <= dt.timedelta(hours=24)
    # Sixth attempt, now with the right password: still refused while locked.
    response = sign_in(client, user)
    assert response.status_code == 400
    assert "locked" in response.context["error"]
    assert "re-notification" not in response.context["error"]  # organizations cannot unlock
    assert AuditEvent.objects.filter(action="account.locked", object_id=str(user.pk)).exists()
    mail = Mail.objects.get(template="account_locked")
    assert mail.to_address == user.email
    assert "ロック" in mail.subject
    # A day later the lock has ended.
    with clock.travel(dt.timedelta(hours=24, minutes=1)):
        assert sign_in(client, user).status_code == 302


def test_id14_resident_lock_message_points_to_re_notification(client):
    user = UserFactory(category=Category.RESIDENT)
    for _ in range(5):
        sign_in(client, user, "Wrong#pass1")
    assert "re-notification" in sign_in(client, user).context["error"]


def test_id14_success_resets_the_failure_count(client):
    user = UserFactory()
    for _ in range(4):
        sign_in(client, user, "Wrong#pass1")
    assert sign_in(client, user).status_code == 302
    client.logout()
    for _ in range(4):
        sign_in(client, user, "Wrong#pass1")
    user.refresh_from_db()
    assert user.locked_until is None


def test_sec5_one_address_cannot_guess_across_many_ids(client, settings):
    settings.ZAIRYU_LOGIN_FAILURES_PER_IP = 3
    users = [UserFactory() for _ in range(4)]
    for user in users[:3]:
        sign_in(client, user, "Wrong#pass1")
    response = sign_in(client, users[3])  # even the right password is refused for a while
    assert response.status_code == 400
    assert "Too many" in response.context["error"]
    users[3].refresh_from_db()
    assert users[3].failed_logins == 0  # the victim's counter was not touched
    with clock.travel(dt.timedelta(minutes=16)):
        assert sign_in(client, users[3]).status_code == 302


def test_id9_password_older_than_a_year_is_refused(client):
    user = UserFactory(password_changed_at=clock.now() - dt.timedelta(days=367))
    response = sign_in(client, user)
    assert response.status_code == 400
    assert "expired" in response.context["error"]


def test_id8_organization_id_expires_a_year_after_last_use(client):
    user = UserFactory(category=Category.ORGANIZATION, uses_service_n=True)
    assert sign_in(client, user).status_code == 302
    client.logout()
    with clock.travel(dt.timedelta(days=300)):
        assert sign_in(client, user).status_code == 302  # use extends validity
        client.logout()
    with clock.travel(dt.timedelta(days=300 + 364)):
        user.refresh_from_db()
        user.password_changed_at = clock.now()
        user.save()
        assert sign_in(client, user).status_code == 302
        client.logout()
    with clock.travel(dt.timedelta(days=300 + 364 + 367)):
        user.refresh_from_db()
        user.password_changed_at = clock.now()
        user.save()
        response = sign_in(client, user)
        assert "auth ID has expired" in response.context["error"]


def test_id8_service_o_only_expires_a_year_after_password_change():
    from zairyu.accounts.rules import auth_id_valid_until

    changed = clock.tokyo_datetime(2026, 1, 10, 9)
    user = UserFactory.build(
        category=Category.ORGANIZATION,
        uses_service_o=True,
        uses_service_n=False,
        password_changed_at=changed,
        last_used_at=clock.tokyo_datetime(2026, 11, 1, 9),
    )
    assert auth_id_valid_until(user) == dt.date(2027, 1, 10)
    user.uses_service_n = True  # a JLI that also uses service N follows the N rule
    assert auth_id_valid_until(user) == dt.date(2027, 11, 1)


def test_id7_resident_id_ends_with_the_period_of_stay(client):
    user = UserFactory(valid_until=clock.today())
    assert sign_in(client, user).status_code == 302  # last day still works
    client.logout()
    with clock.travel(dt.timedelta(days=1)):
        assert "expired" in sign_in(client, user).context["error"]


@pytest.mark.parametrize("state", [AccountState.SUSPENDED, AccountState.DELETED])
def test_id19_suspended_or_deleted_account_cannot_sign_in(client, state):
    user = UserFactory(state=state, is_active=state == AccountState.SUSPENDED)
    assert sign_in(client, user).status_code == 400


def test_id16_my_registration_shows_my_data_and_validity(client):
    user = UserFactory(display_name="HOUMU TAROU", valid_until=dt.date(2028, 3, 31))
    client.force_login(user)
    html = client.get(reverse("accounts:me")).content.decode()
    for text in (user.username, user.email, "HOUMU TAROU", "2028-03-31"):
        assert text in html
    assert "no-store" in client.get(reverse("accounts:me"))["Cache-Control"]


def test_id16_pages_need_sign_in(client):
    response = client.get(reverse("accounts:me"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def _session_row(client):
    from django.contrib.sessions.models import Session

    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def test_id18_session_ends_after_30_idle_minutes_and_not_before(client):
    """The session lives at least 30 idle minutes after the last request, at most one write
    interval more; the page's warning counts the 30 minutes."""
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    user = UserFactory()
    sign_in(client, user)
    client.get(reverse("accounts:me"))
    left = _session_row(client).expire_date - timezone.now()
    idle = dt.timedelta(seconds=settings.SESSION_IDLE_SECONDS)
    assert idle <= left <= idle + dt.timedelta(seconds=settings.SESSION_ACTIVITY_WRITE_SECONDS)
    assert f'data-session-seconds="{30 * 60}"' in client.get(reverse("accounts:me")).text


def test_id18_pages_do_not_write_the_session_on_every_request(client):
    user = UserFactory()
    sign_in(client, user)
    client.get(reverse("accounts:me"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("accounts:me"))
    writes = [q["sql"] for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert writes == []


def test_id18_activity_after_a_minute_extends_the_session(client):
    user = UserFactory()
    sign_in(client, user)
    client.get(reverse("accounts:me"))
    session = client.session
    session["_seen"] -= settings.SESSION_ACTIVITY_WRITE_SECONDS
    session.save()
    type(_session_row(client)).objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + dt.timedelta(minutes=5)
    )
    client.get(reverse("accounts:me"))
    left = _session_row(client).expire_date - timezone.now()
    assert left > dt.timedelta(seconds=settings.SESSION_IDLE_SECONDS - 5)


def test_id18_keepalive_extends_the_session(client):
    user = UserFactory()
    sign_in(client, user)
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() + dt.timedelta(minutes=1)
    )
    assert client.post(reverse("accounts:keepalive")).status_code == 204
    left = _session_row(client).expire_date - timezone.now()
    assert left > dt.timedelta(seconds=settings.SESSION_IDLE_SECONDS - 5)


def test_id18_an_expired_session_signs_out(client):
    user = UserFactory()
    sign_in(client, user)
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get(reverse("accounts:me"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_login_redirects_only_to_this_site(client):
    user = UserFactory()
    response = client.post(
        LOGIN, {"auth_id": user.username, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("accounts:home")


def test_login_sets_the_users_language(client):
    user = UserFactory(language="en")
    sign_in(client, user)
    assert client.get("/")["Content-Language"] == "en"


def test_login_form_errors_name_the_field(client):
    response = client.post(LOGIN, {"auth_id": "", "password": ""})
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert 'href="#id_auth_id"' in html


def test_services_login_attempt_is_usable_without_a_request():
    user = UserFactory()
    assert services.login_attempt(auth_id=user.username, password=PASSWORD) == user


def test_id18_keepalive_renews_a_signed_in_session(client):
    assert client.post(reverse("accounts:keepalive")).status_code == 401
    client.force_login(UserFactory())
    assert client.post(reverse("accounts:keepalive")).status_code == 204
    html = client.get(reverse("accounts:home")).content.decode()
    assert 'data-session-seconds="1800"' in html
    assert 'id="session-warning"' in html


def test_id14_back_office_and_admin_sign_in_share_the_lock_out(client):
    officer = UserFactory(category=Category.OFFICER, is_staff=True)
    for _ in range(5):
        client.post(reverse("backoffice:login"), {"username": officer.username, "password": "x"})
    officer.refresh_from_db()
    assert officer.locked_until is not None
    response = client.post(
        reverse("admin:login"), {"username": officer.username, "password": PASSWORD}
    )
    assert response.status_code == 200  # refused: the form is shown again
    assert "_auth_user_id" not in client.session
