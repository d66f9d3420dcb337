"""Resident pages over HTTP (NF-1, NF-2, NF-7, FMT-7, FMT-8, SEC-1): the events offered per
status, the form prefilled from the registry, input → confirmation → submit, the back button
and re-sent forms, the history and detail pages."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from zairyu.core import clock
from zairyu.filings.models import Filing, FilingState
from zairyu.mail.models import Mail

from .factories import days_ago, make_resident


def events_offered(client) -> set[str]:
    page = client.get(reverse("filings:resident_events"))
    assert page.status_code == 200
    return set(re.findall(r'data-event="([a-z_0-9]+)"', page.content.decode()))


def test_nf1_engineer_sees_contract_organization_events(client, engineer):
    user, _ = engineer
    client.force_login(user)
    assert events_offered(client) == {
        "con_name_change",
        "con_address_change",
        "con_dissolution",
        "con_contract_end",
        "con_new_contract",
    }


def test_nf1_student_sees_activity_organization_events(client, student):
    client.force_login(student[0])
    assert events_offered(client) == {
        "act_name_change",
        "act_address_change",
        "act_dissolution",
        "act_leaving",
        "act_transfer",
    }


def test_nf1_spouse_sees_divorce_and_death(client, spouse):
    client.force_login(spouse[0])
    assert events_offered(client) == {"sp_divorce", "sp_death"}


def test_nf1_hsp_2_sees_both_groups(client):
    user, _ = make_resident(status="hsp_2")
    client.force_login(user)
    offered = events_offered(client)
    assert "con_contract_end" in offered and "act_leaving" in offered


def test_nf1_page_says_where_other_changes_are_filed(client, engineer):
    client.force_login(engineer[0])
    page = client.get(reverse("filings:resident_events")).content.decode()
    assert "regional immigration bureau" in page  # name, nationality, birth date, sex (Q8)
    assert "municipal office" in page  # address changes (Q8)


def start(client, code: str) -> str:
    response = client.get(reverse("filings:resident_start", args=[code]))
    assert response.status_code == 302
    return response["Location"]


def test_nf1_form_is_prefilled_from_registry_with_deadline(client, engineer):
    user, card = engineer
    client.force_login(user)
    url = start(client, "con_contract_end")
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert card.number in html and "HOUMU TAROU" in html  # from the registry
    assert 'name="event_date"' in html and 'name="org_name"' in html
    assert 'name="activity_place"' in html  # optional, 001 Q70
    assert 'name="number"' not in html  # the resident does not retype the card
    deadline = clock.today() + dt.timedelta(days=14)
    assert "days left" in html and "Notify within 14 days" in html
    assert str(deadline.year) in html


def fill_contract_end(**overrides):
    data = {
        "event_date": days_ago(2).isoformat(),
        "org_name": "株式会社ﾎｳﾑ商事",  # half-width katakana: converted and shown
        "org_address": "東京都千代田区丸の内1-1-1",
        "org_corporate_number": "",
        "activity_place": "",
    }
    data.update(overrides)
    return data


def test_nf1_input_confirm_submit_registered(client, engineer, django_capture_on_commit_callbacks):
    user, card = engineer
    client.force_login(user)
    form_url = start(client, "con_contract_end")
    response = client.post(form_url, fill_contract_end())
    assert response.status_code == 302
    confirm_url = response["Location"]
    page = client.get(confirm_url)
    html = page.content.decode()
    assert "株式会社ホウム商事" in html  # converted to full width
    assert "was converted" in html  # the conversion is shown (FMT-4 [B])
    assert "１−１−１" in html
    assert "days left" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_url, {"action": "submit"})
    filing = Filing.objects.get()
    assert response["Location"] == reverse("filings:detail", args=[filing.pk])
    filing.refresh_from_db()
    assert filing.state == FilingState.REGISTERED
    assert filing.content["items"]["org_name"] == "株式会社ホウム商事"
    detail = client.get(response["Location"]).content.decode()
    assert filing.number in detail and "Registered" in detail
    assert Mail.objects.filter(template="filing_received").exists()
    assert Mail.objects.filter(template="filing_registered").exists()


def test_nf1_resent_confirmation_and_back_button_never_file_twice(client, engineer):
    user, _ = engineer
    client.force_login(user)
    form_url = start(client, "con_contract_end")
    confirm_url = client.post(form_url, fill_contract_end())["Location"]
    first = client.post(confirm_url, {"action": "submit"})
    again = client.post(confirm_url, {"action": "submit"})  # re-sent form
    assert Filing.objects.count() == 1
    filing = Filing.objects.get()
    assert again["Location"] == first["Location"] == reverse("filings:detail", args=[filing.pk])
    back = client.get(form_url)  # the back button to the input form
    assert back["Location"] == reverse("filings:detail", args=[filing.pk])
    back = client.post(form_url, fill_contract_end())  # and sending it again
    assert back["Location"] == reverse("filings:detail", args=[filing.pk])
    assert client.get(confirm_url)["Location"] == reverse("filings:detail", args=[filing.pk])
    assert Filing.objects.count() == 1


def test_nf1_change_from_confirmation_keeps_entries(client, engineer):
    client.force_login(engineer[0])
    form_url = start(client, "con_contract_end")
    confirm_url = client.post(form_url, fill_contract_end(org_name="法務商事"))["Location"]
    back = client.post(confirm_url, {"action": "change"})
    assert back["Location"] == form_url
    assert "法務商事" in client.get(form_url).content.decode()
    assert not Filing.objects.exists()


def test_fmt7_fmt8_future_date_error_by_field_and_in_summary(client, engineer):
    client.force_login(engineer[0])
    form_url = start(client, "con_contract_end")
    tomorrow = (clock.today() + dt.timedelta(days=1)).isoformat()
    response = client.post(form_url, fill_contract_end(event_date=tomorrow, org_name=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert "is in the future" in html
    assert html.count("is in the future") == 2  # by the field and in the summary
    assert 'href="#id_event_date"' in html and 'href="#id_org_name"' in html
    assert not Filing.objects.exists()


def test_fmt4_character_outside_jis_named(client, engineer):
    client.force_login(engineer[0])
    form_url = start(client, "con_contract_end")
    response = client.post(form_url, fill_contract_end(org_name="髙島屋"))
    assert response.status_code == 400
    assert "“髙”" in response.content.decode() and "“高”" in response.content.decode()


def test_fmt6_corporate_number_checked(client, engineer):
    client.force_login(engineer[0])
    form_url = start(client, "con_contract_end")
    response = client.post(form_url, fill_contract_end(org_corporate_number="1234567890123"))
    assert response.status_code == 400
    assert "check digit" in response.content.decode()


def test_nf1_status_not_eligible_page_refused(client, engineer):
    client.force_login(engineer[0])
    response = client.get(reverse("filings:resident_start", args=["act_leaving"]))
    assert response.status_code == 403
    assert "is not a notification for holders" in response.content.decode()
    token = "8c3f5b8e-5c1e-4d8e-9b1a-000000000001"
    response = client.post(
        reverse("filings:resident_form", args=["sp_divorce", token]),
        {"event_date": days_ago(1).isoformat()},
    )
    assert response.status_code == 403
    assert not Filing.objects.exists()


def test_nf2_late_filing_shown_and_marked(client, engineer):
    client.force_login(engineer[0])
    with clock.frozen(clock.tokyo_datetime(2026, 7, 1, 10)):
        form_url = start(client, "con_contract_end")
        confirm_url = client.post(form_url, fill_contract_end(event_date="2026-06-01"))["Location"]
        html = client.get(confirm_url).content.decode()
        assert "still accepted" in html and "days ago" in html
        client.post(confirm_url, {"action": "submit"})
    filing = Filing.objects.get()
    assert filing.late
    assert "Filed after the deadline" in client.get(reverse("filings:history")).content.decode()


def test_nf7_history_lists_only_own_filings(client, engineer, spouse):
    user, _ = engineer
    other, _ = spouse
    client.force_login(other)
    confirm = client.post(start(client, "sp_divorce"), {"event_date": days_ago(1).isoformat()})[
        "Location"
    ]
    client.post(confirm, {"action": "submit"}, follow=True)
    theirs = Filing.objects.get()
    client.force_login(user)
    html = client.get(reverse("filings:history")).content.decode()
    assert theirs.number not in html
    # SEC-1: another resident's filing by id is the same 404 as a missing one.
    assert client.get(reverse("filings:detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("filings:detail", args=[theirs.pk + 1000])).status_code == 404
    assert client.get(reverse("filings:receipt", args=[theirs.pk])).status_code == 404


def test_nf7_error_detail_shown(client, engineer):
    from zairyu.cards.services import card_invalidate
    from zairyu.filings import services

    user, card = engineer
    client.force_login(user)
    confirm = client.post(start(client, "con_contract_end"), fill_contract_end())["Location"]
    client.post(confirm, {"action": "submit"})
    filing = Filing.objects.get()
    card_invalidate(actor=None, card=card, reason="reissued")
    services.filing_register(filing_id=filing.pk)
    html = client.get(reverse("filings:detail", args=[filing.pk])).content.decode()
    assert "Registration error" in html and "do not match a valid card" in html


def test_sec1_pages_need_a_resident_or_organization(client, officer):
    response = client.get(reverse("filings:resident_events"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    from tests.backoffice.conftest import verify_second_factor

    client.force_login(officer)
    verify_second_factor(client, officer)
    assert client.get(reverse("filings:resident_events")).status_code == 403
    assert client.get(reverse("filings:history")).status_code == 403


@pytest.mark.parametrize("language", ["ja", "zh-hans", "ko", "es", "pt", "tl", "zh-hant", "en"])
def test_nf8_resident_pages_render_in_every_language(client, engineer, language):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(engineer[0])
    page = client.get(reverse("filings:resident_events"))
    assert page.status_code == 200
    assert f'lang="{language}"' in page.content.decode()
    form = client.get(start(client, "con_contract_end"))
    assert form.status_code == 200
    if language == "ja":
        assert "契約機関との契約の終了" in form.content.decode()  # the data's Japanese name
