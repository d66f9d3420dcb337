"""SEC-1, BO-1: every back-office URL × every role → the expected answer.

The URLs are enumerated from the URL patterns of the back-office namespaces as they exist when
the test runs, so a page added later is covered (and must be guarded). Each view names its
action (``officer_required(<action>)``); ``EXPECTED`` below says, independently of the code's
role table, which roles may perform each action. Rules checked for every URL:

- anonymous → the back-office log-in page (GET and POST);
- a resident, an organization or a service A user → 403 (GET and POST);
- a back-office role without the action → 403 (GET and POST: the POST never reaches the view);
- a role with the action → neither 403 nor a server error nor the log-in page: the page
  (200), a redirect (302), 405 for POST-only actions, or 404 for an object outside the user's
  jurisdiction or missing — the same 404 for both, never a 403 that tells it exists.
"""

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.urls import URLPattern, get_resolver, reverse

from tests.backoffice.roles import BACK_OFFICE, ROLES, make_mail, sign_in_as
from tests.filings.factories import make_organization, make_resident
from zairyu.audit.services import audit_record
from zairyu.backoffice import access
from zairyu.core import clock
from zairyu.mail.models import Mail
from zairyu.portal.models import Notice

pytestmark = pytest.mark.django_db

NAMESPACES = ["backoffice", "bo_applications", "bo_service_o"]
PUBLIC = {"backoffice:login", "backoffice:logout"}
MISSING = 999999

OFFICE = {"officer", "supervisor"}
OVERSIGHT = {"supervisor", "administrator"}
# Who may do what: the SEC-1 matrix as decided (access.py "Back-office roles").
EXPECTED = {
    "home": {"officer", "supervisor", "helpdesk", "administrator"},
    "view": OFFICE,
    "create": OFFICE,
    "change": OFFICE,
    "accounts_view": OFFICE,
    "accounts_register": OFFICE,
    "accounts_change": OFFICE,
    "accounts_lookup": OFFICE | {"helpdesk"},
    "applications_decide": OFFICE,
    "dashboard": OVERSIGHT,
    "notices": OVERSIGHT,
    "audit_view": OVERSIGHT,
    "audit_export": OVERSIGHT,
    "maillog_view": OVERSIGHT | {"helpdesk"},
    "maillog_addresses": {"administrator"},
    "mail_requeue": {"administrator"},
}


# The action each page of BO-7..BO-9 and the role-dependent pages must require (so that a page
# wrapped in the wrong action fails here, not only one wrapped in none).
URL_ACTIONS = {
    "backoffice:home": "home",
    "backoffice:account_search": "accounts_lookup",
    "backoffice:account_detail": "accounts_lookup",
    "backoffice:account_unlock": "accounts_change",
    "backoffice:staff_queue": "accounts_view",
    "backoffice:notices": "notices",
    "backoffice:notice_create": "notices",
    "backoffice:notice_edit": "notices",
    "backoffice:notice_end": "notices",
    "backoffice:audit": "audit_view",
    "backoffice:audit_detail": "audit_view",
    "backoffice:audit_verify": "audit_view",
    "backoffice:audit_export": "audit_export",
    "backoffice:maillog": "maillog_view",
    "backoffice:maillog_detail": "maillog_view",
    "backoffice:maillog_requeue": "mail_requeue",
}


def allowed_roles(action: str) -> set[str]:
    """EXPECTED, or for an action added after this table, what the role table grants."""
    if action in EXPECTED:
        return EXPECTED[action]
    app_label, codename = access.PERMISSIONS[action].split(".")
    return {
        role
        for role, (group, _) in BACK_OFFICE.items()
        if (app_label, codename) in access.BACK_OFFICE_ROLES[group]
    }


def back_office_patterns():
    """(namespace:name, pattern) of every URL in the back-office namespaces."""
    resolver = get_resolver()
    found = []
    for namespace in NAMESPACES:
        if namespace not in resolver.namespace_dict:
            continue
        _, sub = resolver.namespace_dict[namespace]
        for pattern in sub.url_patterns:
            assert isinstance(pattern, URLPattern), f"nested include in {namespace}"
            found.append((f"{namespace}:{pattern.name}", pattern))
    return found


@pytest.fixture
def objects():
    """Real objects for the id parameters that the back office uses most."""
    resident, card = make_resident()
    organization = make_organization(name="株式会社行列")
    notice = Notice.objects.create(title_ja="お知らせ", body_ja="本文", published_from=clock.now())
    event = audit_record(action="test.matrix")
    mail = make_mail(to="matrix@example.com", state=Mail.State.FAILED, attempts=5)
    return {
        "card_id": card.pk,
        "account_id": resident.pk,
        "organization_id": organization.pk,
        "notice_id": notice.pk,
        "event_id": event.pk,
        "mail_id": mail.pk,
        "action": "suspend",
    }


def url_for(name: str, pattern: URLPattern, objects: dict) -> str:
    kwargs = {}
    for key, converter in pattern.pattern.converters.items():
        kind = type(converter).__name__
        if kind == "IntConverter":
            kwargs[key] = objects.get(key, MISSING)
        elif kind == "UUIDConverter":
            kwargs[key] = uuid.uuid4()
        else:
            kwargs[key] = objects.get(key, "x")
    return reverse(name, kwargs=kwargs)


def guarded():
    return [
        (name, pattern, pattern.callback.officer_action)
        for name, pattern in back_office_patterns()
        if name not in PUBLIC
    ]


def test_sec1_every_back_office_url_is_guarded_by_an_action():
    patterns = back_office_patterns()
    assert len(patterns) > 40
    for name, pattern in patterns:
        if name in PUBLIC:
            continue
        action = getattr(pattern.callback, "officer_action", None)
        assert action in access.PERMISSIONS, f"{name} is not wrapped in officer_required"


def test_sec1_pages_require_their_action():
    callbacks = dict(back_office_patterns())
    for name, action in URL_ACTIONS.items():
        assert callbacks[name].callback.officer_action == action, name


def test_sec1_role_table_grants_what_the_matrix_expects():
    for action, roles in EXPECTED.items():
        app_label, codename = access.PERMISSIONS[action].split(".")
        assert Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).exists(), action
        granted = {
            role
            for role, (group, _) in BACK_OFFICE.items()
            if (app_label, codename) in access.BACK_OFFICE_ROLES[group]
        }
        assert granted == roles, action


@pytest.mark.parametrize("role", ROLES)
def test_sec1_matrix_every_url_for_role(client, role, objects):
    user = sign_in_as(client, role)
    login = reverse("backoffice:login")
    failures = []
    for name, pattern, action in guarded():
        url = url_for(name, pattern, objects)
        may = user is not None and role in allowed_roles(action)
        get = client.get(url)
        if user is None:
            for response in (get, client.post(url)):
                if response.status_code != 302 or not response["Location"].startswith(login):
                    failures.append(
                        (name, response.request["REQUEST_METHOD"], response.status_code)
                    )
            continue
        if not may:
            post = client.post(url)
            if get.status_code != 403 or post.status_code != 403:
                failures.append((name, action, get.status_code, post.status_code))
            continue
        location = get.get("Location", "")
        if (
            get.status_code not in (200, 302, 404, 405)
            or location.startswith(login)
            or "/otp/" in location
        ):
            failures.append((name, action, get.status_code, location))
    assert not failures, f"{role}: {failures}"


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 302),
        ("resident", 403),
        ("service_a", 403),
        ("officer", 403),
        ("helpdesk", 403),
        ("supervisor", 200),
        ("administrator", 200),
    ],
)
def test_sec1_existing_notice_audit_event_pages_by_role(client, role, expected, objects):
    sign_in_as(client, role)
    for url in (
        reverse("backoffice:notice_edit", args=[objects["notice_id"]]),
        reverse("backoffice:audit_detail", args=[objects["event_id"]]),
    ):
        assert client.get(url).status_code == expected, url


@pytest.mark.parametrize(
    ("role", "expected"),
    [("officer", 403), ("helpdesk", 200), ("supervisor", 200), ("administrator", 200)],
)
def test_sec1_mail_page_by_role_and_missing_is_404(client, role, expected, objects):
    sign_in_as(client, role)
    assert (
        client.get(reverse("backoffice:maillog_detail", args=[objects["mail_id"]])).status_code
        == expected
    )
    missing = client.get(reverse("backoffice:maillog_detail", args=[MISSING])).status_code
    assert missing == (404 if expected == 200 else 403)


def test_sec1_helpdesk_looks_accounts_up_but_changes_nothing(client, objects):
    sign_in_as(client, "helpdesk")
    account = objects["account_id"]
    assert client.get(reverse("backoffice:account_detail", args=[account])).status_code == 200
    assert client.get(reverse("backoffice:account_search")).status_code == 200
    for name in ("account_unlock", "account_password_reissue", "account_auth_id_reissue"):
        assert client.post(reverse(f"backoffice:{name}", args=[account])).status_code == 403
    assert client.get(reverse("backoffice:staff_queue")).status_code == 403
    assert (
        client.get(reverse("backoffice:card_detail", args=[objects["card_id"]])).status_code == 403
    )


def test_sec1_home_links_follow_the_role(client):
    sign_in_as(client, "helpdesk")
    html = client.get(reverse("backoffice:home")).content.decode()
    assert reverse("backoffice:maillog") in html and reverse("backoffice:account_search") in html
    assert reverse("backoffice:audit") not in html and reverse("backoffice:notices") not in html
    client.logout()
    sign_in_as(client, "supervisor")
    html = client.get(reverse("backoffice:home")).content.decode()
    for name in ("card_search", "audit", "notices", "maillog"):
        assert reverse(f"backoffice:{name}") in html
    client.logout()
    sign_in_as(client, "officer")
    html = client.get(reverse("backoffice:home")).content.decode()
    assert reverse("backoffice:card_search") in html
    assert reverse("backoffice:audit") not in html and reverse("backoffice:maillog") not in html


def test_sec1_helpdesk_signs_in_to_the_home_page_not_a_403(client):
    from tests.backoffice.roles import make_back_office_user

    make_back_office_user("helpdesk", username="desk1")
    response = client.post(
        reverse("backoffice:login"), {"username": "desk1", "password": "Officer-pass-2026!"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:home")


@pytest.mark.parametrize("role", list(BACK_OFFICE))
def test_sec1_every_home_link_opens_for_the_role(client, role):
    import re

    sign_in_as(client, role)
    response = client.get(reverse("backoffice:home"))
    assert response.status_code == 200
    main = response.content.decode().split('class="bo-action-list"', 1)[1].split("</ul>", 1)[0]
    links = re.findall(r'href="([^"]+)"', main)
    assert links
    for url in links:
        assert client.get(url).status_code in (200, 302), url
