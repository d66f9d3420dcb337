"""The applications dashboard (BO-6): backlog per office and state, filings per day, days to
decision — SVG charts with the same figures in tables; for roles with the dashboard right."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from tests.applications.factories import make_foreign_national
from tests.applications.officer_fixtures import card_in, make_submitted, officer_of
from zairyu.accounts.models import Category
from zairyu.applications.models import Application, ApplicationState
from zairyu.applications.services import transition
from zairyu.backoffice import dashboard
from zairyu.backoffice.access import applications_for_statistics, role_group
from zairyu.core import clock

S = ApplicationState
pytestmark = pytest.mark.django_db
URL = "/backoffice/applications/dashboard/"


def supervisor(bureau=None):
    user = get_user_model().objects.create_user(
        f"super-{bureau or 'hq'}",
        password="Officer-pass-2026!",
        is_staff=True,
        category=Category.SUPERVISOR,
        bureau_id=bureau,
    )
    user.groups.add(role_group("supervisor"))
    return user


def osaka_submitted(**fields):
    card = card_in("27", "27102")
    user, _ = make_foreign_national(card=card)
    return make_submitted(filer=user, card=card, **fields)


@pytest.fixture
def data():
    """Tokyo: 2 submitted (one filed 3 days ago), 1 examining, 1 decided after 10 days;
    Osaka: 1 submitted."""
    today = clock.today()
    a = make_submitted()
    b = make_submitted(filed_on=today - dt.timedelta(days=3))
    c = make_submitted()
    transition(c, to=S.EXAMINING)
    d = make_submitted(filed_on=today - dt.timedelta(days=10))
    transition(d, to=S.EXAMINING)
    transition(d, to=S.DENIED, changes={"decision": "denied"})
    e = osaka_submitted()
    return a, b, c, d, e


def test_bo6_figures_per_office_state_and_day(data):
    everything = applications_for_statistics(supervisor())
    rows = dashboard.backlog(everything)
    by_office = {row["bureau"]: row for row in rows}
    tokyo = by_office["東京出入国在留管理局"]
    assert tokyo["counts"] == [2, 0, 1, 0] and tokyo["total"] == 3
    assert by_office["大阪出入国在留管理局"]["total"] == 1
    per_day = dict(dashboard.filings_per_day(everything))
    today = clock.today()
    assert len(per_day) == 30
    assert per_day[today] == 3 and per_day[today - dt.timedelta(days=3)] == 1
    assert per_day[today - dt.timedelta(days=10)] == 1
    times = dashboard.days_to_decision(everything)
    assert times.count == 1 and times.median == 10
    assert dict(times.buckets)["8–14"] == 1


def test_bo6_a_bureau_supervisor_sees_only_its_offices(data):
    mine = applications_for_statistics(supervisor("tokyo"))
    assert {row["bureau"] for row in dashboard.backlog(mine)} == {"東京出入国在留管理局"}
    assert not applications_for_statistics(officer_of("tokyo")).exists()  # no dashboard right


def test_bo6_page_draws_svg_charts_with_table_fallback(client, sign_in_officer, data):
    sign_in_officer(client, supervisor())
    response = client.get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count('<svg class="dashboard-chart"') == 3
    assert 'role="img"' in text and "<title" in text
    main = text[text.index("<main") : text.index("</main>")]
    assert "<script" not in main and " style=" not in main  # no JS library; CSP holds
    assert "Backlog per office and state" in text and "東京出入国在留管理局" in text
    assert "Median 10 days over 1 decision." in text
    assert "<caption>Pending applications per office and state</caption>" in text


def test_bo6_dashboard_needs_its_right(client, sign_in_officer):
    sign_in_officer(client, officer_of("tokyo"))
    assert client.get(URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302


def test_bo6_empty_dashboard(client, sign_in_officer):
    sign_in_officer(client, supervisor("tokyo"))
    text = client.get(URL).content.decode()
    assert "No pending application." in text and "No decision in the last 12 months." in text
    assert Application.objects.count() == 0
