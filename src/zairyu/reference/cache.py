"""A per-process cache of values computed from the reference tables.

Reference data is read on nearly every page and changes a few times a year, so each process
keeps what it computed. Two rules keep it correct:

- a change to any reference row clears this process's cache at once and again on commit
  (``apps.ReferenceConfig.ready`` connects the signals); other processes (web workers, Celery)
  see the change when their entries expire, after at most ``TTL_SECONDS``;
- nothing read inside a transaction is cached: the value may include the transaction's own
  uncommitted writes, which a rollback would make false. Requests are not atomic
  (``ATOMIC_REQUESTS`` is off), so pages do hit the cache; a service reading reference data
  inside its transaction pays one indexed query, unless its caller opted in to reuse what was
  cached before the transaction (``reuse_in_transaction``: bulk filing batches).
"""

import contextlib
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from typing import TypeVar

from django.db import connection, transaction

T = TypeVar("T")
TTL_SECONDS = 60.0

_entries: dict[Hashable, tuple[float, object]] = {}
_lock = threading.Lock()
_local = threading.local()


def cached(key: Hashable, compute: Callable[[], T]) -> T:
    """Return the cached value for ``key``, computing (and keeping) it when missing or stale."""
    if connection.in_atomic_block and not getattr(_local, "reuse", False):
        return compute()
    now = time.monotonic()
    hit = _entries.get(key)
    if hit is not None and now - hit[0] < TTL_SECONDS:
        return hit[1]  # type: ignore[return-value]
    value = compute()
    with _lock:
        _entries[key] = (now, value)
    return value


@contextlib.contextmanager
def reuse_in_transaction() -> Iterator[None]:
    """Use the cache inside transactions opened in this block, as outside one. Only for work
    that writes NO reference data and repeats the same reads many times in one transaction (a
    bulk filing batch): what it reads is then the committed reference data, as fresh as a read
    outside a transaction; a change made meanwhile in this process clears the cache
    (``clear_on_change``)."""
    previous = getattr(_local, "reuse", False)
    _local.reuse = True
    try:
        yield
    finally:
        _local.reuse = previous


def clear() -> None:
    """Forget every cached value in this process."""
    with _lock:
        _entries.clear()


def clear_on_change(**kwargs) -> None:
    """Signal receiver: clear now and once the changing transaction commits."""
    clear()
    transaction.on_commit(clear, using=kwargs.get("using"))
