"""Service O pages over HTTP (OF-1..OF-4, SEC-1): input → confirmation → submit, errors by
field and in the summary, no second filing from a re-sent confirmation, change and withdrawal,
the history with its retention notice, access for service-O organizations only."""

import uuid

import pytest
from django.conf import settings
from django.urls import reverse

from tests.filings.factories import make_organization_account, make_resident
from zairyu.cards.models import Organization
from zairyu.core import clock
from zairyu.filings.service_o import services
from zairyu.filings.service_o.models import OFiling, OFilingState, OFilingVersion
from zairyu.mail.models import Mail

from .conftest import days_ago, file, items_for, make_o_account


def form_data(code, *, items=None, rows=None):
    default_items, default_rows = items_for(code)
    items = default_items if items is None else items
    rows = default_rows if rows is None else rows
    data = dict(items)
    data["row_count"] = str(max(len(rows), 1))
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"workers-{index}-{key}"] = value
    return data


def start(client, code):
    response = client.get(reverse("service_o:start", args=[code]))
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def test_of4_input_confirm_submit_difficulty_in_acceptance(client, ssw):
    user, organization = ssw
    client.force_login(user)
    index = client.get(reverse("service_o:index"))
    assert index.status_code == 200
    html = index.content.decode()
    assert 'data-kind="ssw_acceptance_difficulty"' in html and "jli_38" not in html
    url = start(client, "ssw_acceptance_difficulty")
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="workers-0-card_number"' in page.content.decode()
    assert "Add a row" not in page.content.decode()  # one worker per form 3-4
    response = client.post(url, form_data("ssw_acceptance_difficulty"))
    assert response.status_code == 302 and "/confirm/" in response["Location"]
    confirm = client.get(response["Location"])
    text = confirm.content.decode()
    assert confirm.status_code == 200
    assert "Missing" in text and "無断欠勤が続き連絡が取れない" in text and "NGUYEN VAN AN" in text
    assert not OFiling.objects.exists()
    done = client.post(response["Location"], {"action": "submit"})
    filing = OFiling.objects.get()
    assert done["Location"] == reverse("service_o:detail", args=[filing.pk])
    assert filing.state == OFilingState.PENDING and filing.organization == organization
    # The back button / a double click on the confirmation does not file twice.
    again = client.post(response["Location"], {"action": "submit"})
    assert again.status_code == 302 and again["Location"] == done["Location"]
    assert client.get(url)["Location"] == done["Location"]
    assert OFiling.objects.count() == 1
    assert Mail.objects.filter(template="service_o_received").count() == 1
    detail = client.get(done["Location"]).content.decode()
    assert filing.number in detail and "Pending" in detail and "Change the filing" in detail


def test_of4_errors_by_field_and_in_the_summary(client, ssw):
    user, _ = ssw
    client.force_login(user)
    url = start(client, "ssw_acceptance_difficulty")
    items, rows = items_for("ssw_acceptance_difficulty")
    response = client.post(
        url,
        form_data(
            "ssw_acceptance_difficulty",
            items={**items, "summary": "あ" * 21, "reason": ""},
            rows=[{**rows[0], "card_number": "AB12"}],
        ),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert 'href="#id_summary"' in html and 'href="#id_reason"' in html
    assert 'href="#id_workers-0-card_number"' in html
    assert 'id="id_summary_error"' in html and "at most 20 characters" in html
    assert 'id="id_workers-0-card_number_error"' in html
    assert not OFiling.objects.exists()


def test_of4_add_rows_for_several_workers(client, ssw):
    user, _ = ssw
    client.force_login(user)
    url = start(client, "ssw_contract_change")
    page = client.get(url).content.decode()
    assert 'name="workers-2-card_number"' in page and 'name="workers-3-card_number"' not in page
    data = form_data("ssw_contract_change")
    data["action"] = "add_row"
    more = client.post(url, data)
    assert more.status_code == 200
    assert 'name="workers-2-card_number"' in more.content.decode()
    assert "error-summary" not in more.content.decode()
    data["row_count"] = "3"  # the third row left empty is ignored
    data.pop("action")
    confirm = client.post(url, data)
    assert confirm.status_code == 302
    client.post(confirm["Location"], {"action": "submit"})
    assert len(OFiling.objects.get().content["workers"]) == 2


def test_of1_periodic_window_is_refused_with_a_message(client, ssw):
    user, _ = ssw
    client.force_login(user)
    with clock.frozen(clock.tokyo_datetime(2026, 6, 1, 9)):
        response = client.get(reverse("service_o:start", args=["ssw_periodic"]))
        assert response.status_code == 403
        assert "cannot be filed today" in response.content.decode()
        index = client.get(reverse("service_o:index")).content.decode()
        assert "Not open now" in index
    with clock.frozen(clock.tokyo_datetime(2026, 5, 31, 9)):
        url = start(client, "ssw_periodic")
        data = form_data("ssw_periodic")
        confirm = client.post(url, data)
        assert confirm.status_code == 302
        page = client.get(confirm["Location"]).content.decode()
        assert "Period covered" in page
    # Confirmed on 31 May, submitted on 1 June: refused, nothing filed.
    with clock.frozen(clock.tokyo_datetime(2026, 6, 1, 0, 1)):
        response = client.post(confirm["Location"], {"action": "submit"})
        assert response.status_code == 403
    assert not OFiling.objects.exists()


def test_of2_change_keeps_versions_and_is_refused_after_completion(client, ssw, officer):
    user, _ = ssw
    client.force_login(user)
    filing = file(user, "ssw_non_conformity")
    edit = client.get(reverse("service_o:edit", args=[filing.pk]))
    assert edit.status_code == 302
    page = client.get(edit["Location"]).content.decode()
    assert "報酬の額" in page  # the current content is prefilled
    items, _ = items_for("ssw_non_conformity")
    confirm = client.post(
        edit["Location"], form_data("ssw_non_conformity", items={**items, "standard": "保険の加入"})
    )
    assert confirm.status_code == 302
    client.post(confirm["Location"], {"action": "submit"})
    again = client.post(confirm["Location"], {"action": "submit"})
    assert again.status_code == 302
    filing.refresh_from_db()
    assert filing.version == 2 and OFilingVersion.objects.filter(filing=filing).count() == 1
    detail = client.get(reverse("service_o:detail", args=[filing.pk])).content.decode()
    assert "保険の加入" in detail and "Earlier versions" in detail and "報酬の額" in detail
    services.ofiling_complete(actor=officer, filing=filing)
    detail = client.get(reverse("service_o:detail", args=[filing.pk])).content.decode()
    assert "Change the filing" not in detail and "Withdraw the filing" not in detail
    assert "can no longer be changed" in detail
    refused = client.get(reverse("service_o:edit", args=[filing.pk]))
    assert refused["Location"] == reverse("service_o:detail", args=[filing.pk])
    client.post(reverse("service_o:withdraw", args=[filing.pk]), {"confirm": "on"})
    filing.refresh_from_db()
    assert filing.state == OFilingState.COMPLETED


def test_of2_withdraw_over_http(client, ssw):
    user, _ = ssw
    client.force_login(user)
    filing = file(user, "ssw_contract_end")
    url = reverse("service_o:withdraw", args=[filing.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 400
    assert client.post(url, {"confirm": "on"}).status_code == 302
    filing.refresh_from_db()
    assert filing.state == OFilingState.WITHDRAWN
    assert Mail.objects.filter(template="service_o_withdrawn").count() == 1


def test_of2_returned_report_corrected_over_http(client, jli, officer):
    user, _ = jli
    client.force_login(user)
    filing = services.ofiling_return(
        actor=officer, filing=file(user, "jli_39_attendance"), text="出席率を確認"
    )
    detail = client.get(reverse("service_o:detail", args=[filing.pk])).content.decode()
    assert "出席率を確認" in detail and "Correct and file again" in detail
    edit = client.get(reverse("service_o:edit", args=[filing.pk]))
    form_page = client.get(edit["Location"]).content.decode()
    assert "出席率を確認" in form_page
    items, rows = items_for("jli_39_attendance")
    rows = [{**rows[0], "attendance_rate": "30"}]
    confirm = client.post(edit["Location"], form_data("jli_39_attendance", rows=rows))
    client.post(confirm["Location"], {"action": "submit"})
    filing.refresh_from_db()
    assert (
        filing.state == OFilingState.PENDING
        and filing.content["workers"][0]["attendance_rate"] == "30.0"
    )


def test_of3_history_states_retention_period(client, ssw, settings):
    settings.ZAIRYU_SERVICE_O_RETENTION_DAYS = 90
    user, _ = ssw
    client.force_login(user)
    mine = file(user, "ssw_contract_end")
    other, _ = make_o_account(name="株式会社別会社")
    theirs = file(other, "ssw_contract_end")
    page = client.get(reverse("service_o:history"))
    html = page.content.decode()
    assert mine.number in html and theirs.number not in html
    assert "kept here for 90 days" in html
    filtered = client.get(reverse("service_o:history"), {"state": "completed"}).content.decode()
    assert mine.number not in filtered


def test_sec1_another_organizations_filing_is_404(client, ssw):
    user, _ = ssw
    other, _ = make_o_account(name="株式会社別会社")
    theirs = file(other, "ssw_contract_end")
    client.force_login(user)
    for name in ("detail", "edit", "withdraw"):
        missing = client.get(reverse(f"service_o:{name}", args=[theirs.pk + 1000]))
        forbidden = client.get(reverse(f"service_o:{name}", args=[theirs.pk]))
        assert missing.status_code == forbidden.status_code == 404
    response = client.get(reverse("service_o:edit_form", args=[theirs.pk, uuid.uuid4()]))
    assert response.status_code == 404
    client.post(reverse("service_o:withdraw", args=[theirs.pk]), {"confirm": "on"})
    theirs.refresh_from_db()
    assert theirs.state == OFilingState.PENDING


@pytest.mark.parametrize("who", ["resident", "service_n_company", "not_service_o", "anonymous"])
def test_sec1_non_service_o_users_are_refused(client, who):
    if who == "resident":
        client.force_login(make_resident()[0])
    elif who == "service_n_company":
        client.force_login(make_organization_account()[0])
    elif who == "not_service_o":
        user, _ = make_o_account(kind=Organization.Kind.COMPANY)
        client.force_login(user)
    for url in (
        reverse("service_o:index"),
        reverse("service_o:history"),
        reverse("service_o:start", args=["ssw_contract_end"]),
    ):
        response = client.get(url)
        if who == "anonymous":
            assert response.status_code == 302 and "/login/" in response["Location"]
        else:
            assert response.status_code == 403


def test_of1_kind_of_another_organization_type_is_refused_over_http(client, ssw):
    client.force_login(ssw[0])
    response = client.get(reverse("service_o:start", args=["jli_38_withdrawals"]))
    assert response.status_code == 403
    assert client.get(reverse("service_o:start", args=["nonexistent"])).status_code == 404


def test_id8_service_o_auth_id_expires_a_year_after_the_password_change(client, jli):
    """ID-8 (004 Q27, 000 §4): a service-O-only account's auth ID lasts one year from the last
    password change, whatever its use; a JLI that also uses service N follows the N rule."""
    from tests.accounts.factories import PASSWORD
    from zairyu.accounts.rules import auth_id_valid_until

    user, _ = jli
    user.password_changed_at = clock.tokyo_datetime(2026, 1, 10, 9)
    user.last_used_at = clock.tokyo_datetime(2026, 12, 1, 9)
    user.save()
    assert auth_id_valid_until(user).isoformat() == "2027-01-10"
    with clock.frozen(clock.tokyo_datetime(2027, 1, 11, 9)):
        response = client.post(
            reverse("accounts:login"), {"auth_id": user.username, "password": PASSWORD}
        )
        assert response.status_code == 400
        assert "auth ID has expired" in response.context["error"]
    user.uses_service_n = True
    user.save()
    assert auth_id_valid_until(user).isoformat() == "2027-12-01"


def test_of4_conversions_are_shown_on_the_confirmation(client, ssw):
    client.force_login(ssw[0])
    url = start(client, "ssw_contract_end")
    items, rows = items_for("ssw_contract_end")
    response = client.post(
        url,
        form_data(
            "ssw_contract_end",
            items={**items, "event_date": days_ago(1)},
            rows=[{**rows[0], "roman_name": "nguyen van an"}],
        ),
    )
    page = client.get(response["Location"]).content.decode()
    assert "converted" in page and "NGUYEN VAN AN" in page


def test_of4_detail_names_the_worker_sheet_once_as_the_tables_caption(client, ssw):
    user, _organization = ssw
    client.force_login(user)
    filing = file(user, "ssw_acceptance_difficulty")
    html = client.get(reverse("service_o:detail", args=[filing.pk])).content.decode()
    assert html.count("The specified skilled worker") == 1
    assert "<caption>The specified skilled worker</caption>" in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    html = client.get(reverse("service_o:detail", args=[filing.pk])).content.decode()
    assert html.count("対象の特定技能外国人") == 1
