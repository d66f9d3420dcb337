"""ID-5 requests for use, ID-10 validity and periodic reports, ID-11 resignation, deletion and
changes of staff of organizations, public-interest corporations and RSOs (002 Q3, Q9, Q10)."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.applications.uploads_fixtures import good_pdf
from zairyu.accounts import rules, staff
from zairyu.accounts.models import (
    AccountState,
    Category,
    PeriodicReport,
    StaffAccount,
    StaffChannel,
    StaffClient,
    StaffDecision,
    StaffDocumentKind,
    StaffRequest,
    User,
)
from zairyu.audit.models import AuditEvent
from zairyu.core import clock
from zairyu.core.work import _housekeepers
from zairyu.mail.models import Mail

from .factories import UserFactory

pytestmark = pytest.mark.django_db

START = clock.tokyo_datetime(2026, 4, 1, 10, 0)
CORPORATE_NUMBER = "7000012050002"
NEW_PASSWORD = "Shokuin#2026pw"  # noqa: S105 (test data)
PDF = good_pdf(pages=1)


@pytest.fixture
def officer(db):
    return UserFactory(category=Category.OFFICER, is_staff=True, username="officer01")


def request_data(**overrides) -> staff.RequestData:
    values = {
        "organization_name": "株式会社在留テスト",
        "organization_kind": "company",
        "prefecture_id": "13",
        "street": "千代田区霞が関1-1-1",
        "category": Category.ORGANIZATION_STAFF,
        "staff_name": "山田 花子",
        "staff_email": "yamada@kaisha.example.jp",
        "corporation": True,
        "corporate_number": CORPORATE_NUMBER,
        "declarations": dict.fromkeys(staff.DECLARATION_KEYS, True),
    }
    values.update(overrides)
    return staff.RequestData(**values)


def documents(category=Category.ORGANIZATION_STAFF, corporation=True):
    return [
        (kind, f"{kind}.pdf", PDF)
        for kind in staff.required_documents(category=category, corporation=corporation)
    ]


def submit(**overrides) -> StaffRequest:
    return staff.staff_request_submit(
        data=request_data(**overrides), channel=StaffChannel.ONLINE, documents=documents()
    )


def approve(staff_request, officer) -> User:
    decided = staff.staff_request_decide(staff_request=staff_request, actor=officer, approve=True)
    return decided.user


def link_parts(user) -> tuple[str, str]:
    body = Mail.objects.filter(template="staff_request_approved", to_address=user.email).last().body
    match = re.search(r"/staff/password/set/([^/]+)/([^/]+)/", body)
    return match.group(1), match.group(2)


def activate(user) -> User:
    uidb64, token = link_parts(user)
    return staff.staff_initial_password_set(user=user, token=token, password=NEW_PASSWORD)


# --- ID-5 ------------------------------------------------------------------------------------


def test_id5_online_request_goes_to_the_bureau_of_the_address():
    with clock.frozen(START):
        req = submit()
    assert req.state == StaffDecision.SUBMITTED
    assert req.bureau_id == "tokyo"
    assert req.documents.count() == len(documents())
    assert not req.additional
    assert AuditEvent.objects.filter(action="accounts.staffrequest.submitted").exists()
    assert Mail.objects.filter(template="staff_request_received").count() == 1


def test_id5_missing_declarations_are_refused_by_field():
    declarations = dict.fromkeys(staff.DECLARATION_KEYS, True)
    declarations["no_penalty"] = False
    del declarations["annual_report"]
    with pytest.raises(ValidationError) as exc:
        submit(declarations=declarations)
    assert {"declaration_no_penalty", "declaration_annual_report"} <= set(exc.value.error_dict)
    assert not StaffRequest.objects.exists()


def test_id5_wrong_corporate_number_is_refused():
    with pytest.raises(ValidationError) as exc:
        submit(corporate_number="1234567890123")
    assert "corporate_number" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        submit(corporate_number="")
    assert "corporate_number" in exc.value.error_dict


def test_id5_not_a_corporation_needs_no_number_nor_registry():
    req = staff.staff_request_submit(
        data=request_data(corporation=False, corporate_number=""),
        channel=StaffChannel.ONLINE,
        documents=documents(corporation=False),
    )
    assert req.corporate_number == ""


def test_id5_documents_missing_or_not_pdf_are_refused():
    docs = documents()[1:]  # no request form
    docs.append((StaffDocumentKind.PLEDGE, "pledge.docx", b"PK\x03\x04 not a pdf"))
    with pytest.raises(ValidationError) as exc:
        staff.staff_request_submit(data=request_data(), channel=StaffChannel.ONLINE, documents=docs)
    errors = exc.value.error_dict
    assert errors["document_request_form"][0].code == "document_missing"
    assert errors["document_pledge"][0].code == "pdf_not_pdf"
    with pytest.raises(ValidationError):
        staff.document_check(data=PDF + b"x" * (10 * 1024 * 1024), filename="big.pdf")


def test_id5_rso_staff_need_clients_and_commission_documents():
    with pytest.raises(ValidationError) as exc:
        staff.staff_request_submit(
            data=request_data(category=Category.RSO_STAFF),
            channel=StaffChannel.ONLINE,
            documents=documents(),
        )
    assert {"clients", "document_commission"} <= set(exc.value.error_dict)


def test_id5_paper_request_recorded_by_officer_needs_no_attachments(officer):
    req = staff.staff_request_submit(data=request_data(), channel=StaffChannel.PAPER, actor=officer)
    assert req.channel == StaffChannel.PAPER and req.recorded_by == officer


def test_id5_approval_issues_personal_id_and_30_day_link(
    officer, django_capture_on_commit_callbacks
):
    with clock.frozen(START):
        req = submit()
        with django_capture_on_commit_callbacks(execute=True):
            user = approve(req, officer)
    assert user.category == Category.ORGANIZATION_STAFF
    assert not user.has_usable_password() and user.valid_until is None
    assert user.staff_account.organization.corporate_number == CORPORATE_NUMBER
    assert user.staff_account.organization.bureau_id == "tokyo"
    mail = Mail.objects.get(template="staff_request_approved")
    assert user.username in mail.body and "/staff/password/set/" in mail.body
    with clock.frozen(START + dt.timedelta(days=29)):
        activated = activate(user)
    assert activated.valid_until == dt.date(2027, 4, 30)  # one year from the password (Q3-7)
    assert rules.login_refusal(activated, today=dt.date(2027, 4, 30)) is None
    assert rules.login_refusal(activated, today=dt.date(2027, 5, 1)).code == "auth_id_expired"


def test_id5_set_password_link_expires_after_30_days(officer):
    with clock.frozen(START):
        user = approve(submit(), officer)
        uidb64, token = link_parts(user)
    with clock.frozen(START), clock.travel(dt.timedelta(days=30, minutes=1)):
        assert staff.link_user(uidb64=uidb64, token=token) is None
        with pytest.raises(ValidationError):
            staff.staff_initial_password_set(user=user, token=token, password=NEW_PASSWORD)


def test_id5_link_works_once(officer):
    with clock.frozen(START):
        user = approve(submit(), officer)
        uidb64, token = link_parts(user)
        activate(user)
        assert staff.link_user(uidb64=uidb64, token=token) is None


def test_id5_refusal_needs_reason_and_is_mailed(officer):
    req = submit()
    with pytest.raises(ValidationError):
        staff.staff_request_decide(staff_request=req, actor=officer, approve=False)
    decided = staff.staff_request_decide(
        staff_request=req, actor=officer, approve=False, reason="書類が不足しています"
    )
    assert decided.state == StaffDecision.REFUSED and decided.user is None
    assert "書類が不足しています" in Mail.objects.get(template="staff_request_refused").body
    with pytest.raises(ValidationError):  # decided once
        staff.staff_request_decide(staff_request=req, actor=officer, approve=True)


def test_id5_second_staff_member_is_an_additional_request_with_own_id(officer):
    first = approve(submit(), officer)
    second_request = submit(staff_name="佐藤 一郎", staff_email="sato@kaisha.example.jp")
    assert second_request.additional
    second = approve(second_request, officer)
    assert second.username != first.username
    assert second.staff_account.organization_id == first.staff_account.organization_id


def test_id5_rso_clients_listed_and_officer_adds_one(officer):
    req = staff.staff_request_submit(
        data=request_data(category=Category.RSO_STAFF, clients="株式会社A\n株式会社B\n"),
        channel=StaffChannel.ONLINE,
        documents=documents(category=Category.RSO_STAFF),
    )
    user = approve(req, officer)
    account = user.staff_account
    assert sorted(account.clients.values_list("name", flat=True)) == ["株式会社A", "株式会社B"]
    staff.staff_client_add(account=account, name="株式会社C", actor=officer)
    assert account.clients.count() == 3
    with pytest.raises(ValidationError):
        staff.staff_client_add(account=account, name="X", corporate_number="123", actor=officer)


def test_id5_public_page_submits_with_pdfs(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "organization_name": "株式会社在留テスト",
        "organization_kind": "company",
        "corporation": "on",
        "corporate_number": CORPORATE_NUMBER,
        "prefecture": "13",
        "street": "千代田区霞が関1-1-1",
        "category": Category.ORGANIZATION_STAFF,
        "staff_name": "山田 花子",
        "staff_email": "yamada@kaisha.example.jp",
        "language": "ja",
        **{f"declaration_{key}": "on" for key in staff.DECLARATION_KEYS},
    }
    response = client.post(reverse("accounts:staff_request"), data)
    assert response.status_code == 400  # no documents
    for kind, name, content in documents():
        data[f"document_{kind}"] = SimpleUploadedFile(name, content, "application/pdf")
    response = client.post(reverse("accounts:staff_request"), data)
    assert response.status_code == 302
    assert StaffRequest.objects.count() == 1


def test_id5_set_password_page(client, officer):
    with clock.frozen(START):
        user = approve(submit(), officer)
        uidb64, token = link_parts(user)
        url = reverse("accounts:staff_set_password", args=[uidb64, token])
        response = client.get(url)
        assert response.status_code == 302
        response = client.post(
            response.url, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
        )
        assert response.status_code == 302
    user.refresh_from_db()
    assert user.has_usable_password() and user.valid_until == dt.date(2027, 4, 1)
    assert client.get(url).status_code == 400  # used


# --- ID-10 -----------------------------------------------------------------------------------


def active_user(officer, **overrides) -> User:
    with clock.frozen(START):
        user = approve(submit(**overrides), officer)
        return activate(user)


def test_id10_report_extends_every_user_from_previous_expiry(officer):
    first = active_user(officer)
    second = active_user(officer, staff_name="佐藤 一郎", staff_email="sato@kaisha.example.jp")
    organization = first.staff_account.organization
    with clock.frozen(clock.tokyo_datetime(2027, 2, 1, 10)):
        report = staff.periodic_report_submit(
            organization=organization,
            declarations=dict.fromkeys(staff.DECLARATION_KEYS, True),
            channel=StaffChannel.ONLINE,
            actor=first,
        )
        assert set(report.accounts.values_list("user_id", flat=True)) == {first.pk, second.pk}
        with pytest.raises(ValidationError):  # one open report per organization
            staff.periodic_report_submit(
                organization=organization,
                declarations=dict.fromkeys(staff.DECLARATION_KEYS, True),
                channel=StaffChannel.ONLINE,
                actor=second,
            )
    with clock.frozen(clock.tokyo_datetime(2027, 3, 10, 10)):
        staff.periodic_report_decide(report=report, actor=officer, approve=True)
    for user in (first, second):
        user.refresh_from_db()
        assert user.valid_until == dt.date(2028, 4, 1)  # Q9-4: from the previous expiry
    assert Mail.objects.filter(template="periodic_report_approved").count() == 2


def test_id10_report_needs_declarations(officer):
    user = active_user(officer)
    with pytest.raises(ValidationError) as exc:
        staff.periodic_report_submit(
            organization=user.staff_account.organization,
            declarations={},
            channel=StaffChannel.ONLINE,
            actor=user,
        )
    assert "declaration_no_id_sharing" in exc.value.error_dict


def test_id10_late_report_restores_access_only_after_approval(officer):
    user = active_user(officer)
    after_expiry = clock.tokyo_datetime(2027, 5, 10, 10)
    with clock.frozen(after_expiry):
        assert rules.login_refusal(user).code == "auth_id_expired"
        report = staff.periodic_report_submit(
            organization=user.staff_account.organization,
            declarations=dict.fromkeys(staff.DECLARATION_KEYS, True),
            channel=StaffChannel.PAPER,
            actor=officer,
        )
        user.refresh_from_db()
        assert rules.login_refusal(user).code == "auth_id_expired"  # not yet
        staff.periodic_report_decide(report=report, actor=officer, approve=True)
        user.refresh_from_db()
        assert user.valid_until == dt.date(2028, 4, 1)
        # The auth ID works again; the year-old password must be renewed (ID-9, ID-13).
        assert rules.login_refusal(user).code == "password_expired"


def test_id10_refused_report_keeps_expiry_and_mails_reason(officer):
    user = active_user(officer)
    report = staff.periodic_report_submit(
        organization=user.staff_account.organization,
        declarations=dict.fromkeys(staff.DECLARATION_KEYS, True),
        channel=StaffChannel.ONLINE,
        actor=user,
    )
    staff.periodic_report_decide(report=report, actor=officer, approve=False, reason="未提出書類")
    user.refresh_from_db()
    assert user.valid_until == dt.date(2027, 4, 1)
    assert "未提出書類" in Mail.objects.get(template="periodic_report_refused").body
    assert PeriodicReport.objects.get().state == StaffDecision.REFUSED


def test_id10_reminder_two_months_before_sent_once(officer):
    user = active_user(officer)  # valid until 2027-04-01
    assert _housekeepers["staff_expiry_reminders"] is staff.staff_expiry_reminders
    assert staff.staff_expiry_reminders(today=dt.date(2027, 1, 31)) == 0
    assert staff.staff_expiry_reminders(today=dt.date(2027, 2, 1)) == 1
    assert staff.staff_expiry_reminders(today=dt.date(2027, 2, 1)) == 0
    assert staff.staff_expiry_reminders(today=dt.date(2027, 2, 2)) == 0
    assert Mail.objects.filter(template="staff_expiry_reminder", to_address=user.email).count() == 1
    # A new expiry date gets its own reminder.
    User.objects.filter(pk=user.pk).update(valid_until=dt.date(2028, 4, 1))
    assert staff.staff_expiry_reminders(today=dt.date(2028, 2, 1)) == 1


def test_id10_months_before():
    assert staff.months_before(dt.date(2027, 4, 30), 2) == dt.date(2027, 2, 28)
    assert staff.months_before(dt.date(2027, 1, 15), 2) == dt.date(2026, 11, 15)


# --- ID-11 -----------------------------------------------------------------------------------


def test_id11_resignation_deletes_the_id_and_mails(officer):
    first = active_user(officer)
    second = active_user(officer, staff_name="佐藤 一郎", staff_email="sato@kaisha.example.jp")
    staff.resignation_report(account=second.staff_account, actor=first, channel=StaffChannel.ONLINE)
    second.refresh_from_db()
    assert second.state == AccountState.DELETED
    assert Mail.objects.filter(template="account_deleted", to_address=second.email).exists()
    assert AuditEvent.objects.filter(action="account.staff_resigned").exists()


def test_id11_resignation_by_another_organization_is_refused(officer):
    first = active_user(officer)
    other = active_user(
        officer,
        organization_name="株式会社別会社",
        corporation=False,
        corporate_number="",
        staff_email="other@example.jp",
    )
    with pytest.raises(PermissionError):
        staff.resignation_report(
            account=first.staff_account, actor=other, channel=StaffChannel.ONLINE
        )
    first.refresh_from_db()
    assert first.state == AccountState.ACTIVE


def test_id11_deletion_request_needs_confirmation(officer):
    user = active_user(officer)
    with pytest.raises(ValidationError):
        staff.deletion_request(user=user, confirmed=False)
    staff.deletion_request(user=user, confirmed=True)
    user.refresh_from_db()
    assert user.state == AccountState.DELETED


def test_id11_change_applied_only_on_approval(officer):
    user = active_user(officer)
    account = user.staff_account
    with pytest.raises(ValidationError):
        staff.change_report_submit(account=account, actor=user, channel=StaffChannel.ONLINE)
    report = staff.change_report_submit(
        account=account,
        actor=user,
        channel=StaffChannel.ONLINE,
        organization_name="株式会社新名称",
        staff_name="山田 花",
    )
    account.organization.refresh_from_db()
    assert account.organization.name != "株式会社新名称"
    staff.change_report_decide(report=report, actor=officer, approve=True)
    account.organization.refresh_from_db()
    user.refresh_from_db()
    assert account.organization.name == "株式会社新名称"
    assert user.display_name == "山田 花"


def test_id11_pages_for_own_organization_only(client, officer):
    first = active_user(officer)
    other = active_user(
        officer,
        organization_name="株式会社別会社",
        corporation=False,
        corporate_number="",
        staff_email="other@example.jp",
    )
    client.force_login(other)
    url = reverse("accounts:staff_resignation", args=[first.staff_account.pk])
    assert client.get(url).status_code == 404
    assert client.get(reverse("accounts:staff_resignation", args=[999999])).status_code == 404
    assert client.get(reverse("accounts:staff_organization")).status_code == 200
    response = client.post(reverse("accounts:staff_deletion"), {})
    assert response.status_code == 400
    response = client.post(reverse("accounts:staff_deletion"), {"confirm": "on"})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.state == AccountState.DELETED
    assert StaffAccount.objects.count() == 2 and StaffClient.objects.count() == 0


def test_sec5_online_requests_for_use_are_rate_limited_per_address(settings):
    from django.test import RequestFactory

    settings.ZAIRYU_REGISTRATIONS_PER_IP = 2
    http = RequestFactory().post("/accounts/staff/request/", REMOTE_ADDR="192.0.2.7")
    for _ in range(2):
        staff.staff_request_submit(
            data=request_data(), documents=documents(), channel=StaffChannel.ONLINE, request=http
        )
    with pytest.raises(ValidationError) as excinfo:
        staff.staff_request_submit(
            data=request_data(), documents=documents(), channel=StaffChannel.ONLINE, request=http
        )
    assert excinfo.value.code == "rate_limited"
