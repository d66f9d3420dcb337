"""ID-2, ID-8, ID-9, ID-13, ID-19 organization accounts through the services, and the sign-in
step that makes a temporary password (BO-3) be replaced."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from zairyu.accounts import organizations, rules
from zairyu.accounts.models import (
    AccountState,
    Category,
    OrganizationAccount,
    StaffIdDocument,
    TemporaryPassword,
)
from zairyu.audit.models import AuditEvent
from zairyu.cards.models import Organization
from zairyu.cards.services import organization_create
from zairyu.core import clock
from zairyu.core.work import run_sweepers
from zairyu.mail.models import Mail

from .factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(settings):
    """These tests read English messages; pages default to Japanese (decision 0003)."""
    settings.LANGUAGE_CODE = "en"


# Friday 20 November 2026, 15:00; Monday the 23rd is a national holiday (勤労感謝の日).
FRIDAY = clock.tokyo_datetime(2026, 11, 20, 15, 0)
SATURDAY_9AM = clock.tokyo_datetime(2026, 11, 21, 9, 0)
ORG_PASSWORD = "Kaisha#2026pw"  # noqa: S105 (test data)


@pytest.fixture
def officer(db):
    return UserFactory(category=Category.OFFICER, is_staff=True, username="officer01")


def registration(**overrides) -> organizations.Registration:
    values = {
        "auth_id": "kaisha-01",
        "email": "jinji@kaisha.example.jp",
        "password": ORG_PASSWORD,
        "uses_service_n": True,
        "uses_service_o": False,
        "submitter_name": "山田 花子",
        "submitted_via": "counter",
        "staff_id_checked": True,
        "staff_id_document": StaffIdDocument.STAFF_CARD,
    }
    values.update(overrides)
    return organizations.Registration(**values)


def new_organization(**overrides) -> organizations.OrganizationData:
    values = {
        "name": "株式会社在留テスト",
        "kind": Organization.Kind.COMPANY,
        "prefecture_id": "13",
        "municipality_id": "13101",
        "street": "霞が関１－１－１",
        "corporate_number": "",
    }
    values.update(overrides)
    return organizations.OrganizationData(**values)


def make_organization(kind=Organization.Kind.COMPANY, name="株式会社既存") -> Organization:
    return organization_create(
        actor=None, name=name, kind=kind, prefecture_id="13", street="霞が関２－１－１"
    )


def register(officer, **kwargs):
    kwargs.setdefault("registration", registration())
    if "organization" not in kwargs:
        kwargs.setdefault("organization_data", new_organization())
    return organizations.organization_account_register(actor=officer, **kwargs)


def codes(exc: ValidationError) -> dict[str, set[str]]:
    return {field: {e.code for e in errors} for field, errors in exc.error_dict.items()}


# --- ID-2 registration ----------------------------------------------------------------------


def test_id2_officer_registers_an_organization_account(officer):
    with clock.frozen(FRIDAY):
        user = register(officer)
    assert user.category == Category.ORGANIZATION
    assert user.username == "kaisha-01" and user.check_password(ORG_PASSWORD)
    assert user.display_name == "株式会社在留テスト"
    assert user.uses_service_n and not user.uses_service_o
    link = OrganizationAccount.objects.get(user=user)
    assert link.active and link.registered_by == officer
    assert link.staff_id_document == StaffIdDocument.STAFF_CARD
    assert link.organization.bureau_id == "tokyo"
    event = AuditEvent.objects.get(action="account.organization_registered")
    assert event.actor_id == str(officer.pk)
    assert event.after["staff_id_document"] == "staff_card"


def test_id2_q38_completion_mail_is_held_until_the_next_day(officer, settings):
    # 001 Q38 / 004 Q21: "登録した(日の)翌日" — the next calendar day, also a Saturday.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with clock.frozen(FRIDAY):
        user = register(officer)
        held = Mail.objects.get(template="organization_registered")
        assert held.next_attempt_at == SATURDAY_9AM
        assert held.state == Mail.State.QUEUED
        assert "kaisha-01" in held.body and ORG_PASSWORD not in held.body
        run_sweepers()
        assert mail.outbox == []  # not on the day of registration
        with clock.travel(SATURDAY_9AM - FRIDAY - dt.timedelta(minutes=1)):  # Sat 08:59
            run_sweepers()
        assert mail.outbox == []
        with clock.travel(SATURDAY_9AM - FRIDAY):
            run_sweepers()
    held.refresh_from_db()
    assert held.state == Mail.State.SENT
    assert [m.to for m in mail.outbox] == [[user.email]]


def test_id2_q38_completion_mail_the_next_day_also_at_the_year_end():
    # Registered on 28 December: the mail is the system's, the year-end closure does not hold it.
    at = organizations.completion_mail_at(dt.date(2026, 12, 28))
    assert at == clock.tokyo_datetime(2026, 12, 29, 9, 0)
    assert organizations.completion_mail_at(dt.date(2026, 12, 31)) == clock.tokyo_datetime(
        2027, 1, 1, 9, 0
    )


def test_id2_one_account_per_organization(officer):
    organization = make_organization()
    register(officer, organization=organization)
    with pytest.raises(ValidationError) as caught:
        register(
            officer,
            organization=organization,
            registration=registration(auth_id="kaisha-02", email="other@kaisha.example.jp"),
        )
    assert codes(caught.value) == {"__all__": {"organization_has_account"}}
    assert "kaisha-01" in str(caught.value)
    assert OrganizationAccount.objects.filter(organization=organization).count() == 1


def test_id2_deleted_account_frees_the_organization(officer):
    organization = make_organization()
    first = register(officer, organization=organization)
    organizations.account_state_change(actor=officer, user=first, to=AccountState.DELETED)
    second = register(
        officer, organization=organization, registration=registration(auth_id="kaisha-02")
    )
    assert second.organization_account.active
    assert not OrganizationAccount.objects.get(user=first).active


def test_id2_bad_input_is_reported_by_field_all_at_once(officer):
    with pytest.raises(ValidationError) as caught:
        register(
            officer,
            registration=registration(
                auth_id="ab c",
                password="short",
                uses_service_n=False,
                staff_id_checked=False,
            ),
            organization_data=new_organization(street="", corporate_number="1234"),
        )
    found = codes(caught.value)
    assert {"auth_id", "password", "services", "staff_id_checked", "street"} <= found.keys()
    assert "auth_id_too_short" in found["auth_id"]
    assert found["staff_id_checked"] == {"staff_id_not_checked"}
    assert found["services"] == {"no_service"}
    assert found["corporate_number"]
    assert not Organization.objects.filter(name="株式会社在留テスト").exists()  # nothing written


def test_id2_password_must_not_contain_the_auth_id(officer):
    with pytest.raises(ValidationError) as caught:
        register(officer, registration=registration(password="Kaisha-01#x"))
    assert "password_contains_auth_id" in codes(caught.value)["password"]


def test_id2_auth_id_taken_is_refused(officer):
    UserFactory(username="kaisha-01")
    with pytest.raises(ValidationError) as caught:
        register(officer)
    assert codes(caught.value)["auth_id"] == {"auth_id_taken"}


def test_fmt1_auth_id_differing_only_in_case_is_another_id(officer):
    UserFactory(username="KAISHA-01")
    assert register(officer).username == "kaisha-01"


def test_id2_corporate_number_already_registered(officer):
    organization_create(
        actor=None,
        name="株式会社番号",
        kind=Organization.Kind.COMPANY,
        prefecture_id="13",
        street="霞が関３－１－１",
        corporate_number="7000012050002",
    )
    with pytest.raises(ValidationError) as caught:
        register(officer, organization_data=new_organization(corporate_number="7000012050002"))
    assert codes(caught.value)["corporate_number"] == {"organization_exists"}


@pytest.mark.parametrize(
    ("kind", "uses_n", "uses_o", "code"),
    [
        (Organization.Kind.COMPANY, False, True, "service_o_kind"),
        (Organization.Kind.SSW_EMPLOYER, True, True, "both_services"),
        (Organization.Kind.COMPANY, False, False, "no_service"),
    ],
)
def test_id8_which_organizations_use_which_system(officer, kind, uses_n, uses_o, code):
    with pytest.raises(ValidationError) as caught:
        register(
            officer,
            registration=registration(uses_service_n=uses_n, uses_service_o=uses_o),
            organization_data=new_organization(kind=kind),
        )
    assert codes(caught.value)["services"] == {code}


def test_id8_a_japanese_language_institution_may_use_both(officer):
    user = register(
        officer,
        registration=registration(uses_service_n=True, uses_service_o=True),
        organization_data=new_organization(kind=Organization.Kind.LANGUAGE_SCHOOL),
    )
    assert user.uses_service_n and user.uses_service_o


# --- ID-8 void auth ID, re-issued by an officer ------------------------------------------------


def test_id8_void_auth_id_is_reissued_with_a_new_validity(officer):
    with clock.frozen(FRIDAY):
        user = register(officer)
    later = FRIDAY + dt.timedelta(days=400)
    with clock.frozen(later):
        assert rules.login_refusal(user).code == "auth_id_expired"
        organizations.organization_auth_id_reissue(
            actor=officer, user=user, password="Shinki#2027pw", paper={"submitter_name": "x"}
        )
        user.refresh_from_db()
        assert rules.login_refusal(user) is None
        assert rules.auth_id_valid_until(user) == dt.date(2028, 12, 25)
        assert user.check_password("Shinki#2027pw")
    mails = Mail.objects.filter(template="organization_registered").order_by("id")
    assert mails.count() == 2
    assert "re-issued" in mails.last().subject or "再発行" in mails.last().subject
    # 001 Q38: the next day, also a Sunday (Sat 25th → Sun 26th 09:00 Tokyo).
    assert mails.last().next_attempt_at == clock.tokyo_datetime(2027, 12, 26, 9, 0)
    event = AuditEvent.objects.get(action="account.auth_id_reissued")
    assert event.before["valid_until"] < event.after["valid_until"]


def test_id8_a_valid_auth_id_is_not_reissued(officer):
    user = register(officer)
    with pytest.raises(ValidationError) as caught:
        organizations.organization_auth_id_reissue(
            actor=officer, user=user, password="Shinki#2027pw"
        )
    assert caught.value.code == "not_void"


# --- BO-3 password re-issue and the temporary password --------------------------------------


def test_bo3_reissued_password_is_temporary_lifts_the_lock_and_is_mailed(officer):
    user = register(officer)
    user.locked_until = clock.now() + dt.timedelta(hours=3)
    user.save()
    organizations.organization_password_reissue(actor=officer, user=user, password="Karinoo#2026pw")
    user.refresh_from_db()
    assert user.check_password("Karinoo#2026pw") and user.locked_until is None
    assert TemporaryPassword.objects.get(user=user).set_by == officer
    reissued = Mail.objects.get(template="password_reissued")
    assert "Karinoo#2026pw" not in reissued.body
    assert AuditEvent.objects.filter(action="account.temporary_password_set").exists()


def test_bo3_reissued_password_follows_fmt2(officer):
    user = register(officer)
    with pytest.raises(ValidationError) as caught:
        organizations.organization_password_reissue(actor=officer, user=user, password=ORG_PASSWORD)
    assert "password_reused" in codes(caught.value)["password"]


def test_bo3_only_organization_accounts_get_reissued_passwords(officer):
    resident = UserFactory(category=Category.RESIDENT)
    with pytest.raises(ValidationError):
        organizations.organization_password_reissue(
            actor=officer, user=resident, password="Karinoo#2026pw"
        )


def test_bo3_temporary_password_must_be_changed_at_sign_in(client, officer):
    user = register(officer)
    organizations.organization_password_reissue(actor=officer, user=user, password="Karinoo#2026pw")
    client.cookies["django_language"] = "en"
    signed_in = client.post(
        reverse("accounts:login"), {"auth_id": user.username, "password": "Karinoo#2026pw"}
    )
    assert signed_in.status_code == 302
    renew = reverse("accounts:password_renew")
    for page in ("accounts:home", "accounts:me", "accounts:password_change"):
        held = client.get(reverse(page))
        assert held.status_code == 302 and held["Location"].startswith(renew), page
    form = client.get(renew)
    assert "temporary password" in form.content.decode()
    mismatch = client.post(
        renew, {"new_password": "Jibun#2026pw", "new_password_again": "Jibun#2026px"}
    )
    assert mismatch.context["form"].errors["new_password_again"]
    same = client.post(
        renew, {"new_password": "Karinoo#2026pw", "new_password_again": "Karinoo#2026pw"}
    )
    assert "password_reused" in {
        e.code for e in same.context["form"].errors.as_data()["new_password"]
    }
    done = client.post(
        renew, {"new_password": "Jibun#2026pw", "new_password_again": "Jibun#2026pw"}
    )
    assert done.status_code == 302
    assert not TemporaryPassword.objects.filter(user=user).exists()
    assert client.get(reverse("accounts:home")).status_code == 200  # still signed in
    user.refresh_from_db()
    assert user.check_password("Jibun#2026pw")


# --- ID-13 forgotten auth ID, ID-19 state changes -------------------------------------------


def test_id13_forgotten_auth_id_is_mailed_to_the_registered_address(officer):
    user = register(officer)
    organizations.organization_auth_id_notify(
        actor=officer, user=user, paper={"staff_id_document": "staff_card"}
    )
    notice = Mail.objects.get(template="auth_id_notice")
    assert notice.to_address == user.email and user.username in notice.body
    event = AuditEvent.objects.get(action="account.auth_id_notified")
    assert event.actor_id == str(officer.pk)
    assert event.after["paper"] == {"staff_id_document": "staff_card"}


def test_id19_state_changes_are_mailed_and_delete_drops_the_temporary_password(officer):
    user = register(officer)
    organizations.organization_password_reissue(actor=officer, user=user, password="Karinoo#2026pw")
    organizations.account_state_change(
        actor=officer, user=user, to=AccountState.SUSPENDED, reason="漏えい"
    )
    organizations.account_state_change(actor=officer, user=user, to=AccountState.DELETED)
    assert not TemporaryPassword.objects.filter(user=user).exists()
    templates = set(Mail.objects.values_list("template", flat=True))
    assert {"account_suspended", "account_deleted"} <= templates
    with pytest.raises(ValidationError):
        organizations.organization_password_reissue(
            actor=officer, user=user, password="Karinoo#2027pw"
        )


def test_id2_demo_set_up_registers_an_organization_account_that_signs_in(client):
    import io

    from django.core.management import call_command

    from zairyu.demo.management.commands.setup_demo import DEMO_ORGANIZATION_ACCOUNT

    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    auth_id, password = DEMO_ORGANIZATION_ACCOUNT
    assert f"{auth_id} / {password}" in out.getvalue()
    link = OrganizationAccount.objects.get(user__username=auth_id)
    assert link.organization.kind == Organization.Kind.LANGUAGE_SCHOOL
    assert link.user.uses_service_n and link.user.uses_service_o
    response = client.post(reverse("accounts:login"), {"auth_id": auth_id, "password": password})
    assert response.status_code == 302
