"""A-15 reminder mails (002 Q12-1): residence card and filing-agent certificate expiry (30 and
7 days before), password expiry, and the ID-10 periodic report reminder."""

import datetime as dt

import pytest

from zairyu.accounts import reminders, staff
from zairyu.accounts.models import (
    AccountState,
    Category,
    FilingAgentCertificate,
    FilingAgentKind,
    ReminderKind,
    ReminderSent,
    StaffAccount,
    User,
)
from zairyu.audit.models import AuditEvent
from zairyu.cards.models import Organization, ResidenceCard
from zairyu.cards.services import card_renew
from zairyu.core import clock
from zairyu.core.work import _housekeepers, run_housekeeping
from zairyu.mail.models import Mail
from zairyu.reference.selectors import bureau_for_prefecture

from ..cards.factories import card_data, make_card
from .factories import UserFactory

pytestmark = pytest.mark.django_db

EXPIRY = dt.date(2027, 3, 31)
# Every test user's password was set well inside its year, so only the reminder under test
# is due in the window these tests look at.
RECENT_PASSWORD = clock.tokyo_datetime(2027, 1, 10, 9)


def day(days_before: int, hour: int = 3) -> dt.datetime:
    """The daily job's time on the day ``days_before`` EXPIRY (housekeeping runs at 03:17)."""
    on = EXPIRY - dt.timedelta(days=days_before)
    return clock.tokyo_datetime(on.year, on.month, on.day, hour, 17)


def run(days_before: int) -> dict[str, int]:
    with clock.frozen(day(days_before)):
        return reminders.reminders_send()


def mails(template: str, user: User) -> list[Mail]:
    return list(Mail.objects.filter(template=template, to_address=user.email).order_by("pk"))


def foreign_national(card_valid_until=EXPIRY, **user_fields) -> User:
    with clock.frozen(clock.tokyo_datetime(2026, 6, 1, 10)):
        card = make_card(card_valid_until=card_valid_until, stay_until=card_valid_until)
    fields = {
        "category": Category.FOREIGN_NATIONAL,
        "person": card.person,
        "language": "en",
        "password_changed_at": RECENT_PASSWORD,
        **user_fields,
    }
    return UserFactory(**fields)


def lawyer(valid_until=EXPIRY, **user_fields) -> User:
    fields = {
        "category": Category.LAWYER,
        "language": "en",
        "password_changed_at": RECENT_PASSWORD,
        "valid_until": valid_until,
        **user_fields,
    }
    user = UserFactory(**fields)
    FilingAgentCertificate.objects.create(
        number=f"{user.pk:012d}",
        kind=FilingAgentKind.GYOSEISHOSHI,
        holder_name="行政 太郎",
        holder_birth_date=dt.date(1970, 1, 1),
        valid_until=valid_until,
        user=user,
    )
    return user


def password_user(**user_fields) -> User:
    # Set on 2026-03-31: valid until 2027-03-31 (one year, ID-9).
    fields = {
        "category": Category.RESIDENT,
        "language": "en",
        "password_changed_at": clock.tokyo_datetime(2026, 3, 31, 14),
        **user_fields,
    }
    return UserFactory(**fields)


KINDS = {
    "residence_card": (foreign_national, "reminder_residence_card"),
    "filing_agent_certificate": (lawyer, "reminder_filing_agent_certificate"),
    "password": (password_user, "reminder_password"),
}


# --- Each kind at 30 and 7 days, not at 31 or 8 --------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a15_reminded_30_and_7_days_before_not_31_or_8(kind):
    make, template = KINDS[kind]
    user = make()
    assert run(31)[kind] == 0
    assert mails(template, user) == []
    assert run(30)[kind] == 1
    [first] = mails(template, user)
    assert "2027-03-31" in first.body and "30 days" in first.body
    assert run(29)[kind] == 0
    assert run(8)[kind] == 0
    assert len(mails(template, user)) == 1
    assert run(7)[kind] == 1
    assert run(6)[kind] == 0
    assert run(0)[kind] == 0
    second = mails(template, user)[1]
    assert "7 days" in second.body
    assert set(
        ReminderSent.objects.filter(user=user).values_list("kind", "threshold_days", "target")
    ) == {(kind, 30, EXPIRY), (kind, 7, EXPIRY)}
    # No other kind was mailed to this user.
    assert Mail.objects.filter(to_address=user.email).count() == 2


@pytest.mark.parametrize("kind", KINDS)
def test_a15_not_twice_when_the_job_runs_twice_a_day(kind):
    make, template = KINDS[kind]
    user = make()
    with clock.frozen(day(30)):
        assert reminders.reminders_daily() == 1
    with clock.frozen(day(30, hour=23)):
        assert reminders.reminders_daily() == 0
    assert len(mails(template, user)) == 1


def test_a15_reminders_run_from_the_daily_housekeeping():
    user = foreign_national()
    assert _housekeepers["reminders"] is reminders.reminders_daily
    with clock.frozen(day(30)):
        assert run_housekeeping()["reminders"] == 1
        assert run_housekeeping()["reminders"] == 0
    assert len(mails("reminder_residence_card", user)) == 1


def test_a15_concurrent_runs_send_once():
    """Two workers that both read "not sent": the unique constraint lets one through."""
    user = foreign_national()
    today = day(30).date()
    due = reminders.reminders_due(kind=ReminderKind.RESIDENCE_CARD, today=today)
    again = reminders.reminders_due(kind=ReminderKind.RESIDENCE_CARD, today=today)
    assert [d.user for d in due] == [user] and [d.user for d in again] == [user]
    with clock.frozen(day(30)):
        assert reminders.reminder_send(due[0], today=today) is True
        assert reminders.reminder_send(again[0], today=today) is False
    assert len(mails("reminder_residence_card", user)) == 1
    assert ReminderSent.objects.count() == 1


# --- Late runs -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a15_late_run_sends_the_missed_reminder_once(kind):
    make, template = KINDS[kind]
    user = make()
    # The server was down on the 30-days day (and the two after it).
    assert run(27)[kind] == 1
    [late] = mails(template, user)
    assert "27 days" in late.body
    assert run(26)[kind] == 0
    assert run(7)[kind] == 1
    assert len(mails(template, user)) == 2
    event = AuditEvent.objects.filter(action="account.reminder_sent", object_id=str(user.pk))
    assert [e.after["late_days"] for e in event.order_by("pk")] == [3, 0]


def test_a15_late_run_sends_only_the_most_urgent_reminder():
    user = foreign_national()
    # Nothing ran from 30 days before until 5 days before: one mail, the 7-day one.
    assert run(5)["residence_card"] == 1
    assert ReminderSent.objects.get(user=user).threshold_days == 7
    assert run(4)["residence_card"] == 0
    assert len(mails("reminder_residence_card", user)) == 1


def test_a15_reminder_more_than_a_week_late_is_not_sent():
    user = foreign_national()
    assert run(30 - reminders.LATE_DAYS)["residence_card"] == 1  # a week late: still sent
    other = foreign_national()
    assert run(30 - reminders.LATE_DAYS - 1)["residence_card"] == 0  # 8 days late: no
    assert mails("reminder_residence_card", other) == []
    assert len(mails("reminder_residence_card", user)) == 1


def test_a15_nothing_after_the_expiry_date():
    user = foreign_national()
    assert run(-1)["residence_card"] == 0
    assert mails("reminder_residence_card", user) == []


# --- Who gets none --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("state", [AccountState.SUSPENDED, AccountState.DELETED])
def test_a15_suspended_and_deleted_accounts_skipped(kind, state):
    make, template = KINDS[kind]
    user = make(state=state)
    assert run(30)[kind] == 0
    assert run(7)[kind] == 0
    assert mails(template, user) == []
    assert not ReminderSent.objects.filter(user=user).exists()


def test_a15_user_without_email_or_inactive_skipped():
    no_mail = foreign_national(email="")
    inactive = foreign_national(is_active=False)
    assert run(30)["residence_card"] == 0
    assert not ReminderSent.objects.filter(user__in=[no_mail, inactive]).exists()


def test_a15_card_reminder_only_for_foreign_national_users():
    # A service-N resident account on the same kind of card gets no card reminder (Q12-1 is
    # about service A users who are the foreign national themselves).
    resident = foreign_national(category=Category.RESIDENT)
    relative = foreign_national(category=Category.RELATIVE)
    assert run(30)["residence_card"] == 0
    assert mails("reminder_residence_card", resident) == []
    assert mails("reminder_residence_card", relative) == []


def test_a15_certificate_reminder_only_for_lawyers():
    staff_user = lawyer(category=Category.ORGANIZATION_STAFF)
    assert run(30)["filing_agent_certificate"] == 0
    assert mails("reminder_filing_agent_certificate", staff_user) == []


def test_a15_invalidated_card_gets_no_reminder():
    user = foreign_national()
    ResidenceCard.objects.filter(person=user.person).update(
        state=ResidenceCard.State.INVALIDATED, invalidated_at=clock.now()
    )
    assert run(30)["residence_card"] == 0


def test_a15_password_reminder_not_for_back_office_or_expired_auth_id():
    officer = password_user(category=Category.OFFICER)
    expired_id = password_user(category=Category.FOREIGN_NATIONAL, valid_until=dt.date(2027, 1, 1))
    assert run(30)["password"] == 0
    assert mails("reminder_password", officer) == []
    assert mails("reminder_password", expired_id) == []


def test_a15_changed_password_gets_reminders_for_its_new_date():
    user = password_user()
    assert run(30)["password"] == 1
    User.objects.filter(pk=user.pk).update(password_changed_at=day(20))
    assert run(7)["password"] == 0  # the old date no longer applies
    # One year later the new password's reminders come.
    with clock.frozen(clock.tokyo_datetime(2028, 2, 10, 3, 17)):
        assert reminders.reminders_send()["password"] == 1
    assert ReminderSent.objects.filter(user=user, target=dt.date(2028, 3, 11)).exists()


def test_a15_renewed_card_gets_reminders_for_its_new_date():
    user = foreign_national()
    assert run(30)["residence_card"] == 1
    card = ResidenceCard.objects.get(person=user.person, state=ResidenceCard.State.VALID)
    new_expiry = dt.date(2030, 3, 31)
    with clock.frozen(day(20, hour=10)):
        card_renew(
            actor=None,
            card=card,
            data=card_data(
                card_valid_until=new_expiry, stay_until=new_expiry, issued_on=day(20).date()
            ),
        )
    assert run(7)["residence_card"] == 0  # the old card is no longer the person's card
    with clock.frozen(clock.tokyo_datetime(2030, 3, 1, 3, 17)):
        assert reminders.reminders_send()["residence_card"] == 1
    assert len(mails("reminder_residence_card", user)) == 2


# --- Language, content, audit ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "subject_ja", "subject_en"),
    [
        ("residence_card", "在留カードの有効期限", "residence card expires"),
        ("filing_agent_certificate", "届出済証明書の有効期限", "filing agent certificate"),
        ("password", "パスワードの有効期限", "password expires"),
    ],
)
def test_a15_mail_in_the_users_language(kind, subject_ja, subject_en):
    make, template = KINDS[kind]
    japanese = make(language="ja")
    english = make(language="en")
    assert run(30)[kind] == 2
    [ja_mail] = mails(template, japanese)
    [en_mail] = mails(template, english)
    assert ja_mail.language == "ja" and subject_ja in ja_mail.subject
    assert "2027年3月31日" in ja_mail.body and "あと30日" in ja_mail.body
    assert en_mail.language == "en" and subject_en in en_mail.subject
    assert "2027-03-31" in en_mail.body


def test_a15_password_mail_links_to_the_password_page():
    user = password_user()
    run(7)
    [mail] = mails("reminder_password", user)
    assert "http://127.0.0.1:8000/accounts/me/password/" in mail.body
    assert user.username in mail.body


def test_a15_each_reminder_audited():
    user = lawyer()
    run(30)
    event = AuditEvent.objects.get(action="account.reminder_sent", object_id=str(user.pk))
    assert event.after == {
        "kind": "filing_agent_certificate",
        "threshold_days": 30,
        "target": "2027-03-31",
        "late_days": 0,
    }


# --- The periodic report reminder (ID-10, two months before) --------------------------------


def staff_user(**user_fields) -> User:
    organization = Organization.objects.create(
        name="株式会社リマインド",
        kind=Organization.Kind.COMPANY,
        prefecture_id="13",
        street="千代田区霞が関1-1-1",
        bureau=bureau_for_prefecture("13"),
    )
    fields = {
        "category": Category.ORGANIZATION_STAFF,
        "language": "en",
        "valid_until": EXPIRY,
        "password_changed_at": RECENT_PASSWORD,
        **user_fields,
    }
    user = UserFactory(**fields)
    issued = clock.tokyo_datetime(2026, 3, 1, 10)
    StaffAccount.objects.create(
        user=user,
        organization=organization,
        issued_at=issued,
        password_by=issued + dt.timedelta(days=30),
        activated_at=issued,
    )
    return user


def test_a15_periodic_report_reminder_two_months_before_late_and_once():
    user = staff_user()
    suspended = staff_user(state=AccountState.SUSPENDED, email="suspended@example.jp")
    assert _housekeepers["staff_expiry_reminders"] is staff.staff_expiry_reminders
    # Due on 2027-01-31; the job first runs three days late: sent once, not again.
    assert staff.staff_expiry_reminders(today=dt.date(2027, 1, 30)) == 0
    assert staff.staff_expiry_reminders(today=dt.date(2027, 2, 3)) == 1
    assert staff.staff_expiry_reminders(today=dt.date(2027, 2, 4)) == 0
    assert len(mails("staff_expiry_reminder", user)) == 1
    assert mails("staff_expiry_reminder", suspended) == []
    # reminders_send leaves it to that job: no second mail for the same expiry.
    assert run(30)["password"] == 0
    assert len(Mail.objects.filter(to_address=user.email)) == 1
