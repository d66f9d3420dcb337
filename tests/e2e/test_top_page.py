"""The top page in a real browser: Japanese first, English after the switch, no axe violations."""

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_top_page_switches_from_japanese_to_english(live_server, page):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "ja"
    heading_ja = page.locator("h1").inner_text()
    assert "在留手続" in page.locator(".site-name").inner_text()

    page.get_by_label("Language", exact=False).select_option("en")
    page.get_by_role("button", name="言語を変更").click()
    page.wait_for_load_state()

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Immigration procedures online"
    assert page.locator("h1").inner_text() != heading_ja
    assert page.get_by_text("Online Residence Application System").first.is_visible()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_ux2_top_page_has_no_accessibility_violations(live_server, page, language):
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto(live_server.url + "/")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_ux2_keyboard_user_reaches_main_content_by_the_skip_link(live_server, page):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
