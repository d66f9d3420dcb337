"""Back-office pages for applications (BO-1, BO-5, A-11, A-13): queues, search, the full view
(audited), the actions over HTTP, downloads, and the jurisdiction (another office → 404)."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from tests.applications.factories import make_draft, make_foreign_national
from tests.applications.officer_fixtures import (
    add_requested_document,
    card_in,
    make_submitted,
    officer_of,
)
from zairyu.applications import officer as officer_services
from zairyu.applications.models import Application, ApplicationState
from zairyu.audit.models import AuditEvent
from zairyu.core import clock
from zairyu.mail.models import Mail

S = ApplicationState
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded files go to a temporary folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def tokyo(client, sign_in_officer):
    user = officer_of("tokyo")
    sign_in_officer(client, user)
    return user


def url(name, *args):
    from django.urls import reverse

    return reverse(f"bo_applications:{name}", args=args)


def osaka_application():
    card = card_in("27", "27102")
    user, _ = make_foreign_national(card=card)
    return make_submitted(filer=user, card=card)


def test_bo1_bo5_queue_shows_the_days_work_of_the_officers_office(client, tokyo):
    waiting = make_submitted()
    other = osaka_application()
    response = client.get(url("queue"))
    assert response.status_code == 200
    text = response.content.decode()
    assert waiting.receipt_number in text and other.receipt_number not in text
    assert "Today&#x27;s work (1)" in text or "Today's work (1)" in text
    event = AuditEvent.objects.filter(action="applications.application.listed").latest("id")
    assert event.after["applications"] == [waiting.pk] and event.after["list"] == "today"
    examining = client.get(url("queue") + "?state=examining")
    assert waiting.receipt_number not in examining.content.decode()
    assert client.get(url("queue") + "?state=nonsense").status_code == 404


def test_bo1_another_office_or_a_draft_is_not_found(client, tokyo):
    other = osaka_application()
    user, card = make_foreign_national()
    draft = make_draft(filer=user, card=card, bureau_id="tokyo")
    for application in (other, draft):
        assert client.get(url("detail", application.pk)).status_code == 404
        assert client.post(url("act", application.pk, "examine")).status_code == 404
        assert client.get(url("fee_slip", application.pk)).status_code == 404
    assert not AuditEvent.objects.filter(action="applications.application.viewed").exists()


def test_bo1_pages_need_an_officer_with_a_second_factor(client):
    application = make_submitted()
    response = client.get(url("detail", application.pk))
    assert response.status_code == 302 and "/backoffice/login/" in response["Location"]
    client.force_login(application.filer)
    assert client.get(url("detail", application.pk)).status_code == 403
    unverified = officer_of("tokyo")
    client.force_login(unverified)
    assert client.get(url("queue")).status_code == 302  # to the TOTP step


def test_bo1_bo5_full_view_is_audited_with_documents_photo_versions_and_timeline(client, tokyo):
    application = make_submitted()
    document = add_requested_document(application, name="在職証明書.pdf")
    response = client.get(url("detail", application.pk))
    assert response.status_code == 200
    text = response.content.decode()
    assert application.receipt_number in text and "在職証明書.pdf" in text
    assert "Version 1" in text and "Timeline" in text and "Submitted" in text
    assert AuditEvent.objects.filter(
        action="applications.application.viewed",
        object_id=str(application.pk),
        actor_id=str(tokyo.pk),
    ).exists()
    download = client.get(url("document", application.pk, document.pk))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="applications.application.document_viewed").exists()
    other = osaka_application()
    assert client.get(url("document", other.pk, document.pk)).status_code == 404
    assert client.get(url("photo", application.pk)).status_code == 404  # none attached


def test_bo5_officer_examines_requests_approves_and_issues_over_http(client, tokyo):
    application = make_submitted(procedure="extension", receipt_method="post")
    assert client.post(url("act", application.pk, "examine")).status_code == 302
    response = client.post(
        url("act", application.pk, "request_documents"), {"request_documents-text": ""}
    )
    assert response.status_code == 400
    assert "Documents requested is empty" in response.content.decode()
    client.post(
        url("act", application.pk, "request_documents"), {"request_documents-text": "在職証明書"}
    )
    assert Application.objects.get(pk=application.pk).reattachment_open

    bad = client.post(
        url("act", application.pk, "approve"),
        {"approve-period_granted": "a year", "approve-stay_until_granted": ""},
    )
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "problem to fix" in page and "ISO 8601" in page
    stay_until = (clock.today() + dt.timedelta(days=365)).isoformat()
    done = client.post(
        url("act", application.pk, "approve"),
        {"approve-period_granted": "P1Y", "approve-stay_until_granted": stay_until},
        follow=True,
    )
    text = done.content.decode()
    assert "Approved; the filer was mailed" in text
    assert "What the filer sends by post" in text and "Fee payment slip" in text
    slip = client.get(url("fee_slip", application.pk))
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")

    client.post(url("act", application.pk, "papers"), {"papers-note": "簡易書留で到着"})
    client.post(url("act", application.pk, "issue"), {"issue-card_number": "QQ98765432RR"})
    application.refresh_from_db()
    assert application.state == S.COMPLETED and application.issued_at
    assert Mail.objects.filter(
        template="officer_issued", to_address=application.filer.email
    ).exists()


def test_bo5_an_action_the_state_does_not_allow_is_refused_on_the_page(client, tokyo):
    application = make_submitted()
    response = client.post(url("act", application.pk, "deny"), {"deny-reason": "理由"})
    assert response.status_code == 400
    assert "not possible while the application is" in response.content.decode()
    assert Application.objects.get(pk=application.pk).state == S.SUBMITTED
    assert client.post(url("act", application.pk, "explode")).status_code == 404
    assert client.get(url("act", application.pk, "examine")).status_code == 405


def test_bo5_withdrawal_and_receipt_method_change_on_request(client, tokyo):
    application = make_submitted(receipt_method="post")
    changed = client.post(
        url("act", application.pk, "receipt_method"), {"receipt_method-method": "counter"}
    )
    assert changed.status_code == 302
    assert Application.objects.get(pk=application.pk).receipt_method == "counter"
    client.post(url("act", application.pk, "withdraw"), {"withdraw-note": "電話で申出"})
    application.refresh_from_db()
    assert application.state == S.WITHDRAWN
    page = client.get(url("detail", application.pk)).content.decode()
    assert "Record the withdrawal" not in page and "電話で申出" in page


def _offered_options(page: str) -> list[str]:
    import re

    select = re.search(r'<select name="receipt_method-method".*?</select>', page, re.S)
    assert select, "the receipt-method form is on the page"
    return re.findall(r'<option value="([^"]*)"', select.group(0))


def test_a8_bo5_receipt_method_dropdown_offers_only_what_the_office_may_set(client, tokyo):
    from zairyu.applications import rules

    extension = make_submitted(receipt_method="post")
    offered = rules.office_receipt_methods(
        extension.procedure_id, **rules.application_receipt_facts(extension)
    )
    options = _offered_options(client.get(url("detail", extension.pk)).content.decode())
    assert options == [str(m) for m in offered] and "email" not in options
    # A stale page posting e-mail is refused on the page and nothing changes.
    refused = client.post(
        url("act", extension.pk, "receipt_method"), {"receipt_method-method": "email"}
    )
    assert refused.status_code == 400
    assert "email" not in _offered_options(refused.content.decode())
    assert Application.objects.get(pk=extension.pk).receipt_method == "post"
    # A COE is offered e-mail and post, and the counter the office arranges (002 Q7-1).
    certificate = make_submitted(procedure="coe", receipt_method="email")
    options = _offered_options(client.get(url("detail", certificate.pk)).content.decode())
    assert options == ["email", "post", "counter"]


def test_bo1_search_keeps_criteria_out_of_the_url(client, tokyo):
    application = make_submitted()
    other = osaka_application()
    empty = client.post(url("search"), {})
    assert empty.status_code == 400 and "Enter at least one criterion" in empty.content.decode()
    response = client.post(url("search"), {"name": application.applicant_name.split()[0]})
    assert response.status_code == 302 and response["Location"] == url("search")
    results = client.get(url("search")).content.decode()
    assert application.receipt_number in results and other.receipt_number not in results
    by_number = client.post(url("search"), {"number": application.receipt_number[-4:]}, follow=True)
    assert application.receipt_number in by_number.content.decode()
    event = AuditEvent.objects.filter(action="applications.application.listed").latest("id")
    assert event.after["list"] == "search"


def test_a14_officer_revokes_an_ecoe_on_its_page(client, tokyo):
    from tests.applications.factories import make_organization_staff

    staff, organization = make_organization_staff()
    application = make_submitted(
        filer=staff,
        procedure="coe",
        receipt_method="email",
        bureau="tokyo",
        organization=organization,
    )
    officer_services.examination_open(officer=tokyo, application=application)
    officer_services.application_approve(
        officer=tokyo, application=application, period_granted="P1Y"
    )
    pdf = client.get(url("coe_pdf", application.pk))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    refused = client.post(url("act", application.pk, "coe_revoke"), {"coe_revoke-reason": ""})
    assert refused.status_code == 400
    client.post(url("act", application.pk, "coe_revoke"), {"coe_revoke-reason": "入国予定なし"})
    application.refresh_from_db()
    assert application.coe_revoked_at
    assert AuditEvent.objects.filter(action="applications.application.coe_revoked").exists()


def test_bo1_home_links_to_applications_for_officers_only(client, tokyo, sign_in_officer):
    from zairyu.backoffice.access import role_group

    assert url("queue") in client.get("/backoffice/").content.decode()
    desk = get_user_model().objects.create_user("desk1", password="x", is_staff=True)
    desk.groups.add(role_group("helpdesk"))
    sign_in_officer(client, desk)
    home = client.get("/backoffice/")
    assert home.status_code == 200 and url("queue") not in home.content.decode()
    assert client.get(url("queue")).status_code == 403
