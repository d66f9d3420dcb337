"""Demo only: sign a proof-of-possession challenge with a demo card's private key (ID-3).

In production the JPKI client software or a smartphone app signs the challenge with the card
(docs/jpki-proof-of-possession.md). The demo cards of ``issue_demo_certificates`` have no chip,
so this command plays it: it prints the base64 signature to paste on the page. It refuses
wherever the bundled test CA is not trusted, which production settings never allow.

    manage.py sign_demo_challenge wang-xiaoming <challenge> --flow register:foreign_national
    manage.py sign_demo_challenge var/jpki-test-ca/cards/wang-xiaoming-renewed.pem <challenge> \
        --flow rebind
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zairyu.accounts import possession


class Command(BaseCommand):
    help = (
        "Demo only: sign a proof-of-possession challenge with a demo card's private key and "
        "print the base64 signature. Refused in production."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "card",
            help="A demo card's name (e.g. wang-xiaoming) or the path of its certificate file.",
        )
        parser.add_argument("challenge", help="The challenge shown on the page.")
        parser.add_argument(
            "--flow",
            required=True,
            help="The flow shown on the page: register:<category> or rebind.",
        )

    def handle(self, *args, card: str, challenge: str, flow: str, **options):
        if not possession.flow_valid(flow):
            raise CommandError(
                f"Unknown flow {flow!r}: use the one shown on the page, "
                "e.g. register:foreign_national or rebind."
            )
        path = Path(card)
        try:
            if path.is_file():
                found = possession.demo_card(certificate=path.read_bytes())
            else:
                found = possession.demo_card(slug=card)
        except possession.PossessionRefused as refused:
            if refused.code == "demo_unavailable":
                raise CommandError(
                    "Demo signing is refused: this installation does not trust the bundled test "
                    "CA (production settings never do). Sign with the card itself."
                ) from refused
            raise CommandError(
                f"{card} is not a demo card with a kept key (see `manage.py "
                "issue_demo_certificates`): a real card's key never leaves the card."
            ) from refused
        except OSError as exc:
            raise CommandError(f"{card} cannot be read: {exc}") from exc
        try:
            signature = possession.demo_sign(card=found, flow=flow, challenge=challenge.strip())
        except (ValueError, UnicodeEncodeError) as exc:
            raise CommandError("The challenge is the text shown on the page.") from exc
        self.stdout.write(signature)
