"""The numbers of an application (A-10, REFERENCE.md §5): the provisional receipt number mailed
at submission (申請受付仮番号, one series for the whole system) and the receipt number
(申請受付番号: the office's prefix, the procedure's letter and 8 digits).

Each is taken from a counter row locked with ``select_for_update`` inside the caller's
transaction, so concurrent assignments queue up and a number once taken is never handed out
again (a rolled-back transaction rolls the counter back too: no gap is visible, nothing reused).
"""

from __future__ import annotations

from django.db import transaction

from zairyu.reference.models import Bureau

from .models import ProvisionalCounter, ReceiptCounter

# The receipt number's digits (REFERENCE.md §5) and the provisional number's series.
RECEIPT_DIGITS_MAX = 99_999_999
PROVISIONAL_SERIES = "provisional"


class NumberExhausted(Exception):
    """An office's series for a procedure letter ran past 8 digits."""


def next_receipt_number(*, bureau: Bureau, letter: str) -> str:
    """Take the next receipt number of ``bureau`` for procedure ``letter`` (e.g. 東オン更00000001).

    Must run inside the caller's transaction (the one that stores the number): the counter row
    is locked with ``select_for_update`` until it commits, so concurrent assignments of one
    office and letter queue up, and a number once taken is never handed out again (a rolled
    back transaction rolls back the counter too, so no gap is visible and nothing is reused).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_receipt_number must run inside a transaction")
    ReceiptCounter.objects.get_or_create(bureau=bureau, letter=letter)
    counter = ReceiptCounter.objects.select_for_update().get(bureau=bureau, letter=letter)
    counter.last += 1
    if counter.last > RECEIPT_DIGITS_MAX:
        raise NumberExhausted(f"{bureau.pk} {letter}: 8 digits exhausted")
    counter.save(update_fields=["last"])
    return f"{bureau.receipt_prefix}{letter}{counter.last:08d}"


def next_provisional_number() -> str:
    """Take the next provisional receipt number (申請受付仮番号, e.g. 仮0000000001): one series
    for the whole system, separate from the receipt numbers; same locking as above."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_provisional_number must run inside a transaction")
    ProvisionalCounter.objects.get_or_create(series=PROVISIONAL_SERIES)
    counter = ProvisionalCounter.objects.select_for_update().get(series=PROVISIONAL_SERIES)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"仮{counter.last:010d}"
