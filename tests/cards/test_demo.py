"""REF-5: the demo population — deterministic, idempotent, edge cases true on any day."""

import datetime as dt
import io

from django.core.management import call_command

from zairyu.audit.models import AuditEvent
from zairyu.cards.demo import load_demo_population
from zairyu.cards.models import Organization, ResidenceCard
from zairyu.cards.selectors import card_match
from zairyu.cards.services import card_invalidate
from zairyu.core import clock


def card(number):
    return ResidenceCard.objects.get(number=number)


def assert_edge_cases_hold():
    today = clock.today()
    assert card("ZR10000002AA").issued_on == today
    assert card("ZR10000003AA").stay_until == today
    assert card("ZR10000003AA").standing() == "valid"
    assert card("ZR10000004AA").standing() == "expired"
    abroad = card("ZR10000005AA")
    assert abroad.abroad_on_reentry and abroad.abroad_since < today
    assert card("ZR10000006AA").last_moving_in_on == today
    minor = card("ZR10000007AA")
    assert minor.is_minor and minor.representative_name
    assert card("ZR10000013AA").state == "invalidated"
    assert card("ZR10000014AA").person_id == card("ZR10000013AA").person_id
    assert card("ZR10000012AA").stay_until is None


def test_ref5_demo_population_edge_cases():
    report = load_demo_population()
    assert report.cards_created == 14
    assert report.organizations_created == 6
    assert_edge_cases_hold()
    statuses = set(ResidenceCard.objects.values_list("status_id", flat=True))
    assert {
        "student",
        "ssw_1",
        "spouse_of_japanese",
        "engineer_humanities_international",
        "permanent_resident",
        "dependent",
    } <= statuses
    kinds = set(Organization.objects.values_list("kind", flat=True))
    assert kinds == {
        "company",
        "university",
        "language_school",
        "ssw_employer",
        "support_organization",
        "law_office",
    }
    # The printed demo data matches through the one card-face check.
    wang = card("ZR10000001AA")
    assert (
        card_match(
            number="zr10000001aa",
            roman_name="wang,xiaoming",
            nationality="CHN",
            birth_date=wang.birth_date,
            sex="M",
        )
        == wang
    )


def test_ref5_demo_population_idempotent_same_day():
    load_demo_population()
    events = AuditEvent.objects.count()
    rows = list(ResidenceCard.objects.order_by("id").values())
    report = load_demo_population()
    assert not report.changed()
    assert AuditEvent.objects.count() == events
    assert list(ResidenceCard.objects.order_by("id").values()) == rows


def test_ref5_demo_population_redated_next_day():
    load_demo_population()
    with clock.travel(dt.timedelta(days=1)):
        report = load_demo_population()
        assert report.cards_refreshed > 0 and report.cards_created == 0
        assert_edge_cases_hold()
        assert not load_demo_population().changed()


def test_ref5_demo_leaves_officer_changes_alone():
    load_demo_population()
    card_invalidate(actor=None, card=card("ZR10000001AA"), reason="departed")
    with clock.travel(dt.timedelta(days=2)):
        load_demo_population()
    assert card("ZR10000001AA").state == "invalidated"


def test_ref5_setup_demo_loads_and_prints(settings):
    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    text = out.getvalue()
    assert "ZR10000001AA" in text and "officer / " in text
    again = io.StringIO()
    call_command("setup_demo", stdout=again)
    assert "nothing changed" in again.getvalue()


def test_a4_demo_wang_is_inside_the_extension_window_on_any_day():
    """setup_demo suggests an extension for WANG XIAOMING (ZR10000001AA): it must be accepted."""
    from zairyu.applications.rules import extension_opens_on, refuse_extension_window

    for day in (dt.date(2026, 11, 22), dt.date(2027, 2, 28), dt.date(2028, 5, 31)):
        at = dt.datetime.combine(day, dt.time(10), tzinfo=clock.TOKYO)
        with clock.frozen(at):
            load_demo_population()
            wang = card("ZR10000001AA")
            assert wang.stay_until > day
            assert extension_opens_on(wang) <= day
            assert refuse_extension_window("extension", card=wang, today=day) is None
