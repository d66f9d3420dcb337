"""Service O in a real browser (OF-1, OF-2, OF-4, BO-4): a specified skilled worker
organization signs in, files a difficulty-in-acceptance notification (form 3-4) — an error
shown by its field and in the summary first — confirms and submits it; an officer of the
bureau signs in with a TOTP code and completes it; the organization sees 完了 (Completed) and
can no longer change or withdraw it. The pages pass axe-core."""

import datetime as dt
import importlib

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps
from django.contrib.auth import get_user_model

from tests.accounts.factories import PASSWORD, UserFactory
from tests.e2e.accounts import sign_in_in_english
from tests.filings.factories import make_organization
from zairyu.accounts.models import Category, OrganizationAccount
from zairyu.backoffice.access import officer_group
from zairyu.cards.models import Organization
from zairyu.core import clock
from zairyu.filings.service_o.models import OFiling, OFilingState
from zairyu.mail.models import Mail
from zairyu.reference import cache
from zairyu.reference.loader import load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OFFICER_PASSWORD = "Officer-pass-2026!"


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Reference rows an earlier transactional test's flush may have removed (as in
    test_service_n.py): statuses, addresses, nationalities, the service O kinds and reasons."""
    base = importlib.import_module("zairyu.reference.migrations.0002_load_reference_data")
    for model_name, file_name in base.FILES:
        load(apps, model_name, file_name)
    events = importlib.import_module(
        "zairyu.reference.migrations.0004_load_procedures_fees_events_permissions"
    )
    events.forwards(apps, None)
    cache.clear()


def no_axe_violations(page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def ssw_account():
    organization = make_organization(
        kind=Organization.Kind.SSW_EMPLOYER, name="株式会社特定技能食堂"
    )
    user = UserFactory(
        username="Ssw-Shokudo01",
        category=Category.ORGANIZATION,
        uses_service_o=True,
        language="en",
        display_name=organization.name,
        last_used_at=clock.now(),
        password_changed_at=clock.now(),
    )
    OrganizationAccount.objects.create(
        user=user,
        organization=organization,
        registered_at=clock.now(),
        submitted_via="counter",
        submitter_name="担当者",
        staff_id_document="staff_card",
    )
    return user


def tokyo_officer():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    officer = get_user_model().objects.create_user(
        "officer-o1",
        password=OFFICER_PASSWORD,
        is_staff=True,
        category=Category.OFFICER,
        bureau_id="tokyo",
    )
    officer.groups.add(officer_group())
    device = TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    return officer, device


def test_of4_bo4_ssw_files_difficulty_in_acceptance_and_officer_completes(live_server, page):
    from django_otp.oath import TOTP

    user = ssw_account()
    officer, device = tokyo_officer()

    # The organization signs in and switches the site to English.
    sign_in_in_english(page, live_server, user)

    # My page leads to the organization filings; the SSW kinds are offered.
    page.goto(live_server.url + "/accounts/")
    page.get_by_role(
        "link", name="Notifications and reports of specified skilled worker", exact=False
    ).click()
    page.wait_for_load_state()
    offered = page.locator("[data-kind]").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert "ssw_acceptance_difficulty" in offered and "jli_38_withdrawals" not in offered
    no_axe_violations(page)
    page.get_by_role("link", name="Difficulty in acceptance").click()
    page.wait_for_load_state()

    # The input: a summary over 20 characters is refused by the field and in the summary.
    page.select_option("#id_reason", "worker_missing")
    page.fill("#id_event_date", (clock.today() - dt.timedelta(days=2)).isoformat())
    page.fill("#id_summary", "無断欠勤が続き連絡が取れない状態が一週間以上続いている")
    page.select_option("#id_worker_reachable", "no")
    page.fill("#id_measures", "警察に相談し、引き続き連絡を試みる")
    page.fill("#id_workers-0-card_number", "sw12345678kk")
    page.fill("#id_workers-0-roman_name", "nguyen van an")
    page.select_option("#id_workers-0-nationality", "VNM")
    page.fill("#id_workers-0-birth_date", "1998-04-01")
    page.select_option("#id_workers-0-sex", "M")
    page.get_by_role("button", name="Continue to confirmation").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary a[href='#id_summary']").count() == 1
    assert "at most 20 characters" in page.locator(".field--error").inner_text()
    no_axe_violations(page)
    page.fill("#id_summary", "無断欠勤が続き連絡が取れない")
    page.get_by_role("button", name="Continue to confirmation").click()
    page.wait_for_load_state()

    # The confirmation shows the content with the conversions; nothing is filed yet.
    assert "/service-o/confirm/" in page.url
    text = page.locator("main").inner_text()
    assert "SW12345678KK" in text and "NGUYEN VAN AN" in text and "Missing" in text
    assert "converted" in text
    assert not OFiling.objects.exists()
    no_axe_violations(page)
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_load_state()
    filing = OFiling.objects.get()
    assert page.url.endswith(f"/service-o/{filing.pk}/")
    assert filing.state == OFilingState.PENDING
    assert page.locator(".filing-state-cell").inner_text().startswith("Pending")
    no_axe_violations(page)
    # The back button and a reload do not file a second time.
    page.go_back()
    page.wait_for_load_state()
    page.reload()
    page.wait_for_load_state()
    assert OFiling.objects.count() == 1
    page.goto(live_server.url + "/accounts/")
    page.locator("main form[action='/accounts/logout/'] button").click()
    page.wait_for_load_state()

    # An officer of the Tokyo bureau signs in with a TOTP code and completes it.
    page.goto(live_server.url + "/backoffice/service-o/")
    page.wait_for_load_state()
    page.fill("#id_username", officer.username)
    page.fill("#id_password", OFFICER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    page.fill("#id_token", f"{token:06d}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert page.url.endswith("/backoffice/service-o/")
    assert filing.number in page.locator("main").inner_text()
    no_axe_violations(page)
    page.get_by_role("link", name=filing.number).click()
    page.wait_for_load_state()
    assert "無断欠勤が続き連絡が取れない" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Return for correction").count() == 0  # not JLI
    no_axe_violations(page)
    page.get_by_role("button", name="Complete", exact=True).click()
    page.wait_for_load_state()
    filing.refresh_from_db()
    assert filing.state == OFilingState.COMPLETED
    assert set(Mail.objects.filter(to_address=user.email).values_list("template", flat=True)) >= {
        "service_o_received",
        "service_o_completed",
    }
    page.locator("form.bo-nav__logout button").click()
    page.wait_for_load_state()

    # The organization sees it completed, with no change or withdrawal offered.
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_auth_id", user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(live_server.url + "/service-o/history/")
    row = page.locator("table.filings-history tbody tr").first
    assert filing.number in row.inner_text() and "Completed" in row.inner_text()
    assert "kept here for" in page.locator(".service-o-retention").inner_text()
    no_axe_violations(page)
    page.get_by_role("link", name=filing.number).click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Change the filing").count() == 0
    assert page.get_by_role("link", name="Withdraw the filing").count() == 0
