"""BO-4 (service O part) over HTTP: the pending queue per bureau, search, detail (audited),
complete, return for correction (JLI reports only), withdrawal record; SEC-1 jurisdiction."""

import pytest
from django.urls import reverse

from tests.backoffice.conftest import verify_second_factor
from tests.filings.factories import make_officer
from zairyu.audit.models import AuditEvent
from zairyu.cards.models import Organization
from zairyu.filings.service_o.models import OFilingState
from zairyu.mail.models import Mail

from .conftest import file, make_o_account


def sign_in(client, officer):
    client.force_login(officer)
    verify_second_factor(client, officer)
    return client


@pytest.fixture
def osaka_filing():
    user, _ = make_o_account(
        name="株式会社大阪特定技能", prefecture_id="27", municipality_id="27128"
    )
    return file(user, "ssw_contract_end")


def test_bo4_queue_lists_pending_filings_of_the_bureau_and_is_audited(
    client, officer, ssw, osaka_filing
):
    mine = file(ssw[0], "ssw_acceptance_difficulty")
    done = file(ssw[0], "ssw_contract_end")
    from zairyu.filings.service_o import services

    services.ofiling_complete(actor=officer, filing=done)
    sign_in(client, officer)  # Tokyo
    page = client.get(reverse("bo_service_o:queue"))
    html = page.content.decode()
    assert page.status_code == 200
    assert mine.number in html and osaka_filing.number not in html and done.number not in html
    listed = AuditEvent.objects.filter(action="service_o.filing.listed").last()
    assert listed.after["filings"] == [mine.pk] and listed.actor_id == str(officer.pk)
    osaka = make_officer(bureau_id="osaka")
    sign_in(client, osaka)
    html = client.get(reverse("bo_service_o:queue")).content.decode()
    assert osaka_filing.number in html and mine.number not in html


def test_bo4_detail_is_audited_and_scoped(client, officer, ssw, osaka_filing):
    filing = file(ssw[0], "ssw_acceptance_difficulty")
    sign_in(client, officer)
    page = client.get(reverse("bo_service_o:detail", args=[filing.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "無断欠勤が続き連絡が取れない" in html and "NGUYEN VAN AN" in html
    assert "Return for correction" not in html  # not a JLI report
    assert AuditEvent.objects.filter(
        action="service_o.filing.viewed", object_id=str(filing.pk)
    ).exists()
    missing = client.get(reverse("bo_service_o:detail", args=[osaka_filing.pk + 999]))
    forbidden = client.get(reverse("bo_service_o:detail", args=[osaka_filing.pk]))
    assert missing.status_code == forbidden.status_code == 404
    for name in ("complete", "withdraw", "return"):
        response = client.post(
            reverse(f"bo_service_o:{name}", args=[osaka_filing.pk]), {"reason": "x", "text": "x"}
        )
        assert response.status_code == 404
    osaka_filing.refresh_from_db()
    assert osaka_filing.state == OFilingState.PENDING


def test_bo4_complete_mails_the_organization(client, officer, ssw):
    user, _ = ssw
    filing = file(user, "ssw_acceptance_difficulty")
    sign_in(client, officer)
    response = client.post(reverse("bo_service_o:complete", args=[filing.pk]))
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.state == OFilingState.COMPLETED
    assert Mail.objects.filter(template="service_o_completed", to_address=user.email).exists()
    assert AuditEvent.objects.filter(
        action="service_o.filing.completed", actor_id=str(officer.pk)
    ).exists()
    page = client.get(reverse("bo_service_o:detail", args=[filing.pk])).content.decode()
    assert f'action="/backoffice/service-o/{filing.pk}/complete/"' not in page


def test_bo4_return_jli_report_with_text(client, officer, jli):
    user, _ = jli
    filing = file(user, "jli_38_withdrawals")
    sign_in(client, officer)
    page = client.get(reverse("bo_service_o:detail", args=[filing.pk])).content.decode()
    assert "Return for correction" in page
    empty = client.post(reverse("bo_service_o:return", args=[filing.pk]), {"text": ""})
    assert empty.status_code == 400 and "Correction request is empty" in empty.content.decode()
    response = client.post(
        reverse("bo_service_o:return", args=[filing.pk]), {"text": "退学日を確認してください。"}
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.state == OFilingState.RETURNED
    mail = Mail.objects.get(template="service_o_returned")
    assert mail.to_address == user.email and "退学日を確認してください。" in mail.body


def test_bo4_ssw_filing_cannot_be_returned_over_http(client, officer, ssw):
    filing = file(ssw[0], "ssw_contract_end")
    sign_in(client, officer)
    response = client.post(reverse("bo_service_o:return", args=[filing.pk]), {"text": "修正"})
    assert response.status_code == 400
    assert "Only reports of Japanese-language institutions" in response.content.decode()
    filing.refresh_from_db()
    assert filing.state == OFilingState.PENDING


def test_bo4_withdrawal_record(client, officer, ssw):
    user, _ = ssw
    filing = file(user, "ssw_contract_end")
    sign_in(client, officer)
    assert (
        client.post(reverse("bo_service_o:withdraw", args=[filing.pk]), {"reason": ""}).status_code
        == 400
    )
    response = client.post(
        reverse("bo_service_o:withdraw", args=[filing.pk]), {"reason": "郵送で取下げの申出"}
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.state == OFilingState.WITHDRAWN
    assert "郵送で取下げの申出" in Mail.objects.get(template="service_o_withdrawn").body


def test_bo4_search_is_scoped_and_audited(client, officer, ssw, osaka_filing):
    mine = file(ssw[0], "ssw_contract_end")
    sign_in(client, officer)
    empty = client.post(reverse("bo_service_o:search"), {})
    assert empty.status_code == 400
    client.post(reverse("bo_service_o:search"), {"kind": "ssw_contract_end"})
    html = client.get(reverse("bo_service_o:search")).content.decode()
    assert mine.number in html and osaka_filing.number not in html
    client.post(reverse("bo_service_o:search"), {"number": osaka_filing.number})
    html = client.get(reverse("bo_service_o:search")).content.decode()
    assert f'href="/backoffice/service-o/{osaka_filing.pk}/"' not in html
    assert "No filing matches" in html
    listed = AuditEvent.objects.filter(action="service_o.filing.listed")
    assert any(event.after.get("list") == "search" for event in listed)


def test_sec1_back_office_refuses_organizations_and_needs_an_officer(client, ssw):
    filing = file(ssw[0], "ssw_contract_end")
    client.force_login(ssw[0])
    assert client.get(reverse("bo_service_o:queue")).status_code == 403
    assert client.get(reverse("bo_service_o:detail", args=[filing.pk])).status_code == 403
    assert client.post(reverse("bo_service_o:complete", args=[filing.pk])).status_code == 403
    client.logout()
    assert client.get(reverse("bo_service_o:queue")).status_code == 302


def test_sec1_officer_is_not_a_filer(client, officer, ssw):
    filing = file(ssw[0], "ssw_contract_end")
    sign_in(client, officer)
    assert client.get(reverse("service_o:detail", args=[filing.pk])).status_code == 403


def test_bo4_links_from_the_back_office_and_the_portal(client, officer, ssw):
    sign_in(client, officer)
    page = client.get(reverse("bo_service_o:queue")).content.decode()
    assert reverse("bo_service_o:queue") in page
    client.force_login(ssw[0])
    home = client.get(reverse("accounts:home")).content.decode()
    assert reverse("service_o:index") in home
    company, _ = make_o_account(kind=Organization.Kind.COMPANY)
    company.uses_service_o = False
    company.save()
    client.force_login(company)
    assert reverse("service_o:index") not in client.get(reverse("accounts:home")).content.decode()
