"""Print the demo log-ins and the demo residence cards again (``make run`` prints them last).

The same text ``setup_demo`` prints, without changing anything but the demo certificates'
files (issued again only when missing or about to expire). Listed as well in docs/demo.md.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from zairyu.backoffice.demo import DEMO_ADMIN
from zairyu.cards.demo import DEMO_CARDS


def demo_card_lines() -> list[str]:
    """One line per demo card with every field a filer must type as printed on the card:
    number, roman name, nationality or region, date of birth, sex, prefecture (Art. 19-17
    notifications match it), municipality and validity date (service A matches them too)."""
    from zairyu.cards.models import ResidenceCard

    lines = []
    for spec in DEMO_CARDS:
        card = (
            ResidenceCard.objects.with_number(spec.number)
            .select_related("nationality", "prefecture", "municipality", "status")
            .first()
        )
        if card is None:
            continue
        municipality = (
            f"{card.municipality_id} {card.municipality.name_ja}" if card.municipality else "-"
        )
        lines.append(
            f"  {card.number}  {card.roman_name} | {card.nationality_id} "
            f"({card.nationality.name_en}) | born {card.birth_date:%Y-%m-%d} | sex {card.sex} | "
            f"prefecture {card.prefecture_id} {card.prefecture.name_ja} "
            f"({card.prefecture.name_en}) | municipality {municipality} | card valid until "
            f"{card.card_valid_until:%Y-%m-%d} | {card.status.name_en}"
            + ("" if card.state == ResidenceCard.State.VALID else f" | {card.get_state_display()}")
            + f"\n      {spec.note}"
        )
    return lines


class Command(BaseCommand):
    help = "Print the demo log-ins and demo residence cards again (after make run scrolled)."

    def handle(self, *args, **options):
        if not get_user_model().objects.filter(username=DEMO_ADMIN[0]).exists():
            self.stdout.write(
                "No demo data in this database yet: run `manage.py setup_demo` (make run does)."
            )
            return
        from .setup_demo import Command as SetupDemo

        SetupDemo(stdout=self.stdout._out, stderr=self.stderr._out).write_logins()
