"""SEC-3: re-encrypt personal data under the newest key (docs/operations.md, "Keys")."""

import time

from django.core.management.base import BaseCommand, CommandError

from zairyu.core import crypto, rotation


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value and recompute every blind index under the newest "
        "keys, in resumable batches. --check counts what is left; --new-key prints a new key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000, help="rows per transaction")
        parser.add_argument(
            "--check", action="store_true", help="only count the rows still under older keys"
        )
        parser.add_argument(
            "--new-key",
            metavar="ID",
            help="print a new random key entry (ID:base64) to put first in the key list, and stop",
        )

    def handle(self, *args, batch: int, check: bool, new_key: str | None, **options):
        if new_key is not None:
            try:
                key = crypto.key_parse(
                    crypto.key_format([crypto.key_generate(new_key)]), source="--new-key"
                )[0]
            except Exception as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(crypto.key_format([key]))
            return
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        ring = crypto.keyring()
        self.stdout.write(
            f"Newest keys: encryption {ring.current.id}, blind index {ring.current_index.id}"
        )
        left = 0
        for target in rotation.targets():
            stale = rotation.stale_count(target)
            left += stale
            if check or not stale:
                self.stdout.write(f"{target.label}: {stale} rows under older keys")
                continue
            started = time.monotonic()
            last = [started]

            def progress(p, started=started, last=last):
                now = time.monotonic()
                if now - last[0] >= 5 or p.done == p.total:
                    last[0] = now
                    rate = p.done / max(now - started, 1e-9)
                    self.stdout.write(
                        f"{p.label}: {p.done}/{p.total} rows ({100 * p.done / p.total:.1f} %), "
                        f"{rate:,.0f} rows/s"
                    )

            rotation.rotate(target, batch=batch, on_progress=progress)
        if check:
            self.stdout.write(
                "Nothing left under older keys: they can be removed from the key lists."
                if not left
                else f"{left} rows still need `manage.py rotate_keys`."
            )
        else:
            self.stdout.write("Done: every value is under the newest keys.")
