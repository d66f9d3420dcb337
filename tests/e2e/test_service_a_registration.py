"""ID-3 in a real browser: a foreign national registers with a demo My Number card, proving
possession with the "Sign with the demo card" button — once in Japanese and once in English —
then, after setting the password and signing in, binds the renewed demo card by pasting a
signature made with `manage.py sign_demo_challenge`, in a browser with JavaScript switched off.
The card pages pass axe-core."""

import io
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from zairyu.accounts.models import IdentityCertificate, User
from zairyu.mail.models import Mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Kasumi#2026seki"
LINK = re.compile(r"https?://[^/\s]+(/accounts/service-a/password/set/\S+/)")


@pytest.fixture(scope="session")
def demo_directory(tmp_path_factory):
    directory = tmp_path_factory.mktemp("demo-jpki-e2e")
    call_command("issue_demo_certificates", directory=str(directory), stdout=io.StringIO())
    return directory


@pytest.fixture(autouse=True)
def demo(settings, demo_directory):
    """The demo's settings: the bundled test CA and its demo cards are trusted."""
    settings.ZAIRYU_JPKI_TEST_CA = True
    settings.ZAIRYU_JPKI_TEST_CA_DIR = demo_directory
    settings.ZAIRYU_JPKI_TRUST_ANCHORS = []
    settings.ZAIRYU_JPKI_CRLS = []
    return demo_directory


def no_axe_violations(page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def switch_to_english(page):
    page.get_by_label("Language", exact=False).select_option("en")
    page.get_by_role("button", name="言語を変更").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"


def submit(page, selector="main form.form button[type=submit]:not([name])"):
    page.locator(selector).click()
    page.wait_for_load_state()


@pytest.mark.parametrize(
    ("language", "auth_id", "email"),
    [("ja", "Wang-Ja01", "wang-ja@example.jp"), ("en", "Wang-En01", "wang-en@example.jp")],
)
def test_id3_register_with_the_demo_card_then_rebind_without_javascript(
    live_server, page, browser, demo, language, auth_id, email
):
    page.goto(live_server.url + "/accounts/service-a/register/")
    if language == "en":
        switch_to_english(page)
    page.locator(
        "main a[href='/accounts/service-a/register/foreign_national/certificate/']"
    ).click()
    page.wait_for_load_state()

    # Step 1: the certificate and the card's signature of the challenge shown.
    challenge = page.locator("input[name=challenge]").get_attribute("value")
    assert challenge in page.locator("#challenge-message").inner_text()
    no_axe_violations(page)
    page.set_input_files("#id_certificate", str(demo / "cards" / "wang-xiaoming.pem"))
    submit(page, "main button[name=action][value=demo_sign]")
    assert page.url.endswith("/accounts/service-a/register/foreign_national/details/")

    # Step 2: the details from the card, the e-mail and the auth ID.
    assert "ＷＡＮＧ　ＸＩＡＯＭＩＮＧ" in page.locator("main").inner_text()
    no_axe_violations(page)
    page.fill("#id_email", email)
    page.fill("#id_email_again", email)
    page.fill("#id_auth_id", auth_id)
    submit(page)
    assert page.url.endswith("/accounts/service-a/register/sent/")
    user = User.objects.get(username=auth_id)
    assert IdentityCertificate.objects.get(user=user).holder_name == "ＷＡＮＧ　ＸＩＡＯＭＩＮＧ"

    # The mailed link sets the password (Q2-5).
    mail = Mail.objects.get(template="service_a_registered", to_address=email)
    page.goto(live_server.url + LINK.search(mail.body).group(1))
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password_again", PASSWORD)
    submit(page)

    # Re-binding the renewed card in a browser without JavaScript, the signature pasted from
    # the demo signing command, as the JPKI software's would be.
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    plain = context.new_page()
    try:
        plain.goto(live_server.url + "/accounts/login/")
        plain.fill("#id_auth_id", auth_id)
        plain.fill("#id_password", PASSWORD)
        submit(plain, "main form button[type=submit]")
        plain.goto(live_server.url + "/accounts/service-a/certificate/")
        challenge = plain.locator("input[name=challenge]").get_attribute("value")
        signed = io.StringIO()
        call_command(
            "sign_demo_challenge", "wang-xiaoming-renewed", challenge, flow="rebind", stdout=signed
        )
        renewed = demo / "cards" / "wang-xiaoming-renewed.pem"
        plain.set_input_files("#id_certificate", str(renewed))
        plain.fill("#id_signature", signed.getvalue().strip())
        submit(plain)
        assert plain.url.endswith("/accounts/me/")
    finally:
        context.close()
    current = IdentityCertificate.objects.get(user=user, current=True)
    assert IdentityCertificate.objects.filter(user=user).count() == 2
    assert Mail.objects.filter(template="identity_certificate_rebound", to_address=email).exists()
    assert current.not_after > IdentityCertificate.objects.get(user=user, current=False).not_after
