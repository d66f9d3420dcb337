"""Accounts the browser tests sign in with, and the sign-in itself (as a user does it)."""

from tests.accounts.factories import PASSWORD
from tests.filings.factories import make_organization_account
from zairyu.cards.models import Organization


def university_account(username: str):
    """A university registered for notifications (service N), its pages in English, with the
    auth ID ``username``."""
    user, _organization = make_organization_account(
        kind=Organization.Kind.UNIVERSITY, name="法務大学", language="en"
    )
    user.username = username
    user.save(update_fields=["username"])
    return user


def sign_in_in_english(page, live_server, user) -> None:
    """Switch the log-in page to English, then sign in with the test password."""
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Language", exact=False).select_option("en")
    page.get_by_role("button", name="言語を変更").click()
    page.wait_for_load_state()
    page.fill("#id_auth_id", user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
