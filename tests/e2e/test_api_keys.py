"""UX-5 in a real browser: a university issues an API key on its My page, its system then
calls the running API with it, and a revoked key is refused at once. axe-core finds no
violations on the keys page."""

import json
import urllib.error
import urllib.request

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.accounts import sign_in_in_english, university_account

from .test_bulk import reference_data  # noqa: F401  (the reference rows, restored)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _get(url: str, key: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (live server)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_ux5_university_issues_a_key_its_system_uses_it_then_revokes_it(live_server, page):
    user = university_account("Houmu-Univ02")
    sign_in_in_english(page, live_server, user)

    page.goto(live_server.url + "/accounts/")
    page.get_by_role("link", name="API keys (for your systems)").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Issue a key").click()  # no name: the field says so
    page.wait_for_load_state()
    assert page.locator("#id_name-error, .errorlist, [role=alert]").first.is_visible()
    page.fill("#id_name", "学務システム")
    page.get_by_role("button", name="Issue a key").click()
    page.wait_for_load_state()
    key = page.locator("code.api-key").inner_text().strip()
    assert key.startswith("zr_")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()

    status, kinds = _get(live_server.url + "/api/v1/bulk/kinds", key)
    assert status == 200 and any(k["service"] == "N" for k in kinds)

    page.reload()
    assert key not in page.content()  # shown once
    page.get_by_role("button", name="Revoke “学務システム”").click()
    page.wait_for_load_state()
    assert "Revoked" in page.content()
    status, problem = _get(live_server.url + "/api/v1/bulk/kinds", key)
    # A refused key has no account, so no account language: Japanese, as the pages.
    assert status == 401 and "APIキー" in problem["detail"]
