from django.core.management.base import BaseCommand, CommandError

from zairyu.audit.services import audit_seal, audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and report the first broken link."

    def add_arguments(self, parser):
        parser.add_argument(
            "--seal-first",
            action="store_true",
            help="Seal pending events before verifying (normally the worker does this).",
        )

    def handle(self, *args, **options):
        if options["seal_first"]:
            while audit_seal():
                pass
        report = audit_verify()
        if not report.ok:
            where = f"position {report.broken_seq}"
            if report.broken_event_id is not None:
                where += f" (event id {report.broken_event_id})"
            raise CommandError(
                f"Audit chain broken at {where}: {report.reason}. "
                f"{report.checked} events verified before it."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.checked} sealed events verified; "
                f"{report.unsealed} awaiting sealing."
            )
        )
