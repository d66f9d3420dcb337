"""Seed 004 (the agency's Q&A for SSW organizations, RSOs and JLIs) as acceptance checks.

Each test names the SPEC ID and the seed question it proves; docs/seed-004-conformance.md maps
every answer to its code and test.
"""

import datetime as dt
import uuid

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from zairyu.core import clock
from zairyu.filings.service_o import services
from zairyu.filings.service_o.models import OFilingState
from zairyu.mail.models import Mail
from zairyu.portal.models import Notice

from .conftest import file, items_for, make_o_account, worker
from .test_pages import form_data, start


def codes(exc: ValidationError, key: str = "__all__") -> list[str]:
    return [e.code for e in exc.error_dict[key]]


# --- Q11, Q12: states and what the filer may do in each ---------------------------------------


def test_of2_q11_returned_report_must_be_corrected_before_it_is_filed_again(jli, officer):
    user, _ = jli
    filing = services.ofiling_return(
        actor=officer, filing=file(user, "jli_39_attendance"), text="出席率を確認してください"
    )
    items, rows = items_for("jli_39_attendance")
    with pytest.raises(ValidationError) as exc:
        services.ofiling_change(
            user=user, filing=filing, items=items, rows=rows, token=uuid.uuid4()
        )
    assert codes(exc.value) == ["correction_unchanged"]
    filing.refresh_from_db()
    assert filing.state == OFilingState.RETURNED and filing.version == 1
    assert not Mail.objects.filter(template="service_o_changed").exists()
    # Typing the same values differently (half-width, lower case) is still no correction.
    same = [{**rows[0], "roman_name": "nguyen van an", "card_number": rows[0]["card_number"]}]
    with pytest.raises(ValidationError):
        services.ofiling_change(
            user=user, filing=filing, items=items, rows=same, token=uuid.uuid4()
        )
    corrected = services.ofiling_change(
        user=user,
        filing=filing,
        items=items,
        rows=[{**rows[0], "attendance_rate": "41.0"}],
        token=uuid.uuid4(),
    )
    assert corrected.state == OFilingState.PENDING and corrected.version == 2


def test_of2_q12_a_pending_filing_may_be_changed_with_the_same_content(ssw):
    """Only a returned report needs a correction; a pending change is the filer's own choice."""
    user, _ = ssw
    filing = file(user, "ssw_contract_end")
    items, rows = items_for("ssw_contract_end")
    changed = services.ofiling_change(
        user=user, filing=filing, items=items, rows=rows, token=uuid.uuid4()
    )
    assert changed.state == OFilingState.PENDING and changed.version == 2


def test_of2_q11_returned_report_sent_back_unchanged_over_http(client, jli, officer):
    user, _ = jli
    client.force_login(user)
    filing = services.ofiling_return(
        actor=officer, filing=file(user, "jli_38_withdrawals"), text="退学日を確認"
    )
    edit = client.get(reverse("service_o:edit", args=[filing.pk]))
    confirm = client.post(edit["Location"], form_data("jli_38_withdrawals"))
    assert confirm.status_code == 302
    refused = client.post(confirm["Location"], {"action": "submit"})
    assert refused.status_code == 400
    assert "Nothing in the report was changed" in refused.content.decode()
    filing.refresh_from_db()
    assert filing.state == OFilingState.RETURNED


def test_of2_q12_completed_filing_is_filed_again_as_a_new_filing(ssw, officer):
    user, _ = ssw
    first = services.ofiling_complete(actor=officer, filing=file(user, "ssw_contract_end"))
    again = file(user, "ssw_contract_end")  # the same event, the right content
    assert again.pk != first.pk and again.state == OFilingState.PENDING
    first.refresh_from_db()
    assert first.state == OFilingState.COMPLETED


def test_of2_q12_completed_periodic_notification_can_be_filed_again_after_the_window(
    client, ssw, officer
):
    user, organization = ssw
    other, _ = make_o_account(name="株式会社未届出")
    with clock.frozen(clock.tokyo_datetime(2026, 5, 20, 10)):
        completed = services.ofiling_complete(actor=officer, filing=file(user, "ssw_periodic"))
        pending = file(other, "ssw_periodic")
    with clock.frozen(clock.tokyo_datetime(2026, 9, 1, 10)):
        again = file(user, "ssw_periodic")
        assert again.fiscal_year == completed.fiscal_year == 2025
        assert again.deadline == dt.date(2026, 5, 31) and again.late
        # Only a completed notification is filed again; a pending one is changed instead.
        with pytest.raises(ValidationError) as exc:
            file(other, "ssw_periodic")
        assert codes(exc.value) == ["outside_window"]
        pending.refresh_from_db()
        assert pending.state == OFilingState.PENDING
        client.force_login(user)
        html = client.get(reverse("service_o:index")).content.decode()
        assert reverse("service_o:start", args=["ssw_periodic"]) in html
    # Once the next window has opened, the refiling is for the new fiscal year.
    with clock.frozen(clock.tokyo_datetime(2027, 4, 1, 10)):
        assert file(user, "ssw_periodic").fiscal_year == 2026
    # Before it, from 1 June on, another organization without a completed one is refused.
    third, _ = make_o_account(name="株式会社三番")
    with clock.frozen(clock.tokyo_datetime(2027, 3, 31, 10)), pytest.raises(ValidationError):
        file(third, "ssw_periodic")


def test_of2_q11_history_shows_the_four_states_and_what_each_allows(client, jli, officer):
    user, _ = jli
    client.force_login(user)
    pending = file(user, "jli_38_withdrawals")
    completed = services.ofiling_complete(actor=officer, filing=file(user, "jli_38_withdrawals"))
    withdrawn = services.ofiling_withdraw(user=user, filing=file(user, "jli_38_withdrawals"))
    returned = services.ofiling_return(
        actor=officer, filing=file(user, "jli_38_withdrawals"), text="修正"
    )
    html = client.get(reverse("service_o:history")).content.decode()
    for label in ("Pending", "Completed", "Withdrawn", "Returned for correction"):
        assert f">{label}</span>" in html
    for filing, can_change in (
        (pending, True),
        (returned, True),
        (completed, False),
        (withdrawn, False),
    ):
        page = client.get(reverse("service_o:detail", args=[filing.pk])).content.decode()
        assert (reverse("service_o:edit", args=[filing.pk]) in page) is can_change
        assert (reverse("service_o:withdraw", args=[filing.pk]) in page) is can_change


# --- Q14: up to 300 people at once ----------------------------------------------------------


def test_bk1_q14_up_to_300_workers_in_one_filing(ssw):
    user, _ = ssw
    filing = file(user, "ssw_contract_change", rows=[worker(n) for n in range(1, 301)])
    assert len(filing.content["workers"]) == 300
    with pytest.raises(ValidationError) as exc:
        file(user, "ssw_contract_change", rows=[worker(n) for n in range(1, 302)])
    assert codes(exc.value, "workers") == ["too_many_rows"]
    assert "at most 300" in exc.value.error_dict["workers"][0].message


# --- Q8: nationality pull-down ----------------------------------------------------------------


def test_ref2_q8_nationality_pulldown_is_grouped_by_region(client, ssw):
    client.force_login(ssw[0])
    html = client.get(start(client, "ssw_contract_end")).content.decode()
    select = html[html.index('name="workers-0-nationality"') :]
    select = select[: select.index("</select>")]
    assert select.count("<optgroup") >= 5
    assert 'value="VNM"' in select


# --- Q3: notices after sign-in ---------------------------------------------------------------


def test_bo7_q3_maintenance_notice_is_shown_after_sign_in(client, ssw):
    now = clock.now()
    Notice.objects.create(
        kind=Notice.Kind.MAINTENANCE,
        title_ja="システムメンテナンス",
        body_ja="メンテナンスのため停止します。",
        title_en="System maintenance",
        body_en="The system stops for maintenance.",
        maintenance_start=now + dt.timedelta(days=2),
        maintenance_end=now + dt.timedelta(days=2, hours=3),
        published_from=now - dt.timedelta(hours=1),
    )
    Notice.objects.create(
        title_ja="終了したお知らせ",
        body_ja="古い",
        title_en="An old notice",
        published_from=now - dt.timedelta(days=10),
        published_until=now - dt.timedelta(days=1),
    )
    client.force_login(ssw[0])
    html = client.get(reverse("service_o:index")).content.decode()
    assert "System maintenance" in html and "Planned maintenance" in html
    assert "An old notice" not in html


# --- Q13, Q41, Q42, Q44: mails ------------------------------------------------------------


def test_of5_q13_filing_mail_goes_out_at_once(ssw, django_capture_on_commit_callbacks):
    user, _ = ssw
    with django_capture_on_commit_callbacks() as callbacks:
        filing = file(user, "ssw_contract_end")
    mail = Mail.objects.get(template="service_o_received", related_id=str(filing.pk))
    assert mail.next_attempt_at <= clock.now()  # not held back
    assert callbacks  # a worker is woken when the filing commits


def test_of5_q41_each_filing_event_is_mailed_to_the_registered_address(jli, officer):
    user, _ = jli
    filing = file(user, "jli_38_withdrawals")  # 申込
    items, rows = items_for("jli_38_withdrawals")
    rows = [{**rows[0], "withdrawal_reason": "進学のため"}]
    filing = services.ofiling_change(  # 変更
        user=user, filing=filing, items=items, rows=rows, token=uuid.uuid4()
    )
    filing = services.ofiling_return(actor=officer, filing=filing, text="理由を確認")  # 修正依頼
    services.ofiling_withdraw(user=user, filing=filing)  # 取下げ
    sent = list(
        Mail.objects.filter(template__startswith="service_o_", related_id=str(filing.pk))
        .order_by("id")
        .values_list("template", "to_address")
    )
    assert sent == [
        ("service_o_received", user.email),
        ("service_o_changed", user.email),
        ("service_o_returned", user.email),
        ("service_o_withdrawn", user.email),
    ]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_of5_q42_q44_mails_say_no_reply_and_name_the_helpdesk(language):
    user, _ = make_o_account(language=language)
    file(user, "ssw_contract_end")
    body = Mail.objects.get(template="service_o_received").body
    assert settings.ZAIRYU_HELPDESK["email"] in body
    assert settings.ZAIRYU_HELPDESK["phone"] in body
    assert ("返信はできません" if language == "ja" else "cannot receive replies") in body


# --- Q37, Q41: the organization account's e-mail -------------------------------------------


@pytest.mark.parametrize("email", ["", "   "])
def test_id2_q37_a_service_o_organization_is_registered_only_with_an_e_mail_address(officer, email):
    from zairyu.accounts import organizations
    from zairyu.accounts.models import User
    from zairyu.cards.models import Organization

    with pytest.raises(ValidationError) as exc:
        organizations.organization_account_register(
            actor=officer,
            registration=organizations.Registration(
                auth_id="tokutei-01",
                email=email,
                password="Tokutei#2026pw",
                uses_service_n=False,
                uses_service_o=True,
                submitter_name="山田 花子",
                submitted_via="post",
                staff_id_checked=True,
                staff_id_document="staff_card",
            ),
            organization_data=organizations.OrganizationData(
                name="株式会社特定技能テスト",
                kind=Organization.Kind.SSW_EMPLOYER,
                prefecture_id="13",
                street="霞が関１－１－１",
            ),
        )
    assert codes(exc.value, "email") == ["required"]
    assert not User.objects.filter(username="tokutei-01").exists()


def test_ml1_q41_password_expiry_reminder_reaches_a_service_o_account():
    from zairyu.accounts.reminders import reminders_send

    user, _ = make_o_account(language="ja")
    changed = clock.tokyo_datetime(2026, 2, 1, 10)
    type(user).objects.filter(pk=user.pk).update(password_changed_at=changed, last_used_at=changed)
    reminders_send(today=dt.date(2027, 1, 1))  # 31 days before the end: not yet
    assert not Mail.objects.filter(template="reminder_password").exists()
    reminders_send(today=dt.date(2027, 1, 2))  # 30 days before 2027-02-01
    mail = Mail.objects.get(template="reminder_password")
    assert mail.to_address == user.email and mail.language == "ja"
