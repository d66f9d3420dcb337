"""Service N rules of the agency's Q&A (seed 001) that the other test modules did not pin down:
what the pages say about companion notifications (Q19) and withdrawal (Q74), and the order of
the mails at reception and registration (Q57). See docs/seed-001-conformance.md."""

import uuid

from django.conf import settings
from django.urls import reverse

from zairyu.filings import services
from zairyu.filings.models import Filing, FilingState
from zairyu.mail.models import Mail
from zairyu.reference.models import NotificationEvent

from .factories import days_ago, make_officer

Q19_TEXT = "must be notified as well. In some cases"


def start(client, code: str) -> str:
    response = client.get(reverse("filings:resident_start", args=[code]))
    assert response.status_code == 302
    return response["Location"]


def test_nf1_q19_transfer_form_says_leaving_is_notified_as_well(client, student):
    client.force_login(student[0])
    form_url = start(client, "act_transfer")
    html = client.get(form_url).content.decode()
    assert Q19_TEXT in html
    assert "Leaving" in html or "leaving" in html.lower()
    assert reverse("filings:resident_start", args=["act_leaving"]) in html
    # Also on the confirmation page, where the resident decides to submit.
    response = client.post(
        form_url,
        {
            "event_date": days_ago(2).isoformat(),
            "old_org_name": "法務大学",
            "old_org_address": "東京都千代田区霞が関１−１−１",
            "new_org_name": "入管大学",
            "new_org_address": "東京都港区港南５−５−３０",
            "activity_place": "",
        },
    )
    assert response.status_code == 302
    confirm = client.get(response["Location"]).content.decode()
    assert Q19_TEXT in confirm
    assert reverse("filings:resident_start", args=["act_leaving"]) in confirm


def test_nf1_q19_new_contract_form_says_end_of_contract_is_notified_as_well(client, engineer):
    client.force_login(engineer[0])
    html = client.get(start(client, "con_new_contract")).content.decode()
    assert Q19_TEXT in html
    assert reverse("filings:resident_start", args=["con_contract_end"]) in html


def test_nf1_q19_other_notifications_carry_no_companion_hint(client, engineer, student):
    client.force_login(engineer[0])
    assert Q19_TEXT not in client.get(start(client, "con_contract_end")).content.decode()
    assert Q19_TEXT not in client.get(start(client, "con_name_change")).content.decode()
    client.force_login(student[0])
    assert Q19_TEXT not in client.get(start(client, "act_leaving")).content.decode()


def file_contract_end(user) -> Filing:
    return services.filing_submit_resident(
        user=user,
        event=NotificationEvent.objects.get(pk="con_contract_end"),
        items={
            "event_date": days_ago(3),
            "org_name": "株式会社法務商事",
            "org_address": "東京都千代田区",
        },
        token=uuid.uuid4(),
    )


def test_nf6_q74_detail_page_says_withdrawal_goes_through_the_helpdesk(client, engineer):
    user, _ = engineer
    filing = file_contract_end(user)
    services.filing_register(filing_id=filing.pk)
    client.force_login(user)
    html = client.get(reverse("filings:detail", args=[filing.pk])).content.decode()
    assert "cannot be withdrawn online" in html
    assert settings.ZAIRYU_HELPDESK["phone"] in html.split("cannot be withdrawn online")[1]
    assert "file a new notification" in html  # Q73: corrected by filing again
    # The resident has no way to withdraw it: the officers' action refuses them.
    response = client.post(
        reverse("backoffice:filing_withdraw", args=[filing.pk]), {"reason": "取下げたい"}
    )
    assert response.status_code in (302, 403, 404)
    filing.refresh_from_db()
    assert filing.state == FilingState.REGISTERED


def test_nf6_q74_withdrawn_filing_no_longer_offers_withdrawal(client, engineer):
    user, _ = engineer
    filing = file_contract_end(user)
    services.filing_register(filing_id=filing.pk)
    services.filing_withdraw(actor=make_officer(), filing=filing, reason="窓口で申出（Q74）")
    client.force_login(user)
    html = client.get(reverse("filings:detail", args=[filing.pk])).content.decode()
    assert "Withdrawn" in html
    assert "cannot be withdrawn online" not in html


def test_nf5_q57_mail_at_reception_then_at_registration(engineer):
    user, _ = engineer
    filing = file_contract_end(user)  # the registration task has not run yet
    mails = list(Mail.objects.filter(to_address=user.email).values_list("template", flat=True))
    assert mails == ["filing_received"]
    assert filing.state == FilingState.REGISTERING
    services.filing_register(filing_id=filing.pk)
    mails = list(
        Mail.objects.filter(to_address=user.email).order_by("id").values_list("template", flat=True)
    )
    assert mails == ["filing_received", "filing_registered"]
    registered = Mail.objects.get(template="filing_registered")
    # "本登録が正常に完了した旨のメールをもって届出手続が正常に完了" — the mail says so.
    assert "the notification is complete" in registered.body.lower()
    assert filing.number in registered.body


def test_nf5_q57_registration_error_is_mailed_with_the_reason(engineer):
    from zairyu.cards.services import card_invalidate

    user, card = engineer
    filing = file_contract_end(user)
    card_invalidate(actor=None, card=card, reason="reissued")
    services.filing_register(filing_id=filing.pk)
    filing.refresh_from_db()
    assert filing.state == FilingState.ERROR
    error_mail = Mail.objects.get(template="filing_error", to_address=user.email)
    assert filing.number in error_mail.body
    assert not Mail.objects.filter(template="filing_registered").exists()


def test_nf1_q7_q15_page_says_what_needs_no_notification(client, engineer):
    client.force_login(engineer[0])
    html = client.get(reverse("filings:resident_events")).content.decode()
    assert "Marriage or remarriage needs no notification" in html  # Q15
    assert "A transfer within the same organization needs no notification" in html  # Q7


def test_nf1_q6_dependent_is_told_only_spouses_notify(client):
    from .factories import make_resident

    user, _ = make_resident(status="dependent", roman_name="KAZOKU MEI", sex="F")
    client.force_login(user)
    html = client.get(reverse("filings:resident_events")).content.decode()
    assert "Spouses only (not children)." in html  # Q6 (※), from the reference data
    assert 'data-event="sp_divorce"' in html
    assert 'data-event="act_leaving"' not in html
