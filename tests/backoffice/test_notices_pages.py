"""BO-7 (001 Q24, 002 Q2-3): notices and planned maintenance windows managed on back-office
pages and shown on the top page; every change audited (SEC-6)."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.backoffice.roles import sign_in_as
from zairyu.audit.models import AuditEvent
from zairyu.core import clock
from zairyu.portal.models import Notice

pytestmark = pytest.mark.django_db

AT = clock.tokyo_datetime(2026, 5, 1, 10, 0)
LIST = reverse("backoffice:notices")
NEW = reverse("backoffice:notice_create")


@pytest.fixture
def supervisor_client(client):
    sign_in_as(client, "supervisor")
    return client


def form(**overrides):
    data = {
        "kind": "info",
        "title_ja": "システム更新のお知らせ",
        "body_ja": "新しい機能を追加しました。",
        "title_en": "System update",
        "body_en": "New features were added.",
        "maintenance_start": "",
        "maintenance_end": "",
        "published_from": "2026-05-01T09:00",
        "published_until": "",
    }
    data.update(overrides)
    return data


def top_page(client):
    return client.get(reverse("portal:index")).content.decode()


def test_bo7_supervisor_publishes_a_maintenance_window_shown_on_the_top_page(
    supervisor_client, client
):
    with clock.frozen(AT):
        response = supervisor_client.post(
            NEW,
            form(
                kind="maintenance",
                title_ja="計画停止のお知らせ",
                title_en="Planned maintenance",
                maintenance_start="2026-05-03T22:00",
                maintenance_end="2026-05-04 06:00",
            ),
        )
        assert response.status_code == 302 and response["Location"] == LIST
        notice = Notice.objects.get()
        assert notice.kind == "maintenance"
        assert notice.maintenance_start == clock.tokyo_datetime(2026, 5, 3, 22, 0)
        assert notice.maintenance_end == clock.tokyo_datetime(2026, 5, 4, 6, 0)
        html = top_page(client)
    assert "Planned maintenance" in html
    assert "The services are unavailable from 2026-05-03 22:00 to 2026-05-04 06:00" in html
    event = AuditEvent.objects.get(action="portal.notice.created")
    assert event.object_id == str(notice.pk)
    assert event.after["title_ja"] == "計画停止のお知らせ"
    assert event.actor_repr == "bo-supervisor"


def test_bo7_maintenance_needs_its_window_and_errors_show_by_field_and_on_top(supervisor_client):
    response = supervisor_client.post(
        NEW, form(kind="maintenance", maintenance_start="2026-05-03T22:00")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter when the maintenance ends." in html
    assert 'id="id_maintenance_end_error"' in html
    assert "bo-error-summary" in html and 'href="#id_maintenance_end"' in html
    assert not Notice.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="portal.notice").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {
                "kind": "maintenance",
                "maintenance_start": "2026-05-03T22:00",
                "maintenance_end": "2026-05-03T21:00",
            },
            "maintenance_end",
            "The end must be after the start.",
        ),
        (
            {"published_until": "2026-05-01T08:00"},
            "published_until",
            "“Shown until” must be after “shown from”.",
        ),
        ({"published_from": ""}, "published_from", "Shown from is empty. Fill it in."),
        ({"title_ja": ""}, "title_ja", "Title (Japanese) is empty. Fill it in."),
        (
            {"published_from": "tomorrow"},
            "published_from",
            "Shown from is not a date and time.",
        ),
        ({"kind": "banner"}, "kind", "Kind: choose one of the options in the list."),
    ],
)
def test_bo7_bad_input_is_refused_with_the_field_named(
    supervisor_client, overrides, field, message
):
    response = supervisor_client.post(NEW, form(**overrides))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert message in html
    assert not Notice.objects.exists()


def test_bo7_info_notice_drops_maintenance_times(supervisor_client):
    supervisor_client.post(
        NEW, form(maintenance_start="2026-05-03T22:00", maintenance_end="2026-05-04T06:00")
    )
    notice = Notice.objects.get()
    assert notice.maintenance_start is None and notice.maintenance_end is None


def test_bo7_edit_is_audited_with_before_and_after(supervisor_client, client):
    notice = Notice.objects.create(
        title_ja="旧タイトル", body_ja="本文", published_from=AT - dt.timedelta(days=1)
    )
    url = reverse("backoffice:notice_edit", args=[notice.pk])
    page = supervisor_client.get(url)
    assert page.status_code == 200 and "旧タイトル" in page.content.decode()
    with clock.frozen(AT):
        response = supervisor_client.post(
            url,
            form(title_ja="新タイトル", title_en="New title", published_from="2026-04-30T10:00"),
        )
        assert response.status_code == 302
        assert "New title" in top_page(client)
    notice.refresh_from_db()
    assert notice.title_ja == "新タイトル"
    event = AuditEvent.objects.get(action="portal.notice.changed")
    assert event.before["title_ja"] == "旧タイトル"
    assert event.after["title_ja"] == "新タイトル"


def test_bo7_end_removes_the_notice_from_the_top_page_and_is_audited(supervisor_client, client):
    notice = Notice.objects.create(
        title_ja="終了するお知らせ",
        body_ja="本文",
        title_en="Ending notice",
        published_from=AT - dt.timedelta(days=1),
    )
    url = reverse("backoffice:notice_end", args=[notice.pk])
    with clock.frozen(AT):
        assert "Ending notice" in top_page(client)
        assert supervisor_client.get(url).status_code == 200
        response = supervisor_client.post(url)
        assert response.status_code == 302
        assert "Ending notice" not in top_page(client)
        listing = supervisor_client.get(LIST).content.decode()
    notice.refresh_from_db()
    assert notice.published_until == AT
    assert "終了するお知らせ" in listing and "Ended" in listing
    event = AuditEvent.objects.get(action="portal.notice.ended")
    assert event.before["published_until"] is None and event.after["published_until"]
    # Ending it again is refused and changes nothing.
    with clock.frozen(AT + dt.timedelta(hours=1)):
        again = supervisor_client.post(url)
    assert again.status_code == 200
    assert "already ended" in again.content.decode()
    assert AuditEvent.objects.filter(action="portal.notice.ended").count() == 1


def test_bo7_scheduled_notice_appears_only_from_its_time(supervisor_client, client):
    with clock.frozen(AT):
        supervisor_client.post(
            NEW, form(title_en="Later notice", published_from="2026-05-02T09:00")
        )
        assert "Later notice" not in top_page(client)
        assert "Scheduled" in supervisor_client.get(LIST).content.decode()
    with clock.frozen(AT + dt.timedelta(days=1)):
        assert "Later notice" in top_page(client)


def test_bo7_list_shows_every_notice_with_links(supervisor_client):
    shown = Notice.objects.create(title_ja="表示中", body_ja="本文", published_from=AT)
    with clock.frozen(AT + dt.timedelta(minutes=1)):
        html = supervisor_client.get(LIST).content.decode()
    assert "表示中" in html and "Shown now" in html
    assert reverse("backoffice:notice_edit", args=[shown.pk]) in html
    assert reverse("backoffice:notice_end", args=[shown.pk]) in html


def test_bo7_missing_notice_is_404(supervisor_client):
    for name in ("notice_edit", "notice_end"):
        assert (
            supervisor_client.get(reverse(f"backoffice:{name}", args=[999999])).status_code == 404
        )


@pytest.mark.parametrize("role", ["officer", "helpdesk"])
def test_bo7_sec1_officer_and_helpdesk_cannot_change_notices(client, role):
    notice = Notice.objects.create(title_ja="お知らせ", body_ja="本文", published_from=AT)
    sign_in_as(client, role)
    assert client.post(NEW, form()).status_code == 403
    assert client.post(reverse("backoffice:notice_end", args=[notice.pk])).status_code == 403
    assert Notice.objects.count() == 1 and Notice.objects.get().published_until is None


def test_bo7_administrator_manages_notices_too(client):
    sign_in_as(client, "administrator")
    assert client.post(NEW, form()).status_code == 302
    assert Notice.objects.count() == 1
