"""Organization pages over HTTP: Art. 19-17 notifications (NF-3), filing for a resident on
their request (NF-4), the roster as of 1 May / 1 November, and who sees what (SEC-1)."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse

from zairyu.cards.models import Organization
from zairyu.core import clock
from zairyu.filings.models import Filing, FilingState
from zairyu.mail.models import Mail

from .factories import days_ago, make_organization_account, make_resident


def offered(client) -> set[str]:
    page = client.get(reverse("filings:organization_events"))
    assert page.status_code == 200
    return set(re.findall(r"/notifications/organization/new/([a-z_0-9]+)/", page.content.decode()))


def test_nf3_company_offered_acceptance_events_only(client, company):
    client.force_login(company[0])
    assert offered(client) == {"org_acceptance_start", "org_acceptance_end"}


def test_nf3_language_school_offered_school_events(client, school):
    client.force_login(school[0])
    assert offered(client) == {
        "school_acceptance_start",
        "school_acceptance_end",
        "school_roster",
    }


def test_nf3_university_is_school_and_accepting_organization(client):
    user, _ = make_organization_account(kind=Organization.Kind.UNIVERSITY, name="法務大学")
    client.force_login(user)
    assert offered(client) == {
        "org_acceptance_start",
        "org_acceptance_end",
        "school_acceptance_start",
        "school_acceptance_end",
        "school_roster",
    }


def test_nf3_organization_type_not_eligible_page(client, company):
    client.force_login(company[0])
    response = client.get(reverse("filings:organization_start", args=["school_roster"]))
    assert response.status_code == 403
    assert "does not file" in response.content.decode()


def test_nf3_organization_not_using_service_n_refused(client):
    user, _ = make_organization_account(kind=Organization.Kind.SSW_EMPLOYER, name="特定技能商事")
    user.uses_service_n = False
    user.uses_service_o = True
    user.save()
    client.force_login(user)
    assert client.get(reverse("filings:organization_events")).status_code == 403


def start(client, name: str, code: str) -> str:
    response = client.get(reverse(name, args=[code]))
    assert response.status_code == 302, response.content
    return response["Location"]


def face(card, **overrides):
    data = {
        "number": card.number.lower(),  # normalised (FMT-5)
        "roman_name": card.roman_name.lower(),
        "nationality": card.nationality_id,
        "birth_date": card.birth_date.isoformat(),
        "sex": card.sex,
        "prefecture": card.prefecture_id,
        "address": "千代田区霞が関1-1-1",
    }
    data.update(overrides)
    return data


def test_nf3_acceptance_start_input_confirm_submit(client, company, engineer):
    org_user, organization = company
    resident, card = engineer
    client.force_login(org_user)
    form_url = start(client, "filings:organization_start", "org_acceptance_start")
    html = client.get(form_url).content.decode()
    assert 'name="not_bound_to_report"' in html and 'name="number"' in html
    data = {
        **face(card),
        "start_date": days_ago(3).isoformat(),
        "activity": "システム開発",
        "not_bound_to_report": "on",
    }
    response = client.post(form_url, data)
    assert response.status_code == 302
    confirm = client.get(response["Location"]).content.decode()
    assert card.number in confirm and "HOUMU TAROU" in confirm
    assert "Hello Work" in confirm
    client.post(response["Location"], {"action": "submit"})
    filing = Filing.objects.get()
    assert filing.filed_as == "organization" and filing.organization == organization
    assert filing.state == FilingState.REGISTERING
    assert filing.content["items"]["activity"] == "システム開発"
    # The organization sees it; the resident does not (it is the organization's notification).
    assert filing.number in client.get(reverse("filings:history")).content.decode()
    client.force_login(resident)
    assert client.get(reverse("filings:detail", args=[filing.pk])).status_code == 404


def test_nf3_declaration_required_for_accepting_organizations(client, company, engineer):
    org_user, _ = company
    _, card = engineer
    client.force_login(org_user)
    form_url = start(client, "filings:organization_start", "org_acceptance_end")
    response = client.post(form_url, {**face(card), "end_date": days_ago(1).isoformat()})
    assert response.status_code == 400
    assert 'href="#id_not_bound_to_report"' in response.content.decode()


def test_nf3_status_not_eligible_shown_on_the_form(client, company, spouse):
    org_user, _ = company
    _, card = spouse
    client.force_login(org_user)
    form_url = start(client, "filings:organization_start", "org_acceptance_end")
    data = {**face(card), "end_date": days_ago(1).isoformat(), "not_bound_to_report": "on"}
    confirm_url = client.post(form_url, data)["Location"]
    response = client.post(confirm_url, {"action": "submit"})
    assert response.status_code == 400
    assert "is not filed for the status of residence" in response.content.decode()
    assert not Filing.objects.exists()


def test_nf3_card_mismatch_marks_every_card_field(client, company, engineer):
    org_user, _ = company
    _, card = engineer
    client.force_login(org_user)
    form_url = start(client, "filings:organization_start", "org_acceptance_end")
    data = {
        **face(card, birth_date="1991-01-01"),
        "end_date": days_ago(1).isoformat(),
        "not_bound_to_report": "on",
    }
    confirm_url = client.post(form_url, data)["Location"]
    html = client.post(confirm_url, {"action": "submit"}).content.decode()
    assert "do not match a valid residence card" in html
    for field in ("number", "roman_name", "nationality", "birth_date", "sex", "prefecture"):
        assert f'href="#id_{field}"' in html


def test_nf3_school_roster_prefilled_with_accepted_students(
    client, school, student, django_capture_on_commit_callbacks
):
    org_user, _ = school
    _, card = student
    client.force_login(org_user)
    form_url = start(client, "filings:organization_start", "school_acceptance_start")
    confirm_url = client.post(form_url, {**face(card), "start_date": days_ago(40).isoformat()})[
        "Location"
    ]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm_url, {"action": "submit"})
    assert Filing.objects.get().state == FilingState.REGISTERED
    with clock.frozen(clock.tokyo_datetime(2026, 11, 5, 10)):
        form_url = start(client, "filings:organization_start", "school_roster")
        page = client.get(form_url).content.decode()
        assert card.number in page  # prefilled from the registered acceptance
        assert 'value="2026-11-01"' in page and 'value="2026-05-01"' in page
        roster = f"{card.number}, {card.roman_name}, {card.nationality_id}, "
        roster += f"{card.birth_date.isoformat()}, F\n\nXX1, BAD\n"
        response = client.post(form_url, {"as_of": "2026-11-01", "roster": roster})
        assert response.status_code == 400
        assert "Line 3" in response.content.decode()
        response = client.post(form_url, {"as_of": "2026-11-01", "roster": roster.split("\n")[0]})
        confirm = client.get(response["Location"]).content.decode()
        assert card.number in confirm and "Nov. 16, 2026" in confirm  # 15 Nov is a Sunday
        with django_capture_on_commit_callbacks(execute=True):
            client.post(response["Location"], {"action": "submit"})
    filing = Filing.objects.get(event_id="school_roster")
    assert filing.state == FilingState.REGISTERED
    assert filing.event_date == dt.date(2026, 11, 1)
    assert [row["card_number"] for row in filing.content["roster"]] == [card.number]


def test_nf4_proxy_filing_seen_by_the_resident(
    client, company, engineer, django_capture_on_commit_callbacks
):
    org_user, organization = company
    resident, card = engineer
    client.force_login(org_user)
    form_url = start(client, "filings:proxy_start", "con_name_change")
    html = client.get(form_url).content.decode()
    assert organization.name in html  # the new name is prefilled from the organization
    data = {
        **face(card),
        "event_date": days_ago(4).isoformat(),
        "old_org_name": "旧商事株式会社",
        "old_org_address": "東京都千代田区丸の内１−１−１",
        "new_org_name": organization.name,
        "requested_by_resident": "on",
    }
    confirm_url = client.post(form_url, data)["Location"]
    assert "asked us to file" in client.get(confirm_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm_url, {"action": "submit"})
    filing = Filing.objects.get()
    assert filing.filed_as == "proxy" and filing.state == FilingState.REGISTERED
    # The resident sees it in their history and can open it and its receipt.
    client.force_login(resident)
    history = client.get(reverse("filings:history")).content.decode()
    assert filing.number in history and organization.name in history
    assert client.get(reverse("filings:detail", args=[filing.pk])).status_code == 200
    assert client.get(reverse("filings:receipt", args=[filing.pk])).status_code == 200
    assert Mail.objects.filter(template="filing_registered", to_address=resident.email).exists()


def test_nf4_resident_not_registered_refused_on_the_form(client, company):
    from tests.cards.factories import make_card

    org_user, _ = company
    card = make_card(status_id="engineer_humanities_international")  # holder has no auth ID
    client.force_login(org_user)
    form_url = start(client, "filings:proxy_start", "con_address_change")
    data = {
        **face(card),
        "event_date": days_ago(4).isoformat(),
        "org_name": "株式会社法務商事",
        "old_org_address": "東京都港区",
        "new_org_address": "東京都千代田区",
        "requested_by_resident": "on",
    }
    confirm_url = client.post(form_url, data)["Location"]
    response = client.post(confirm_url, {"action": "submit"})
    assert response.status_code == 400
    assert "not registered with the e-Notification System" in response.content.decode()
    assert not Filing.objects.exists()


def test_nf4_other_events_cannot_be_filed_for_a_resident(client, company):
    client.force_login(company[0])
    response = client.get(reverse("filings:proxy_start", args=["con_contract_end"]))
    assert response.status_code == 403


def test_sec1_organization_sees_only_its_own_filings(client, company, engineer):
    from .test_services import proxy

    org_user, _ = company
    other_user, _ = make_organization_account(name="別の商事")
    _, card = engineer
    filing = proxy(org_user, card)
    client.force_login(other_user)
    assert client.get(reverse("filings:detail", args=[filing.pk])).status_code == 404
    assert filing.number not in client.get(reverse("filings:history")).content.decode()
    # The resident's own filings are not the organization's either.
    resident_filing_user, resident_card = make_resident()
    client.force_login(org_user)
    assert client.get(reverse("filings:detail", args=[filing.pk])).status_code == 200


@pytest.mark.parametrize("language", ["ja", "en"])
def test_nf8_organization_pages_in_japanese_and_english(client, school, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(school[0])
    page = client.get(reverse("filings:organization_events"))
    assert f'lang="{language}"' in page.content.decode()
    form = client.get(start(client, "filings:organization_start", "school_acceptance_end"))
    assert form.status_code == 200
    expected = "受入れの終了" if language == "ja" else "End of acceptance"
    assert expected in form.content.decode()
