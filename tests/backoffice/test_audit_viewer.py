"""BO-8 / SEC-6: the audit trail viewer (filters kept out of the URL, paginated), the streamed
CSV export (formula cells neutralised, the export itself audited) and the chain check."""

import csv
import io

import pytest
from django.db import models
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.backoffice.roles import make_back_office_user, sign_in_as
from zairyu.audit.models import AuditEvent
from zairyu.audit.services import audit_record, audit_seal
from zairyu.backoffice.audit_views import PAGE_SIZE, csv_safe
from zairyu.core import clock

pytestmark = pytest.mark.django_db

LIST = reverse("backoffice:audit")
EXPORT = reverse("backoffice:audit_export")
VERIFY = reverse("backoffice:audit_verify")


@pytest.fixture
def supervisor_client(client):
    sign_in_as(client, "supervisor")
    return client


def event_at(at, **fields):
    with clock.frozen(at):
        return audit_record(**fields)


@pytest.fixture
def trail():
    day = clock.tokyo_datetime
    return {
        "old": event_at(
            day(2026, 3, 31, 23, 59),
            action="cards.card.viewed",
            object_type="cards.residencecard",
            object_id="11",
        ),
        "first": event_at(
            day(2026, 4, 1, 0, 0),
            action="cards.card.changed",
            object_type="cards.residencecard",
            object_id="12",
            after={"street": "本町1"},
        ),
        "login": event_at(day(2026, 4, 2, 9, 0), action="backoffice.login.failed"),
        "late": event_at(
            day(2026, 4, 3, 23, 59), action="account.viewed", object_type="accounts.user"
        ),
        "next": event_at(day(2026, 4, 4, 0, 0), action="account.viewed"),
    }


def shown(response, events):
    html = response.content.decode()
    return {name for name, event in events.items() if f'/backoffice/audit/{event.pk}/"' in html}


def filter_by(client, **criteria):
    data = {
        "date_from": "",
        "date_to": "",
        "actor": "",
        "action": "",
        "object_type": "",
        "object_id": "",
    }
    data.update(criteria)
    response = client.post(LIST, data)
    assert response.status_code == 302 and response["Location"] == LIST
    return client.get(LIST)


def test_bo8_filters_by_date_range_in_japan_time(supervisor_client, trail):
    page = filter_by(supervisor_client, date_from="2026-04-01", date_to="2026-04-03")
    assert shown(page, trail) == {"first", "login", "late"}


def test_bo8_filters_by_action_prefix_object_and_actor(supervisor_client, trail):
    assert shown(filter_by(supervisor_client, action="cards.card"), trail) == {"old", "first"}
    assert shown(filter_by(supervisor_client, action="cards.card.viewed"), trail) == {"old"}
    assert shown(filter_by(supervisor_client, action="cards.ca"), trail) == set()
    page = filter_by(supervisor_client, object_type="cards.residencecard", object_id="12")
    assert shown(page, trail) == {"first"}
    officer = make_back_office_user("officer", username="acting-officer")
    acted = audit_record(action="cards.card.viewed", actor=officer)
    by_name = filter_by(supervisor_client, actor="acting-officer")
    assert shown(by_name, {**trail, "acted": acted}) == {"acted"}
    by_id = filter_by(supervisor_client, actor=str(officer.pk))
    assert shown(by_id, {**trail, "acted": acted}) == {"acted"}
    assert shown(filter_by(supervisor_client, actor="acting"), {"acted": acted}) == set()


def test_bo8_criteria_stay_out_of_the_url_and_the_listing_is_audited(supervisor_client, trail):
    page = filter_by(supervisor_client, actor="someone-personal", object_id="12")
    assert page.request["QUERY_STRING"] == ""
    assert "someone-personal" not in page.request["PATH_INFO"]
    listed = AuditEvent.objects.filter(action="audit.listed").latest("id")
    assert listed.after["criteria"]["actor"] == "someone-personal"
    assert listed.actor_repr == "bo-supervisor"


def test_bo8_bad_dates_are_refused_by_field(supervisor_client):
    response = supervisor_client.post(
        LIST, {"date_from": "2026-04-05", "date_to": "2026-04-01", "actor": ""}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_date_to_error"' in html
    assert "To (date) is before From (date)." in html
    response = supervisor_client.post(LIST, {"date_from": "yesterday"})
    assert "From (date) is not a date." in response.content.decode()


def test_bo8_paginated_newest_first(supervisor_client):
    for n in range(PAGE_SIZE + 3):
        audit_record(action="test.paging", object_id=str(n))
    filter_by(supervisor_client, action="test.paging")
    first = supervisor_client.get(LIST).content.decode()
    second = supervisor_client.get(LIST + "?page=2").content.decode()
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    newest = AuditEvent.objects.filter(action="test.paging").order_by("-id")
    assert f'/backoffice/audit/{newest[0].pk}/"' in first
    assert f'/backoffice/audit/{newest[PAGE_SIZE + 2].pk}/"' in second
    assert f'/backoffice/audit/{newest[0].pk}/"' not in second


def test_bo8_event_detail_shows_before_and_after_and_is_audited(supervisor_client, trail):
    response = supervisor_client.get(reverse("backoffice:audit_detail", args=[trail["first"].pk]))
    assert response.status_code == 200
    assert "本町1" in response.content.decode()
    viewed = AuditEvent.objects.get(action="audit.event.viewed")
    assert viewed.object_id == str(trail["first"].pk)


def read_csv(response):
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_bo8_sec6_export_streams_the_filtered_events_and_is_audited(supervisor_client, trail):
    filter_by(supervisor_client, date_from="2026-04-01", date_to="2026-04-02")
    response = supervisor_client.post(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = read_csv(response)
    header, body = rows[0], rows[1:]
    assert header[:6] == ["id", "chain_position", "time", "actor_id", "actor", "action"]
    assert [row[5] for row in body] == ["cards.card.changed", "backoffice.login.failed"]
    assert body[0][2] == "2026-04-01T00:00:00+09:00"
    assert '"street": "本町1"' in body[0][11]
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.after["rows"] == 2
    assert exported.after["criteria"]["date_from"] == "2026-04-01"


def test_bo8_sec6_export_neutralises_formula_cells(supervisor_client):
    # A user chose a name a spreadsheet would run; the trail copies it as the actor.
    evil = UserFactory(username='=HYPERLINK("http://evil")')
    audit_record(action="account.password_changed", actor=evil, after={"username": "=1+1"})
    audit_record(action="test.formula", object_id="@SUM(A1)")
    audit_record(action="test.formula", object_id="+81", object_type="-x")
    audit_record(action="test.formula", object_id="\tcmd")
    rows = read_csv(supervisor_client.post(EXPORT))[1:]
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert "'@SUM(A1)" in cells and "'+81" in cells and "'-x" in cells and "'\tcmd" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert '{"username": "=1+1"}' in cells  # JSON starts with "{": safe as is


def test_bo8_csv_safe_cells():
    assert csv_safe("=cmd") == "'=cmd"
    assert csv_safe("\rx") == "'\rx"
    assert csv_safe("plain") == "plain"
    assert csv_safe(None) == ""
    assert csv_safe(12) == "12"
    assert csv_safe(-3) == "'-3"


def test_bo8_sec6_verify_reports_an_intact_chain(supervisor_client, trail):
    audit_seal()
    response = supervisor_client.post(VERIFY)
    assert response.status_code == 302 and response["Location"] == LIST
    html = supervisor_client.get(LIST).content.decode()
    assert "The audit chain is intact." in html
    assert "Intact: 5 sealed events verified" in html
    verified = AuditEvent.objects.get(action="audit.verified")
    assert verified.after["ok"] is True and verified.after["checked"] == 5


def test_bo8_sec6_verify_shows_a_broken_chain_after_a_row_is_hand_edited(supervisor_client, trail):
    audit_seal()
    target = AuditEvent.objects.get(pk=trail["login"].pk)
    # Tampering as someone with database access would: past the model's append-only guard.
    models.QuerySet(model=AuditEvent).filter(pk=target.pk).update(actor_repr="nobody")
    supervisor_client.post(VERIFY)
    html = supervisor_client.get(LIST).content.decode()
    assert "The audit chain is broken" in html
    assert f"Broken at chain position {target.seal_seq}" in html
    assert "content does not match its seal" in html
    assert reverse("backoffice:audit_detail", args=[target.pk]) in html
    verified = AuditEvent.objects.get(action="audit.verified")
    assert verified.after["ok"] is False and verified.after["broken_event_id"] == target.pk


def test_bo8_sec1_officers_and_helpdesk_see_no_trail(client, trail):
    for role in ("officer", "helpdesk"):
        sign_in_as(client, role)
        assert client.get(LIST).status_code == 403
        assert client.post(EXPORT).status_code == 403
        assert client.post(VERIFY).status_code == 403
        client.logout()
    assert not AuditEvent.objects.filter(action__in=["audit.exported", "audit.verified"]).exists()


def test_bo8_export_needs_post(supervisor_client):
    assert supervisor_client.get(EXPORT).status_code == 405
    assert supervisor_client.get(VERIFY).status_code == 405


def test_bo8_administrator_exports_too(client, trail):
    sign_in_as(client, "administrator")
    rows = read_csv(client.post(EXPORT))
    # The header, the trail, and the export's own event (written before the rows stream).
    assert [row[5] for row in rows[1:]] == [
        *(event.action for event in trail.values()),
        "audit.exported",
    ]


def test_bo8_missing_event_is_404(supervisor_client):
    assert (
        supervisor_client.get(reverse("backoffice:audit_detail", args=[999999])).status_code == 404
    )


def test_bo8_unsealed_events_listed_as_such(supervisor_client, trail):
    html = supervisor_client.get(LIST).content.decode()
    assert "not sealed yet" in html
