"""The top page, its language switch, notices (BO-7), the helpdesk footer (UX-4), headers."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse

from zairyu.core import clock
from zairyu.portal.models import Notice

pytestmark = pytest.mark.django_db

LANGUAGE_CODES = ["ja", "en", "zh-hans", "zh-hant", "ko", "es", "pt", "tl"]


def test_top_page_is_japanese_by_default_whatever_the_browser_asks(client):
    response = client.get("/", headers={"accept-language": "en-US,en;q=0.9"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert "在留手続オンライン" in html
    assert response["Content-Language"] == "ja"


def test_language_switch_turns_the_top_page_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Immigration procedures online" in html
    assert "e-Notification System" in html
    assert "Online Residence Application System" in html


@pytest.mark.parametrize("code", LANGUAGE_CODES)
def test_ux3_every_language_can_be_chosen(client, code):
    client.post(reverse("set_language"), {"language": code, "next": "/"})
    response = client.get("/")
    assert response["Content-Language"] == code
    assert f'<html lang="{code}">' in response.content.decode()


@pytest.mark.parametrize("code", LANGUAGE_CODES)
def test_ux3_every_language_is_offered_in_the_switch(client, code):
    html = client.get("/").content.decode()
    assert f'<option value="{code}" lang="{code}"' in html


def test_nf8_pages_are_translated_not_just_labelled(client):
    texts = {}
    for code in ("ja", "en", "ko", "tl"):
        client.post(reverse("set_language"), {"language": code, "next": "/"})
        html = client.get("/").content.decode()
        texts[code] = re.search(r"<h1>(.*?)</h1>", html).group(1)
    assert len(set(texts.values())) == 4, texts


def test_language_switch_refuses_an_unknown_language_and_foreign_next(client):
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert client.get("/")["Content-Language"] == "ja"
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_ux4_helpdesk_contact_comes_from_configuration(client, settings):
    settings.ZAIRYU_HELPDESK = {
        "name": "Test helpdesk",
        "phone": "03-0000-1111",
        "email": "help@test.example",
        "hours": "10:00-16:00",
    }
    html = client.get("/").content.decode()
    for value in settings.ZAIRYU_HELPDESK.values():
        assert value in html


def test_bo7_published_notices_and_maintenance_windows_are_shown(client):
    now = clock.now()
    Notice.objects.create(
        title_ja="公開中のお知らせ",
        body_ja="本文",
        title_en="Current notice",
        published_from=now - dt.timedelta(days=1),
    )
    Notice.objects.create(
        title_ja="未来のお知らせ", body_ja="本文", published_from=now + dt.timedelta(days=1)
    )
    Notice.objects.create(
        title_ja="終了したお知らせ",
        body_ja="本文",
        published_from=now - dt.timedelta(days=10),
        published_until=now - dt.timedelta(days=1),
    )
    start = clock.tokyo_datetime(2026, 12, 5, 1, 0)
    Notice.objects.create(
        kind=Notice.Kind.MAINTENANCE,
        title_ja="メンテナンス",
        body_ja="停止します",
        maintenance_start=start,
        maintenance_end=start + dt.timedelta(hours=4),
        published_from=now - dt.timedelta(hours=1),
    )
    html = client.get("/").content.decode()
    assert "公開中のお知らせ" in html
    assert "未来のお知らせ" not in html
    assert "終了したお知らせ" not in html
    assert "2026-12-05 01:00" in html and "2026-12-05 05:00" in html
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert "Current notice" in html
    assert "メンテナンス" in html  # no English text given: the Japanese one is shown


def test_bo7_maintenance_notice_needs_its_window():
    from django.core.exceptions import ValidationError

    notice = Notice(
        kind=Notice.Kind.MAINTENANCE,
        title_ja="メンテナンス",
        body_ja="本文",
        published_from=clock.now(),
    )
    with pytest.raises(ValidationError) as excinfo:
        notice.full_clean()
    assert set(excinfo.value.message_dict) >= {"maintenance_start", "maintenance_end"}
    notice.maintenance_start = clock.now()
    notice.maintenance_end = clock.now() - dt.timedelta(hours=1)
    with pytest.raises(ValidationError) as excinfo:
        notice.full_clean()
    assert "maintenance_end" in excinfo.value.message_dict


def test_bo7_notice_changes_in_the_admin_are_audited(admin_client):
    from zairyu.audit.models import AuditEvent

    response = admin_client.post(
        reverse("admin:portal_notice_add"),
        {
            "kind": "info",
            "title_ja": "新しいお知らせ",
            "body_ja": "本文",
            "title_en": "",
            "body_en": "",
            "published_from_0": "2026-11-22",
            "published_from_1": "09:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="portal.notice.created")
    assert event.after["title_ja"] == "新しいお知らせ"
    assert event.actor_repr == "admin"


@pytest.mark.parametrize("slug", ["residents", "organizations", "applications"])
def test_service_entry_points_are_reachable_from_the_top_page(client, slug):
    url = reverse("portal:service", args=[slug])
    assert f'href="{url}"' in client.get("/").content.decode()
    assert client.get(url).status_code == 200


def test_unknown_service_is_404(client):
    assert client.get("/services/nothing/").status_code == 404


def test_sec2_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_sec2_no_inline_script_or_style_in_pages(client):
    html = client.get("/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "style=" not in html
    assert "<style" not in html


def test_sec2_cookies_are_httponly_and_samesite(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    page = client.get("/")
    csrf = page.cookies.get(settings.CSRF_COOKIE_NAME) or client.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["httponly"]


def test_sec7_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["database"] == "ok"


def test_ux1_every_page_links_a_favicon_and_favicon_ico_redirects_to_it(client):
    from django.contrib.staticfiles import finders
    from django.templatetags.static import static

    html = client.get("/").content.decode()
    assert f'<link rel="icon" href="{static("portal/favicon.ico")}"' in html
    assert f'<link rel="icon" href="{static("portal/favicon.svg")}" type="image/svg+xml">' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == static("portal/favicon.ico")
    assert client.head("/favicon.ico").status_code == 301
    assert client.post("/favicon.ico").status_code == 405
    with open(finders.find("portal/favicon.ico"), "rb") as ico:
        assert ico.read(4) == b"\x00\x00\x01\x00"  # an ICO file
    with open(finders.find("portal/favicon.svg"), encoding="utf-8") as svg:
        assert svg.read().startswith("<svg")
