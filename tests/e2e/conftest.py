"""Browser tests: Playwright for Python driving Debian's chromium (no browser downloads here)."""

import os
import shutil
import subprocess

import pytest

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _missing() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    fc_list = shutil.which("fc-list")
    if fc_list:
        fonts = subprocess.run([fc_list], capture_output=True, text=True).stdout
        if "ipaex" not in fonts.lower():
            return "the Japanese font is missing (apt-get install fonts-ipaexfont-gothic)"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _missing()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Browser tests cannot run in CI: {reason}")
        pytest.skip(f"Browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    # bypass_csp lets axe-core inject its script; the site's own pages never need it.
    # An English-speaking browser: the site still opens in Japanese until the user switches.
    context = browser.new_context(bypass_csp=True, locale="en-US")
    page = context.new_page()
    yield page
    context.close()
