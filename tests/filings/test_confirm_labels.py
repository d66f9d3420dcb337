"""NF-3: the organization's confirm page labels the resident's address 住居地 (the common item's
name), as the filing's own page does, not 所在地 (an organization's address)."""

import re

from django.conf import settings
from django.urls import reverse

from .factories import days_ago


def _resident_section(html: str) -> str:
    return re.search(r"<h2>在留者</h2>(.*?)<h2>", html, re.S).group(1)


def test_nf3_confirm_labels_the_residents_address_as_juukyochi(client, company, engineer):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    org_user, _ = company
    _, card = engineer
    client.force_login(org_user)
    form_url = client.get(reverse("filings:organization_start", args=["org_acceptance_start"]))[
        "Location"
    ]
    response = client.post(
        form_url,
        {
            "number": card.number,
            "roman_name": card.roman_name,
            "nationality": card.nationality_id,
            "birth_date": card.birth_date.isoformat(),
            "sex": card.sex,
            "prefecture": card.prefecture_id,
            "address": "千代田区霞が関1-1-1",
            "start_date": days_ago(3).isoformat(),
            "activity": "システム開発",
            "not_bound_to_report": "on",
        },
    )
    assert response.status_code == 302
    section = _resident_section(client.get(response["Location"]).content.decode())
    assert "住居地" in section and "所在地" not in section
    assert "霞が関" in section
