"""Reference data is edited in the Django admin, and every change is audited."""

import datetime as dt

import pytest
from django.urls import reverse

from zairyu.audit.models import AuditEvent
from zairyu.core import days
from zairyu.reference.models import AdministrativeClosure, NotificationEvent, Status

pytestmark = pytest.mark.django_db


def _status_form(status: Status, **changes) -> dict:
    data = {
        "name_ja": status.name_ja,
        "name_en": status.name_en,
        "table": status.table,
        "notification_group": status.notification_group,
        "notification_group_alt": status.notification_group_alt,
        "notification_note": status.notification_note,
        "valid_from": "",
        "valid_until": "",
        "note": status.note,
        "sort_order": status.sort_order,
        "card_issued": "on",
        "mid_to_long_term": "on",
        "online_eligible": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_ref1_status_change_in_the_admin_is_audited(admin_client):
    status = Status.objects.get(code="artist")
    url = reverse("admin:reference_status_change", args=["artist"])
    response = admin_client.post(url, _status_form(status, online_eligible=None))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Status.objects.get(code="artist").online_eligible is False
    event = AuditEvent.objects.get(action="reference.status.changed")
    assert event.object_id == "artist"
    assert event.before["online_eligible"] is True
    assert event.after["online_eligible"] is False
    assert event.actor_repr == "admin"


def test_ref6_fee_added_in_the_admin_is_audited(admin_client):
    response = admin_client.post(
        reverse("admin:reference_fee_add"),
        {
            "procedure": "extension",
            "valid_from": "2030-04-01",
            "counter_amount": "7000",
            "online_amount": "6500",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="reference.fee.created")
    assert event.after["online_amount"] == 6500
    from zairyu.reference import selectors

    assert selectors.fee_for("extension", on=dt.date(2030, 4, 1)) == 6500


def test_ref7_closure_added_in_the_admin_closes_the_offices(admin_client):
    day = dt.date(2026, 11, 20)  # a Friday
    assert days.is_business_day(day)
    response = admin_client.post(
        reverse("admin:reference_administrativeclosure_add"),
        {"date": "2026-11-20", "reason_ja": "システム移行", "reason_en": "System migration"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert AuditEvent.objects.filter(action="reference.administrativeclosure.created").exists()
    assert not days.is_business_day(day)
    assert days.next_business_day(dt.date(2026, 11, 19)) == dt.date(2026, 11, 24)


def test_many_to_many_changes_are_audited_as_codes(admin_client):
    event = NotificationEvent.objects.get(code="school_acceptance_start")
    url = reverse("admin:reference_notificationevent_change", args=[event.code])
    response = admin_client.post(
        url,
        {
            "article": event.article,
            "group": "",
            "organization_kind": event.organization_kind,
            "statuses": ["student", "trainee"],
            "name_ja": event.name_ja,
            "name_en": event.name_en,
            "deadline_days": "14",
            "periodic_dates": "",
            "note": "",
            "sort_order": event.sort_order,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    changed = AuditEvent.objects.get(action="reference.notificationevent.changed")
    assert "statuses" not in changed.after
    relations = AuditEvent.objects.get(action="reference.notificationevent.relations_changed")
    assert relations.before == {"statuses": ["student"]}
    assert relations.after == {"statuses": ["student", "trainee"]}


def test_admin_delete_is_audited(admin_client):
    closure = AdministrativeClosure.objects.create(date=dt.date(2026, 6, 1), reason_ja="臨時")
    url = reverse("admin:reference_administrativeclosure_delete", args=[closure.pk])
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="reference.administrativeclosure.deleted")
    assert event.before["reason_ja"] == "臨時"


@pytest.mark.parametrize(
    "name",
    [
        "bureau", "prefecture", "municipality", "status", "nationality", "procedure", "fee",
        "notificationitem", "notificationevent", "eventitem", "serviceokind", "sswfield",
        "difficultyreason", "usercategory", "filingpermission", "administrativeclosure",
    ],
)  # fmt: skip
def test_every_reference_table_has_an_admin_list(admin_client, name):
    assert admin_client.get(reverse(f"admin:reference_{name}_changelist")).status_code == 200
