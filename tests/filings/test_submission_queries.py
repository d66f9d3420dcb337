"""The statements each step of a submission costs, pinned so they cannot creep back (issue 17).

A full Art. 19-17 filing by an organization and an Art. 19-16 filing by a resident, as a browser
makes them: the event list, start, the form, its POST, the confirm page, the submit POST and the
filing's page. Requests run outside a test transaction, as a server's do, so the per-process
reference cache works as in production (warmed by a first run); the worker's tasks are not run
inline, so only the web's statements count. Transaction control (BEGIN, COMMIT, savepoints) is
left out: SQLite logs it, PostgreSQL does not.

What a step may cost, and why:
- every request: the session and the user (with the organization or person it files for: one
  join, ``accounts.backends``);
- the form, its POST, the confirm page: whether this form (its token) already made a filing;
- the form POST and the submit: the session write of the draft (kept or dropped);
- the submit: the card match, then one INSERT each for the filing, its history, its audit
  event and its mail;
- the filing's page: the filing and its history.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zairyu.filings.models import Filing
from zairyu.reference import cache

from .factories import days_ago
from .test_organization_pages import face
from .test_resident_pages import fill_contract_end

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")

ORGANIZATION_STEPS = {
    "events": 2,
    "start": 2,
    "form": 3,
    "form_post": 4,
    "confirm": 3,
    "submit": 9,
    "filing": 4,
}
# A resident's pages also read the resident's current card once per request (the registry's
# data fills in the common items); the submit reads it again in the service's own check.
RESIDENT_STEPS = {
    "events": 3,
    "start": 3,
    "form": 4,
    "form_post": 5,
    "confirm": 4,
    "submit": 10,
    "filing": 4,
}


def _statements(queries) -> int:
    return sum(1 for q in queries if not q["sql"].upper().startswith(CONTROL))


def _steps(client, *, events_url: str, start_url: str, data: dict) -> dict[str, int]:
    seen: dict[str, int] = {}

    def run(name, call):
        with CaptureQueriesContext(connection) as queries:
            response = call()
        assert response.status_code in (200, 302), (name, response.status_code)
        seen[name] = _statements(queries.captured_queries)
        if __import__("os").environ.get("SHOW_SQL"):
            print("---", name)
            for q in queries.captured_queries:
                print("   ", q["sql"][:160])
        return response

    run("events", lambda: client.get(events_url))
    form_url = run("start", lambda: client.get(start_url))["Location"]
    run("form", lambda: client.get(form_url))
    confirm_url = run("form_post", lambda: client.post(form_url, data))["Location"]
    run("confirm", lambda: client.get(confirm_url))
    done = run("submit", lambda: client.post(confirm_url, {"action": "submit"}))
    run("filing", lambda: client.get(done["Location"]))
    return seen


@pytest.fixture
def client(client):
    """Pages in English, as a user who chose English (no language switch on the way)."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def server_like(reference_data, monkeypatch):
    monkeypatch.setattr("zairyu.core.work.wake", lambda task, *args: True)
    cache.clear()
    yield
    cache.clear()


def test_query_counts_of_an_organization_filing(server_like, client, company, engineer):
    org_user, _organization = company
    _resident, card = engineer
    client.force_login(org_user)
    data = {
        **face(card),
        "start_date": days_ago(3).isoformat(),
        "activity": "システム開発",
        "not_bound_to_report": "on",
    }
    flow = {
        "events_url": reverse("filings:organization_events"),
        "start_url": reverse("filings:organization_start", args=["org_acceptance_start"]),
        "data": data,
    }
    _steps(client, **flow)  # a server that has served a page before
    assert _steps(client, **flow) == ORGANIZATION_STEPS
    assert Filing.objects.filter(filer=org_user).count() == 2


def test_query_counts_of_a_resident_filing(server_like, client, engineer):
    user, _card = engineer
    client.force_login(user)
    flow = {
        "events_url": reverse("filings:resident_events"),
        "start_url": reverse("filings:resident_start", args=["con_contract_end"]),
        "data": fill_contract_end(),
    }
    _steps(client, **flow)
    assert _steps(client, **flow) == RESIDENT_STEPS
    assert Filing.objects.filter(filer=user).count() == 2
