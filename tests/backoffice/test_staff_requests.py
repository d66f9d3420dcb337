"""BO-3 pages for ID-5 requests for use, ID-10 periodic reports and ID-11 staff changes: the
bureau with jurisdiction decides; other bureaus get the same 404 as a missing id."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.applications.uploads_fixtures import good_pdf
from zairyu.accounts import staff
from zairyu.accounts.models import (
    AccountState,
    Category,
    PeriodicReport,
    StaffChangeReport,
    StaffChannel,
    StaffDecision,
    StaffRequest,
)
from zairyu.audit.models import AuditEvent
from zairyu.backoffice.access import officer_group
from zairyu.core import clock
from zairyu.mail.models import Mail

pytestmark = pytest.mark.django_db

PDF = good_pdf(pages=1)
START = clock.tokyo_datetime(2026, 4, 1, 10, 0)


def submit(**overrides) -> StaffRequest:
    values = {
        "organization_name": "株式会社在留テスト",
        "organization_kind": "company",
        "prefecture_id": "13",
        "street": "千代田区霞が関1-1-1",
        "category": Category.ORGANIZATION_STAFF,
        "staff_name": "山田 花子",
        "staff_email": "yamada@kaisha.example.jp",
        "corporate_number": "7000012050002",
        "declarations": dict.fromkeys(staff.DECLARATION_KEYS, True),
    }
    values.update(overrides)
    docs = [
        (kind, f"{kind}.pdf", PDF)
        for kind in staff.required_documents(category=values["category"], corporation=True)
    ]
    return staff.staff_request_submit(
        data=staff.RequestData(**values), channel=StaffChannel.ONLINE, documents=docs
    )


@pytest.fixture
def osaka_officer(db):
    user = get_user_model().objects.create_user(
        "officer-osaka",
        password="Officer-pass-2026!",
        is_staff=True,
        category=Category.OFFICER,
        bureau_id="osaka",
    )
    user.groups.add(officer_group())
    return user


def test_id5_officer_approves_request_from_queue(officer_client, officer):
    staff_request = submit()
    response = officer_client.get(reverse("backoffice:staff_queue"))
    assert response.status_code == 200 and "株式会社在留テスト" in response.content.decode()
    url = reverse("backoffice:staff_request", args=[staff_request.pk])
    assert officer_client.get(url).status_code == 200
    assert AuditEvent.objects.filter(action="accounts.staff_paper.viewed").exists()
    document = staff_request.documents.first()
    response = officer_client.get(
        reverse("backoffice:staff_request_document", args=[staff_request.pk, document.pk])
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    response = officer_client.post(url, {"decision": "approve"})
    assert response.status_code == 302
    staff_request.refresh_from_db()
    assert staff_request.state == StaffDecision.APPROVED and staff_request.user is not None
    assert Mail.objects.filter(template="staff_request_approved").exists()


def test_id5_refusal_without_reason_is_refused(officer_client):
    staff_request = submit()
    url = reverse("backoffice:staff_request", args=[staff_request.pk])
    assert officer_client.post(url, {"decision": "refuse"}).status_code == 400
    assert officer_client.post(url, {"decision": "refuse", "reason": "不備"}).status_code == 302
    staff_request.refresh_from_db()
    assert staff_request.state == StaffDecision.REFUSED


def test_id5_other_bureau_gets_the_same_404(client, osaka_officer, sign_in_officer):
    staff_request = submit()  # Tokyo
    sign_in_officer(client, osaka_officer)
    url = reverse("backoffice:staff_request", args=[staff_request.pk])
    missing = reverse("backoffice:staff_request", args=[staff_request.pk + 1000])
    assert client.get(url).status_code == 404
    assert client.get(missing).status_code == 404
    assert client.post(url, {"decision": "approve"}).status_code == 404
    document = staff_request.documents.first()
    assert (
        client.get(
            reverse("backoffice:staff_request_document", args=[staff_request.pk, document.pk])
        ).status_code
        == 404
    )
    assert (
        "株式会社在留テスト" not in client.get(reverse("backoffice:staff_queue")).content.decode()
    )
    staff_request.refresh_from_db()
    assert staff_request.state == StaffDecision.SUBMITTED


def test_id5_non_officer_is_refused(client):
    user = get_user_model().objects.create_user("resident1", password="x", category="resident")
    client.force_login(user)
    assert client.get(reverse("backoffice:staff_queue")).status_code == 403


def test_id5_officer_records_paper_request(officer_client):
    data = {
        "organization_name": "株式会社紙提出",
        "organization_kind": "company",
        "corporation": "on",
        "corporate_number": "7000012050002",
        "prefecture": "13",
        "street": "千代田区1-1",
        "category": Category.ORGANIZATION_STAFF,
        "staff_name": "鈴木 一",
        "staff_email": "suzuki@example.jp",
        "language": "ja",
    }
    url = reverse("backoffice:staff_request_record")
    assert officer_client.post(url, data).status_code == 400  # declarations missing
    data.update({f"declaration_{key}": "on" for key in staff.DECLARATION_KEYS})
    assert officer_client.post(url, data).status_code == 302
    assert StaffRequest.objects.get().channel == StaffChannel.PAPER


def activated_user(officer):
    with clock.frozen(START):
        decided = staff.staff_request_decide(staff_request=submit(), actor=officer, approve=True)
        user = decided.user
        token = staff.STAFF_LINK.make_token(user)
        return staff.staff_initial_password_set(user=user, token=token, password="Shokuin#2026pw")


def test_id10_officer_records_late_paper_report_and_approves(officer_client, officer):
    user = activated_user(officer)
    organization = user.staff_account.organization
    with clock.frozen(clock.tokyo_datetime(2027, 5, 1, 10)):
        url = reverse("backoffice:staff_organization", args=[organization.pk])
        assert officer_client.post(url, {}).status_code == 400
        response = officer_client.post(
            url, {f"declaration_{key}": "on" for key in staff.DECLARATION_KEYS}
        )
        assert response.status_code == 302
        report = PeriodicReport.objects.get()
        response = officer_client.post(
            reverse("backoffice:staff_report", args=[report.pk]), {"decision": "approve"}
        )
        assert response.status_code == 302
    user.refresh_from_db()
    assert user.valid_until == dt.date(2028, 4, 1)


def test_id11_officer_records_resignation_and_applies_change(officer_client, officer):
    user = activated_user(officer)
    account = user.staff_account
    change = staff.change_report_submit(
        account=account, actor=user, channel=StaffChannel.ONLINE, street="千代田区2-2"
    )
    response = officer_client.post(
        reverse("backoffice:staff_change", args=[change.pk]), {"decision": "approve"}
    )
    assert response.status_code == 302
    account.organization.refresh_from_db()
    assert account.organization.street == "千代田区2-2"
    assert StaffChangeReport.objects.get().state == StaffDecision.APPROVED
    url = reverse("backoffice:staff_account_resign", args=[account.pk])
    assert officer_client.post(url, {}).status_code == 400
    assert officer_client.post(url, {"confirm": "on"}).status_code == 302
    user.refresh_from_db()
    assert user.state == AccountState.DELETED


def test_id11_other_bureau_cannot_touch_accounts(client, officer, osaka_officer, sign_in_officer):
    user = activated_user(officer)
    sign_in_officer(client, osaka_officer)
    for name in ("backoffice:staff_account_resign", "backoffice:staff_account_client"):
        assert client.post(reverse(name, args=[user.staff_account.pk]), {}).status_code == 404
    organization_url = reverse(
        "backoffice:staff_organization", args=[user.staff_account.organization_id]
    )
    assert client.get(organization_url).status_code == 404
