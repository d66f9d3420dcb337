"""ID-1, ID-15 in a real browser: a resident registers, signs in, changes the password and signs
out — once in Japanese and once in English (switched with the header's language form)."""

import importlib

import pytest
from django.apps import apps

from zairyu.reference.loader import load

from ..cards.factories import make_card

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """The reference rows the card registry needs, which an earlier transactional test's flush
    may have removed. (serialized_rollback does not help here: under Playwright's event loop
    Django's connection is another object than the one the serialized copy was kept on.)"""
    migration = importlib.import_module("zairyu.reference.migrations.0002_load_reference_data")
    for model_name, file_name in migration.FILES:
        load(apps, model_name, file_name)


PASSWORD = "Kasumi#2026seki"
NEW_PASSWORD = "Sakura!2027mon"


def switch_to_english(page):
    page.get_by_label("Language", exact=False).select_option("en")
    page.get_by_role("button", name="言語を変更").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"


def submit(page):
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize(
    "language, number, auth_id",
    [("ja", "EJ12345678JA", "Houmu-Ja01"), ("en", "EN12345678EN", "Houmu-En01")],
)
def test_id1_id15_resident_registers_signs_in_changes_password_and_signs_out(
    live_server, page, language, number, auth_id
):
    card = make_card(number=number, roman_name="HOUMU TAROU")
    page.goto(live_server.url + "/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "ja"
    if language == "en":
        switch_to_english(page)

    # Registration (ID-1), reached from the sign-in page's link.
    page.locator("main a[href='/accounts/register/']").click()
    page.wait_for_load_state()
    assert page.url.endswith("/accounts/register/")
    page.fill("#id_number", number.lower())
    page.fill("#id_roman_name", "houmu, tarou")
    page.select_option("#id_nationality", card.nationality_id)
    page.fill("#id_birth_date", card.birth_date.isoformat())
    page.select_option("#id_sex", card.sex)
    page.fill("#id_email", f"{auth_id.lower()}@example.jp")
    page.fill("#id_email_again", f"{auth_id.lower()}@example.jp")
    assert page.locator("#id_language").input_value() == language  # mails follow the page
    page.fill("#id_auth_id", auth_id)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password_again", PASSWORD)
    submit(page)

    assert page.url.endswith("/accounts/register/done/")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator(".resident-auth-id").inner_text() == auth_id
    assert "HOUMU TAROU" in page.locator("main").inner_text()  # the conversion is shown
    assert PASSWORD not in page.content()

    # Sign in with the new auth ID.
    page.locator("main a[href='/accounts/login/']").click()
    page.wait_for_load_state()
    page.fill("#id_auth_id", auth_id)
    page.fill("#id_password", PASSWORD)
    submit(page)
    assert page.url.endswith("/accounts/")
    assert auth_id in page.locator("main").inner_text()

    # Change the password (ID-15).
    page.locator("main a[href='/accounts/me/password/']").click()
    page.wait_for_load_state()
    page.fill("#id_current_password", PASSWORD)
    page.fill("#id_new_password", NEW_PASSWORD)
    page.fill("#id_new_password_again", NEW_PASSWORD)
    submit(page)
    assert page.url.endswith("/accounts/me/")
    assert page.locator(".message--success").count() == 1
    assert page.locator("html").get_attribute("lang") == language

    # Sign out from the header.
    page.locator("header .account-nav button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url.rstrip("/") == live_server.url
    assert page.locator(".message--success").count() == 1

    # The new password works, the old one no longer does.
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_auth_id", auth_id)
    page.fill("#id_password", PASSWORD)
    submit(page)
    assert page.url.endswith("/accounts/login/")
    page.fill("#id_auth_id", auth_id)
    page.fill("#id_password", NEW_PASSWORD)
    submit(page)
    assert page.url.endswith("/accounts/")


@pytest.mark.parametrize("path", ["/accounts/register/", "/accounts/renotify/"])
def test_ux2_resident_pages_have_no_accessibility_violations(live_server, page, path):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(live_server.url + path)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    # The same page showing its errors (summary, marked fields).
    submit(page)
    assert page.locator(".error-summary").count() >= 1
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
