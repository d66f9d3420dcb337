import pytest
from django.db import transaction
from django.urls import reverse

from zairyu.mail.services import mail_queue

pytestmark = pytest.mark.django_db


def test_demo_mailbox_lists_mails_with_clickable_links(client, settings):
    settings.ZAIRYU_DEMO_MAILBOX = True
    settings.ZAIRYU_SITE_URL = "http://127.0.0.1:8000"
    with transaction.atomic():
        mail = mail_queue(template="mail_check", to="demo@example.jp", language="en", context={})
    listing = client.get(reverse("mailbox:list"))
    assert listing.status_code == 200
    assert "demo@example.jp" in listing.content.decode()
    detail = client.get(reverse("mailbox:detail", args=[mail.pk]))
    assert '<a href="http://127.0.0.1:8000"' in detail.content.decode()


def test_demo_mailbox_is_absent_unless_switched_on(client, settings):
    settings.ZAIRYU_DEMO_MAILBOX = False
    assert client.get(reverse("mailbox:list")).status_code == 404
