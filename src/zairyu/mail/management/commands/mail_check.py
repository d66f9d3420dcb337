from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from zairyu.mail.services import mail_queue


class Command(BaseCommand):
    help = "Queue a mail-delivery check through the outbox (the worker sends it)."

    def add_arguments(self, parser):
        parser.add_argument("address", help="Where to send the check mail.")
        parser.add_argument("--language", default="ja", help="Language of the mail (default ja).")

    def handle(self, *args, address: str, language: str, **options):
        try:
            validate_email(address)
        except ValidationError as exc:
            raise CommandError(f"{address!r} is not an e-mail address.") from exc
        with transaction.atomic():
            mail = mail_queue(
                template="mail_check",
                to=address,
                language=language,
                context={"requested_by": "manage.py mail_check"},
            )
        self.stdout.write(f"Queued mail {mail.pk} to {address}; a worker sends it.")
