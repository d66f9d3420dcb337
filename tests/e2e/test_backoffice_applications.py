"""Back office in a real browser (BO-1, BO-5, A-6, A-13): an officer of the Tokyo bureau signs
in with a TOTP code, opens the day's queue, examines an application, requests a document; the
filer adds it (re-attachment); the officer approves, records the papers received and the
issuance. The pages pass axe-core."""

import datetime as dt
import importlib

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps
from django.contrib.auth import get_user_model

from tests.applications import uploads_fixtures as f
from tests.applications.officer_fixtures import make_submitted
from zairyu.accounts.models import Category
from zairyu.applications import services
from zairyu.applications.models import Application, ApplicationState
from zairyu.backoffice.access import officer_group
from zairyu.cards.models import ResidenceCard
from zairyu.core import clock
from zairyu.mail.models import Mail
from zairyu.reference import cache
from zairyu.reference.loader import load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OFFICER_PASSWORD = "Officer-pass-2026!"
S = ApplicationState


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Reference rows an earlier transactional test's flush may have removed (as in
    test_service_n.py)."""
    base = importlib.import_module("zairyu.reference.migrations.0002_load_reference_data")
    for model_name, file_name in base.FILES:
        load(apps, model_name, file_name)
    events = importlib.import_module(
        "zairyu.reference.migrations.0004_load_procedures_fees_events_permissions"
    )
    events.forwards(apps, None)
    cache.clear()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def no_axe_violations(page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def tokyo_officer():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    officer = get_user_model().objects.create_user(
        "officer-a1",
        password=OFFICER_PASSWORD,
        is_staff=True,
        category=Category.OFFICER,
        bureau_id="tokyo",
    )
    officer.groups.add(officer_group())
    device = TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    return officer, device


def test_bo5_officer_examines_requests_a_document_approves_and_issues(live_server, page):
    from django_otp.oath import TOTP

    application = make_submitted(procedure="extension", receipt_method="post")
    filer = application.filer
    number = application.receipt_number
    officer, device = tokyo_officer()

    # The officer signs in with a TOTP code and lands on the day's queue.
    page.goto(live_server.url + "/backoffice/applications/")
    page.get_by_label("Language", exact=False).select_option("en")
    page.get_by_role("button", name="言語を変更").click()
    page.wait_for_load_state()
    page.fill("#id_username", officer.username)
    page.fill("#id_password", OFFICER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    page.fill("#id_token", f"{token:06d}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert page.url.endswith("/backoffice/applications/")
    assert "Today's work" in page.locator("main h2").first.inner_text()
    assert number in page.locator("main table").inner_text()
    no_axe_violations(page)

    # Open it and start the examination.
    page.get_by_role("link", name=number).click()
    page.wait_for_load_state()
    no_axe_violations(page)
    page.get_by_role("button", name="Open the examination").click()
    page.wait_for_load_state()
    assert "The examination is open" in page.locator("main").inner_text()

    # Request a document: empty first (error by the field and in the summary), then the text.
    page.get_by_role("button", name="Request the documents").click()
    page.wait_for_load_state()
    assert "Documents requested is empty" in page.locator(".bo-error-summary").inner_text()
    assert page.locator("#id_request_documents-text").get_attribute("aria-invalid") == "true"
    page.fill("#id_request_documents-text", "在職証明書（直近のもの）")
    page.get_by_role("button", name="Request the documents").click()
    page.wait_for_load_state()
    assert "re-attachment is open" in page.locator("main").inner_text()

    # The filer adds the document (re-attachment, A-6 / 002 Q4-5).
    application.refresh_from_db()
    services.document_add(
        user=filer,
        application=application,
        kind="additional",
        upload=f.upload(f.good_pdf(), "在職証明書.pdf"),
    )

    # The officer sees it and approves.
    page.reload()
    page.wait_for_load_state()
    assert "在職証明書.pdf" in page.locator("#documents ~ table").first.inner_text()
    page.fill("#id_approve-period_granted", "P1Y")
    page.fill(
        "#id_approve-stay_until_granted", (clock.today() + dt.timedelta(days=365)).isoformat()
    )
    page.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert "Approved; the filer was mailed" in main and "Awaiting issuance" in main
    assert "What the filer sends by post" in main
    no_axe_violations(page)

    # Papers received, then the issuance with the new card's number.
    page.get_by_role("button", name="Record the papers received").click()
    page.wait_for_load_state()
    page.fill("#id_issue-card_number", "EE12345678FF")
    page.get_by_role("button", name="Record the issuance").click()
    page.wait_for_load_state()
    assert "The issuance is recorded" in page.locator("main").inner_text()
    application.refresh_from_db()
    assert application.state == S.COMPLETED
    assert ResidenceCard.objects.get(number="EE12345678FF").person_id == filer.person_id
    sent = set(Mail.objects.filter(to_address=filer.email).values_list("template", flat=True))
    assert {
        "officer_examination_opened",
        "officer_documents_requested",
        "officer_approved_post",
        "officer_papers_received",
        "officer_issued",
    } <= sent
    assert (
        Application.objects.get(pk=application.pk)
        .documents.filter(requested_by_office=True)
        .count()
        == 1
    )
