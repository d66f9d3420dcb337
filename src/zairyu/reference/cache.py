"""A per-process cache of values computed from the reference tables.

Reference data is read on nearly every page and changes a few times a year, so each process
keeps what it computed. Two rules keep it correct:

- a change to any reference row clears this process's cache at once and again on commit
  (``apps.ReferenceConfig.ready`` connects the signals); other processes (web workers, Celery)
  see the change when their entries expire, after at most ``TTL_SECONDS``;
- nothing read inside a transaction is cached: the value may include the transaction's own
  uncommitted writes, which a rollback would make false. Requests are not atomic
  (``ATOMIC_REQUESTS`` is off), so pages do hit the cache; a service reading reference data
  inside its transaction pays one indexed query.
"""

import threading
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.db import connection, transaction

T = TypeVar("T")
TTL_SECONDS = 60.0

_entries: dict[Hashable, tuple[float, object]] = {}
_lock = threading.Lock()


def cached(key: Hashable, compute: Callable[[], T]) -> T:
    """Return the cached value for ``key``, computing (and keeping) it when missing or stale."""
    if connection.in_atomic_block:
        return compute()
    now = time.monotonic()
    hit = _entries.get(key)
    if hit is not None and now - hit[0] < TTL_SECONDS:
        return hit[1]  # type: ignore[return-value]
    value = compute()
    with _lock:
        _entries[key] = (now, value)
    return value


def clear() -> None:
    """Forget every cached value in this process."""
    with _lock:
        _entries.clear()


def clear_on_change(**kwargs) -> None:
    """Signal receiver: clear now and once the changing transaction commits."""
    clear()
    transaction.on_commit(clear, using=kwargs.get("using"))
