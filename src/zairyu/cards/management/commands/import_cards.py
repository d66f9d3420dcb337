"""manage.py import_cards FILE.csv — load the residence card registry in bulk (REF-5, BO-2)."""

import resource
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zairyu.cards.importer import (
    COLUMNS,
    DEFAULT_BATCH,
    ImportFileError,
    Rejected,
    import_cards,
    write_rejects,
)

SHOWN_REJECTS = 100


def _columns_help() -> str:
    lines = [
        f"  {name}{' (required)' if required else ''}: {text}" for name, required, text in COLUMNS
    ]
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Import residence cards from a CSV file (UTF-8, with or without BOM; first line = "
        "column names, in any order). The file is streamed in batches, each committed with one "
        "audit event; running the same file again changes nothing. Rejected lines are reported "
        "with their line number and reasons; the others are imported. Several cards of one "
        "person: the card issued last is valid, the others are recorded as superseded. "
        "Columns:\n" + _columns_help() + "\nSee docs/cards-import.md."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the CSV file")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH,
            help=f"rows per transaction (default {DEFAULT_BATCH})",
        )
        parser.add_argument(
            "--rejects",
            type=Path,
            help="also write every rejected line to this CSV file (line, number, column, reason)",
        )
        parser.add_argument(
            "--progress", action="store_true", help="print progress to standard error"
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="exit with status 3 when any line was rejected (the others are still imported)",
        )

    def handle(  # noqa: C901 - a debt (docs/architecture.md)
        self, *args, file: Path, batch_size: int, rejects: Path | None, progress, strict, **opts
    ):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        shown = 0
        reject_file = rejects.open("w", encoding="utf-8", newline="") if rejects else None
        started = time.monotonic()

        def on_reject(item: Rejected) -> None:
            nonlocal shown
            if shown < SHOWN_REJECTS:
                self.stdout.write(f"rejected {item.text()}")
            shown += 1
            if reject_file is not None:
                write_rejects([item], reject_file)

        def on_progress(result) -> None:
            if progress:
                rate = result.rows / max(time.monotonic() - started, 1e-9)
                sys.stderr.write(f"\r{result.rows:,} rows, {rate:,.0f}/s")
                sys.stderr.flush()

        try:
            result = import_cards(
                file, batch_size=batch_size, on_reject=on_reject, on_progress=on_progress
            )
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc} Nothing was imported.") from exc
        finally:
            if reject_file is not None:
                reject_file.close()
            if progress:
                sys.stderr.write("\n")
        elapsed = time.monotonic() - started
        if shown > SHOWN_REJECTS:
            self.stdout.write(f"... and {shown - SHOWN_REJECTS} more rejected lines")
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.stdout.write(
            f"{file.name} (sha256 {result.sha256[:16]}): {result.rows} rows: "
            f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
            f"{result.superseded} superseded, {result.rejected} rejected; "
            f"{result.persons_created} new persons; {elapsed:.2f} s; "
            f"peak memory {peak_kib / 1024:.0f} MiB"
        )
        if result.rejected and strict:
            sys.exit(3)
