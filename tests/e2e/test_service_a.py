"""Service A in a real browser (A-3, A-6, A-7, A-9, A-10, A-11): a company staff member files an
extension of the period of stay for an employee with a PDF and a photo, signs out half-way (the
draft was saved as they typed), signs in again, finds the draft in the list, resumes at the step
where they left, submits, and sees the receipt number; the back button files nothing twice and
the pages pass axe-core."""

import datetime as dt
import importlib
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps

from tests.accounts.factories import PASSWORD
from tests.applications import uploads_fixtures as f
from tests.applications.factories import make_organization_staff
from tests.cards.factories import make_card
from tests.e2e.accounts import sign_in_in_english
from zairyu.applications import services
from zairyu.applications.models import Application, ApplicationState
from zairyu.core import clock
from zairyu.mail.models import Mail
from zairyu.reference import cache
from zairyu.reference.loader import load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """The reference rows an earlier transactional test's flush may have removed (see
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
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.ZAIRYU_SERVICE_A_ALLOWED_NETWORKS = []


def no_axe_violations(page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def sign_in(page, base_url, user):
    page.goto(base_url + "/accounts/login/")
    page.fill("#id_auth_id", user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def next_step(page):
    page.locator("main button[name=action][value=next]").click()
    page.wait_for_load_state()


def test_a3_a9_a10_staff_files_an_extension_with_a_break_in_the_middle(live_server, page):
    user, organization = make_organization_staff()
    end = clock.today() + dt.timedelta(days=60)
    make_card(
        number="EA12345678EX",
        roman_name="NGUYEN VAN AN",
        nationality_id="VNM",
        birth_date=dt.date(1995, 7, 1),
        sex="M",
        stay_until=end,
        card_valid_until=end,
    )
    base = live_server.url

    # Sign in, switch to English, and open the applications from My page.
    sign_in_in_english(page, live_server, user)
    page.get_by_role("link", name="Residence applications (在留申請)").click()
    page.wait_for_load_state()
    assert page.url.endswith("/applications/")
    no_axe_violations(page)
    page.get_by_role("link", name="Start a new application").click()
    page.wait_for_load_state()

    # STEP1: the procedure and the status; the step indicator marks STEP1.
    assert "STEP1" in page.locator("li[aria-current=step]").inner_text()
    no_axe_violations(page)
    page.get_by_label("Extension of period of stay").check()
    page.select_option("#id_status", "engineer_humanities_international")
    page.select_option("#id_period_requested", "P1Y")
    next_step(page)

    # STEP2-1: a wrong date first (shown by the field and in the summary), then right.
    assert "STEP2-1" in page.locator("li[aria-current=step]").inner_text()
    page.select_option("#id_nationality", "VNM")
    page.fill("#id_roman_name", "nguyen van an")
    page.select_option("#id_sex", "M")
    page.fill("#id_birth_date", (clock.today() + dt.timedelta(days=3)).isoformat())
    page.select_option("#id_prefecture", "13")
    # The municipality pull-down is filled by the script when the prefecture changes.
    page.wait_for_function("document.querySelectorAll('#id_municipality option').length > 10")
    page.select_option("#id_municipality", "13101")
    page.fill("#id_address", "霞が関1-1-1")
    next_step(page)
    assert page.locator(".error-summary a[href='#id_birth_date']").count() == 1
    assert page.locator("#id_roman_name").input_value() == "NGUYEN,VAN,AN"  # kept, converted
    no_axe_violations(page)
    page.fill("#id_birth_date", "1995-07-01")
    next_step(page)

    # STEP2-2: typed, saved while typing ... and then the user walks away.
    assert "STEP2-2" in page.locator("li[aria-current=step]").inner_text()
    application = Application.objects.get()
    assert page.url.endswith(f"/applications/{application.pk}/step/personal2/")
    page.fill("#id_card_number", "ea12345678ex")
    page.fill("#id_card_valid_until", end.isoformat())
    status = page.locator("[data-autosave-status]")
    status.filter(has_text="Draft saved at").wait_for(timeout=10_000)
    application.refresh_from_db()
    assert application.content["personal2"]["card_number"].upper() == "EA12345678EX"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()

    # A new session: the draft is in the list and resumes at STEP2-2 with what was typed.
    sign_in(page, base, user)
    page.goto(base + "/applications/?state=draft")
    row = page.locator(f"tr[data-application='{application.pk}']")
    assert "Entered (not yet submitted)" in row.inner_text()
    row.get_by_role("link", name=re.compile("^Continue")).click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/applications/{application.pk}/step/personal2/")
    assert page.locator("#id_card_number").input_value().upper() == "EA12345678EX"
    next_step(page)

    # STEP2-3: the staff member's own organization, filled in.
    assert "STEP2-3" in page.locator("li[aria-current=step]").inner_text()
    assert page.locator("#id_organization_name").input_value() == organization.name
    no_axe_violations(page)
    next_step(page)

    # STEP3: a PDF labelled with its kind, a photo ("check photo"), receipt, e-mail.
    assert "STEP3" in page.locator("li[aria-current=step]").inner_text()
    page.select_option("#id_kind", "employment")
    page.set_input_files(
        "#id_file",
        {"name": "contract.pdf", "mimeType": "application/pdf", "buffer": f.good_pdf()},
    )
    page.get_by_role("button", name="Attach the PDF").click()
    page.wait_for_load_state()
    assert "contract.pdf" in page.locator("table.applications-documents").inner_text()
    page.set_input_files(
        "#id_photo", {"name": "face.jpg", "mimeType": "image/jpeg", "buffer": f.jpeg()}
    )
    page.get_by_role("button", name="Attach the photo").click()
    page.wait_for_load_state()
    assert page.locator(".applications-photo img").evaluate("img => img.naturalWidth") > 0
    page.get_by_label("By post").check()
    page.fill("#id_applicant_email", "nguyen@example.jp")
    no_axe_violations(page)
    next_step(page)

    # The confirmation: everything, with the fee; then "Submit to the agency".
    assert page.url.endswith(f"/applications/{application.pk}/confirm/")
    text = page.locator("main").inner_text()
    assert "EA12345678EX" in text and "contract.pdf" in text and "5,500" in text
    no_axe_violations(page)
    page.get_by_role("button", name="Submit to the agency").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/applications/{application.pk}/done/")
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    assert application.provisional_number in page.locator("main").inner_text()
    no_axe_violations(page)

    # The receipt number: assigned by the task on commit (eager here); the sweep would do it
    # within a minute otherwise. Either way the page shows it.
    if not application.receipt_number:
        services.receipt_number_assign(application_id=application.pk)
        application.refresh_from_db()
    assert application.receipt_number.startswith("東オン更")
    page.reload()
    page.wait_for_load_state()
    assert application.receipt_number in page.locator(".applications-receipt-number").inner_text()
    assert "application_submitted" in set(
        Mail.objects.filter(to_address=user.email).values_list("template", flat=True)
    )

    # The back button and a reload of the confirmation do not file a second time.
    page.go_back()
    page.wait_for_load_state()
    page.reload()
    page.wait_for_load_state()
    assert Application.objects.count() == 1
    assert application.versions.count() == 1

    # The list shows it with its receipt number; the content page has the timeline.
    page.goto(base + "/applications/")
    row = page.locator(f"tr[data-application='{application.pk}']")
    assert application.receipt_number in row.inner_text() and "Submitted" in row.inner_text()
    no_axe_violations(page)
    row.get_by_role("link", name=application.receipt_number).click()
    page.wait_for_load_state()
    assert "State: Submitted" in page.locator(".applications-timeline").inner_text()
    no_axe_violations(page)
