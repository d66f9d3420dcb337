"""SEC-1 for service A's filer pages: every applications URL × every role. Anonymous users are
sent to sign in; users of other services and officers are refused (403: these are not their
pages); another filer gets the same 404 as for a missing application; a colleague of the same
organization sees a draft but only its filer changes it. Refused requests change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.backoffice.conftest import verify_second_factor
from tests.filings.factories import make_officer, make_resident
from zairyu.applications.models import Application

from . import uploads_fixtures as f
from .drafting import attach, attach_photo, media_root  # noqa: F401 (fixture)
from .factories import make_coe_recipient, make_lawyer, make_organization_staff
from .test_pages import _staff_draft, _submitted

pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def world():
    owner, organization = make_organization_staff()
    colleague, _ = make_organization_staff(organization)
    draft, _card = _staff_draft(owner, organization)
    attach(owner, draft, name="draft.pdf")
    attach_photo(owner, draft)
    submitted = _submitted(owner, organization)
    return {
        "draft": draft,
        "submitted": submitted,
        "draft_document": draft.documents.get().pk,
        "submitted_document": submitted.documents.get().pk,
        "anonymous": None,
        "owner": owner,
        "colleague": colleague,
        "other_filer": make_organization_staff()[0],
        "lawyer": make_lawyer(),
        "resident": make_resident()[0],
        "coe_recipient": make_coe_recipient(),
        "officer": make_officer(bureau_id="tokyo"),
    }


def _pdf():
    return f.upload(f.good_pdf(), "x.pdf")


# (url name, object: "draft" / "submitted" / None, extra args, method, data factory)
ROUTES = [
    ("list", None, (), "get", None),
    ("start", None, (), "get", None),
    ("start", None, (), "post", lambda: {"procedure": "extension"}),
    ("detail", "draft", (), "get", None),
    ("step", "draft", ("personal1",), "get", None),
    ("step", "draft", ("personal1",), "post", lambda: {"roman_name": "X", "action": "save"}),
    ("autosave", "draft", ("personal1",), "post", lambda: {"roman_name": "X"}),
    ("document_add", "draft", (), "post", lambda: {"kind": "other", "file": _pdf()}),
    ("document", "draft", ("draft_document",), "get", None),
    ("document_remove", "draft", ("draft_document",), "post", dict),
    ("photo", "draft", (), "get", None),
    (
        "photo_upload",
        "draft",
        (),
        "post",
        lambda: {"photo": f.upload(f.jpeg(), "a.jpg", "image/jpeg")},
    ),
    ("confirm", "draft", (), "get", None),
    ("confirm", "draft", (), "post", lambda: {"token": "5d4c3b2a-1f0e-4d3c-8b2a-19f8e7d6c5b4"}),
    ("done", "draft", (), "get", None),
    ("handover", "draft", (), "get", None),
    ("handover", "draft", (), "post", lambda: {"to_user": "1"}),
    ("detail", "submitted", (), "get", None),
    ("done", "submitted", (), "get", None),
    ("receipt", "submitted", (), "get", None),
    ("document", "submitted", ("submitted_document",), "get", None),
    ("photo", "submitted", (), "get", None),
    ("amend", "submitted", (), "get", None),
    ("amend", "submitted", (), "post", lambda: {"note": "x"}),
    ("amend_step", "submitted", ("step3",), "get", None),
    (
        "amend_step",
        "submitted",
        ("step3",),
        "post",
        lambda: {"receipt_method": "counter", "applicant_email": "x@example.jp"},
    ),
    ("withdraw", "submitted", (), "get", None),
    ("withdraw", "submitted", (), "post", lambda: {"reason": "x"}),
    ("receipt_method", "submitted", (), "get", None),
    ("receipt_method", "submitted", (), "post", lambda: {"receipt_method": "counter"}),
]

REFUSED = {"resident": 403, "coe_recipient": 403, "officer": 403}
STRANGERS = ("other_filer", "lawyer")
# What a colleague of the owner's organization may open: the draft itself, read-only.
COLLEAGUE_OPEN = {
    ("detail", "draft", "get"),
    ("document", "draft", "get"),
    ("photo", "draft", "get"),
}


def sign_in(client, user):
    if user is None:
        return
    client.force_login(user)
    if user.is_staff:
        verify_second_factor(client, user)


def _url(world, name, target, extra):
    args = []
    if target is not None:
        args.append(world[target].pk)
    for item in extra:
        args.append(world.get(item, item))
    return reverse(f"applications:{name}", args=args)


def _request(client, method, url, data):
    if method == "get":
        return client.get(url)
    return client.post(url, data() if data else {})


def _snapshot():
    return [
        (a.pk, a.state, a.filer_id, a.version, repr(a.content), a.documents.count(), a.photo_sha256)
        for a in Application.objects.order_by("pk")
    ]


@pytest.mark.parametrize("role", ["anonymous", *REFUSED, *STRANGERS, "colleague"])
def test_sec1_every_url_refused_for_those_it_is_not_for(client, world, role):
    sign_in(client, world[role])
    before = _snapshot()
    for name, target, extra, method, data in ROUTES:
        url = _url(world, name, target, extra)
        response = _request(client, method, url, data)
        label = f"{method.upper()} {name} {target}"
        if role == "anonymous":
            assert response.status_code == 302, label
            assert response["Location"].startswith(reverse("accounts:login")), label
        elif role in REFUSED:
            assert response.status_code == REFUSED[role], label
        elif target is None:
            assert response.status_code in (200, 302, 400), label  # their own list / new draft
        elif role == "colleague" and (name, target, method) in COLLEAGUE_OPEN:
            assert response.status_code == 200, label
        else:
            assert response.status_code == 404, label
    after = _snapshot()
    if role != "colleague" and role not in STRANGERS:
        assert after == before
    else:  # their own new draft (start) is theirs; nothing of the owner changed
        owner_rows = {world["draft"].pk, world["submitted"].pk}
        assert [r for r in after if r[0] in owner_rows] == [r for r in before if r[0] in owner_rows]


def test_sec1_owner_reaches_every_url(client, world):
    sign_in(client, world["owner"])
    for name, target, extra, method, data in ROUTES:
        if name in ("document_remove", "handover") and method == "post":
            continue  # would change the world for the routes after it; tested in test_pages
        url = _url(world, name, target, extra)
        response = _request(client, method, url, data)
        assert response.status_code in (200, 302, 400), f"{method} {name} {target}"


@pytest.mark.parametrize("role", ["owner", *STRANGERS, "colleague"])
def test_sec1_missing_application_is_the_same_404(client, world, role):
    sign_in(client, world[role])
    for name, target, extra, method, data in ROUTES:
        if target is None:
            continue
        args = [999_999, *[world.get(item, item) for item in extra]]
        response = _request(client, method, reverse(f"applications:{name}", args=args), data)
        assert response.status_code == 404, f"{method} {name}"


def test_sec1_anonymous_autosave_is_not_saved(client, world):
    response = client.post(
        reverse("applications:autosave", args=[world["draft"].pk, "personal1"]),
        {"roman_name": "INTRUDER"},
    )
    assert response.status_code == 302
    world["draft"].refresh_from_db()
    assert "INTRUDER" not in repr(world["draft"].content)
