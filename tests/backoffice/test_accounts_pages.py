"""BO-3 over HTTP: register organization accounts from the paper form (ID-2), search and view
accounts (audited), and the officer actions on paper requests (ID-8, ID-13, ID-14, ID-17, ID-19)."""

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from zairyu.accounts.models import AccountState, Category, OrganizationAccount, TemporaryPassword
from zairyu.audit.models import AuditEvent
from zairyu.cards.models import Organization
from zairyu.cards.services import organization_create
from zairyu.core import clock
from zairyu.mail.models import Mail

pytestmark = pytest.mark.django_db

User = get_user_model()
REGISTER = reverse("backoffice:account_register")
SEARCH = reverse("backoffice:account_search")
FRIDAY = clock.tokyo_datetime(2026, 11, 20, 15, 0)

FORM = {
    "name": "株式会社在留テスト",
    "name_en": "Zairyu Test K.K.",
    "corporate_number": "",
    "kind": "company",
    "prefecture": "13",
    "municipality": "13101",
    "street": "霞が関1-1-1",
    "auth_id": "kaisha-01",
    "email": "jinji@kaisha.example.jp",
    "services": ["n"],
    "password": "Kaisha#2026pw",
    "password_again": "Kaisha#2026pw",
    "language": "ja",
    "submitter_name": "山田 花子",
    "submitted_via": "counter",
    "staff_id_document": "staff_card",
    "staff_id_note": "職員番号 1234",
    "staff_id_checked": "on",
}


def detail_url(account):
    return reverse("backoffice:account_detail", args=[account.pk])


def registered(officer_client, **changes):
    response = officer_client.post(REGISTER, {**FORM, **changes})
    assert response.status_code == 302, response.context and response.context["form"].errors
    return User.objects.get(username=changes.get("auth_id", FORM["auth_id"]))


# --- ID-2 registration ----------------------------------------------------------------------


def test_id2_register_from_the_paper_form(officer_client, officer):
    assert officer_client.get(REGISTER).status_code == 200
    with clock.frozen(FRIDAY):
        response = officer_client.post(REGISTER, FORM)
    account = User.objects.get(username="kaisha-01")
    assert response.status_code == 302 and response["Location"] == detail_url(account)
    page = officer_client.get(response["Location"])
    html = page.content.decode()
    assert "2026-11-21 09:00" in html  # the flash message: the next day (001 Q38)
    assert "株式会社在留テスト" in html and "山田 花子" in html
    organization = Organization.objects.get(name="株式会社在留テスト")
    link = OrganizationAccount.objects.get(user=account)
    assert link.organization == organization and link.staff_id_note == "職員番号 1234"
    held = Mail.objects.get(template="organization_registered")
    assert held.next_attempt_at == clock.tokyo_datetime(2026, 11, 21, 9, 0)
    assert held.state == Mail.State.QUEUED
    assert AuditEvent.objects.filter(
        action="account.organization_registered", actor_id=str(officer.pk)
    ).exists()


def test_id2_bad_input_is_shown_by_field_and_in_the_summary(officer_client):
    response = officer_client.post(
        REGISTER,
        {
            **FORM,
            "auth_id": "ab",
            "email": "not-an-address",
            "password": "short",
            "password_again": "other",
            "services": [],
            "staff_id_checked": "",
            "corporate_number": "12345",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert {"email", "password_again"} <= form.errors.keys()  # form-level first
    html = response.content.decode()
    assert "bo-error-summary" in html
    assert 'href="#id_email"' in html
    # Once the form parses, the service reports the rest, all at once.
    response = officer_client.post(
        REGISTER,
        {
            **FORM,
            "auth_id": "ab",
            "password": "short",
            "password_again": "short",
            "services": [],
            "staff_id_checked": "",
            "corporate_number": "12345",
        },
    )
    errors = response.context["form"].errors
    assert {"auth_id", "password", "services", "staff_id_checked", "corporate_number"} <= set(
        errors
    )
    assert not User.objects.filter(username="ab").exists()
    assert not Organization.objects.filter(name=FORM["name"]).exists()


def test_id2_duplicate_organization_account_is_refused(officer_client):
    first = registered(officer_client)
    organization = first.organization_account.organization
    url = reverse("backoffice:account_register_for", args=[organization.pk])
    page = officer_client.get(url)
    assert "already has an auth ID" in page.content.decode()
    response = officer_client.post(url, {**FORM, "auth_id": "kaisha-02"})
    assert response.status_code == 200
    assert "already has an auth ID (kaisha-01)" in response.content.decode()
    assert not User.objects.filter(username="kaisha-02").exists()


def test_id2_register_for_an_organization_found_in_the_search(officer_client):
    organization = organization_create(
        actor=None,
        name="日本語学校テスト",
        kind=Organization.Kind.LANGUAGE_SCHOOL,
        prefecture_id="13",
        street="本郷１－１",
        corporate_number="7000012050002",
    )
    found = officer_client.get(
        reverse("backoffice:organization_search"), {"corporate_number": "7000-0120-50002"}
    )
    url = reverse("backoffice:account_register_for", args=[organization.pk])
    assert url in found.content.decode()
    response = officer_client.post(url, {**FORM, "auth_id": "school-01", "services": ["n", "o"]})
    assert response.status_code == 302
    account = User.objects.get(username="school-01")
    assert account.uses_service_n and account.uses_service_o
    assert account.organization_account.organization == organization


def test_id2_organization_search_needs_a_criterion(officer_client):
    response = officer_client.get(reverse("backoffice:organization_search"), {"name": ""})
    assert response.context["form"].errors


def test_id2_paper_form_template_has_the_officer_forms_fields(client):
    from openpyxl import load_workbook

    from zairyu.backoffice.accounts_forms import OFFICE_USE, OrganizationAccountForm

    client.cookies["django_language"] = "en"
    response = client.get(reverse("accounts:organization_registration_form"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert not workbook.vba_archive  # no macros
    texts = [str(c.value) for row in workbook.active.iter_rows() for c in row if c.value]
    assert texts[0] == "利用者情報登録届出書"
    form = OrganizationAccountForm()
    for name in ("name", "corporate_number", "kind", "auth_id", "email", "services", "password"):
        label = str(form.fields[name].label)
        assert any(t.startswith(label) for t in texts), label
    office_start = texts.index("For office use (do not fill in)")
    for name in OFFICE_USE:
        label = str(form.fields[name].label)
        assert any(t.startswith(label) for t in texts[office_start:]), label
    assert not any(t.startswith(str(form.fields["password_again"].label)) for t in texts)


def test_id2_service_page_links_the_paper_form(client):
    html = client.get(reverse("portal:service", args=["organizations"])).content.decode()
    assert reverse("accounts:organization_registration_form") in html
    other = client.get(reverse("portal:service", args=["residents"])).content.decode()
    assert reverse("accounts:organization_registration_form") not in other


# --- Search and view (audited) -------------------------------------------------------------


def test_bo3_search_is_post_redirect_get_and_audited(officer_client):
    account = registered(officer_client)
    response = officer_client.post(SEARCH, {"email": "KAISHA.example"})
    assert response.status_code == 302 and response["Location"] == SEARCH  # nothing in the URL
    page = officer_client.get(SEARCH)
    assert list(page.context["page"].object_list) == [account]
    event = AuditEvent.objects.filter(action="account.listed").latest("id")
    assert event.after["accounts"] == [account.pk]
    assert event.after["criteria"]["email"] == "KAISHA.example"
    for criteria in ({"auth_id": "kaisha"}, {"name": "在留テスト"}, {"category": "organization"}):
        officer_client.post(SEARCH, criteria)
        assert account in officer_client.get(SEARCH).context["page"].object_list, criteria
    officer_client.post(SEARCH, {"auth_id": "KAISHA"})  # auth IDs are case-sensitive
    assert officer_client.get(SEARCH).context["page"].paginator.count == 0
    officer_client.post(SEARCH, {"clear": "1"})
    assert officer_client.get(SEARCH).context["page"] is None


def test_bo3_empty_search_is_refused_with_a_message(officer_client):
    response = officer_client.post(SEARCH, {"auth_id": "", "name": ""})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_bo3_viewing_an_account_is_audited(officer_client, officer):
    account = registered(officer_client)
    assert officer_client.get(detail_url(account)).status_code == 200
    assert AuditEvent.objects.filter(
        action="account.viewed", object_id=str(account.pk), actor_id=str(officer.pk)
    ).exists()


# --- Actions -----------------------------------------------------------------------------------

PAPER = {
    "submitter_name": "山田 花子",
    "submitted_via": "post",
    "staff_id_document": "health_insurance",
    "staff_id_checked": "on",
}


def test_id13_forgotten_auth_id_is_mailed(officer_client):
    account = registered(officer_client)
    url = reverse("backoffice:account_auth_id_notify", args=[account.pk])
    unchecked = officer_client.post(url, {**PAPER, "staff_id_checked": ""})
    assert unchecked.context["form"].errors["staff_id_checked"]
    assert not Mail.objects.filter(template="auth_id_notice").exists()
    response = officer_client.post(url, PAPER)
    assert response.status_code == 302 and response["Location"] == detail_url(account)
    # The officer sees the auth ID too (for the copy of the request the submitter may ask for).
    shown = officer_client.get(response["Location"]).content.decode()
    assert "Auth ID kaisha-01 has been mailed to jinji@kaisha.example.jp" in shown
    notice = Mail.objects.get(template="auth_id_notice")
    assert notice.to_address == account.email and "kaisha-01" in notice.body
    event = AuditEvent.objects.get(action="account.auth_id_notified")
    assert event.after["paper"]["staff_id_document"] == "health_insurance"


def test_bo3_password_reissue_sets_a_temporary_password(officer_client):
    account = registered(officer_client)
    url = reverse("backoffice:account_password_reissue", args=[account.pk])
    weak = officer_client.post(url, {**PAPER, "password": "abc", "password_again": "abc"})
    assert weak.status_code == 200 and weak.context["form"].errors["password"]
    response = officer_client.post(
        url, {**PAPER, "password": "Karinoo#2026pw", "password_again": "Karinoo#2026pw"}
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.check_password("Karinoo#2026pw")
    assert TemporaryPassword.objects.filter(user=account).exists()
    assert Mail.objects.filter(template="password_reissued").exists()
    assert (
        "to be changed at the next sign-in"
        in officer_client.get(detail_url(account)).content.decode()
    )


def test_bo3_organization_only_actions_are_404_for_residents(officer_client):
    from tests.accounts.factories import UserFactory

    resident = UserFactory(category=Category.RESIDENT)
    for name in ("account_password_reissue", "account_auth_id_notify", "account_auth_id_reissue"):
        url = reverse(f"backoffice:{name}", args=[resident.pk])
        assert officer_client.get(url).status_code == 404, name


def test_id14_officer_lifts_a_lock(officer_client):
    account = registered(officer_client)
    account.locked_until = clock.now() + dt.timedelta(hours=20)
    account.save()
    assert "Lift the lock" in officer_client.get(detail_url(account)).content.decode()
    response = officer_client.post(reverse("backoffice:account_unlock", args=[account.pk]))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.locked_until is None
    assert AuditEvent.objects.filter(action="account.unlocked").exists()


def test_id19_suspend_resume_delete_are_mailed(officer_client, officer):
    account = registered(officer_client)

    def state(action, data):
        return officer_client.post(
            reverse("backoffice:account_state", args=[account.pk, action]), data
        )

    no_reason = state("suspend", {"reason": ""})
    assert no_reason.status_code == 200 and no_reason.context["form"].errors["reason"]
    assert state("suspend", {"reason": "認証情報の漏えい"}).status_code == 302
    account.refresh_from_db()
    assert account.state == AccountState.SUSPENDED
    again = state("suspend", {"reason": "twice"})
    assert again.status_code == 200 and again.context["form"].non_field_errors()
    assert state("resume", {}).status_code == 302
    assert state("delete", {"reason": "抹消届出"}).status_code == 302
    account.refresh_from_db()
    assert account.state == AccountState.DELETED
    assert not account.organization_account.active
    sent = list(Mail.objects.filter(to_address=account.email).values_list("template", flat=True))
    assert {"account_suspended", "account_active", "account_deleted"} <= set(sent)
    actions = set(
        AuditEvent.objects.filter(actor_id=str(officer.pk)).values_list("action", flat=True)
    )
    assert {"account.suspended", "account.active", "account.deleted"} <= actions
    # A deleted account offers no actions, and the organization may register again.
    assert "Actions" not in officer_client.get(detail_url(account)).content.decode()
    organization = account.organization_account.organization
    response = officer_client.post(
        reverse("backoffice:account_register_for", args=[organization.pk]),
        {**FORM, "auth_id": "kaisha-02"},
    )
    assert response.status_code == 302


def test_id8_void_auth_id_is_reissued_over_http(officer_client):
    with clock.frozen(FRIDAY):
        account = registered(officer_client)
    later = FRIDAY + dt.timedelta(days=400)
    url = reverse("backoffice:account_auth_id_reissue", args=[account.pk])
    with clock.frozen(FRIDAY + dt.timedelta(days=10)):
        early = officer_client.post(
            url, {**PAPER, "password": "Shinki#2027pw", "password_again": "Shinki#2027pw"}
        )
        assert early.status_code == 200
        assert "still valid" in early.content.decode()
    with clock.frozen(later):
        assert "Re-issue a void auth ID" in officer_client.get(detail_url(account)).content.decode()
        response = officer_client.post(
            url, {**PAPER, "password": "Shinki#2027pw", "password_again": "Shinki#2027pw"}
        )
        assert response.status_code == 302
    account.refresh_from_db()
    assert account.last_used_at == later


def test_id17_officer_removes_a_lost_authenticator(officer_client):
    account = registered(officer_client)
    TOTPDevice.objects.create(user=account, name="lost", confirmed=True)
    url = reverse("backoffice:account_second_factor_reset", args=[account.pk])
    response = officer_client.post(url, {"reason": "スマートフォン紛失"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=account).exists()
    assert Mail.objects.filter(template="second_factor_disabled", to_address=account.email)
    again = officer_client.post(url, {"reason": "again"})
    assert again.status_code == 200 and again.context["form"].non_field_errors()


def test_bo3_actions_need_csrf(officer, sign_in_officer):
    from django.test import Client

    from tests.accounts.factories import UserFactory

    account = UserFactory(category=Category.ORGANIZATION)
    client = Client(enforce_csrf_checks=True)
    sign_in_officer(client, officer)
    url = reverse("backoffice:account_state", args=[account.pk, "delete"])
    assert client.post(url, {"reason": "x"}).status_code == 403
    account.refresh_from_db()
    assert account.state == AccountState.ACTIVE
