"""Service N in a real browser (NF-1, NF-2, NF-5, NF-7): a resident signs in, switches to
English, files a change-of-contract notification (new contract), confirms it, sees it reach
登録完了 (Registered) and downloads its receipt; the pages pass axe-core."""

import datetime as dt
import importlib

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps

from tests.accounts.factories import UserFactory
from tests.cards.factories import make_card
from tests.e2e.accounts import sign_in_in_english
from tests.filings.pdftext import pdf_text
from zairyu.accounts.models import Category
from zairyu.core import clock
from zairyu.filings.models import Filing, FilingState
from zairyu.mail.models import Mail
from zairyu.reference import cache
from zairyu.reference.loader import load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """The reference rows (statuses, addresses, notification events) that an earlier
    transactional test's flush may have removed; loaded as the data migrations load them.
    (serialized_rollback does not help under Playwright: see test_resident_account.py.)"""
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


def test_nf1_nf5_nf7_resident_files_new_contract_in_english(live_server, page):
    card = make_card(
        number="SN12345678EN",
        roman_name="HOUMU TAROU",
        status_id="engineer_humanities_international",
    )
    user = UserFactory(
        username="Houmu-Sn01",
        category=Category.RESIDENT,
        person=card.person,
        valid_until=card.stay_until,
        language="en",
    )

    # Sign in, then switch the site to English with the header's language form.
    sign_in_in_english(page, live_server, user)

    # The notifications a 技術・人文知識・国際業務 holder files: the contract organization's.
    page.goto(live_server.url + "/notifications/")
    assert page.url.endswith("/notifications/new/")
    assert page.locator("html").get_attribute("lang") == "en"
    offered = page.locator("[data-event]").evaluate_all("els => els.map(e => e.dataset.event)")
    assert set(offered) == {
        "con_name_change",
        "con_address_change",
        "con_dissolution",
        "con_contract_end",
        "con_new_contract",
    }
    assert "municipal office" in page.locator("main").inner_text()  # what is filed elsewhere
    no_axe_violations(page)
    page.get_by_role("link", name="New contract with a contract organization").click()
    page.wait_for_load_state()

    # The input form: the registry's data, the deadline with the days left.
    main = page.locator("main")
    assert "SN12345678EN" in main.inner_text() and "HOUMU TAROU" in main.inner_text()
    assert "days left" in page.locator(".filing-deadline").inner_text()
    no_axe_violations(page)
    event_day = clock.today() - dt.timedelta(days=3)
    # A date in the future is refused, by the field and in the summary (FMT-7, FMT-8).
    page.fill("#id_event_date", (clock.today() + dt.timedelta(days=2)).isoformat())
    page.fill("#id_new_org_name", "株式会社新宿ソフト")
    page.fill("#id_new_org_address", "東京都新宿区西新宿2-8-1")
    page.fill("#id_new_activity", "システム開発")
    page.get_by_role("button", name="Continue to confirmation").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary a[href='#id_event_date']").count() == 1
    assert "in the future" in page.locator(".field--error").inner_text()
    no_axe_violations(page)
    page.fill("#id_event_date", event_day.isoformat())
    page.get_by_role("button", name="Continue to confirmation").click()
    page.wait_for_load_state()

    # The confirmation: the converted address, the deadline and the days left.
    assert "/notifications/confirm/" in page.url
    text = page.locator("main").inner_text()
    assert "東京都新宿区西新宿２−８−１" in text and "was converted" in text
    assert "days left" in page.locator(".filing-deadline").inner_text()
    no_axe_violations(page)
    page.get_by_role("button", name="Submit the notification").click()
    page.wait_for_load_state()

    # Registered (登録完了): the task ran after the submission committed.
    filing = Filing.objects.get()
    assert page.url.endswith(f"/notifications/{filing.pk}/")
    assert filing.state == FilingState.REGISTERED
    assert page.locator(".filing-state-cell").inner_text().startswith("Registered")
    assert filing.number in page.locator(".filing-number").inner_text()
    assert "株式会社新宿ソフト" in page.locator("main").inner_text()
    no_axe_violations(page)
    assert set(Mail.objects.filter(to_address=user.email).values_list("template", flat=True)) >= {
        "filing_received",
        "filing_registered",
    }

    # The back button and a reload of the confirmation do not file a second time.
    page.go_back()
    page.wait_for_load_state()
    page.reload()
    page.wait_for_load_state()
    assert page.url.endswith(f"/notifications/{filing.pk}/")
    assert Filing.objects.count() == 1

    # The receipt: a PDF that says 登録完了, fetched with the browser's session.
    href = page.get_by_role("link", name="Download the receipt (PDF)").get_attribute("href")
    response = page.request.get(live_server.url + href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    receipt = pdf_text(response.body())
    assert "登録完了" in receipt and filing.number in receipt
    assert "新たな契約機関との契約の締結" in receipt

    # The history lists it with its state.
    page.get_by_role("link", name="Your notifications (history)").click()
    page.wait_for_load_state()
    row = page.locator("table.filings-history tbody tr").first
    assert filing.number in row.inner_text() and "Registered" in row.inner_text()
    no_axe_violations(page)
