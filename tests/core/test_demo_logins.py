"""A newcomer's demo (issue 15): the log-ins printed last and again by ``demo_logins``, fixed
and listed in docs/demo.md (the service A staff ID too), the demo cards with every field a
filer must match (the prefecture included), and README links that work in a fresh clone."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from zairyu.backoffice.demo import DEMO_ADMIN, DEMO_HELPDESK, DEMO_OFFICER, DEMO_SUPERVISOR
from zairyu.cards.demo import DEMO_CARDS
from zairyu.core import clock
from zairyu.demo.management.commands.setup_demo import (
    DEMO_ORGANIZATION_ACCOUNTS,
    DEMO_STAFF_AUTH_ID,
    DEMO_STAFF_EMAIL,
    DEMO_STAFF_PASSWORD,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.ZAIRYU_SITE_URL = "http://127.0.0.1:8100"
    settings.ZAIRYU_JPKI_TEST_CA_DIR = str(tmp_path / "jpki")
    call_command("setup_demo", stdout=io.StringIO())


def demo_logins() -> str:
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    return out.getvalue()


def test_demo_logins_reprints_the_log_ins_last_with_the_fixed_staff_id(demo):
    text = demo_logins()
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[-1].endswith(f"{DEMO_STAFF_AUTH_ID} / {DEMO_STAFF_PASSWORD}")
    block = text[text.index("Demo log-ins") :]
    for auth_id, password in (DEMO_ADMIN, DEMO_OFFICER, DEMO_SUPERVISOR, DEMO_HELPDESK):
        assert f"{auth_id} / {password}" in block
    for auth_id, password, *_rest in DEMO_ORGANIZATION_ACCOUNTS:
        assert f"{auth_id} / {password}" in block
    assert "ZR10000001AA" not in block.split("Service A staff")[0]  # the cards come before
    links = re.findall(r"https?://[^\s)]+", text)
    assert links and all(link.startswith("http://127.0.0.1:8100/") for link in links)


def test_every_demo_card_is_listed_with_every_field_a_filer_must_match(demo):
    text = demo_logins()
    from zairyu.cards.models import ResidenceCard

    for spec in DEMO_CARDS:
        card = ResidenceCard.objects.with_number(spec.number).get()
        line = next(line for line in text.splitlines() if line.strip().startswith(spec.number))
        for value in (
            card.roman_name,
            card.nationality_id,
            f"born {card.birth_date:%Y-%m-%d}",
            f"sex {card.sex}",
            f"prefecture {card.prefecture_id} {card.prefecture.name_ja}",
            f"municipality {card.municipality_id}",
            f"card valid until {card.card_valid_until:%Y-%m-%d}",
        ):
            assert value in line, (value, line)


def test_the_service_a_staff_member_has_the_documented_auth_id(demo):
    user = get_user_model().objects.get(email=DEMO_STAFF_EMAIL)
    assert user.username == DEMO_STAFF_AUTH_ID
    assert user.check_password(DEMO_STAFF_PASSWORD)


def test_an_older_demo_staff_id_is_made_the_documented_one(demo, settings):
    get_user_model().objects.filter(username=DEMO_STAFF_AUTH_ID).update(username="Sx8Kq2mP0z")
    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    assert "fixed auth ID of the demo service A staff member" in out.getvalue()
    assert get_user_model().objects.filter(username=DEMO_STAFF_AUTH_ID).exists()
    assert not get_user_model().objects.filter(username="Sx8Kq2mP0z").exists()


@pytest.mark.django_db
def test_demo_logins_without_demo_data_says_what_to_run():
    assert "run `manage.py setup_demo`" in demo_logins()


def test_docs_demo_lists_every_log_in_and_card_as_the_demo_makes_them():
    doc = (ROOT / "docs" / "demo.md").read_text(encoding="utf-8")
    rows = {
        cells[0]: cells
        for line in doc.splitlines()
        if line.startswith("| ")
        for cells in [[cell.strip() for cell in line.strip("|").split("|")]]
    }
    logins = [
        *(DEMO_ADMIN, DEMO_OFFICER, DEMO_SUPERVISOR, DEMO_HELPDESK),
        *((auth_id, password) for auth_id, password, *_rest in DEMO_ORGANIZATION_ACCOUNTS),
        (DEMO_STAFF_AUTH_ID, DEMO_STAFF_PASSWORD),
    ]
    for auth_id, password in logins:
        assert f"| `{auth_id}` | `{password}` |" in doc, auth_id
    today = clock.today()
    for spec in DEMO_CARDS:
        face = spec.build(today)
        cells = rows[spec.number]
        assert cells[1] == face["roman_name"]
        assert cells[2].startswith(face["nationality_id"] + " ")
        if spec.person_ref != "DEMO-P007":  # her date of birth moves with the day
            assert cells[3] == face["birth_date"].isoformat()
        assert cells[4] == face["sex"]
        assert cells[5].startswith(face["prefecture_id"] + " ")
        assert cells[6].startswith(face["municipality_id"] + " ")


def test_readme_links_stay_inside_the_repository_and_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert targets
    for target in targets:
        if target.startswith(("http://", "https://", "#")):
            continue
        path = (ROOT / target.split("#", 1)[0]).resolve()
        assert path.is_relative_to(ROOT), f"{target} is outside the repository"
        assert path.exists(), f"{target} does not exist"
    # Paths named in code spans in the "Where things are" table exist too.
    table = readme[readme.index("## Where things are") :].split("\n## ", 1)[0]
    for span in re.findall(r"`([^`]+)`", table):
        if "/" in span and "<" not in span:
            path = (ROOT / span).resolve()
            assert path.is_relative_to(ROOT), f"{span} is outside the repository"
            assert path.exists(), f"{span} does not exist"
