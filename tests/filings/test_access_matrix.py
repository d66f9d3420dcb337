"""SEC-1 for service N: every filing URL × every role; missing and forbidden look the same."""

import pytest
from django.urls import reverse

from tests.backoffice.conftest import verify_second_factor

from .factories import make_officer, make_organization_account, make_resident
from .test_services import proxy

RESIDENT_URLS = ["filings:detail", "filings:receipt"]
OFFICER_URLS = ["backoffice:filing_detail"]


@pytest.fixture
def world(engineer, company):
    """A proxy filing: the resident's, filed by the company, in the Tokyo bureau."""
    resident, card = engineer
    org_user, _ = company
    filing = proxy(org_user, card)
    return {
        "filing": filing,
        "anonymous": None,
        "resident": resident,
        "other_resident": make_resident()[0],
        "organization": org_user,
        "other_organization": make_organization_account(name="別の法務商事")[0],
        "officer_tokyo": make_officer(bureau_id="tokyo"),
        "officer_osaka": make_officer(bureau_id="osaka"),
        "officer_headquarters": make_officer(bureau_id=None),
    }


def sign_in(client, user):
    if user is None:
        return
    client.force_login(user)
    if user.is_staff:
        verify_second_factor(client, user)


EXPECTED = {
    # role: (resident URLs, back-office URLs)
    "anonymous": (302, 302),
    "resident": (200, 403),
    "other_resident": (404, 403),
    "organization": (200, 403),
    "other_organization": (404, 403),
    "officer_tokyo": (403, 200),  # officers use the back office, not the filer's pages
    "officer_osaka": (403, 404),
    "officer_headquarters": (403, 200),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_sec1_filing_urls_by_role(client, world, role):
    filing = world["filing"]
    sign_in(client, world[role])
    filer_status, officer_status = EXPECTED[role]
    for name in RESIDENT_URLS:
        assert client.get(reverse(name, args=[filing.pk])).status_code == filer_status, name
        missing = client.get(reverse(name, args=[filing.pk + 10_000])).status_code
        assert missing == (404 if filer_status == 200 else filer_status), name
    for name in OFFICER_URLS:
        assert client.get(reverse(name, args=[filing.pk])).status_code == officer_status, name
        missing = client.get(reverse(name, args=[filing.pk + 10_000])).status_code
        assert missing == (404 if officer_status == 200 else officer_status), name
