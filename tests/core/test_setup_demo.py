"""setup_demo prints its links with the site's address (SITE_URL), not a fixed local one."""

import io
import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_ref5_setup_demo_links_use_the_site_url(settings, tmp_path):
    settings.ZAIRYU_SITE_URL = "https://demo.zairyu.example/"
    settings.ZAIRYU_JPKI_TEST_CA_DIR = str(tmp_path / "jpki")
    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    text = out.getvalue()
    assert "127.0.0.1" not in text and "localhost" not in text
    links = re.findall(r"https?://[^\s)]+", text)
    assert len(links) >= 7
    assert all(link.startswith("https://demo.zairyu.example/") for link in links), links
    assert "//admin" not in text and "//accounts" not in text
    for path in ("/admin/", "/demo/mailbox/", "/backoffice/", "/accounts/login/"):
        assert f"https://demo.zairyu.example{path}" in text
